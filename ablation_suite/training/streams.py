"""Image sources decoded by tf.data (image folders, TensorFlow Datasets): decoded once, kept in memory when they
fit, else streamed from a file cache.

A loader describes its images as a ``Source``: a tf.data pipeline yielding every image (uint8, one size) in a
fixed order, with parallel decoding, and the labels, read without decoding any image. ``materialise`` runs that
pipeline exactly once:

- the decoded images fit in memory (as float32 arrays they take at most ``MEMORY_SHARE`` of the available
  memory): a uint8 array, validated and scaled like any in-memory dataset's;
- they do not: the pass writes tf.data's file cache (``Dataset.cache(filename)``) under ``runs/cache/``, and a
  ``Streamed`` stands for the images. It is indexed like an array (``training.data.split`` takes
  ``x[train_idx]``, so the stratified split by seed and the split fingerprint are the same as for arrays), and
  ``training.trainer.pipeline`` streams it: each epoch reads the cache, keeps the cell's images and prefetches.

``ABLATION_DATA_CACHE`` = ``auto`` (default) | ``memory`` | ``file`` forces the choice; ``ABLATION_CACHE_DIR``
moves the cache folder. A finished cache is named after what it holds (the files, their sizes and times, the
image size, the images per entry), so later runs and other workers on the machine read it instead of decoding again.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ablation_suite.training.data import DataError

CACHE_ENV, CACHE_DIR_ENV = "ABLATION_DATA_CACHE", "ABLATION_CACHE_DIR"
CACHE_MODES = ("auto", "memory", "file")
MEMORY_SHARE = 0.5  # of the available memory that decoded images (and a streamed shuffle buffer) may take
CACHE_ENTRY_BYTES = 2**20  # decoded bytes per entry of the file cache: reading an entry has a fixed cost, so an
# entry holds many small images (1 MB: 1337 of MNIST's size), and one large image at least


def images_per_entry(shape: tuple) -> int:
    """How many images of ``shape`` (height, width, channels; uint8) one entry of the file cache holds."""
    return max(1, CACHE_ENTRY_BYTES // int(np.prod(shape)))


@dataclass(frozen=True, eq=False)
class Source:
    """Every image of a dataset, undecoded, in a fixed order: what ``materialise`` decodes once."""

    name: str  # the dataset value, e.g. "folder:DIR", for messages and the cache file's name
    images: Callable  # () -> tf.data.Dataset of uint8 (height, width, channels) images, decoded in parallel
    labels: np.ndarray  # int64, one per image, in the same order
    shape: tuple  # (height, width, channels) of every image
    identity: str  # what the images are made from (files, sizes, times, resizing): the cache's name hashes it
    explain: Callable  # (TensorFlow's error) -> DataError naming the file or setting at fault


def cache_mode() -> str:
    mode = os.environ.get(CACHE_ENV, "auto") or "auto"
    if mode not in CACHE_MODES:
        raise DataError(f"{CACHE_ENV}={mode!r} is not known; choose one of: {', '.join(CACHE_MODES)}")
    return mode


def available_memory() -> int:
    """Bytes the kernel can give without swapping (MemAvailable), else the free pages."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def fits_in_memory(count: int, shape: tuple) -> bool:
    """Whether ``count`` images of ``shape`` fit in memory as the float32 arrays training.data holds."""
    mode = cache_mode()
    if mode != "auto":
        return mode == "memory"
    return count * int(np.prod(shape)) * 4 <= MEMORY_SHARE * available_memory()


def materialise(source: Source):
    """The source's images decoded once: a uint8 array (N, H, W, C) when they fit in memory, else a Streamed
    backed by a finished file cache."""
    import tensorflow as tf

    if fits_in_memory(len(source.labels), source.shape):
        try:
            batches = [batch.numpy() for batch in source.images().batch(256).prefetch(tf.data.AUTOTUNE)]
        except tf.errors.OpError as error:
            raise source.explain(error) from None
        return np.concatenate(batches) if batches else np.zeros((0, *source.shape), np.uint8)
    path = cache_path(source)
    wrote = None if Path(f"{path}.index").is_file() else _write_cache(source, path)
    return Streamed(source, str(path), np.arange(len(source.labels)), wrote)


def remove_written(written: tuple[Path, Path | None]) -> None:
    """Remove a file cache this process wrote (``Streamed.wrote``) and the folders made for it: a command refused
    after decoding its data (a bad network, say) leaves nothing behind."""
    path, made = written
    _remove(path)
    if made is not None:
        for folder in (path.parent, *path.parent.parents):
            if not folder.is_relative_to(made) or any(folder.iterdir()):
                break
            folder.rmdir()


def cache_path(source: Source) -> Path:
    root = Path(os.environ.get(CACHE_DIR_ENV) or Path("runs") / "cache")
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", source.name)[:48].strip("_")
    # the entry size is part of the name: a cache written with other entries is read entry by entry wrongly
    held = f"{source.identity}\n{images_per_entry(source.shape)} images per entry"
    return root / f"{slug}-{hashlib.sha256(held.encode()).hexdigest()[:16]}"


def _write_cache(source: Source, path: Path) -> tuple[Path, Path | None]:
    """Decode every image once into tf.data's cache files, written under a name of this process and renamed
    when complete: a worker never reads a half-written cache, and two workers filling it at once do not clash.
    Returns the cache and the outermost folder made for it (what ``remove_written`` takes)."""
    import tensorflow as tf

    new_folder = next((folder for folder in reversed(path.parents) if not folder.exists()), None)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    why = f"{CACHE_ENV}=file" if cache_mode() == "file" else "they do not fit in memory"
    print(
        f"{source.name}: {len(source.labels)} images, {len(source.labels) * int(np.prod(source.shape)) / 2**20:.1f} "
        f"MB decoded; {why}: decoding them once into the file cache {path}"
    )
    try:
        for _ in source.images().batch(images_per_entry(source.shape)).cache(str(partial)).prefetch(tf.data.AUTOTUNE):
            pass
    except tf.errors.OpError as error:
        _remove(partial)
        raise source.explain(error) from None
    except BaseException:
        _remove(partial)
        raise
    for file in sorted(path.parent.glob(partial.name + ".*")):  # .index last: it marks the cache complete
        if file.suffix != ".index":
            os.replace(file, path.parent / file.name.replace(partial.name, path.name))
    os.replace(f"{partial}.index", f"{path}.index")
    return path, new_folder


def _remove(partial: Path) -> None:
    for made in partial.parent.glob(partial.name + "*"):
        made.unlink(missing_ok=True)


class Streamed:
    """Images in a file cache, indexed like an array: ``x[indices]`` is another Streamed holding those images
    (in that order), ``x.shape`` is (N, H, W, C). Nothing is decoded until ``dataset`` is iterated."""

    ndim = 4
    dtype = np.dtype(np.uint8)

    def __init__(self, source: Source, path: str, index: np.ndarray, wrote: tuple | None = None):
        self.source, self.path, self.index = source, path, np.asarray(index, dtype=np.int64)
        self.wrote = wrote  # (cache, folder made) when this process wrote the cache (training.caches.Datasets)

    @property
    def shape(self) -> tuple:
        return (len(self.index), *(int(n) for n in self.source.shape))

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, key) -> Streamed:
        return Streamed(self.source, self.path, self.index[key], self.wrote)

    def order(self) -> np.ndarray:
        """The positions (in this Streamed's order) of the images as ``dataset`` yields them: cache order."""
        return np.argsort(self.index, kind="stable")

    def dataset(self, labels: np.ndarray):
        """tf.data of (uint8 image, label) pairs, ``labels`` given in this Streamed's order, yielded in the
        cache's order (``order``): one sequential read of the cache per pass, keeping this Streamed's images
        of each cache entry with one gather (the positions to keep and their labels come with the entry)."""
        import tensorflow as tf

        order = self.order()
        kept = self.index[order]  # cache positions, ascending
        entry = images_per_entry(self.source.shape)
        entries = -(-len(self.source.labels) // entry)
        per_entry = np.bincount(kept // entry, minlength=entries)
        positions = tf.RaggedTensor.from_row_lengths(kept % entry, per_entry)
        entry_labels = tf.RaggedTensor.from_row_lengths(np.asarray(labels, np.int64)[order], per_entry)

        def keep(images, wanted):  # the cell's images of one cache entry and their labels: no per-image work
            at, labelled = wanted
            return tf.gather(images, at), labelled

        cached = self.source.images().batch(entry).cache(self.path)
        wanted = tf.data.Dataset.from_tensor_slices((positions, entry_labels))
        pairs = tf.data.Dataset.zip(cached, wanted).map(keep, tf.data.AUTOTUNE).unbatch()
        return pairs.apply(tf.data.experimental.assert_cardinality(len(self.index)))


def shuffle_buffer(images) -> int:
    """A full shuffle for in-memory images; for streamed ones as many images as fit in memory."""
    if not isinstance(images, Streamed):
        return len(images)
    per_image = int(np.prod(images.shape[1:]))
    return max(1, min(len(images), int(MEMORY_SHARE * available_memory() // per_image)))


def in_given_order(images, values: np.ndarray) -> np.ndarray:
    """Per-image ``values`` (e.g. logits) computed in the order a pipeline yielded ``images``, put back in the
    images' own order."""
    if not isinstance(images, Streamed):
        return values
    restored = np.empty_like(values)
    restored[images.order()] = values
    return restored
