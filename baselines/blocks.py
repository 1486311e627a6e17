"""Knob-aware building blocks shared by every family: the one place each knob becomes layers.

Each block reads BN placement, activation, initialiser, regulariser and dropout from the Config, so a
network written with these blocks honours every ablation factor.
"""

from __future__ import annotations

import keras
from keras import layers

from training.config import dropout_rates

INITIALIZERS = {
    "zeros": keras.initializers.Zeros,
    "random_normal": keras.initializers.RandomNormal,
    "random_uniform": keras.initializers.RandomUniform,
    "glorot_uniform": keras.initializers.GlorotUniform,
    "glorot_normal": keras.initializers.GlorotNormal,
    "he_uniform": keras.initializers.HeUniform,
    "he_normal": keras.initializers.HeNormal,
    "lecun_uniform": keras.initializers.LecunUniform,
    "lecun_normal": keras.initializers.LecunNormal,
}
ACTIVATIONS = {
    "relu": lambda name: layers.ReLU(name=name),
    "leaky_relu": lambda name: layers.LeakyReLU(negative_slope=0.3, name=name),  # Keras 2's default slope
    "elu": lambda name: layers.ELU(name=name),
    "gelu": lambda name: layers.Activation("gelu", name=name),
    "swish": lambda name: layers.Activation("swish", name=name),
    "sigmoid": lambda name: layers.Activation("sigmoid", name=name),
    "tanh": lambda name: layers.Activation("tanh", name=name),
}
REGULARIZERS = {
    "none": lambda strength: None,
    "l1": lambda strength: keras.regularizers.L1(strength),
    "l2": lambda strength: keras.regularizers.L2(strength),
    "l1l2": lambda strength: keras.regularizers.L1L2(l1=strength, l2=strength),
}


def weights(config) -> dict:
    """Initialiser and regulariser keyword arguments for a Conv2D or Dense layer.

    No per-layer seed: one fixed seed would give same-shaped layers identical weights; the trainer's
    keras.utils.set_random_seed(config.seed) makes initialisation reproducible instead.
    """
    return dict(
        kernel_initializer=INITIALIZERS[config.initializer](),
        kernel_regularizer=REGULARIZERS[config.regularizer](config.reg_strength),
    )


def activate(x, config, name):
    """The activation, with batch normalisation before or after it as ``config.bn`` says."""
    if config.bn == "before":
        x = layers.BatchNormalization(momentum=config.bn_momentum, name=f"{name}_bn")(x)
    x = ACTIVATIONS[config.activation](f"{name}_{config.activation}")(x)
    if config.bn == "after":
        x = layers.BatchNormalization(momentum=config.bn_momentum, name=f"{name}_bn")(x)
    return x


def conv_block(x, filters, config, name, kernel_size=3, padding="same"):
    """Conv2D -> [BN] -> activation -> [BN]; the conv drops its bias when BN follows it directly."""
    x = layers.Conv2D(filters, kernel_size, padding=padding, use_bias=config.bn != "before",
                      name=f"{name}_conv", **weights(config))(x)
    return activate(x, config, name)


def dense_block(x, units, config, name):
    """Dense -> [BN] -> activation -> [BN]."""
    x = layers.Dense(units, use_bias=config.bn != "before", name=f"{name}_dense", **weights(config))(x)
    return activate(x, config, name)


def logits(x, num_classes, config, name="logits"):
    """The output layer: a plain Dense producing logits (softmax lives in the loss), always in float32
    so a mixed-precision network's loss and softmax stay numerically stable."""
    return layers.Dense(num_classes, name=name, dtype="float32", **weights(config))(x)


def block_dropout(config, blocks: int, default: str | None = None) -> list[float]:
    """Per-block dropout rates from ``config.dropout``; ``default`` is the network's own schedule.

    A network whose design includes dropout (e.g. `drop`) passes it as ``default``, used while the
    knob is "none"; a per-block list must have one rate per block.
    """
    schedule = default if config.dropout == "none" and default else config.dropout
    rates = dropout_rates(schedule, blocks)
    if len(rates) != blocks:
        raise ValueError(f"dropout={config.dropout!r} lists {len(rates)} rates but model={config.model!r} has "
                         f"{blocks} dropout sites; give {blocks} comma-separated rates or one constant rate")
    return rates


def dropout(x, rate, config, name):
    """Dropout, seeded through the global Keras seed (no layer at rate 0: "none" adds nothing)."""
    return layers.Dropout(rate, name=name)(x) if rate > 0 else x


def check_min_size(input_shape, minimum, model):
    """Refuse inputs smaller than the network's poolings allow, suggesting input_scale."""
    height, width = input_shape[:2]
    if min(height, width) < minimum:
        factor = -(-minimum // min(height, width))
        raise ValueError(f"model={model!r} needs inputs of at least {minimum}x{minimum} pixels but gets "
                         f"{height}x{width}; set input_scale={factor} (or larger) to upsample the images")
