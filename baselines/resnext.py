"""ResNeXt-29 (Xie et al. 2017), Res2NeXt-29 (Gao et al. 2021) and seed report 003's small ResNeXts.

Both are 29 layers deep: a 3x3 conv of 64, three stages of three bottleneck blocks with 256, 512
and 1024 output channels (stride 2 entering stages 2 and 3), global average pooling and dense
logits; post-activation blocks with 1x1 projection shortcuts where the shape changes.

- ResNeXt block: 1x1 conv -> 3x3 grouped conv (``cardinality`` groups of ``width`` channels per
  group, doubled each stage) -> 1x1 conv.
- Res2Net block: the 1x1 conv's output is split into ``scale`` parts of ``cardinality * width``
  channels (doubled each stage); parts 1..s-1 each pass a grouped 3x3 conv after adding the
  previous part's result (hierarchical: growing receptive fields), the last part is kept; the
  parts are concatenated and fused by the 1x1 conv.
"""

from __future__ import annotations

import functools

import keras
from keras import layers

from ablation_suite.baselines import register, register_variant
from ablation_suite.baselines.blocks import (
    activate,
    block_dropout,
    check_halvings,
    check_min_size,
    conv,
    conv_block,
    dropout,
    global_average_pool,
    logits,
    shortcut,
)

OUTPUTS = (256, 512, 1024)
BLOCKS_PER_STAGE = 3


def _resnext_transform(x, stage, strides, first, config, name, cardinality, width):
    inner = cardinality * width * 2**stage
    x = conv_block(x, inner, config, f"{name}_reduce", kernel_size=1)
    return conv_block(x, inner, config, f"{name}_grouped", strides=strides, groups=cardinality)


def _res2net_transform(x, stage, strides, first, config, name, cardinality, width, scale):
    """Split into ``scale`` parts; parts 1..s-1 each pass a grouped 3x3 conv, after adding the previous
    conv's output except in a stage's first block; the last part is kept (average-pooled with the
    stride in a first block), as the authors' code does."""
    part = cardinality * width * 2**stage
    x = conv_block(x, part * scale, config, f"{name}_reduce", kernel_size=1)
    parts = [
        layers.Lambda(lambda t, i=i: t[..., i * part : (i + 1) * part], name=f"{name}_part{i + 1}")(x)
        for i in range(scale)
    ]
    outputs = []
    for i, piece in enumerate(parts[:-1], start=1):
        if outputs and not first:
            piece = layers.Add(name=f"{name}_part{i}_add")([piece, outputs[-1]])
        outputs.append(conv_block(piece, part, config, f"{name}_part{i}", strides=strides, groups=cardinality))
    last = parts[-1]
    if first:
        last = layers.AveragePooling2D(3, strides=strides, padding="same", name=f"{name}_part{scale}_pool")(last)
    return layers.Concatenate(name=f"{name}_concat")([*outputs, last])


def _bottleneck_net(input_shape, num_classes, config, name, transform):
    check_halvings(input_shape, len(OUTPUTS) - 1, name)
    rates = iter(block_dropout(config, len(OUTPUTS) * BLOCKS_PER_STAGE))
    inputs = keras.Input(input_shape, name="image")
    x = conv_block(inputs, 64, config, name="stem")
    for stage, filters in enumerate(OUTPUTS):
        for b in range(1, BLOCKS_PER_STAGE + 1):
            block = f"stage{stage + 1}_block{b}"
            strides = 2 if stage > 0 and b == 1 else 1
            branch = transform(x, stage, strides, b == 1, config, block)
            branch = dropout(branch, next(rates), config, f"{block}_dropout")
            branch = conv(branch, filters, config, f"{block}_expand", kernel_size=1)
            bypass = shortcut(x, filters, strides, config, f"{block}_shortcut")
            x = activate(branch, config, f"{block}_expand", shortcut=bypass)
    x = global_average_pool(x, config)
    return keras.Model(inputs, logits(x, num_classes, config), name=name)


@register(bn="before")
def resnext29(input_shape, num_classes, config):
    """ResNeXt-29, 8x64d: 34.4M parameters with 100 classes (Xie et al. 2017, table 7, CIFAR-100)."""
    return _bottleneck_net(
        input_shape, num_classes, config, "resnext29", functools.partial(_resnext_transform, cardinality=8, width=64)
    )


@register(bn="before")
def res2net(input_shape, num_classes, config):
    """Res2NeXt-29, 6c x 24w x 6s: 36.7M parameters with 100 classes (Gao et al. 2021, table 3, CIFAR-100).

    Of the paper's three CIFAR variants this one is the size of `resnext29` and `wide_resnet`. Built
    as the authors' released block (s - 1 convolutions per block) it has 36.15M, 1.5% under the
    paper's figure; the paper does not say how it counted (its 4-scale variants are 2.5% over ours).
    """
    return _bottleneck_net(
        input_shape,
        num_classes,
        config,
        "res2net",
        functools.partial(_res2net_transform, cardinality=6, width=24, scale=6),
    )


# Seed report 003, section 5.2: "init: 32; 1: 32, 16; 2: 16, 8" -> (stem width, per stage (width, after)).
SMALL = {
    "resnext_small1": ("ResNext1", 32, ((32, 16), (16, 8)), "28.57%"),
    "resnext_small2": ("ResNext2", 64, ((64, 32), (32, 16), (16, 8)), "30.5%"),
    "resnext_small3": ("ResNext3", 16, ((16, 8), (8, 4), (4, 4)), "20.21%"),
}
GROUP_WIDTH = 4  # channels per group of the grouped conv: the paper's fig. 3 (32 groups of 4), which 003 reproduces
SMALL_DOC = """{report} of seed report 003 ({accuracy} on CIFAR-100): {count} parameters at 32x32x3, 100 classes.

    Our reading of the report's configuration "{config}" (it gives no figure or count; the count is
    this reading's). Section 5.2: "1 initial layer (init) and 2 or 3 ResNeXt Blocks; after each block
    dimension of data is halved using a Conv2D Layer; finally a Dense Layer with number of classes
    neurons"; section 3.4: the first layer a 3x3 conv, stride 1, "padding none", then BN and ReLU; each
    stage 3 residual blocks "followed by Conv2D layer halving number of channels"; He-normal, Adam.
    Read as: "init: N" is the stem conv's width, and each stage's "a, b" the channels of its 3 blocks (a)
    and of the conv after it (b): every stage's b is the next stage's a, and b = a/2 is the halving the
    text describes (the last "4, 4" of ResNext3 is taken as written). The other reading, (width,
    cardinality), gives the same channel chain with other group counts. Unstated and chosen here: each
    block is the paper's grouped-conv form (1x1 conv, 3x3 conv in a/4 groups of 4 channels, 1x1 conv, the
    sum with the block's input, ReLU; BN before each ReLU, as the stem); the halving conv is 3x3 with
    stride 2 ("dimension of data is halved"), BN and ReLU; the last map is flattened into the dense
    layer, read as the logits (section 3.4 says "Relu"; a ReLU before the softmax is not used). Dropout
    sites: one per block, none by default."""


def _small_resnext(input_shape, num_classes, config, name, stem, stages):
    check_min_size(input_shape, 2 ** (len(stages) - 1) + 3, name)  # a valid 3x3 stem, then stride-2 convs
    rates = iter(block_dropout(config, len(stages) * BLOCKS_PER_STAGE))
    inputs = keras.Input(input_shape, name="image")
    x = conv_block(inputs, stem, config, name="stem", padding="valid")
    for s, (width, after) in enumerate(stages, start=1):
        for b in range(1, BLOCKS_PER_STAGE + 1):
            block = f"stage{s}_block{b}"
            branch = conv_block(x, width, config, f"{block}_reduce", kernel_size=1)
            branch = conv_block(branch, width, config, f"{block}_grouped", groups=max(1, width // GROUP_WIDTH))
            branch = dropout(branch, next(rates), config, f"{block}_dropout")
            branch = conv(branch, width, config, f"{block}_expand", kernel_size=1)
            x = activate(branch, config, f"{block}_expand", shortcut=shortcut(x, width, 1, config, f"{block}_shortcut"))
        x = conv_block(x, after, config, f"stage{s}_halve", strides=2)
    x = layers.Flatten(name="flatten")(x)
    return keras.Model(inputs, logits(x, num_classes, config), name=name)


SMALL_COUNTS = {"resnext_small1": "71,764", "resnext_small2": "85,428", "resnext_small3": "14,124"}  # tests check them
for _name, (_report, _stem, _stages, _accuracy) in SMALL.items():
    _config = f"init: {_stem}; " + "; ".join(f"{s}: {a}, {b}" for s, (a, b) in enumerate(_stages, start=1))
    register_variant(
        _name,
        SMALL_DOC.format(report=_report, accuracy=_accuracy, count=SMALL_COUNTS[_name], config=_config),
        functools.partial(_small_resnext, stem=_stem, stages=_stages),
        bn="before",
    )
