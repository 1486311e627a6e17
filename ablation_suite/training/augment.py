"""Data augmentation of training batches: the AUGMENTATIONS table and ``batch_augmenter(config)``.

Augmentation is vectorised over a whole batch and applied to training batches only, in one of two
places (``Config.augment_in``, resolved by ``augment_in``): the tf.data pipeline
(``training.trainer.pipeline``, which never augments validation or test data) or the model's training
step (``AugmentingModel``, so with a GPU it runs there; evaluate and predict never augment). Both apply
the same ``batch_augmenter(config)``. Every step maps a batch ``(images, one-hot labels)`` to a batch of
the same shapes; mixup and cutmix also mix the labels, so they stay soft labels that sum to one. Each
step draws from its own Keras SeedGenerator seeded from ``config.seed``, so a cell's augmentations are
the same every time it runs, and the same in both places: same layers, seeds and batch order. (A trial
resumed from its checkpoint gets the generators' state back in both places: training.checkpoint.)

The strengths are fixed constants, cited below, so a level name means the same in every study.
"""

from __future__ import annotations

import zlib

import keras
import tensorflow as tf

from ablation_suite.config import XLA_AUGMENTATIONS, Config, augmentation_steps

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


class Cutout(keras.layers.Layer):
    """Cutout (DeVries & Taylor 2017): one square patch per image set to 0; its centre is uniform over the
    image, so the patch may lie partly outside it, as in the paper. Takes and returns
    ``{"images", "labels"}`` like Keras's image preprocessing layers."""

    def __init__(self, seed, **kwargs):
        super().__init__(**kwargs)
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, data, training=True):
        images = data["images"]
        shape = tf.shape(images)
        batch, height, width = shape[0], shape[1], shape[2]
        side = tf.maximum(tf.cast(tf.cast(tf.minimum(height, width), tf.float32) * CUTOUT_SIDE, tf.int32), 1)
        top = keras.random.randint((batch, 1, 1, 1), 0, height, seed=self.generator) - side // 2
        left = keras.random.randint((batch, 1, 1, 1), 0, width, seed=self.generator) - side // 2
        rows = tf.range(height)[None, :, None, None]
        columns = tf.range(width)[None, None, :, None]
        patch = (rows >= top) & (rows < top + side) & (columns >= left) & (columns < left + side)
        return {"images": tf.where(patch, tf.zeros_like(images), images), "labels": data["labels"]}


# name -> layer(seed), a Keras layer mapping {"images", "labels"} to the same. "flip" is horizontal; a vertical
# flip ("vflip") changes what natural images show, but seed report 004's normalisation notebook used one.
AUGMENTATIONS = {
    "flip": lambda seed: keras.layers.RandomFlip("horizontal", seed=seed),
    "vflip": lambda seed: keras.layers.RandomFlip("vertical", seed=seed),
    "shift": lambda seed: keras.layers.RandomTranslation(SHIFT, SHIFT, fill_mode=FILL_MODE, seed=seed),
    "zoom": lambda seed: keras.layers.RandomZoom(ZOOM, fill_mode=FILL_MODE, seed=seed),
    "rotation": lambda seed: keras.layers.RandomRotation(ROTATION_DEGREES / 360, fill_mode=FILL_MODE, seed=seed),
    "cutout": Cutout,
    "mixup": lambda seed: keras.layers.MixUp(alpha=MIXUP_ALPHA, seed=seed),
    "cutmix": lambda seed: keras.layers.CutMix(factor=(CUTMIX_ALPHA, CUTMIX_ALPHA), seed=seed),
}


class BatchAugmenter(keras.layers.Layer):
    """``augment(images, one-hot labels) -> (images, labels)``: the steps in order, in training mode.

    A Keras layer so that a model holding it tracks its steps and their seed generators (their state
    variables then live on the model's device); the tf.data pipeline calls it like a function.
    """

    def __init__(self, steps, **kwargs):
        super().__init__(**kwargs)
        self.steps = steps
        self.built = True  # no weights of its own; each step builds itself on its first batch

    def call(self, images, labels):
        data = {"images": images, "labels": labels}
        for step in self.steps:
            data = step(data, training=True)
        return data["images"], data["labels"]


def batch_augmenter(config: Config) -> BatchAugmenter | None:
    """The Config's augmentations as one ``BatchAugmenter``, or None when there are none."""
    names = augmentation_steps(config.augmentation)
    if not names:
        return None
    # float32 whatever the global dtype policy: augmentation precedes the network's own casts.
    return BatchAugmenter([AUGMENTATIONS[name](_seed(config, name)) for name in names], dtype="float32")


def augment_in(config: Config) -> str:
    """Where the Config's augmentation runs: "pipeline" or "train_step" ("auto" resolved on this machine).

    "auto" takes the train step when TensorFlow sees a GPU, so the augmentation runs there next to the
    model, unless XLA is on and a step has no XLA kernel; otherwise the tf.data pipeline, where on a
    CPU it overlaps with training through prefetch.
    """
    if config.augment_in != "auto":
        return config.augment_in
    xla_blocked = config.jit_compile and set(augmentation_steps(config.augmentation)) - set(XLA_AUGMENTATIONS)
    return "train_step" if tf.config.list_physical_devices("GPU") and not xla_blocked else "pipeline"


class AugmentingModel(keras.Model):
    """The network with the augmentation in its training step: ``fit`` trains on augmented batches, while
    ``evaluate``, ``predict`` and fit's validation pass call the network on the batches as given."""

    def __init__(self, network: keras.Model, augment: BatchAugmenter):
        # The network's dtype policy, so compile wraps the optimiser for float16 loss scaling as it would
        # for the network itself.
        super().__init__(name=network.name, dtype=network.dtype_policy)
        self.network, self.augment = network, augment
        self.built = True  # its weights are the built network's: BackupAndRestore loads them before fit builds

    def call(self, inputs, training=None):
        return self.network(inputs, training=training)

    def train_step(self, data):
        images, labels = data
        return super().train_step(self.augment(images, labels))


def with_augmentation(network: keras.Model, config: Config) -> keras.Model:
    """``network`` wrapped in an AugmentingModel when the Config augments in the train step, else itself."""
    augment = batch_augmenter(config) if augment_in(config) == "train_step" else None
    return AugmentingModel(network, augment) if augment is not None else network


# The steps there were before vflip, whose seeds are kept as they were so that stored studies resume with the
# same draws; a step added since draws from a hash of the cell's seed and its name, as layers do.
FIRST_STEPS = ("flip", "shift", "zoom", "rotation", "cutout", "mixup", "cutmix")


def _seed(config: Config, name: str) -> int:
    """A distinct seed per (cell seed, augmentation): one step's draws never repeat another's."""
    if name in FIRST_STEPS:
        return config.seed * len(FIRST_STEPS) + FIRST_STEPS.index(name)
    return zlib.crc32(f"{config.seed}:augment:{name}".encode()) & 0x7FFFFFFF
