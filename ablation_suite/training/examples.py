"""Example images recorded with a trial, for the report (which never runs TensorFlow): the first misclassified
test images, and a few training images before and after the trial's own augmentation, as small PNGs (base64 text).

Cheap and bounded: the misclassified images come from the predictions the evaluation already made (no extra
pass), the augmentation runs once on a handful of images, images larger than ``MAX_SIDE`` are shrunk, and each
list stops before ``BUDGET`` characters (Optuna keeps a user attribute as one JSON text; MySQL's TEXT holds 64 KB).
"""

from __future__ import annotations

import base64

import numpy as np
import tensorflow as tf

from ablation_suite.config import Config
from ablation_suite.training.augment import batch_augmenter
from ablation_suite.training.streams import Streamed, in_given_order

MISCLASSIFIED = 8  # test images per trial
AUGMENTED = 6  # training images per trial, each before and after augmentation
MAX_SIDE = 32  # pixels: larger images are shrunk (antialiased) to this side, enough to see what was misread
BUDGET = 16_000  # characters of PNG text per image list (twice that for the before/after pairs): 4-5 colour
# 32x32 images (noise-like ones compress worst), any number of 8x8 digits


def png(image: np.ndarray) -> str:
    """A float image (H, W, C) in [0, 1] as base64 PNG text: uint8 0-255, grayscale or RGB, at most MAX_SIDE a side.
    A standardised image (Config.standardize) is shown stretched from its own lowest to its highest value."""
    low, high = float(np.min(image)), float(np.max(image))
    if low < 0.0 or high > 1.0:
        image = (image - low) / max(high - low, 1e-12)
    pixels = tf.convert_to_tensor(np.clip(image, 0.0, 1.0), tf.float32)
    if pixels.shape[-1] not in (1, 3, 4):  # PNG has no 2- or 5-channel images: show the first channel
        pixels = pixels[..., :1]
    if max(pixels.shape[:2]) > MAX_SIDE:
        pixels = tf.image.resize(pixels, (MAX_SIDE, MAX_SIDE), preserve_aspect_ratio=True, antialias=True)
    encoded = tf.io.encode_png(tf.cast(tf.round(tf.clip_by_value(pixels, 0.0, 1.0) * 255.0), tf.uint8))
    return base64.b64encode(encoded.numpy()).decode("ascii")


def images_at(images, positions) -> np.ndarray:
    """The images at ``positions`` of an array or a Streamed split, float32 in [0, 1]. A streamed split is read
    from the start of its file cache only as far as the last of them (the positions asked for are early ones)."""
    positions = np.asarray(positions, dtype=np.int64)
    if not isinstance(images, Streamed):
        return np.asarray(images[positions], dtype=np.float32)
    wanted = images[positions]
    read = wanted.dataset(np.zeros(len(positions), np.int64)).take(len(positions))
    pixels = np.stack([image for image, _ in read.as_numpy_iterator()])  # in the cache's order
    return (in_given_order(wanted, pixels).astype(np.float64) / 255.0).astype(
        np.float32
    )  # as training.data scales arrays


def misclassified(x_test, y_test: np.ndarray, predictions: np.ndarray, limit: int = MISCLASSIFIED) -> list[dict]:
    """The first ``limit`` misclassified test images in test order, so every level shows the same images where it
    fails them: test index, true and predicted class, PNG."""
    positions = np.flatnonzero(predictions != y_test)[:limit]
    if not len(positions):
        return []
    return _within_budget(
        {"index": int(p), "true": int(y_test[p]), "predicted": int(predictions[p]), "png": png(image)}
        for p, image in zip(positions, images_at(x_test, positions))
    )


def augmented_samples(
    x_train, y_train: np.ndarray, config: Config, num_classes: int, count: int = AUGMENTED
) -> list[dict]:
    """Training images before and after the trial's own augmentation (its layers and seeds, in training mode, at
    the input scale the network sees), applied once to the first training image of each class (up to ``count``;
    the split is the seed's, so every level of a seed shows the same images); [] without augmentation.
    Mixup and cutmix mix each image with another of these."""
    augment = batch_augmenter(config)
    if augment is None:
        return []
    _, firsts = np.unique(y_train, return_index=True)
    positions = list(firsts[:count])
    positions += [p for p in range(min(len(y_train), 2 * count)) if p not in positions][: count - len(positions)]
    originals = tf.convert_to_tensor(images_at(x_train, positions))
    if config.input_scale > 1:  # the pipeline upsamples before it augments
        size = (originals.shape[1] * config.input_scale, originals.shape[2] * config.input_scale)
        originals = tf.image.resize(originals, size, method="nearest")
    augmented, _ = augment(originals, tf.one_hot(y_train[positions], num_classes))
    return _within_budget(
        (
            {"index": int(p), "label": int(y_train[p]), "original": png(before), "augmented": png(after)}
            for p, before, after in zip(positions, originals.numpy(), np.asarray(augmented))
        ),
        budget=2 * BUDGET,
    )


def _within_budget(records, budget: int = BUDGET) -> list[dict]:
    """The records in order until their PNG text would pass ``budget`` characters (the first is always kept)."""
    kept, used = [], 0
    for record in records:
        size = sum(len(value) for value in record.values() if isinstance(value, str))
        if kept and used + size > budget:
            break
        kept.append(record)
        used += size
    return kept
