"""The input pipeline's cost, as paired epochs: the trainer's pipeline over in-memory arrays against one batch
repeated (row 7, pipeline_overhead), and a folder of real PNG files streamed from tf.data's file cache
(training.streams, what a dataset larger than memory trains on) against the same images as in-memory arrays
(row 8, folder_pipeline).

Both variants of a row are fed to one compiled model, an epoch on each in turn, so adjacent epochs share the
shared machine's load of the moment (paired_epochs); the overhead is the median of rounds of such pairs
(overhead_in_rounds).
"""

from __future__ import annotations

import math
import os
import time
from contextlib import contextmanager
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from scipy.stats import bootstrap

from ablation_suite.config import Config
from ablation_suite.training import data
from ablation_suite.training.streams import CACHE_DIR_ENV, CACHE_ENV, Streamed
from ablation_suite.training.trainer import build_model, compile_model, pipeline
from benchmarks.measure import BATCH_SIZE, EpochTimer, Scale, median

CLASSES = 10
SHAPE = (28, 28)  # MNIST's, as the other measurements' synthetic data


def image_folder(directory: Path, images: int, seed: int = 0) -> Path:
    """``images`` grayscale PNG files of random pixels in 10 class sub-folders."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    root = directory / "png_folder"
    for index in range(images):
        folder = root / f"class_{index % CLASSES}"
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 256, SHAPE, dtype=np.uint8)).save(folder / f"{index:06d}.png")
    return root


@contextmanager
def cache_mode(mode: str, directory: Path):
    """Load the folder as arrays ("memory") or streamed from a file cache in ``directory`` ("file")."""
    saved = {key: os.environ.get(key) for key in (CACHE_ENV, CACHE_DIR_ENV)}
    os.environ[CACHE_ENV], os.environ[CACHE_DIR_ENV] = mode, str(directory / "cache")
    try:
        yield
    finally:
        for key, value in saved.items():
            os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)


def folder_pipeline(scale: Scale, directory: Path) -> dict:
    """Epoch time of the trainer's pipeline streaming a folder from the file cache vs the same images in memory.

    One compiled `conv` model trains one epoch (with its validation pass) on each pipeline in turn
    (paired_epochs), in rounds; the overhead is the median of the rounds' (overhead_in_rounds).
    """
    written = time.perf_counter()
    folder = image_folder(directory, round(scale.train_size / 0.75 / 0.8))  # 25% test, then 20% validation
    write_seconds = time.perf_counter() - written
    config = Config(dataset=f"folder:{folder}", model="conv", batch_size=BATCH_SIZE)
    loaded, decode_seconds = {}, {}
    for mode in ("memory", "file"):
        with cache_mode(mode, directory):
            started = time.perf_counter()
            loaded[mode] = data.load_data(config)  # decodes every image once (into the file cache for "file")
            decode_seconds[mode] = time.perf_counter() - started
    assert isinstance(loaded["file"].x_train, Streamed) and isinstance(loaded["memory"].x_train, np.ndarray)
    assert loaded["file"].split_fingerprint == loaded["memory"].split_fingerprint
    fits = {name: _fit_data(config, loaded[mode]) for name, mode in VARIANTS}
    return {
        "images": len(list(folder.rglob("*.png"))),
        "train_images": len(loaded["memory"].y_train),
        "image_shape": [*SHAPE, 1],
        "model": config.model,
        "batch_size": BATCH_SIZE,
        "write_png_seconds": write_seconds,
        "decode_seconds": decode_seconds,
        **overhead_in_rounds(lambda: trainer_model(config, loaded["memory"]), fits, scale),
        "note": "one compiled model trains one epoch with its validation pass on each pipeline in turn; "
        "streamed = decoded once into tf.data's file cache, each epoch reads it, keeps the split's "
        "images and prefetches; in_memory = the same decoded images as arrays",
    }


VARIANTS = (("streamed", "file"), ("in_memory", "memory"))  # the overhead is the first's over the second


def _fit_data(config: Config, loaded) -> dict:
    """model.fit's training and validation data: the trainer's own pipelines over ``loaded``."""
    return dict(
        x=pipeline(loaded.x_train, loaded.y_train, config, loaded.num_classes, training=True),
        validation_data=pipeline(loaded.x_val, loaded.y_val, config, loaded.num_classes, training=False),
    )


def pipeline_overhead(config: Config, scale: Scale) -> dict:
    """Epoch time on the trainer's input pipeline vs one in-memory batch repeated (no input work), in adjacent
    pairs of epochs of one compiled model (overhead_in_rounds)."""
    loaded = data.load_data(config)
    steps = len(loaded.y_train) // config.batch_size
    batch = (
        tf.constant(loaded.x_train[: config.batch_size]),
        tf.one_hot(loaded.y_train[: config.batch_size], loaded.num_classes),
    )  # the trainer trains on one-hot labels
    fits = {
        "pipeline": dict(x=pipeline(loaded.x_train, loaded.y_train, config, loaded.num_classes, training=True)),
        "synthetic": dict(x=tf.data.Dataset.from_tensors(batch).repeat(steps)),
    }
    return {
        "train_images": len(loaded.y_train),
        "batches": steps,
        **overhead_in_rounds(lambda: trainer_model(config, loaded), fits, scale),
    }


def trainer_model(config: Config, loaded) -> keras.Model:
    """The trainer's model and optimiser for ``config``, built and compiled as a trial's are."""
    keras.utils.clear_session(free_memory=True)
    keras.utils.set_random_seed(config.seed)
    model = build_model(config, loaded)
    compile_model(model, config, steps_per_epoch=math.ceil(len(loaded.y_train) / config.batch_size))
    return model


def overhead_in_rounds(new_model, fits: dict, scale: Scale) -> dict:
    """How much longer an epoch takes on the first of ``fits`` (two: name -> model.fit's data arguments) than on
    the second: ``scale.rounds`` rounds of paired_epochs (``scale.pairs`` pairs each, on a model ``new_model()``
    builds for the round), each round's overhead by median_ratio, and the median of the rounds' overheads.

    Rounds, not only more pairs: on this shared VM the overhead of one run of 100 pairs moved from run to run
    (minutes apart, in fresh processes) by more than one run's interval, e.g. +2.4% to +5.1% for row 8, so one
    round's interval understates how much a result depends on when it is measured; the rounds' spread shows it.
    """
    mine, theirs = fits
    rounds = []
    for _ in range(scale.rounds):
        seconds, cpu = paired_epochs(new_model(), fits, scale.pairs)
        overhead, interval = median_ratio(seconds[mine], seconds[theirs])
        rounds.append(
            {
                "overhead": overhead,
                "overhead_interval_95": interval,
                "cpu_overhead": median_ratio(cpu[mine], cpu[theirs])[0],
                "epoch_seconds": seconds,
                "epoch_cpu_seconds": cpu,
            }
        )
    overheads = [found["overhead"] for found in rounds]
    overhead = median(overheads)
    return {
        "pairs": scale.pairs,
        "overhead": overhead,
        "overhead_range": [min(overheads), max(overheads)],
        "cpu_overhead": median(found["cpu_overhead"] for found in rounds),
        "target_met": overhead <= 0.05,
        "steady_epoch_seconds": {
            name: median(s for found in rounds for s in found["epoch_seconds"][name]) for name in fits
        },
        "rounds": rounds,
        "overhead_is": PAIRED_OVERHEAD,
    }


PAIRED_OVERHEAD = (
    "median over rounds of the median over blocks of two adjacent pairs of epochs (AB BA) of the "
    "geometric mean of their time ratios - 1; a round's interval: 95% bootstrap (percentile) of its "
    "median over its blocks"
)


def paired_epochs(model, fits: dict, pairs: int) -> tuple[dict, dict]:
    """Wall and CPU seconds of one epoch of ``model`` on each of ``fits`` (name -> model.fit's data arguments) in
    turn, ``pairs`` times in the order AB BA AB ..., after one untimed epoch of each (tracing).

    Adjacent epochs share the machine's load of the moment. Whole trials minutes apart do not: on this shared
    2-core VM the median epoch of a trial varied by a factor of two within one run, in every variant."""

    def epoch(arguments: dict) -> tuple[float, float]:
        timer = EpochTimer()
        model.fit(**arguments, epochs=1, callbacks=[timer], shuffle=False, verbose=0)
        return timer.seconds[0], timer.cpu_seconds[0]

    names = list(fits)
    for name in names:
        epoch(fits[name])
    seconds, cpu = {name: [] for name in names}, {name: [] for name in names}
    for pair in range(pairs):
        for name in names if pair % 2 == 0 else names[::-1]:
            wall, used = epoch(fits[name])
            seconds[name].append(wall)
            cpu[name].append(used)
    return seconds, cpu


def median_ratio(mine: list, theirs: list) -> tuple[float, list]:
    """The median over blocks of two adjacent pairs (AB then BA) of the geometric mean of their ratios, - 1, and
    its 95% percentile-bootstrap interval over the blocks (scipy); with fewer than 3 blocks, their range.

    Blocks, not single pairs: within a block the order effect (the second epoch of a pair may run warmer or
    colder) cancels, and the bootstrap then resamples units that do not share it."""
    ratios = np.array(mine) / np.array(theirs)
    blocks = np.sqrt(ratios[0 : len(ratios) - 1 : 2] * ratios[1::2]) if len(ratios) > 1 else ratios
    if len(blocks) < 3:
        return median(blocks) - 1, [float(blocks.min()) - 1, float(blocks.max()) - 1]
    found = bootstrap((blocks,), np.median, confidence_level=0.95, method="percentile", random_state=0)
    return median(blocks) - 1, [float(found.confidence_interval.low) - 1, float(found.confidence_interval.high) - 1]
