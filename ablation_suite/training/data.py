"""Datasets by name, validated, scaled to [0, 1] (resized and standardised as the Config says), with a stratified
train/validation split by seed.

``load_data(config, datasets)`` is the entry point. ``datasets`` (training.caches.Datasets, held by whoever
runs the cells) keeps the raw datasets loaded, so the cells of a study load each dataset once; splits are
cheap and made per cell from the seed.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from ablation_suite.config import DATASETS, RESIZED_SOURCES, Config, dataset_source
from ablation_suite.errors import UserError


class DataError(UserError):
    """The data cannot be used as it is; the message says what is wrong and how to fix it."""


@dataclass(frozen=True)
class Data:
    """One cell's arrays: images NHWC float32 (in [0, 1] unless Config.standardize), labels int64 in 0..K-1."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int
    class_names: tuple
    split_fingerprint: str  # identifies the exact train/validation/test partition
    data_fingerprint: str = ""  # identifies the dataset's content (content_fingerprint); "" when not loaded by name

    @property
    def input_shape(self) -> tuple:
        return tuple(self.x_train.shape[1:])


IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


def load_data(config: Config, datasets=None) -> Data:
    """The cell's data: the dataset (from ``datasets``, a training.caches.Datasets, when given; else loaded
    afresh), split into train/validation by ``config.seed``, subsampled."""
    from ablation_suite.training.caches import Datasets

    datasets = datasets if datasets is not None else Datasets()
    x_train, y_train, x_test, y_test, class_names = datasets.raw(config.dataset, config.image_size)
    return split(
        x_train, y_train, x_test, y_test, class_names, config, datasets.content(config.dataset, config.image_size)
    )


def load_raw(dataset: str, image_size: int = 0):
    """(x_train, y_train, x_test, y_test, class_names), validated and scaled, loaded from the source each call
    (training.caches.Datasets keeps them). A loader returns the four arrays, and may add the class names;
    ``image_size`` goes to the sources that resize as they decode; the others' arrays are resized here."""
    kind, argument = dataset_source(dataset)
    loaded = LOADERS[kind](argument, image_size) if kind in RESIZED_SOURCES else LOADERS[kind](argument)
    x_train, y_train, x_test, y_test = (a if _streamed(a) else np.asarray(a) for a in loaded[:4])
    x_train, y_train, x_test, y_test, num_classes = validate(x_train, y_train, x_test, y_test, dataset)
    if image_size and kind not in RESIZED_SOURCES:
        x_train, x_test = resized(x_train, image_size), resized(x_test, image_size)
    names = DATASETS[dataset].class_names if dataset in DATASETS else (tuple(loaded[4]) if len(loaded) > 4 else ())
    names = names or tuple(str(k) for k in range(num_classes))
    return x_train, y_train, x_test, y_test, names


def content_fingerprint(*parts) -> str:
    """A fingerprint of a dataset's content as loaded (``load_raw``'s parts): every pixel and label (sha256,
    about 0.1 s for MNIST's), or "" for images streamed from a file cache, which are not read whole to load
    them (and which another machine with more memory would hold as arrays: "" is never compared). The split
    fingerprint says which images a cell trained on; this says what they were."""
    if any(_streamed(part) for part in parts):
        return ""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            digest.update(f"{part.dtype}{part.shape}".encode())
            digest.update(np.ascontiguousarray(part))
        else:
            digest.update(repr(part).encode())
    return digest.hexdigest()[:16]


def validate(x_train, y_train, x_test, y_test, source: str):
    """Check shapes, labels and pixels; return NHWC float32 images in [0, 1] and int64 labels."""
    images = []
    for name, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        if x.ndim == 3:
            x = x[..., np.newaxis]
        if x.ndim != 4 or x.shape[0] == 0:
            raise DataError(f"{source}: x_{name} has shape {x.shape}; expected (N, H, W) or (N, H, W, C) with N > 0")
        y = y.reshape(-1) if y.ndim == 2 and y.shape[1] == 1 else y
        if y.ndim != 1 or len(y) != len(x):
            raise DataError(f"{source}: y_{name} has shape {y.shape} for {len(x)} images; expected ({len(x)},)")
        if not np.issubdtype(y.dtype, np.integer):
            raise DataError(f"{source}: y_{name} has dtype {y.dtype}; labels must be integers 0..K-1")
        images.append((x, y.astype(np.int64)))
    (x_train, y_train), (x_test, y_test) = images
    if x_train.shape[1:] != x_test.shape[1:]:
        raise DataError(f"{source}: train images are {x_train.shape[1:]} but test images are {x_test.shape[1:]}")
    classes = np.unique(y_train)
    if len(classes) < 2:  # any classifier scores 100% by always answering it: nothing is measured
        raise DataError(
            f"{source}: every training label is class {classes[0]}; a classification needs at least two "
            "classes: add the images of the other classes (labels 0..K-1, every class present)"
        )
    num_classes = int(y_train.max()) + 1
    for name, y in (("y_train", y_train), ("y_test", y_test)):
        if y.min() < 0 or y.max() >= num_classes:
            raise DataError(
                f"{source}: {name} has labels {y.min()}..{y.max()}; expected 0..{num_classes - 1} "
                f"(the classes seen in y_train)"
            )
    missing = sorted(set(range(num_classes)) - set(np.unique(y_train).tolist()))
    if missing:
        raise DataError(
            f"{source}: classes {missing} have no training example; labels must be 0..K-1 with every class present"
        )
    return _scale(x_train, source, "x_train"), y_train, _scale(x_test, source, "x_test"), y_test, num_classes


def _streamed(images) -> bool:
    """Images left in a file cache (training.streams.Streamed): decoded uint8, scaled as they are streamed."""
    return hasattr(images, "dataset")


def _scale(x, source, name):
    """Pixels to float32 in [0, 1]: integer images are divided by 255; float images must already fit."""
    if _streamed(x):
        return x
    if not (np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)):
        raise DataError(f"{source}: {name} has dtype {x.dtype}; images must be integer (0..255) or float ([0, 1])")
    if np.issubdtype(x.dtype, np.integer):
        if x.min() < 0 or x.max() > 255:
            raise DataError(f"{source}: {name} has integer pixels {x.min()}..{x.max()}; expected 0..255")
        return (x / 255.0).astype(np.float32)
    x = x.astype(np.float32)
    if not np.isfinite(x).all():
        raise DataError(f"{source}: {name} contains NaN or infinite pixels")
    if x.min() < 0 or x.max() > 1:
        raise DataError(
            f"{source}: {name} has float pixels {x.min():.3g}..{x.max():.3g}; "
            "expected [0, 1] (store uint8 0..255 to have them scaled)"
        )
    return x


RESIZE_CHUNK = 4096  # images resized per call: a bounded float32 copy at a time


def resized(x: np.ndarray, size: int) -> np.ndarray:
    """Images [0, 1] resized to size x size, bilinear (PyTorch's transforms.Resize and tf.image.resize default)."""
    import tensorflow as tf

    if x.shape[1:3] == (size, size):
        return x
    parts = [tf.image.resize(x[i : i + RESIZE_CHUNK], (size, size)).numpy() for i in range(0, len(x), RESIZE_CHUNK)]
    return np.clip(np.concatenate(parts), 0.0, 1.0).astype(np.float32)


# Config.standardize -> the axes of the training images its mean and spread are taken over (None: per image)
STANDARDIZE_AXES = {"channel": (0, 1, 2), "pixel": (0,), "image": None}


def standardized(config: Config, train, *others) -> tuple:
    """The cell's training images and ``others`` (validation, test) standardised as Config.standardize says: by
    statistics of the training images (a held-out image never informs them), or each image by its own."""
    if config.standardize == "none":
        return (train, *others)
    if any(_streamed(x) for x in (train, *others)):
        raise DataError(
            f"standardize={config.standardize!r}: {config.dataset} is streamed from a file cache (too large to "
            "hold), and its pixels are scaled as they stream; use standardize='none' (the network can normalise "
            "its input with a batch-norm layer), or a machine with the memory to hold it"
        )
    axes = STANDARDIZE_AXES[config.standardize]
    if axes is None:  # each image by its own mean and spread, as tf.image.per_image_standardization does
        return tuple(_per_image(x) for x in (train, *others))
    mean, std = train.mean(axis=axes, keepdims=True), train.std(axis=axes, keepdims=True)
    spread = np.maximum(std, 1.0 / np.sqrt(np.prod([train.shape[a] for a in axes])))  # a constant pixel: no 0/0
    return tuple(((x - mean) / spread).astype(np.float32) for x in (train, *others))


def _per_image(x: np.ndarray) -> np.ndarray:
    mean, std = x.mean(axis=(1, 2, 3), keepdims=True), x.std(axis=(1, 2, 3), keepdims=True)
    return ((x - mean) / np.maximum(std, 1.0 / np.sqrt(np.prod(x.shape[1:])))).astype(np.float32)


def split(x_train, y_train, x_test, y_test, class_names, config: Config, data_fingerprint: str = "") -> Data:
    """Stratified train/validation split by seed, then an optional stratified subsample; standardised by the
    training side's statistics when the Config says so."""
    train_idx, val_idx = split_indices(y_train, len(class_names), config)
    train, val, test = standardized(config, x_train[train_idx], x_train[val_idx], x_test)
    return Data(
        train,
        y_train[train_idx],
        val,
        y_train[val_idx],
        test,
        y_test,
        len(class_names),
        tuple(class_names),
        _fingerprint(train_idx, val_idx, y_test, x_train.shape),
        data_fingerprint,
    )


def split_fingerprint(raw, config: Config) -> str:
    """The fingerprint of the cell's split of ``raw`` (``load_raw``'s parts) as ``split`` would give it, without
    copying any image."""
    x_train, y_train, _, y_test, class_names = raw
    return _fingerprint(*split_indices(y_train, len(class_names), config), y_test, x_train.shape)


def _fingerprint(train_idx, val_idx, y_test, shape) -> str:
    return hashlib.sha256(
        b"".join([train_idx.tobytes(), val_idx.tobytes(), y_test.tobytes(), str(shape).encode()])
    ).hexdigest()[:16]


def split_indices(y_train, num_classes: int, config: Config) -> tuple[np.ndarray, np.ndarray]:
    """(training, validation) positions in the training images, each sorted: stratified by ``config.seed``,
    the training side subsampled to ``train_size``."""
    counts = np.bincount(y_train, minlength=num_classes)
    n_val = int(round(config.val_fraction * len(y_train)))
    if counts.min() < 2 or n_val < num_classes or len(y_train) - n_val < num_classes:
        raise DataError(
            f"{config.dataset}: cannot stratify {len(y_train)} training images into a validation share of "
            f"{config.val_fraction} (smallest class has {counts.min()} example(s), {num_classes} classes); "
            "every class needs >= 2 examples and each side >= one per class: add data or change val_fraction"
        )
    index = np.arange(len(y_train))
    train_idx, val_idx = train_test_split(index, test_size=n_val, stratify=y_train, random_state=config.seed)
    if config.train_size:
        if config.train_size >= len(train_idx):
            raise DataError(
                f"train_size={config.train_size} is not smaller than the {len(train_idx)} training "
                "images left after the validation split; use 0 for all or a smaller number"
            )
        if config.train_size < num_classes:
            raise DataError(f"train_size={config.train_size} is smaller than the {num_classes} classes")
        try:
            train_idx, _ = train_test_split(
                train_idx, train_size=config.train_size, stratify=y_train[train_idx], random_state=config.seed
            )
        except ValueError as error:  # scikit-learn's refusal to stratify, e.g. a class left with one image
            raise DataError(
                f"train_size={config.train_size}: cannot subsample the training split stratified "
                f"({error}); choose a train_size that keeps every class on both sides, or 0"
            ) from None
    return np.sort(train_idx), np.sort(val_idx)


# label_noise_kind -> the class offset (mod K, never 0) each flipped label gets. Symmetric: one of the
# other K-1 classes, uniformly; class_dependent: the "pair flip" k -> k+1 mod K of Han et al. 2018
# (Co-teaching). Both as in Song et al. 2022, the label-noise survey seed report 004 cites.
LABEL_FLIPS = {
    "symmetric": lambda rng, count, num_classes: rng.integers(1, num_classes, size=count),
    "class_dependent": lambda rng, count, num_classes: 1,
}


def noisy_labels(y: np.ndarray, num_classes: int, config: Config) -> np.ndarray:
    """A copy of training labels ``y`` with exactly round(label_noise * len(y)) of them, chosen by
    ``config.seed``, flipped to another class as ``label_noise_kind`` says."""
    noisy = y.copy()
    count = round(config.label_noise * len(y))
    if count == 0:
        return noisy
    if num_classes < 2:
        raise DataError(f"label_noise={config.label_noise}: a dataset with one class has no other class to flip to")
    rng = np.random.default_rng(config.seed)
    flipped = rng.choice(len(y), size=count, replace=False)
    offset = LABEL_FLIPS[config.label_noise_kind](rng, count, num_classes)
    noisy[flipped] = (y[flipped] + offset) % num_classes
    return noisy


def _digits(_name: str = "digits"):
    """scikit-learn's bundled 8x8 digits (pixels 0..16), with a fixed stratified 25% test set."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.images * (255.0 / 16.0)).round().astype(np.uint8)
    x_train, x_test, y_train, y_test = train_test_split(
        x, digits.target, test_size=0.25, stratify=digits.target, random_state=0
    )
    return x_train, y_train, x_test, y_test


def _npz(path: str | Path):
    path = Path(path)
    if not path.is_file():
        raise DataError(f"npz:{path}: no such file; give the path of an .npz with x_train, y_train, x_test, y_test")
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [key for key in ("x_train", "y_train", "x_test", "y_test") if key not in archive.files]
            if missing:
                raise DataError(
                    f"npz:{path}: missing arrays {missing}; found {archive.files}; "
                    "expected x_train, y_train, x_test, y_test"
                )
            return tuple(archive[key] for key in ("x_train", "y_train", "x_test", "y_test"))
    except DataError:
        raise
    except Exception as error:  # zipfile.BadZipFile, OSError, ValueError: all mean a damaged file
        raise DataError(f"npz:{path}: cannot be read ({error}); the file is corrupt or truncated") from None


def _idx_dir(directory: str | Path):
    """MNIST-format IDX files (gzipped or not) in a directory, under their usual names."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DataError(
            f"idx:{directory}: no such directory; it must hold {', '.join(IDX_FILES.values())} (optionally .gz)"
        )
    arrays = []
    for stem in IDX_FILES.values():
        candidates = [directory / stem, directory / (stem + ".gz")]
        found = next((p for p in candidates if p.is_file()), None)
        if found is None:
            raise DataError(
                f"idx:{directory}: missing {stem} (or {stem}.gz); expected the four files "
                f"{', '.join(IDX_FILES.values())}"
            )
        arrays.append(read_idx(found))
    x_train, y_train, x_test, y_test = arrays
    return x_train, y_train, x_test, y_test


def read_idx(path: Path) -> np.ndarray:
    """One IDX file (http://yann.lecun.com/exdb/mnist/): magic, dims, then big-endian data."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            raw = handle.read()
    except (OSError, EOFError, zlib.error) as error:
        raise DataError(f"{path}: cannot be read ({error}); the file is corrupt or truncated") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_TYPES or raw[3] == 0:
        raise DataError(f"{path}: not an IDX file (bad magic number {raw[:4].hex()})")
    ndim = raw[3]
    if len(raw) < 4 + 4 * ndim:
        raise DataError(f"{path}: the header announces {ndim} dimensions but the file ends first; it is truncated")
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(IDX_TYPES[raw[2]]).newbyteorder(">")
    expected = int(np.prod(dims)) * dtype.itemsize
    body = raw[4 + 4 * ndim :]
    if len(body) != expected:
        raise DataError(
            f"{path}: header says shape {dims} ({expected} bytes) but {len(body)} bytes follow; "
            "the file is truncated or corrupt"
        )
    return np.frombuffer(body, dtype=dtype).reshape(dims).astype(dtype.newbyteorder("="))


IDX_TYPES = {0x08: "u1", 0x09: "i1", 0x0B: "i2", 0x0C: "i4", 0x0D: "f4", 0x0E: "f8"}


def keras_cache_dir() -> Path:
    """Where keras.datasets looks for (and downloads) its files: Keras reads KERAS_HOME once, at import."""
    from keras.src.backend.config import keras_home  # the directory Keras itself resolved

    return Path(keras_home()).expanduser() / "datasets"


def _keras_dataset(name: str):
    import keras

    loader = getattr(keras.datasets, name)
    try:
        (x_train, y_train), (x_test, y_test) = loader.load_data()
    except Exception as error:  # keras raises a bare Exception on a failed download
        raise DataError(
            f"dataset {name!r} is not in the Keras cache and could not be downloaded ({error}). "
            f"On a machine without internet place {' and '.join(DATASETS[name].keras_files)} in {keras_cache_dir()}, "
            "or use npz:PATH / idx:DIR, or the bundled dataset 'digits'"
        ) from None
    return x_train, y_train, x_test, y_test


def _folder(directory: str, image_size: int = 0):
    """One sub-folder of images per class (training/folders.py), with the class names."""
    from ablation_suite.training.folders import load_folder

    return load_folder(directory, image_size)


def _tfds(argument: str, image_size: int = 0):
    """A prepared TensorFlow Datasets dataset, NAME[@DIR] (training/tfds.py), with the class names."""
    from ablation_suite.training.tfds import load_tfds

    return load_tfds(argument, image_size)


# Dataset source kind (config.dataset_source) -> loader of (x_train, y_train, x_test, y_test[, class_names]): the
# one table; the sources in config.RESIZED_SOURCES also get Config.image_size.
LOADERS = {"digits": _digits, "keras": _keras_dataset, "npz": _npz, "idx": _idx_dir, "folder": _folder, "tfds": _tfds}
