"""The input pipeline of image files: a folder of real PNG files streamed from tf.data's file cache
(training.streams, what a dataset larger than memory trains on) against the same images as in-memory arrays.

Both variants train the same `conv` cell on the same split (their images are the same, decoded once by the same
tf.data pipeline); only where the trainer reads them from differs. Each repeat times both, interleaved, so a
change in the shared machine's load hits both alike; the overhead is the median over repeats of the ratio of
their steady epoch times.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from benchmarks.measure import BATCH_SIZE, EpochTimer, Scale, median, quiet
from config import Config
from training import data
from training.streams import CACHE_DIR_ENV, CACHE_ENV, Streamed
from training.trainer import train

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
    """Steady epoch time of a cell streamed from the file cache vs the same images held in memory."""
    written = time.perf_counter()
    folder = image_folder(directory, round(scale.train_size / 0.75 / 0.8))  # 25% test, then 20% validation
    write_seconds = time.perf_counter() - written
    # Twice the steady epochs of the other measurements: a steady epoch of this cell takes half a second, and single
    # epochs of either variant vary by a fifth (a collection, the shared machine), so it takes many of them
    config = Config(dataset=f"folder:{folder}", model="conv", epochs=2 * scale.epochs - 1, batch_size=BATCH_SIZE)
    loaded, decode_seconds = {}, {}
    for mode in ("memory", "file"):
        with cache_mode(mode, directory):
            started = time.perf_counter()
            loaded[mode] = data.load_data(config)  # decodes every image once (into the file cache for "file")
            decode_seconds[mode] = time.perf_counter() - started
    assert isinstance(loaded["file"].x_train, Streamed) and isinstance(loaded["memory"].x_train, np.ndarray)
    assert loaded["file"].split_fingerprint == loaded["memory"].split_fingerprint
    seconds, cpu = {"in_memory": [], "streamed": []}, {"in_memory": [], "streamed": []}  # every steady epoch
    repeats = 1 if scale.repeats == 1 else max(scale.repeats, 15)  # two variants of one short cell: cheap repeats
    for _ in range(repeats):  # interleaved, so a load change on the shared machine hits both alike
        for name, mode in (("in_memory", "memory"), ("streamed", "file")):
            timer = EpochTimer()
            train(config, data=loaded[mode], log=quiet, callbacks=[timer])
            seconds[name].append(timer.seconds[1:] or timer.seconds)
            cpu[name].append(timer.cpu_seconds[1:] or timer.cpu_seconds)

    def ratio(values):  # of the medians over every steady epoch of every repeat
        return median(sum(values["streamed"], [])) / median(sum(values["in_memory"], []))

    overhead = ratio(seconds) - 1
    fastest = median([min(mine) / min(theirs) for mine, theirs in zip(seconds["streamed"], seconds["in_memory"])])
    return {"images": len(list(folder.rglob("*.png"))), "train_images": len(loaded["memory"].y_train),
            "image_shape": [*SHAPE, 1], "model": config.model, "batch_size": BATCH_SIZE, "epochs": config.epochs,
            "write_png_seconds": write_seconds, "decode_seconds": decode_seconds,
            "steady_epoch_seconds": {name: median(sum(values, [])) for name, values in seconds.items()},
            "repeats": seconds, "cpu_seconds": cpu, "overhead": overhead, "target_met": overhead <= 0.05,
            "overhead_is": "median steady epoch streamed / median steady epoch in memory - 1, over every steady "
                           "epoch of every repeat (the repeats interleave the two)",
            "cpu_overhead": ratio(cpu) - 1,
            "fastest_epoch_overhead": fastest - 1,
            "fastest_epoch_overhead_is": "median over repeats of (fastest streamed / fastest in-memory epoch) - 1: "
                                         "the statistic of earlier runs, more sensitive to the odd quick epoch",
            "note": "streamed = decoded once into tf.data's file cache, each epoch reads it, keeps the cell's "
                    "images and prefetches; in_memory = the same decoded images as arrays"}
