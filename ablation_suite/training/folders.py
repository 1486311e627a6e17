"""Image folders (``dataset="folder:DIR"``): one sub-folder per class, optionally inside ``train/`` and
``test/``; without them a fixed stratified 25% of each class is the test set (as for ``digits``).

Every file's header is read with Pillow first, so an empty class, mixed sizes or channel counts are refused
naming the file or class; the images are then decoded once, by TensorFlow in a parallel tf.data pipeline
(``decode_image`` and a bilinear resize, as Keras's ``image_dataset_from_directory`` does), and held in memory as
uint8 arrays, or streamed from a file cache when they do not fit (training.streams). A file TensorFlow cannot
decode is then named by decoding the files with Pillow. ``Config.image_size`` resizes every image to a square of
that side; at 0 the images must all have one size.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from ablation_suite.training.data import DataError
from ablation_suite.training.streams import Source, materialise

EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")  # what image_dataset_from_directory reads
TEST_SHARE = 0.25  # of each class, fixed (random_state 0) when the folder has no train/ and test/
ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")
GRAY_MODES = ("1", "L", "I", "I;16", "F")


def load_folder(directory: str | Path, image_size: int = 0):
    """(x_train, y_train, x_test, y_test, class_names) of an image folder."""
    root = Path(directory).expanduser()
    where = f"folder:{directory}"
    if not root.is_dir():
        raise DataError(
            f"{where}: no such directory; give a folder with one sub-folder of images per class "
            "(optionally inside train/ and test/)"
        )
    parts = [root / "train", root / "test"]
    if any(part.is_dir() for part in parts):
        missing = [part.name for part in parts if not part.is_dir()]
        if missing:
            raise DataError(
                f"{where}: has {'train' if missing == ['test'] else 'test'}/ but no {missing[0]}/; give "
                "both (each with the same class sub-folders) or neither (a fixed stratified "
                f"{TEST_SHARE:.0%} test split is then made)"
            )
        classes = _classes(parts[0], where + "/train")
        test_classes = _classes(parts[1], where + "/test", need_two=False)
        absent = [name for name in classes if name not in test_classes]
        extra = [name for name in test_classes if name not in classes]
        if absent or extra:
            raise DataError(
                f"{where}: class(es) {', '.join(absent or extra)} "
                f"{'missing from test/' if absent else 'in test/ but not in train/'}; train/ and test/ "
                f"must hold the same class sub-folders (train/ has: {', '.join(classes)})"
            )
        files = {part: _image_files(part, classes, f"{where}/{part.name}") for part in parts}
    else:
        classes = _classes(root, where)
        files = {root: _image_files(root, classes, where)}
    size, channels = _common_shape([f for found in files.values() for f in found], image_size, where)
    paths = [path for found in files.values() for path in found]
    labels = np.array(
        [classes.index(path.relative_to(part).parts[0]) for part, found in files.items() for path in found],
        dtype=np.int64,
    )
    images = materialise(_source(where, paths, labels, size, channels))
    if len(files) == 2:
        n_train = len(files[parts[0]])
        x_train, y_train, x_test, y_test = images[:n_train], labels[:n_train], images[n_train:], labels[n_train:]
    else:
        x_train, x_test, y_train, y_test = hold_out_test(images, labels, classes, where)
    return x_train, y_train, x_test, y_test, tuple(classes)


def _classes(folder: Path, where: str, need_two: bool = True) -> list[str]:
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if need_two and len(classes) < 2:
        raise DataError(
            f"{where}: {len(classes)} class sub-folder(s) ({', '.join(classes) or 'none'}); a "
            "classification needs at least two: put each class's images in a sub-folder of its own"
        )
    return classes


def _image_files(folder: Path, classes, where: str) -> list[Path]:
    """Every image of the classes, in a fixed random order of their sorted listing. A folder lists them class by
    class; streamed in that order from the file cache (training.streams), a shuffle buffer smaller than the
    split would fill its batches with one or two classes."""
    found = []
    for name in classes:
        images = sorted(p for p in (folder / name).rglob("*") if p.suffix.lower() in EXTENSIONS and p.is_file())
        if not images:
            raise DataError(
                f"{where}: class {name!r} ({folder / name}) holds no image ({', '.join(EXTENSIONS)}); "
                "add its images or remove the empty folder"
            )
        found += images
    return [found[i] for i in np.random.default_rng(0).permutation(len(found))]


def _open(path: Path, where: str, decode: bool = False):
    """(size, mode) from an image file's header (or, with ``decode``, after decoding it whole)."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            if decode:
                image.load()
            return image.size, image.mode
    except Exception as error:  # Pillow raises OSError, SyntaxError, ValueError... for damaged files
        raise DataError(
            f"{where}: cannot read image {path} ({type(error).__name__}: {error}); the file is "
            "corrupt, truncated or not an image: replace or delete it"
        ) from None


def _common_shape(files, image_size: int, where: str) -> tuple[tuple[int, int], int]:
    """((height, width), channels) every image is read at, from the files' headers (decoding them is
    TensorFlow's job, done once; a file it cannot decode is then named by decoding it with Pillow)."""
    sizes, channels = {}, {}
    for path in files:
        (width, height), mode = _open(path, where)
        count = 4 if mode in ALPHA_MODES else 1 if mode in GRAY_MODES else 3
        sizes.setdefault((height, width), path)
        channels.setdefault(count, path)
    if len(channels) > 1:
        example = "; ".join(f"{path} has {count}" for count, path in sorted(channels.items()))
        raise DataError(
            f"{where}: images have different channel counts ({example}); convert them to one mode "
            "(all grayscale, all RGB or all RGBA), e.g. with Pillow's Image.convert('RGB')"
        )
    if image_size:
        return (image_size, image_size), next(iter(channels))
    if len(sizes) > 1:
        example = "; ".join(f"{path} is {w}x{h}" for (h, w), path in list(sizes.items())[:3])
        raise DataError(
            f"{where}: images have different sizes ({example}); set image_size=N (e.g. --set "
            "image_size=32) to resize every image to NxN"
        )
    return next(iter(sizes)), next(iter(channels))


def _source(where: str, paths: list[Path], labels: np.ndarray, size, channels: int) -> Source:
    """The folder's images as TensorFlow decodes and resizes them (decode_image, bilinear resize: what Keras's
    image_dataset_from_directory does), rounded to uint8; decoded in parallel, in file order."""
    import tensorflow as tf

    def decode(path):
        image = tf.io.decode_image(tf.io.read_file(path), channels=channels, expand_animations=False)
        image = tf.image.resize(image, size, method="bilinear")
        image = tf.cast(tf.clip_by_value(tf.round(image), 0, 255), tf.uint8)
        image.set_shape((*size, channels))
        return image

    files = [str(path) for path in paths]
    stamp = "\n".join(f"{f} {p.stat().st_size} {p.stat().st_mtime_ns}" for f, p in zip(files, paths))

    def explain(error) -> DataError:  # find the file TensorFlow could not decode
        for path in paths:
            _open(path, where, decode=True)
        return DataError(
            f"{where}: TensorFlow cannot decode its images ({type(error).__name__}: {error.message}); "
            "re-save them as PNG or JPEG"
        )

    return Source(
        where,
        lambda: tf.data.Dataset.from_tensor_slices(files).map(decode, tf.data.AUTOTUNE, deterministic=True),
        labels,
        (*size, channels),
        f"{stamp}\n{size} {channels}",
        explain,
    )


def hold_out_test(x, y, classes, where: str):
    """(x_train, x_test, y_train, y_test), as scikit-learn splits the arrays; by index, so that streamed images
    (training.streams.Streamed) split the same way, and each side in the folder's order: the order a streamed
    split is read in, so that it trains exactly as in memory."""
    try:
        train, test = train_test_split(np.arange(len(y)), test_size=TEST_SHARE, stratify=y, random_state=0)
        train, test = np.sort(train), np.sort(test)
        return x[train], x[test], y[train], y[test]
    except ValueError as error:  # too few images in a class for a stratified split
        counts = np.bincount(y, minlength=len(classes))
        smallest = int(np.argmin(counts))
        raise DataError(
            f"{where}: cannot hold out a stratified {TEST_SHARE:.0%} test split ({error}); class "
            f"{classes[smallest]!r} has {counts[smallest]} image(s): add images, or give train/ and "
            "test/ sub-folders"
        ) from None
