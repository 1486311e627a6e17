"""The small plain CNNs the seed reports start from: `conv` and `drop` (000), `baseline1/2` (001), `kth_cnn` (004)."""

from __future__ import annotations

import keras
from keras import layers

from ablation_suite.baselines import register
from ablation_suite.baselines.blocks import block_dropout, check_min_size, conv_block, dense_head, dropout


def _plain_cnn(
    input_shape, num_classes, config, name, stages, padding, dense_units=(), default_dropout=None, pool_dropout=None
):
    """Generic plain CNN: ``stages`` is a list of conv-filter lists, each stage ends in a 2x2 max-pool
    (the last stage only if it has a pool flag), then dense layers and logits.

    Dropout sites: after every pooled stage when there are no dense layers, otherwise after every
    dense layer (the places seed reports 000 and 001 put dropout); with ``pool_dropout`` after every
    pooled stage and every dense layer (seed report 004's CNN), in that order. With
    Config.dropout_sites="convs": after every convolution block and every dense layer instead.
    """
    inputs = keras.Input(input_shape, name="image")
    pooled = sum(pool for _, pool in stages)
    convs = sum(len(filters_list) for filters_list, _ in stages)
    pool_dropout = not dense_units if pool_dropout is None else pool_dropout
    sites = (pooled if pool_dropout else 0) + len(dense_units)
    rates = iter(block_dropout(config, sites, default_dropout, convs=convs + len(dense_units)))
    at_convs = config.dropout_sites == "convs"
    x = inputs
    for s, (filters_list, pool) in enumerate(stages, start=1):
        for c, filters in enumerate(filters_list, start=1):
            x = conv_block(x, filters, config, name=f"stage{s}_{c}", padding=padding)
            if at_convs:
                x = dropout(x, next(rates), config, name=f"stage{s}_{c}_dropout")
        if pool:
            x = layers.MaxPooling2D(2, name=f"stage{s}_pool")(x)
            if pool_dropout and not at_convs:
                x = dropout(x, next(rates), config, name=f"stage{s}_dropout")
    return keras.Model(inputs, dense_head(x, dense_units, rates, num_classes, config), name=name)


@register
def conv(input_shape, num_classes, config):
    """Chollet's small MNIST CNN of seed report 000: 93,322 parameters on 28x28x1 with 10 classes."""
    check_min_size(input_shape, 18, "conv")  # three valid 3x3 convs and two poolings
    stages = [([32], True), ([64], True), ([64], False)]
    return _plain_cnn(input_shape, num_classes, config, "conv", stages, "valid", dense_units=(64,))


@register
def drop(input_shape, num_classes, config):
    """`conv` with Dropout(0.5) before the output layer (seed report 000); the dropout knob overrides it."""
    check_min_size(input_shape, 18, "drop")
    stages = [([32], True), ([64], True), ([64], False)]
    return _plain_cnn(
        input_shape, num_classes, config, "drop", stages, "valid", dense_units=(64,), default_dropout="0.5"
    )


@register
def baseline1(input_shape, num_classes, config):
    """Seed report 001 baseline 1: two same-padded 3x3 conv layers (32, 64), each pooled, dense output.

    The report's figure is missing; the filters (32 doubling after each pool) are our reading of
    "initially small filter sizes ... scale upwards with each block".
    """
    check_min_size(input_shape, 4, "baseline1")
    return _plain_cnn(input_shape, num_classes, config, "baseline1", [([32], True), ([64], True)], "same")


@register
def baseline2(input_shape, num_classes, config):
    """Seed report 001 baseline 2: VGG-style 3 blocks of two 3x3 convs (32, 64, 128), dropout per block.

    Six conv layers ("baseline 1 plus four"), dense output layer only; filter counts are our reading
    of the report (its figure is missing).
    """
    check_min_size(input_shape, 8, "baseline2")
    stages = [([32, 32], True), ([64, 64], True), ([128, 128], True)]
    return _plain_cnn(input_shape, num_classes, config, "baseline2", stages, "same")


@register
def kth_cnn(input_shape, num_classes, config):
    """Seed report 004's CNN, Brownlee's three VGG blocks and Dense(128): 550,570 parameters at 32x32x3, 10 classes.

    The report builds its baseline "following [4]" (Brownlee 2019, "How to develop a CNN from scratch
    for CIFAR-10"): same-padded 3x3 convs 32, 32 / 64, 64 / 128, 128, each pair closed by a 2x2
    max-pool, Flatten, Dense(128), logits; as the authors' CNN.py (BaseLine3). Four dropout sites, after
    each pooling and after the dense layer (CNN.py's BaseLine_Dropout: 0.2 at each; the best CNN:
    "0.2,0.3,0.4,0.5"); none by default, as the baseline. Normalisation, where a level adds it, follows
    each ReLU (bn="after", CNN.py and Brownlee).
    """
    check_min_size(input_shape, 8, "kth_cnn")
    stages = [([32, 32], True), ([64, 64], True), ([128, 128], True)]
    return _plain_cnn(
        input_shape, num_classes, config, "kth_cnn", stages, "same", dense_units=(128,), pool_dropout=True
    )
