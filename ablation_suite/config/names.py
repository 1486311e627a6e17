"""What each string knob of the Config accepts (the ``*_NAMES`` tuples; the objects they map to live in one
table each, e.g. ``training.schedules.OPTIMIZERS``, and a test checks the two agree), and the one table of
dataset facts. Imports nothing: ``config`` re-exports every name."""

from __future__ import annotations

from dataclasses import dataclass

from ablation_suite.errors import UserError


class ConfigError(UserError):
    """A knob got a value it cannot take; the message names the value and the allowed ones."""


@dataclass(frozen=True)
class DatasetFacts:
    """What is known of a named dataset without loading it: enough to size a network (``ablation-suite show``)
    and to tell an offline user which files to place where."""

    shape: tuple  # one image, (height, width, channels)
    classes: int
    source: str  # the loader in training.data.LOADERS: "digits" (bundled with scikit-learn) or "keras" (downloaded)
    class_names: tuple = ()  # () = the class indices as text
    keras_files: tuple = ()  # what keras.datasets looks for in its cache (named in the offline error)


CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
FASHION_CLASSES = ("T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot")
DATASETS = {  # the one table of named datasets
    "digits": DatasetFacts((8, 8, 1), 10, "digits"),
    "mnist": DatasetFacts((28, 28, 1), 10, "keras", keras_files=("mnist.npz",)),
    "fashion_mnist": DatasetFacts(
        (28, 28, 1),
        10,
        "keras",
        FASHION_CLASSES,
        keras_files=tuple(
            f"fashion-mnist/{stem}-ubyte.gz"
            for stem in ("train-labels-idx1", "train-images-idx3", "t10k-labels-idx1", "t10k-images-idx3")
        ),
    ),
    "cifar10": DatasetFacts(
        (32, 32, 3),
        10,
        "keras",
        CIFAR10_CLASSES,
        keras_files=("cifar-10-batches-py.tar.gz (unpacked to cifar-10-batches-py/)",),
    ),
    "cifar100": DatasetFacts(
        (32, 32, 3), 100, "keras", keras_files=("cifar-100-python.tar.gz (unpacked to cifar-100-python/)",)
    ),
}
# Datasets given by a file path: "KIND:PATH" -> the loader training.data.LOADERS[KIND], and what PATH names.
# tfds: a dataset TensorFlow Datasets has prepared, in its default data directory or @DIR; its shape, classes and
# class names are read from the builder's info when it loads (training/tfds.py).
DATASET_SOURCES = {"npz": "PATH", "idx": "DIR", "folder": "DIR", "tfds": "NAME[@DIR]"}
RESIZED_SOURCES = ("folder", "tfds")  # the sources whose images Config.image_size resizes


def dataset_source(dataset: str) -> tuple[str, str]:
    """(loader kind, its argument) of a dataset value: ("keras", "mnist"), ("npz", "data/x.npz"), ..."""
    if dataset in DATASETS:
        return DATASETS[dataset].source, dataset
    kind, _, argument = dataset.partition(":")
    return kind, argument


OPTIMIZER_NAMES = ("sgd", "rmsprop", "adam", "adamw", "adamax", "nadam", "adagrad", "adadelta", "ftrl", "lion")
BN_PLACEMENTS = ("default", "none", "before", "after")  # "default": the network's published placement
NORMALIZATION_NAMES = ("batch", "layer", "group", "instance", "none")
ACTIVATION_NAMES = ("relu", "leaky_relu", "elu", "gelu", "swish", "sigmoid", "tanh")
INITIALIZER_NAMES = (
    "zeros",
    "random_normal",
    "random_uniform",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_uniform",
    "lecun_normal",
)
REGULARIZER_NAMES = ("none", "l1", "l2", "l1l2")
# The roles a Conv2D or Dense layer plays, the units of Config.initializer_scope and Config.regularizer_scope:
# a block's convolution (any kernel size), a residual shortcut's projection, a hidden dense layer, the logits.
LAYER_ROLES = ("conv", "shortcut", "dense", "logits")
DROPOUT_SITES = ("default", "convs")  # see Config.dropout_sites
STANDARDIZE_NAMES = ("none", "channel", "pixel", "image")  # see Config.standardize
NORMALIZATION_SCOPES = ("all", "conv")  # see Config.normalization_scope
MONITORS = ("val_loss", "val_accuracy", "loss", "accuracy")
CHECKPOINTS = ("none", *MONITORS)  # see Config.checkpoint
# In the order they are applied to a batch; see Config.augmentation.
AUGMENTATION_NAMES = ("flip", "vflip", "shift", "zoom", "rotation", "cutout", "mixup", "cutmix")
# The ones that compile under XLA (jit_compile=True) in the train step. shift, zoom and rotation use
# TensorFlow's ImageProjectiveTransformV3 (Keras then silently trains the whole model without XLA), mixup and
# cutmix its StatelessRandomGammaV3 for their Beta draws (the first training step fails): neither op has an
# XLA kernel (checked on CPU by tests/test_augment.py).
XLA_AUGMENTATIONS = ("flip", "vflip", "cutout")
AUGMENT_IN = ("auto", "pipeline", "train_step")  # where augmentation runs; see Config.augment_in
LABEL_NOISE_KINDS = ("symmetric", "class_dependent")
LR_SCHEDULE_NAMES = ("constant", "step", "exponential", "cosine", "warmup_cosine", "one_cycle")
WARMUP_SCHEDULES = ("warmup_cosine", "one_cycle")  # the schedules whose LR rises for warmup_epochs
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")  # Keras dtype policy names
