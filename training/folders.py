"""Image folders (``dataset="folder:DIR"``): one sub-folder per class, optionally inside ``train/`` and
``test/``; without them a fixed stratified 25% of each class is the test set (as for ``digits``).

Every file is checked with Pillow first, so a corrupt image, an empty class, mixed sizes or channel counts
are refused naming the file or class; the images are then decoded and resized by Keras's own
``keras.utils.image_dataset_from_directory`` and held in memory as uint8 arrays (``training.data`` validates
and scales them). ``Config.image_size`` resizes every image to a square of that side; at 0 the images
must all have one size.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from training.data import DataError

EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")  # what image_dataset_from_directory reads
TEST_SHARE = 0.25  # of each class, fixed (random_state 0) when the folder has no train/ and test/
COLOR_MODES = {1: "grayscale", 3: "rgb", 4: "rgba"}  # channels -> Keras's color_mode
ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")
GRAY_MODES = ("1", "L", "I", "I;16", "F")


def load_folder(directory: str | Path, image_size: int = 0):
    """(x_train, y_train, x_test, y_test, class_names) of an image folder."""
    root = Path(directory).expanduser()
    where = f"folder:{directory}"
    if not root.is_dir():
        raise DataError(f"{where}: no such directory; give a folder with one sub-folder of images per class "
                        "(optionally inside train/ and test/)")
    parts = [root / "train", root / "test"]
    if any(part.is_dir() for part in parts):
        missing = [part.name for part in parts if not part.is_dir()]
        if missing:
            raise DataError(f"{where}: has {'train' if missing == ['test'] else 'test'}/ but no {missing[0]}/; give "
                            "both (each with the same class sub-folders) or neither (a fixed stratified "
                            f"{TEST_SHARE:.0%} test split is then made)")
        classes = _classes(parts[0], where + "/train")
        test_classes = _classes(parts[1], where + "/test", need_two=False)
        absent = [name for name in classes if name not in test_classes]
        extra = [name for name in test_classes if name not in classes]
        if absent or extra:
            raise DataError(f"{where}: class(es) {', '.join(absent or extra)} "
                            f"{'missing from test/' if absent else 'in test/ but not in train/'}; train/ and test/ "
                            f"must hold the same class sub-folders (train/ has: {', '.join(classes)})")
        files = {part: _image_files(part, classes, f"{where}/{part.name}") for part in parts}
    else:
        classes = _classes(root, where)
        files = {root: _image_files(root, classes, where)}
    size, channels = _common_shape([f for found in files.values() for f in found], image_size, where)
    arrays = [_read(part, classes, size, channels, where) for part in files]
    if len(arrays) == 2:
        (x_train, y_train), (x_test, y_test) = arrays
    else:
        x_train, x_test, y_train, y_test = _test_split(*arrays[0], classes, where)
    return x_train, y_train, x_test, y_test, tuple(classes)


def _classes(folder: Path, where: str, need_two: bool = True) -> list[str]:
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if need_two and len(classes) < 2:
        raise DataError(f"{where}: {len(classes)} class sub-folder(s) ({', '.join(classes) or 'none'}); a "
                        "classification needs at least two: put each class's images in a sub-folder of its own")
    return classes


def _image_files(folder: Path, classes, where: str) -> list[Path]:
    found = []
    for name in classes:
        images = sorted(p for p in (folder / name).rglob("*") if p.suffix.lower() in EXTENSIONS and p.is_file())
        if not images:
            raise DataError(f"{where}: class {name!r} ({folder / name}) holds no image ({', '.join(EXTENSIONS)}); "
                            "add its images or remove the empty folder")
        found += images
    return found


def _common_shape(files, image_size: int, where: str) -> tuple[tuple[int, int], int]:
    """((height, width), channels) every image is read at; each file is decoded once to find corrupt ones."""
    from PIL import Image

    sizes, channels = {}, {}
    for path in files:
        try:
            with Image.open(path) as image:
                image.load()
                width, height = image.size
                mode = image.mode
        except Exception as error:  # Pillow raises OSError, SyntaxError, ValueError... for damaged files
            raise DataError(f"{where}: cannot read image {path} ({type(error).__name__}: {error}); the file is "
                            "corrupt, truncated or not an image: replace or delete it") from None
        count = 4 if mode in ALPHA_MODES else 1 if mode in GRAY_MODES else 3
        sizes.setdefault((height, width), path)
        channels.setdefault(count, path)
    if len(channels) > 1:
        example = "; ".join(f"{path} has {count}" for count, path in sorted(channels.items()))
        raise DataError(f"{where}: images have different channel counts ({example}); convert them to one mode "
                        "(all grayscale, all RGB or all RGBA), e.g. with Pillow's Image.convert('RGB')")
    if image_size:
        return (image_size, image_size), next(iter(channels))
    if len(sizes) > 1:
        example = "; ".join(f"{path} is {w}x{h}" for (h, w), path in list(sizes.items())[:3])
        raise DataError(f"{where}: images have different sizes ({example}); set image_size=N (e.g. --set "
                        "image_size=32) to resize every image to NxN")
    return next(iter(sizes)), next(iter(channels))


def _read(folder: Path, classes, size, channels: int, where: str):
    """Decode and resize with Keras's directory loader; uint8 images NHWC and int labels, in memory."""
    import keras

    try:
        with contextlib.redirect_stdout(io.StringIO()):  # its "Found N files belonging to K classes."
            images = keras.utils.image_dataset_from_directory(
                folder, labels="inferred", label_mode="int", class_names=list(classes),
                color_mode=COLOR_MODES[channels], batch_size=None, image_size=size, shuffle=False)
            pairs = [(image.numpy(), int(label)) for image, label in images]
    except Exception as error:  # TensorFlow could not decode what Pillow could
        raise DataError(f"{where}: Keras cannot load {folder} ({type(error).__name__}: {error}); re-save its "
                        "images as PNG or JPEG") from None
    x = np.clip(np.round(np.stack([image for image, _ in pairs])), 0, 255).astype(np.uint8)
    return x, np.array([label for _, label in pairs], dtype=np.int64)


def _test_split(x, y, classes, where: str):
    try:
        return train_test_split(x, y, test_size=TEST_SHARE, stratify=y, random_state=0)
    except ValueError as error:  # too few images in a class for a stratified split
        counts = np.bincount(y, minlength=len(classes))
        smallest = int(np.argmin(counts))
        raise DataError(f"{where}: cannot hold out a stratified {TEST_SHARE:.0%} test split ({error}); class "
                        f"{classes[smallest]!r} has {counts[smallest]} image(s): add images, or give train/ and "
                        "test/ sub-folders") from None
