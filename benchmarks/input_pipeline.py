"""The input pipeline of image files: a folder of real PNG files streamed from tf.data's file cache
(training.streams, what a dataset larger than memory trains on) against the same images as in-memory arrays.

Both variants are the trainer's own pipelines (training.trainer.pipeline) over the same split of the same images,
decoded once by the same tf.data pipeline; only where they are read from differs. One model trains an epoch on
each in turn, so adjacent epochs share the shared machine's load of the moment (folder_pipeline).
"""

from __future__ import annotations

import math
import os
import time
from contextlib import contextmanager
from pathlib import Path

import keras
import numpy as np
from scipy.stats import bootstrap

from benchmarks.measure import BATCH_SIZE, EpochTimer, Scale, median
from config import Config
from training import data
from training.streams import CACHE_DIR_ENV, CACHE_ENV, Streamed
from training.trainer import build_model, compile_model, pipeline

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
    data.load_raw.cache_clear()
    try:
        yield
    finally:
        for key, value in saved.items():
            os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)
        data.load_raw.cache_clear()


def folder_pipeline(scale: Scale, directory: Path) -> dict:
    """Epoch time of the trainer's pipeline streaming a folder from the file cache vs the same images in memory.

    One compiled `conv` model trains one epoch (with its validation pass) on each pipeline in turn, in the order
    AB BA AB ...; each pair of adjacent epochs gives a ratio, and the overhead is the median ratio, with a
    bootstrap confidence interval. Adjacent epochs share the machine's load of the moment: on this shared
    2-core machine whole trials vary by a factor of two, which compares trials made minutes apart unfairly.
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
    model = _compiled(config, loaded["memory"])
    epochs = {name: _epochs(model, config, loaded[mode]) for name, mode in VARIANTS}
    for name, _ in VARIANTS:
        next(epochs[name])  # the first epoch of each traces (or re-traces) what it needs: not timed
    pairs = 3 if scale.repeats == 1 else PAIRS
    seconds, cpu = {name: [] for name, _ in VARIANTS}, {name: [] for name, _ in VARIANTS}
    for pair in range(pairs):
        for name, _ in VARIANTS if pair % 2 == 0 else VARIANTS[::-1]:
            wall, used = next(epochs[name])
            seconds[name].append(wall)
            cpu[name].append(used)
    ratios = np.array(seconds["streamed"]) / np.array(seconds["in_memory"])
    cpu_ratios = np.array(cpu["streamed"]) / np.array(cpu["in_memory"])
    low, high = _median_interval(ratios)
    overhead = median(ratios) - 1
    return {"images": len(list(folder.rglob("*.png"))), "train_images": len(loaded["memory"].y_train),
            "image_shape": [*SHAPE, 1], "model": config.model, "batch_size": BATCH_SIZE, "pairs": pairs,
            "write_png_seconds": write_seconds, "decode_seconds": decode_seconds,
            "steady_epoch_seconds": {name: median(values) for name, values in seconds.items()},
            "epoch_seconds": seconds, "epoch_cpu_seconds": cpu,
            "overhead": overhead, "overhead_interval_95": [low - 1, high - 1], "target_met": overhead <= 0.05,
            "overhead_is": "median over adjacent pairs of epochs (order AB BA ...) of streamed / in-memory epoch "
                           "time - 1; the interval: 95% bootstrap (percentile) of that median",
            "cpu_overhead": median(cpu_ratios) - 1,
            "note": "one compiled model trains one epoch with its validation pass on each pipeline in turn; "
                    "streamed = decoded once into tf.data's file cache, each epoch reads it, keeps the split's "
                    "images and prefetches; in_memory = the same decoded images as arrays"}


VARIANTS = (("in_memory", "memory"), ("streamed", "file"))
PAIRS = 100  # adjacent epoch pairs: single epochs of either vary by a fifth, so it takes many


def _compiled(config: Config, loaded):
    """The trainer's model and optimiser for ``config``, built and compiled as a trial's are."""
    keras.utils.clear_session(free_memory=True)
    keras.utils.set_random_seed(config.seed)
    model = build_model(config, loaded)
    compile_model(model, config, steps_per_epoch=math.ceil(len(loaded.y_train) / config.batch_size))
    return model


def _epochs(model, config: Config, loaded):
    """(wall, CPU) seconds of each further epoch of ``model`` on the trainer's pipelines over ``loaded``: each
    epoch is a new pass over the same datasets, as in one ``fit`` (a new iterator, a new shuffle)."""
    train_set = pipeline(loaded.x_train, loaded.y_train, config, loaded.num_classes, training=True)
    val_set = pipeline(loaded.x_val, loaded.y_val, config, loaded.num_classes, training=False)
    while True:
        timer = EpochTimer()
        model.fit(train_set, validation_data=val_set, epochs=1, callbacks=[timer], shuffle=False, verbose=0)
        yield timer.seconds[0], timer.cpu_seconds[0]


def _median_interval(ratios: np.ndarray) -> tuple[float, float]:
    """95% percentile-bootstrap interval (scipy) of the median ratio; with fewer than 3 ratios, their range."""
    if len(ratios) < 3:
        return float(np.min(ratios)), float(np.max(ratios))
    found = bootstrap((ratios,), np.median, confidence_level=0.95, method="percentile", random_state=0)
    return float(found.confidence_interval.low), float(found.confidence_interval.high)
