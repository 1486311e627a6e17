"""TensorFlow Datasets (``dataset="tfds:NAME"`` or ``"tfds:NAME@DIR"``): a dataset TFDS has prepared.

``NAME`` is what ``tfds.builder`` takes (``mnist``, ``cifar10:3.0.2``, ``imagenette/160px``, or the name of a
dataset prepared by one's own builder); ``DIR`` is its data directory (default: TFDS's own,
``$TFDS_DATA_DIR`` or ``~/tensorflow_datasets``). The suite never downloads: an unprepared dataset is refused
naming the folder and the command that prepares it. The image and label features are the builder's
``supervised_keys`` (else its one Image and one ClassLabel feature); class names come from the label feature.
The ``train`` split is trained on, ``test`` is the test set; without a ``test`` split a fixed stratified 25% of
``train`` is (as for image folders). Images are decoded by TFDS in a tf.data pipeline, resized to
``Config.image_size`` if set, and kept in memory or streamed from a file cache (training.streams).
"""

from __future__ import annotations

import numpy as np

from ablation_suite.training.data import DataError
from ablation_suite.training.folders import hold_out_test
from ablation_suite.training.streams import Source, materialise

INSTALL = "pip install -e '.[tfds]'"


def load_tfds(argument: str, image_size: int = 0):
    """(x_train, y_train, x_test, y_test, class_names) of a prepared TFDS dataset."""
    name, _, data_dir = argument.partition("@")
    where = f"tfds:{argument}"
    builder = _builder(name, data_dir or None, where)
    image_key, label_key = _keys(builder.info, where)
    splits = builder.info.splits
    if "train" not in splits:
        raise DataError(
            f"{where}: has no 'train' split (splits: {', '.join(splits.keys())}); the suite trains on "
            "'train' and tests on 'test' (or a stratified 25% of 'train')"
        )
    parts = ["train", "test"] if "test" in splits else ["train"]
    classes = tuple(builder.info.features[label_key].names)
    labels = [_labels(builder, part, image_key, label_key) for part in parts]
    shape = _shape(builder, image_key, image_size, where)
    images = materialise(_source(builder, parts, image_key, shape, image_size, np.concatenate(labels), where))
    if len(parts) == 2:
        n_train = len(labels[0])
        return images[:n_train], labels[0], images[n_train:], labels[1], classes
    x_train, x_test, y_train, y_test = hold_out_test(images, labels[0], classes, where)
    return x_train, y_train, x_test, y_test, classes


def _builder(name: str, data_dir, where: str):
    try:
        import tensorflow_datasets as tfds
    except ImportError:
        raise DataError(f"{where}: TensorFlow Datasets is not installed; install it with: {INSTALL}") from None
    prepare = (
        f"prepare it where there is internet with `tfds build {name}"
        + (f" --data_dir {data_dir}`" if data_dir else "`")
        + f" (or tfds.builder({name!r}"
        + (f", data_dir={data_dir!r}" if data_dir else "")
        + ").download_and_prepare()) and copy the folder"
    )
    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except Exception as error:  # DatasetNotFoundError, a bad config or version, ...
        raise DataError(
            f"{where}: TFDS has no dataset {name!r}"
            + (f" in {data_dir}" if data_dir else "")
            + f" ({type(error).__name__}: {str(error).splitlines()[0]}); give a registered name "
            "(tfds.list_builders()) or NAME@DIR of a prepared dataset, or " + prepare
        ) from None
    if not builder.is_prepared():
        raise DataError(
            f"{where}: {name!r} is not prepared in {builder.data_dir} (the suite never downloads); "
            + prepare
            + " there"
            + ("" if data_dir else ", or name another with tfds:NAME@DIR")
        )
    return builder


def _keys(info, where: str) -> tuple[str, str]:
    """(image feature, label feature): the supervised keys, else the one Image and one ClassLabel feature."""
    import tensorflow_datasets as tfds

    if (
        info.supervised_keys
        and len(info.supervised_keys) == 2
        and all(isinstance(key, str) for key in info.supervised_keys)
    ):
        image_key, label_key = info.supervised_keys
    else:
        kinds = {
            kind: [key for key, feature in info.features.items() if isinstance(feature, kind)]
            for kind in (tfds.features.Image, tfds.features.ClassLabel)
        }
        found = [keys[0] if len(keys) == 1 else None for keys in kinds.values()]
        if None in found:
            raise DataError(
                f"{where}: cannot tell its image and label (no supervised keys; features: "
                f"{', '.join(info.features.keys())}); the suite needs one Image and one ClassLabel feature"
            )
        image_key, label_key = found
    if not isinstance(info.features[label_key], tfds.features.ClassLabel):
        raise DataError(f"{where}: its label {label_key!r} is not a ClassLabel; the suite classifies images")
    return image_key, label_key


def _read(builder, split: str, **kwargs):
    """One split in its stored order (shards read one after another), so labels and images line up."""
    import tensorflow_datasets as tfds

    return builder.as_dataset(
        split=split, shuffle_files=False, read_config=tfds.ReadConfig(interleave_cycle_length=1), **kwargs
    )


def _labels(builder, split: str, image_key: str, label_key: str) -> np.ndarray:
    """A split's labels, read without decoding an image."""
    import tensorflow as tf
    import tensorflow_datasets as tfds

    records = _read(builder, split, decoders={image_key: tfds.decode.SkipDecoding()})
    batches = records.map(lambda example: example[label_key]).batch(4096).prefetch(tf.data.AUTOTUNE)
    return np.concatenate([batch.numpy() for batch in batches]).astype(np.int64)


def _shape(builder, image_key: str, image_size: int, where: str) -> tuple:
    """(height, width, channels) of every image: image_size if set, else the declared (or first) image's."""
    declared = builder.info.features[image_key].shape
    channels = declared[-1]
    height, width = (image_size, image_size) if image_size else declared[:2]
    if channels is None or height is None or width is None:
        first = next(iter(_read(builder, "train").take(1)))[image_key].shape
        channels, height, width = channels or first[-1], height or first[0], width or first[1]
    return int(height), int(width), int(channels)


def _source(builder, parts, image_key, shape, image_size, labels, where) -> Source:
    import tensorflow as tf

    def image(example):
        pixels = example[image_key]
        if image_size:
            pixels = tf.cast(tf.clip_by_value(tf.round(tf.image.resize(pixels, shape[:2])), 0, 255), tf.uint8)
        else:  # without a resize every image must have the one shape
            tf.debugging.assert_equal(tf.shape(pixels), shape, message="an image of another size")
        return tf.ensure_shape(tf.cast(pixels, tf.uint8), shape)

    def images():
        splits = [_read(builder, part).map(image, tf.data.AUTOTUNE) for part in parts]
        return splits[0].concatenate(splits[1]) if len(splits) == 2 else splits[0]

    def explain(error) -> DataError:
        return DataError(
            f"{where}: TensorFlow cannot read its images as {shape} ({type(error).__name__}: "
            f"{error.message.splitlines()[0]}); images of different sizes need image_size=N "
            "(e.g. --set image_size=32)"
        )

    identity = (
        f"{builder.info.full_name} {builder.data_dir} {parts} "
        f"{[builder.info.splits[p].num_examples for p in parts]} {shape} {image_size}"
    )
    return Source(where, images, labels, shape, identity, explain)
