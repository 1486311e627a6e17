"""Data augmentation of training batches: the AUGMENTATIONS table and ``batch_augmenter(config)``.

Augmentation runs in the tf.data pipeline, vectorised over a whole batch, on training batches only
(``training.trainer.pipeline`` never calls it for validation or test data). Every step maps a batch
``(images, one-hot labels)`` to a batch of the same shapes; mixup and cutmix also mix the labels, so
they stay soft labels that sum to one. Each step draws from its own Keras SeedGenerator seeded from
``config.seed``, so a cell's augmentations are the same every time it runs.

The strengths are fixed constants, cited below, so a level name means the same in every study.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from training.config import Config, augmentation_steps

# Width/height shifts, zoom and rotation as ImageDataGenerator set-ups of the seed reports' era did
# them (seed reports 001 and 004 name the transforms, not their ranges): shift 10% of the side, zoom
# +-10%, rotation +-15 degrees, borders filled with the nearest pixel (ImageDataGenerator's default).
SHIFT = 0.1
ZOOM = 0.1
ROTATION_DEGREES = 15
FILL_MODE = "nearest"
CUTOUT_SIDE = 0.5  # DeVries & Taylor 2017: 16x16 patches on 32x32 CIFAR-10 images, half the side
MIXUP_ALPHA = 1.0  # Zhang et al. 2017, CIFAR-10: mixing weight ~ Beta(1, 1)
CUTMIX_ALPHA = 1.0  # Yun et al. 2019, CIFAR: patch area ~ Beta(1, 1)


def _keras_layer(make_layer):
    """A step from a Keras preprocessing layer, which transforms images and labels together."""
    def build(seed):
        layer = make_layer(seed)

        def apply(images, labels):
            out = layer({"images": images, "labels": labels}, training=True)
            return out["images"], out["labels"]
        return apply
    return build


def _cutout(seed):
    """Cutout (DeVries & Taylor 2017): one square patch per image set to 0; its centre is uniform over the
    image, so the patch may lie partly outside it, as in the paper."""
    generator = keras.random.SeedGenerator(seed)

    def apply(images, labels):
        shape = tf.shape(images)
        batch, height, width = shape[0], shape[1], shape[2]
        side = tf.maximum(tf.cast(tf.cast(tf.minimum(height, width), tf.float32) * CUTOUT_SIDE, tf.int32), 1)
        top = keras.random.randint((batch, 1, 1, 1), 0, height, seed=generator) - side // 2
        left = keras.random.randint((batch, 1, 1, 1), 0, width, seed=generator) - side // 2
        rows = tf.range(height)[None, :, None, None]
        columns = tf.range(width)[None, None, :, None]
        patch = (rows >= top) & (rows < top + side) & (columns >= left) & (columns < left + side)
        return tf.where(patch, tf.zeros_like(images), images), labels
    return apply


# name -> builder(seed) -> step(images, labels) -> (images, labels). Horizontal flips only: a vertical
# flip changes what natural images show (and mirrors digits either way; see the augmentation ablation).
AUGMENTATIONS = {
    "flip": _keras_layer(lambda seed: keras.layers.RandomFlip("horizontal", seed=seed)),
    "shift": _keras_layer(lambda seed: keras.layers.RandomTranslation(SHIFT, SHIFT, fill_mode=FILL_MODE, seed=seed)),
    "zoom": _keras_layer(lambda seed: keras.layers.RandomZoom(ZOOM, fill_mode=FILL_MODE, seed=seed)),
    "rotation": _keras_layer(lambda seed: keras.layers.RandomRotation(
        ROTATION_DEGREES / 360, fill_mode=FILL_MODE, seed=seed)),
    "cutout": _cutout,
    "mixup": _keras_layer(lambda seed: keras.layers.MixUp(alpha=MIXUP_ALPHA, seed=seed)),
    "cutmix": _keras_layer(lambda seed: keras.layers.CutMix(factor=(CUTMIX_ALPHA, CUTMIX_ALPHA), seed=seed)),
}


def batch_augmenter(config: Config):
    """``(images, one-hot labels) -> (images, labels)`` applying the Config's augmentations, or None."""
    steps = [AUGMENTATIONS[name](_seed(config, name)) for name in augmentation_steps(config.augmentation)]
    if not steps:
        return None

    def augment(images, labels):
        for step in steps:
            images, labels = step(images, labels)
        return images, labels
    return augment


def _seed(config: Config, name: str) -> int:
    """A distinct seed per (cell seed, augmentation): one step's draws never repeat another's."""
    return config.seed * len(AUGMENTATIONS) + list(AUGMENTATIONS).index(name)
