"""The input pipeline of image files: a folder of real PNG files streamed from tf.data's file cache
(training.streams, what a dataset larger than memory trains on) against the same images as in-memory arrays.

Both variants are the trainer's own pipelines (training.trainer.pipeline) over the same split of the same images,
decoded once by the same tf.data pipeline; only where they are read from differs. One model trains an epoch on
each in turn, so adjacent epochs share the shared machine's load of the moment (folder_pipeline).
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from benchmarks.measure import BATCH_SIZE, Scale, overhead_in_rounds, trainer_model
from config import Config
from training import data
from training.streams import CACHE_DIR_ENV, CACHE_ENV, Streamed
from training.trainer import pipeline

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

    One compiled `conv` model trains one epoch (with its validation pass) on each pipeline in turn
    (measure.paired_epochs), in rounds; the overhead is the median of the rounds' (measure.overhead_in_rounds).
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
    return {"images": len(list(folder.rglob("*.png"))), "train_images": len(loaded["memory"].y_train),
            "image_shape": [*SHAPE, 1], "model": config.model, "batch_size": BATCH_SIZE,
            "write_png_seconds": write_seconds, "decode_seconds": decode_seconds,
            **overhead_in_rounds(lambda: trainer_model(config, loaded["memory"]), fits, scale),
            "note": "one compiled model trains one epoch with its validation pass on each pipeline in turn; "
                    "streamed = decoded once into tf.data's file cache, each epoch reads it, keeps the split's "
                    "images and prefetches; in_memory = the same decoded images as arrays"}


VARIANTS = (("streamed", "file"), ("in_memory", "memory"))  # the overhead is the first's over the second


def _fit_data(config: Config, loaded) -> dict:
    """model.fit's training and validation data: the trainer's own pipelines over ``loaded``."""
    return dict(x=pipeline(loaded.x_train, loaded.y_train, config, loaded.num_classes, training=True),
                validation_data=pipeline(loaded.x_val, loaded.y_val, config, loaded.num_classes, training=False))
