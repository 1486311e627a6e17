"""Which cells a worker trains side by side (training.fused): ``--fuse auto|off|K``.

A worker that claims a cell also claims the waiting cells after it that can step in turn with it (the same
``together_key``: data, split, batch size, batches per call, determinism), up to the width ``--fuse`` allows.
Cells are claimed one at a time, as always (loops.runner.claim_cell), so two workers never train one cell: a
worker looks at the next waiting cell and claims it if it fits; if another worker took it first, the one it gets
instead joins the group if it fits and is trained after the group if not.

``--fuse auto`` fuses where it is faster on this hardware, by a rule derived from measurements
(benchmarks/fused.py, key ``fused``, and docs/explanation/performance.md):

- on a CPU, ``AUTO_WIDTH`` cells share a call when a step of their network costs at most
  ``AUTO_MAX_MULTIPLY_ADDS`` per batch (baselines.cost.multiply_adds x batch size): the largest step the benchmark
  measures (`baseline2` at 32x32 and batch 128), where side by side was still faster, as on every smaller one. A
  step alone leaves cores idle that other cells' steps fill. Larger steps, not measured there, are trained one
  after another.

A group traces each of its networks once, whatever its number of seeds (training.fused: the cells of one network
share its traced steps), as cells one after another do (training.reuse), and a later round trains on the group's
traces. A study's cells are queued seed by seed, so its groups are usually its levels at one seed.

On a GPU, ``auto`` trains one cell at a time: the suite has not measured fusion on a GPU, so it does not guess;
``--fuse K`` fuses there too, K bounded by the GPU's memory (``gpu_width``: ``GPU_SHARE`` of the memory nvidia-smi
reports over an estimate of one cell's, ``cell_bytes``; the run says when it lowers K). The estimate is not
measured on a GPU: a group that does not fit fails with TensorFlow's out-of-memory error, recorded on each of its
cells, and a smaller K trains it.
"""

from __future__ import annotations

from ablation_suite.config import Config
from ablation_suite.store import record

AUTO_WIDTH = 4
AUTO_MAX_MULTIPLY_ADDS = 5_000_000_000  # per batch: baseline2 at 32x32, batch 128, is 4.9 billion (benchmarks/fused.py)
FUSE_CHOICES = "auto, off, or a number of cells from 2 to 16"
MAX_WIDTH = 16
GPU_SHARE = 0.8  # of a GPU's memory that a group's cells may fill: TensorFlow's own buffers and the data need some


def parse(text: str) -> str:
    """``--fuse``'s value, checked: "auto", "off" or a width 1..16 (1 is "off")."""
    value = str(text).strip().lower()
    if value in ("auto", "off"):
        return value
    if value.isdigit() and 1 <= int(value) <= MAX_WIDTH:
        return "off" if int(value) == 1 else value
    raise ValueError(f"--fuse {text!r} is not known; choose {FUSE_CHOICES}")


def width(run, config: Config) -> int:
    """How many cells like ``config`` a worker trains side by side under ``run.fuse``."""
    if run.fuse == "off":
        return 1
    if run.fuse != "auto":
        return min(int(run.fuse), gpu_width(run, config))
    return AUTO_WIDTH if pays(config, run.caches) else 1


def gpu_width(run, config: Config, gpu_mib: int | None = None) -> int:
    """How many cells like ``config`` fit side by side in the memory of the GPU the worker trains on (``gpu_mib``,
    else as nvidia-smi reports it): GPU_SHARE of it over ``cell_bytes``. MAX_WIDTH on a CPU, or where the GPU's
    memory is not known (no nvidia-smi). Said once per network, knobs and batch size when it bounds ``--fuse``."""
    if gpu_mib is None:
        gpu_mib = _gpu_memory_mib()
    if not gpu_mib:
        return MAX_WIDTH
    # every layer's outputs count, so every knob but the seed and learning rate may change a cell's memory
    key = ("gpu", tuple(sorted(dict(config.to_dict(), seed=None, learning_rate=None).items())), gpu_mib)
    if key not in run.caches.fusing:
        per_cell = cell_bytes(config, run.caches)
        fits = max(1, int(gpu_mib * 2**20 * GPU_SHARE // per_cell))
        run.caches.fusing[key] = fits
        if run.fuse not in ("auto", "off") and fits < int(run.fuse):
            run.log(
                f"--fuse {run.fuse}: {fits} cell(s) of {config.model} at batch {config.batch_size} fit side by side "
                f"in this GPU's {gpu_mib} MiB (about {per_cell / 2**20:.0f} MiB a cell, {GPU_SHARE:.0%} of the "
                f"memory for the cells)"
            )
    return run.caches.fusing[key]


def cell_bytes(config: Config, caches) -> int:
    """An estimate of one training cell's memory: its weights four times (the weights, their gradients and two
    optimiser slots) and each layer's outputs for a batch twice (kept for the backward pass, and their gradients),
    in the Config's compute precision."""
    import math

    model = _network(config, caches)
    weights = sum(int(math.prod(variable.shape)) * 4 for variable in model.weights)
    compute_bytes = 2 if config.precision.startswith("mixed") else 4
    outputs = sum(
        int(math.prod(output.shape[1:]))
        for layer in model.layers
        for output in (layer.output if isinstance(layer.output, (list, tuple)) else [layer.output])
    )
    return 4 * weights + 2 * config.batch_size * outputs * compute_bytes


def _gpu_memory_mib() -> int | None:
    """Memory in MiB of the first GPU TensorFlow sees here (the worker's), or None (no GPU, or no nvidia-smi)."""
    import os

    import tensorflow as tf

    from ablation_suite.workers.devices import nvidia_smi_memory, physical_id

    if not tf.config.list_physical_devices("GPU"):
        return None
    return nvidia_smi_memory().get(physical_id(0, os.environ.get("CUDA_VISIBLE_DEVICES")))


def pays(config: Config, caches) -> bool:
    """``--fuse auto``'s rule (see the module's docstring), decided once per network and batch size by process."""
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        return False
    # what a network's multiply-adds per batch depend on (only convolutions and dense layers count)
    key = (config.model, config.dataset, config.image_size, config.input_scale, config.batch_size)
    if key not in caches.fusing:
        caches.fusing[key] = step_multiply_adds(config, caches) <= AUTO_MAX_MULTIPLY_ADDS
    return caches.fusing[key]


def step_multiply_adds(config: Config, caches) -> int:
    """Multiply-adds of one training batch's forward pass through the cell's network."""
    from ablation_suite.baselines.cost import multiply_adds

    return multiply_adds(_network(config, caches)) * config.batch_size


def _network(config: Config, caches):
    """The cell's network, built (untrained, not compiled) to be measured. No clear_session after it (a fifth of a
    second): the cell's training clears the session before it builds."""
    from ablation_suite.training.data import load_data
    from ablation_suite.training.trainer import build_model

    return build_model(config, load_data(config, caches.datasets))


def claim_beside(run, study, first) -> list[list]:
    """The groups to train, starting from the claimed trial ``first``: it and the waiting cells claimed beside it,
    then any cell claimed in a race that does not fit (trained on its own)."""
    from ablation_suite.loops.runner import claim_cell, config_of
    from ablation_suite.training.fused import together_key

    if run.fuse == "off":  # no look at the waiting cells: one storage read less per cell
        return [[first]]
    config = _config(run, first, config_of)
    if config is None:
        return [[first]]
    group, others = [first], []

    def fits(candidate: Config | None) -> bool:
        return candidate is not None and together_key(candidate) == together_key(config)

    while True:
        waiting = _next_waiting(study)
        # the width only once a cell could join: auto's rule builds a network to count its multiply-adds
        if waiting is None or not fits(_config(run, waiting, config_of)) or len(group) >= width(run, config):
            break
        trial = claim_cell(study)
        if trial is None:
            break
        claimed = _config(run, trial, config_of)
        if not fits(claimed):  # another worker took the cell looked at, and this one does not fit
            others.append([trial])
            break
        group.append(trial)
    return [group, *others]


def _next_waiting(study):
    """The waiting trial Optuna's ``ask`` gives next (the lowest-numbered), or None."""
    from optuna.trial import TrialState

    waiting = study.get_trials(deepcopy=False, states=(TrialState.WAITING,))
    return min(waiting, key=lambda trial: trial.number) if waiting else None


def _config(run, trial, config_of) -> Config | None:
    """A cell trial's Config, or None when it is not a cell or its levels do not make a valid Config (it is then
    trained alone, where the error is recorded)."""
    cell = record.trial_cell(trial)
    if not cell or run.ablation is None:
        return None
    try:
        return config_of(run, cell)
    except Exception:
        return None
