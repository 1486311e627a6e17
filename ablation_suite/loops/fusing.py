"""Which cells a worker trains side by side (training.fused): ``--fuse auto|off|K``.

A worker that claims a cell also claims the waiting cells after it that can step in turn with it (the same
``together_key``: data, split, batch size, batches per call, determinism), up to the width ``--fuse`` allows.
Cells are claimed one at a time, as always (loops.runner.claim_cell), so two workers never train one cell: a
worker looks at the next waiting cell and claims it if it fits; if another worker took it first, the one it gets
instead joins the group if it fits and is trained after the group if not.

``--fuse auto`` fuses where it is faster on this hardware, by a rule derived from measurements
(benchmarks/fused.py, key ``fused``, and docs/explanation/performance.md):

- on a CPU, a step of a cell's network whose multiply-adds per batch (baselines.cost.multiply_adds x batch size)
  are at most ``AUTO_MAX_MULTIPLY_ADDS`` leaves cores idle that other cells' steps fill, and ``AUTO_WIDTH`` cells
  share a call; larger steps keep the cores busy alone and are trained one after another.

A group traces each of its networks once, whatever its number of seeds (training.fused: the cells of one network
share its traced steps), as cells one after another do (training.reuse), and a later round trains on the group's
traces. A study's cells are queued seed by seed, so its groups are usually its levels at one seed.

On a GPU, ``auto`` trains one cell at a time: the suite has not measured fusion on a GPU, so it does not guess;
``--fuse K`` fuses there too, K bounded by what fits in the GPU's memory (a group that does not fit fails with
TensorFlow's out-of-memory error, recorded on each of its cells).
"""

from __future__ import annotations

from ablation_suite.config import Config
from ablation_suite.store import record

AUTO_WIDTH = 4
AUTO_MAX_MULTIPLY_ADDS = 250_000_000  # per batch (benchmarks/fused.py)
FUSE_CHOICES = "auto, off, or a number of cells from 2 to 16"
MAX_WIDTH = 16


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
        return int(run.fuse)
    return AUTO_WIDTH if pays(config, run.caches) else 1


def pays(config: Config, caches) -> bool:
    """``--fuse auto``'s rule (see the module's docstring), decided once per network and batch size by process."""
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        return False
    key = (config.model, config.dataset, config.image_size, config.input_scale, config.batch_size)
    if key not in caches.fusing:
        caches.fusing[key] = step_multiply_adds(config, caches) <= AUTO_MAX_MULTIPLY_ADDS
    return caches.fusing[key]


def step_multiply_adds(config: Config, caches) -> int:
    """Multiply-adds of one training batch's forward pass through the cell's network."""
    from ablation_suite.baselines.cost import multiply_adds
    from ablation_suite.training.data import load_data
    from ablation_suite.training.trainer import build_model

    # No clear_session after it (a fifth of a second): the cell's training clears the session before it builds.
    return multiply_adds(build_model(config, load_data(config, caches.datasets))) * config.batch_size


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
