"""The measurements of the benchmark but the input pipeline's (input_pipeline.py); each returns a JSON-safe dict
with its raw repeats.

Timed comparisons interleave their variants within each repeat, so a change in the background load
of the (shared) machine hits every variant alike; the median over repeats is reported. The input-pipeline
comparisons, whose differences are a few percent, interleave single epochs instead (input_pipeline.py).
"""

from __future__ import annotations

import dataclasses
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import optuna
import tensorflow as tf

from ablation_suite import baselines
from ablation_suite.ablations import Ablation
from ablation_suite.config import Config
from ablation_suite.loops import runner, search
from ablation_suite.loops.space import make_pruner, make_sampler
from ablation_suite.store import record
from ablation_suite.training.data import load_data
from ablation_suite.training.trainer import build_model, train
from ablation_suite.workers import processes as workers
from benchmarks.machine import training_flops

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Scale:
    """Sizes of one benchmark run; ``FULL`` takes about 45 minutes on 2 CPU cores."""

    repeats: int
    train_size: int  # synthetic MNIST-shaped training images (a multiple of the batch size)
    epochs: int  # the first epoch traces the graph, the later ones give the steady rate
    precision_train_size: int
    worker_train_size: int
    worker_seeds: int
    memory_trials: int
    search_trials: int
    search_epochs: int
    pairs: int  # adjacent pairs of epochs of the input-pipeline comparisons (paired_epochs), per round
    rounds: int  # of those pairs, each on a newly built model (overhead_in_rounds)


FULL = Scale(
    repeats=3,
    train_size=3072,
    epochs=3,
    precision_train_size=512,
    worker_train_size=1024,
    worker_seeds=3,
    memory_trials=50,
    search_trials=30,
    search_epochs=12,
    pairs=100,
    rounds=3,
)
QUICK = Scale(
    repeats=1,
    train_size=128,
    epochs=2,
    precision_train_size=64,
    worker_train_size=64,
    worker_seeds=1,
    memory_trials=2,
    search_trials=2,
    search_epochs=2,
    pairs=6,
    rounds=2,
)
BATCH_SIZE = 64
MNIST_TRIAL_IMAGES = 51_000 * 10  # training images x epochs of a conv trial on MNIST (see fixed_cost)
AUGMENTATION = "flip+shift+cutout"  # the augmentations timed in the pipeline and in the train step
PRECISIONS = (("float32", False), ("mixed_bfloat16", False), ("mixed_float16", False), ("float32", True))


def quiet(*args, **kwargs):
    pass


class EpochTimer(keras.callbacks.Callback):
    """Seconds of every epoch (training plus its validation pass), wall and CPU."""

    def __init__(self):
        super().__init__()
        self.seconds, self.cpu_seconds = [], []  # cpu: of the whole process (every thread)

    def on_epoch_begin(self, epoch, logs=None):
        self.started, self.cpu_started = time.perf_counter(), time.process_time()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.started)
        self.cpu_seconds.append(time.process_time() - self.cpu_started)

    def steady(self) -> float:
        """An epoch's time once the graph is traced: the fastest epoch after the first.

        The fastest, not the median: other processes on a shared machine only ever slow an epoch down.
        """
        return min(self.seconds[1:] or self.seconds)


def synthetic_dataset(directory: Path, images: int, seed: int = 0) -> str:
    """An MNIST-shaped npz (28x28x1 uint8, 10 classes, random pixels) and its dataset name."""
    rng = np.random.default_rng(seed)
    path = directory / "synthetic_mnist.npz"
    np.savez(
        path,
        x_train=rng.integers(0, 256, (images, 28, 28), dtype=np.uint8),
        y_train=np.arange(images) % 10,
        x_test=rng.integers(0, 256, (512, 28, 28), dtype=np.uint8),
        y_test=np.arange(512) % 10,
    )
    return f"npz:{path}"


def base_config(dataset: str, train_size: int, epochs: int) -> Config:
    """The `conv` baseline (seed report 000) on the synthetic data."""
    return Config(dataset=dataset, model="conv", train_size=train_size, epochs=epochs, batch_size=BATCH_SIZE)


def median(values) -> float:
    return float(statistics.median(values))


def throughput(config: Config, repeats: int, peak_flops: float) -> dict:
    """Steady images/s of our trainer (default knobs, and one batch per execution) vs a hand-written fit,
    and of the trainer augmenting in the tf.data pipeline vs in the model's train step."""
    data = load_data(config)
    variants = {
        "trainer": config,
        "trainer_steps_per_execution_1": config.replace(steps_per_execution=1),
        **{
            f"augmented_in_{place}": config.replace(augmentation=AUGMENTATION, augment_in=place)
            for place in ("pipeline", "train_step")
        },
    }
    runs = {
        **{name: _trainer_run(variant, data) for name, variant in variants.items()},
        "plain_fit": lambda timer: plain_fit(config, data, timer),
    }
    rates = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            timer = EpochTimer()
            run(timer)
            rates[name].append(len(data.y_train) / timer.steady())
    flops = training_flops(build_model(config, data))
    medians = {name: median(values) for name, values in rates.items()}
    return {
        "model": config.model,
        "input_shape": list(data.input_shape),
        "train_images": len(data.y_train),
        "val_images": len(data.y_val),
        "batch_size": config.batch_size,
        "epochs": config.epochs,
        "steps_per_execution": config.steps_per_execution,
        "images_per_second": medians,
        "repeats": rates,
        "ratio_trainer_to_plain_fit": medians["trainer"] / medians["plain_fit"],
        "ratio_single_step_trainer_to_plain_fit": medians["trainer_steps_per_execution_1"] / medians["plain_fit"],
        "augmentation": AUGMENTATION,
        "ratio_augmented_in_train_step_to_pipeline": medians["augmented_in_train_step"]
        / medians["augmented_in_pipeline"],
        "training_flops_per_image": flops,
        "fraction_of_matmul_peak": {name: rate * flops / peak_flops for name, rate in medians.items()},
        "note": "steady rate: the fastest epoch after the first (which traces the graph), with its validation pass",
    }


def _trainer_run(config: Config, data):
    """One timed trial of our trainer with ``config``."""
    return lambda timer: train(config, data=data, log=quiet, callbacks=[timer])


def plain_fit(config: Config, data, timer: EpochTimer) -> None:
    """The way the seed reports train: model.fit on numpy arrays, same model, data and batch size."""
    keras.utils.clear_session(free_memory=True)
    keras.utils.set_random_seed(config.seed)
    model = baselines.create(config.model, data.input_shape, data.num_classes, config)
    model.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(
        data.x_train,
        data.y_train,
        batch_size=config.batch_size,
        epochs=config.epochs,
        shuffle=True,
        validation_data=(data.x_val, data.y_val),
        callbacks=[timer],
        verbose=0,
    )


def fixed_cost(config: Config, repeats: int, directory: Path) -> dict:
    """A whole trial as a study runs it (runner.run_trial into SQLite), split into fixed cost and training.

    Training = the epochs' times, the first counted at the steady epoch time; the rest is fixed:
    load+build+compile, tracing (the first epoch's excess), evaluation, recording in the storage
    (run_trial's time outside train).
    """
    study = optuna.create_study(storage=f"sqlite:///{directory / 'fixed_cost.db'}", direction="maximize")
    parts = {key: [] for key in ("trial", "training", "fixed", "setup", "trace", "evaluate", "record")}
    for _ in range(repeats):
        trial, timer = study.ask(), EpochTimer()
        started = time.perf_counter()
        run = runner.Run("", study, ablation=None, base=config, seeds=1, log=quiet)  # one trial, no ablation around it
        outcome = runner.run_trial(run, study, trial, {}, "", callbacks=[timer])
        total = time.perf_counter() - started
        if outcome != "completed":
            raise RuntimeError(f"the fixed-cost trial ended {outcome}: {record.results(study.trials[trial.number])}")
        attrs = record.results(study.trials[trial.number])
        trace = timer.seconds[0] - timer.steady()
        training = sum(timer.seconds) - trace  # the first epoch counted at the steady epoch time
        for key, value in (
            ("trial", total),
            ("training", training),
            ("fixed", total - training),
            ("setup", attrs["extra"]["setup_seconds"]),
            ("trace", trace),
            ("evaluate", attrs["extra"]["evaluate_seconds"]),
            ("record", total - attrs["wall_time"]),
        ):
            parts[key].append(value)
    medians = {key: median(values) for key, values in parts.items()}
    # The conv baseline's real trial (seed report 000): MNIST's 51,000 training images (85%), and we
    # count 10 epochs where the report ran at least 50, at this run's steady rate.
    per_image = medians["training"] / (config.train_size * config.epochs)
    projected = medians["fixed"] + per_image * MNIST_TRIAL_IMAGES
    return {
        "model": config.model,
        "train_images": config.train_size,
        "epochs": config.epochs,
        "seconds": medians,
        "repeats": parts,
        "fixed_fraction_of_trial": medians["fixed"] / medians["trial"],
        "projected_mnist_trial_seconds": projected,
        "fixed_fraction_of_projected_mnist_trial": medians["fixed"] / projected,
        "target_met": medians["fixed"] <= 2.0 or medians["fixed"] / projected <= 0.10,
    }


def study_command(dataset: str, seeds: int, train_size: int, epochs: int, storage: str, *options) -> list[str]:
    """`study.py run bn_placement` on the synthetic data with the `conv` model."""
    return [
        sys.executable,
        str(REPO / "study.py"),
        "run",
        "bn_placement",
        "--dataset",
        dataset,
        "--epochs",
        str(epochs),
        "--seeds",
        str(seeds),
        "--set",
        "model=conv",
        "--set",
        f"batch_size={BATCH_SIZE}",
        "--set",
        f"train_size={train_size}",
        "--storage",
        storage,
        *options,
    ]


def run_command(argv: list[str], directory: Path, worker: dict | None = None) -> float:
    """Seconds the command took, run as ``worker`` (a `workers.processes.plan` entry: threads and pinned
    cores) if given; a failure raises with the end of its output."""
    started = time.perf_counter()
    done = subprocess.run(
        argv, cwd=directory, capture_output=True, text=True, **(workers.as_worker(worker) if worker else {})
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[2:4])} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return time.perf_counter() - started


def trials_of(storage: str) -> list:
    """The trained trials of a finished bn_placement study, in the order they were created."""
    from ablation_suite.store.storage import open_storage

    trials = optuna.load_study(study_name="bn_placement", storage=open_storage(storage)).get_trials(deepcopy=False)
    return [t for t in trials if record.results(t)["images_per_second"] is not None]


def parallel_workers(dataset: str, scale: Scale, directory: Path) -> dict:
    """Wall time of one ablation (bn_placement, `conv`, 2 epochs) run by `study.py run --workers 1` vs 2.

    The trials' steady training rates (their fastest epoch after the first, from the recorded epoch
    times) show what the training itself can gain. A third run, once, is one worker given what each of
    two gets (one core, one thread) but alone: twice its rate over the two-core rate is the most two
    workers could gain on training, however they were scheduled. The rest of a trial (start-up,
    tracing, evaluation) overlaps between workers.
    """
    seconds, rates = {1: [], 2: []}, {1: [], 2: [], "one_core": []}

    def run(name, repeat, options, worker=None):
        storage = f"journal:{directory / f'workers_{name}_{repeat}.log'}"
        took = run_command(
            study_command(dataset, scale.worker_seeds, scale.worker_train_size, 2, storage, *options), directory, worker
        )
        rates[name].extend(
            scale.worker_train_size / min(record.results(t)["extra"]["epoch_seconds"][1:]) for t in trials_of(storage)
        )
        return took

    for repeat in range(scale.repeats):
        for count in (1, 2):
            seconds[count].append(run(count, repeat, ["--workers", str(count)]))
    run("one_core", 0, [], workers.worker_plans(2, None, workers.available_cores())[0])
    one, two = median(seconds[1]), median(seconds[2])
    steady = {name: median(values) for name, values in rates.items()}
    return {
        "ablation": "bn_placement",
        "cells": 3 * scale.worker_seeds,
        "train_images_per_cell": scale.worker_train_size,
        "seconds": {"1_worker": one, "2_workers": two},
        "repeats": {f"{k}_workers": v for k, v in seconds.items()},
        "speed_up": one / two,
        "target_met": one / two >= 1.6,
        "trial_images_per_second": {
            "1_worker": steady[1],
            "2_workers": steady[2],
            "1_worker_on_one_core": steady["one_core"],
        },
        "training_rate_ratio": 2 * steady[2] / steady[1],
        "training_rate_ceiling": 2 * steady["one_core"] / steady[1],
        "note": "whole command, process start-up, validation and recording included; training_rate_ratio: "
        "summed steady training rate of two one-core workers over one two-core worker's; "
        "training_rate_ceiling: the same with one-core workers that do not compete for the machine",
    }


def memory(dataset: str, scale: Scale, directory: Path) -> dict:
    """Resident memory after each of ``memory_trials`` trials of one `study.py run` (one worker, default
    --recycle-mb), from the per-trial record: growth over the run, restarts, largest growth within one process."""
    storage = f"journal:{directory / 'memory.log'}"
    seeds = -(-scale.memory_trials // 3)  # bn_placement has three levels
    seconds = run_command(study_command(dataset, seeds, 128, 1, storage), directory)
    trials = trials_of(storage)
    resident = [record.process(t)["rss_mb"] for t in trials]
    kept = [record.process(t).get("kept_networks", 0) for t in trials]
    starts = [i for i, t in enumerate(trials) if record.process(t)["process_trial"] == 1]
    processes = [resident[a:b] for a, b in zip(starts, [*starts[1:], len(trials)])]
    growth = max(resident) - resident[0]
    # The compiled networks a worker keeps for re-use (training.reuse) are growth by design, bounded by their
    # number: the leak target counts the growth after the first trial at which the worker kept the most.
    settled = kept.index(max(kept))
    growth_after_kept = max(resident[settled:]) - resident[settled]
    fifth = max(len(resident) // 5, 1)
    return {
        "trials": len(trials),
        "model": "conv",
        "train_images": 128,
        "seconds": seconds,
        "rss_mb_after_first": resident[0],
        "rss_mb_peak": max(resident),
        "growth_mb": growth,
        "networks_kept": max(kept),
        "trial_kept": settled + 1,
        "rss_mb_once_kept": resident[settled],
        "growth_after_kept_mb": growth_after_kept,
        "restarts": len(processes) - 1,
        "trials_per_process": [len(p) for p in processes],
        "max_growth_within_a_process_mb": max(max(p) - p[0] for p in processes),
        "peak_first_fifth_mb": max(resident[:fifth]),
        "peak_last_fifth_mb": max(resident[-fifth:]),
        "rss_mb": resident,
        "target_met": growth_after_kept <= 100.0,
        "gpu_memory": "not measured: no GPU"
        if not tf.config.list_physical_devices("GPU")
        else "handed back with the process at each restart (not measured)",
    }


PRUNERS = ("median", "successive_halving", "hyperband")


def pruning(scale: Scale, directory: Path) -> dict:
    """The same random learning-rate search (same seed, same trials) without and with each pruner."""
    base = Config(dataset="digits", model="baseline1", epochs=scale.search_epochs, batch_size=32)
    ablation = Ablation(
        question="benchmark: learning-rate search",
        base={},
        design="search",
        search_space={"learning_rate": ("log", 1e-5, 3e-1)},
        n_trials=scale.search_trials,
    )
    searches = {}
    for pruner in ("none", *PRUNERS):
        study = optuna.create_study(
            storage=f"sqlite:///{directory / f'pruning_{pruner}.db'}",
            direction="maximize",
            sampler=make_sampler("random", ablation.search_space, seed=0),
            pruner=make_pruner(pruner),
        )
        started = time.perf_counter()
        search.run_search(
            runner.Run("", study, dataclasses.replace(ablation, pruner=pruner), base, 1, log=quiet), study, {}
        )
        trials = [t for t in study.trials if record.results(t)["epochs_run"] is not None]
        searches[pruner] = {
            "best_val_accuracy": study.best_value,
            "epochs_trained": sum(record.results(t)["epochs_run"] for t in trials),
            "pruned_trials": sum(t.state.name == "PRUNED" for t in trials),
            "seconds": time.perf_counter() - started,
        }
    unpruned = searches["none"]
    for pruner in PRUNERS:
        found = searches[pruner]
        found["best_minus_unpruned_pp"] = 100 * (found["best_val_accuracy"] - unpruned["best_val_accuracy"])
        found["epoch_fraction"] = found["epochs_trained"] / unpruned["epochs_trained"]
        found["target_met"] = found["best_minus_unpruned_pp"] >= -0.5 and found["epoch_fraction"] <= 1 / 3
    return {
        "dataset": "digits",
        "model": "baseline1",
        "trials": scale.search_trials,
        "epochs": scale.search_epochs,
        "sampler": "random (seed 0): every search draws the same learning rates",
        "searches": searches,
        "note": "one run per pruner: the searches are seeded, so repeats give the same accuracies",
    }


def precision_and_xla(config: Config, repeats: int) -> dict:
    """Steady trainer images/s per precision policy and with XLA, as speed-ups over float32."""
    data = load_data(config)
    rates = {_variant_name(p, j): [] for p, j in PRECISIONS}
    for _ in range(repeats):
        for precision, jit in PRECISIONS:
            timer = EpochTimer()
            train(config.replace(precision=precision, jit_compile=jit), data=data, log=quiet, callbacks=[timer])
            rates[_variant_name(precision, jit)].append(len(data.y_train) / timer.steady())
    medians = {name: median(values) for name, values in rates.items()}
    gpus = tf.config.list_physical_devices("GPU")
    return {
        "device": "GPU" if gpus else "CPU (no GPU: these are CPU figures; GPU speed-ups not measured)",
        "train_images": len(data.y_train),
        "images_per_second": medians,
        "repeats": rates,
        "speed_up_vs_float32": {name: rate / medians["float32"] for name, rate in medians.items()},
    }


def _variant_name(precision: str, jit: bool) -> str:
    return precision + ("+jit_compile" if jit else "")
