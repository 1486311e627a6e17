"""Residual networks with basic blocks (two 3x3 convolutions and a shortcut, He et al. 2016).

- `resnet20` ... `resnet110`: the CIFAR ResNets of section 4.2 (seed reports 000, 004): 16-32-64
  filters in three stages of n blocks (depth 6n + 2), zero-padded identity shortcuts (option A).
- `resnet18`, `resnet34`: the ImageNet stages 64-128-256-512 with projection shortcuts (option B),
  on a 3x3 stride-1 stem without max-pooling that suits 28-32 px inputs.
- `resnet18_imagenet`: ResNet-18 with the published ImageNet stem (7x7 stride-2 conv, 3x3 stride-2
  max-pool), as seed report 002 trained it on 32 px images.
- `kth_resnet`: the residual CNN of seed report 004 (KTH DD2424 project, BestResNet.py).

Every block is post-activation: conv -> [norm] -> act -> conv -> [norm] -> + shortcut -> act, the
normalisation where Config.bn places it (published: before the activation).
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
    conv,
    conv_block,
    dropout,
    global_average_pool,
    logits,
    normalize,
    shortcut,
)


def _basic_block(x, filters, strides, rate, config, name, zero_pad):
    """Two 3x3 convolutions (the first with ``strides``), dropout between them at ``rate``, and the sum."""
    branch = conv_block(x, filters, config, f"{name}_1", strides=strides)
    branch = dropout(branch, rate, config, f"{name}_dropout")
    branch = conv(branch, filters, config, f"{name}_2")
    bypass = shortcut(x, filters, strides, config, f"{name}_shortcut", zero_pad=zero_pad)
    return activate(branch, config, f"{name}_2", shortcut=bypass)


def _resnet(input_shape, num_classes, config, name, stages, zero_pad, imagenet_stem=False):
    """Stem conv, stages of (filters, blocks) with stride 2 entering every stage but the first, global
    average pooling and dense logits. Dropout (none by default) sits between each block's convolutions.
    The stem is a 3x3 conv, or with ``imagenet_stem`` the published 7x7 stride-2 conv and 3x3 stride-2
    max-pool (He et al. 2016, table 1)."""
    check_halvings(input_shape, len(stages) - 1 + 2 * imagenet_stem, name)
    rates = iter(block_dropout(config, sum(blocks for _, blocks in stages)))
    inputs = keras.Input(input_shape, name="image")
    if imagenet_stem:
        x = conv_block(inputs, stages[0][0], config, name="stem", kernel_size=7, strides=2)
        x = layers.MaxPooling2D(3, strides=2, padding="same", name="stem_pool")(x)
    else:
        x = conv_block(inputs, stages[0][0], config, name="stem")
    for s, (filters, blocks) in enumerate(stages, start=1):
        for b in range(1, blocks + 1):
            strides = 2 if s > 1 and b == 1 else 1
            x = _basic_block(x, filters, strides, next(rates), config, f"stage{s}_block{b}", zero_pad)
    x = global_average_pool(x, config)
    return keras.Model(inputs, logits(x, num_classes, config), name=name)


def _cifar_resnet(input_shape, num_classes, config, name, depth):
    n = (depth - 2) // 6
    return _resnet(input_shape, num_classes, config, name, [(16, n), (32, n), (64, n)], zero_pad=True)


# depth -> parameters with 10 classes, as published (He et al. 2016, table 6, CIFAR-10)
CIFAR_DEPTHS = {20: "0.27M", 32: "0.46M", 44: "0.66M", 56: "0.85M", 110: "1.7M"}
for _depth, _size in CIFAR_DEPTHS.items():
    register_variant(
        f"resnet{_depth}",
        f"ResNet-{_depth} for 32x32 inputs (He et al. 2016, sec. 4.2): {_size} "
        f"parameters with 10 classes (paper, table 6).",
        functools.partial(_cifar_resnet, depth=_depth),
        bn="before",
    )


@register(bn="before")
def resnet18(input_shape, num_classes, config):
    """ResNet-18 with a 3x3 stem for 28-32 px inputs: 11.2M parameters with 10 classes.

    Published: 11.7M for ImageNet (He et al. 2016, table 1 layout; torchvision's count 11,689,512);
    the 3x3 stem saves 7,680 and a 10-class head 507,870 parameters, giving 11,173,962.
    """
    return _resnet(
        input_shape, num_classes, config, "resnet18", [(64, 2), (128, 2), (256, 2), (512, 2)], zero_pad=False
    )


@register(bn="before")
def resnet18_imagenet(input_shape, num_classes, config):
    """ResNet-18 with the ImageNet stem (7x7/2 conv, 3x3/2 max-pool) of seed report 002: 11.2M parameters, 10 classes.

    Published: 11.7M for ImageNet (He et al. 2016, table 1; torchvision's count 11,689,512, which this
    network has with 1000 classes). Seed report 002's table (section III.A.2) lists this layout with a
    bias on every conv (PyTorch's printout: 3,200 for the 7x7 conv on one channel); here a conv followed
    by batch norm has none (the norm's shift replaces it), as in torchvision. At 32 px the stem leaves
    8x8 maps and the last stage 1x1.
    """
    return _resnet(
        input_shape,
        num_classes,
        config,
        "resnet18_imagenet",
        [(64, 2), (128, 2), (256, 2), (512, 2)],
        zero_pad=False,
        imagenet_stem=True,
    )


@register(bn="before")
def resnet34(input_shape, num_classes, config):
    """ResNet-34 with a 3x3 stem for 28-32 px inputs: 21.3M parameters with 10 classes.

    Published: 21.8M for ImageNet (He et al. 2016, table 1 layout; torchvision's count 21,797,672);
    with 1000 classes this network has 7,680 fewer (the 3x3 stem).
    """
    return _resnet(
        input_shape, num_classes, config, "resnet34", [(64, 3), (128, 4), (256, 6), (512, 3)], zero_pad=False
    )


@register(bn="after")
def kth_resnet(input_shape, num_classes, config):
    """Seed report 004's residual CNN, its authors' BestResNet.py: 64-128 filters, 3+3 blocks, dropout 0.2.

    The report gives no architecture for either of its ResNets (fig. 3b, step schedule, 93.36%; fig. 3c,
    "deeper", 93.78%). This is the one its authors committed as "Best model, accuracy of 93,09% after
    100 epochs" (github rgand1/DD2424_Final_Project, Code/BestResNet.py): the input is normalised, a
    3x3 conv of 64, then per block act -> norm, conv -> act -> norm -> conv -> dropout, + shortcut
    (1x1 conv with stride 2 entering stage 2) -> act -> norm; global average pooling, dense logits.
    Normalisation after the activation is that code's placement; its L2 1e-4 and He-uniform initialiser
    reach its 3x3 convolutions only: the Config's regularizer/initializer knobs with scope "conv"
    (ablations/resnet_step_lr.py sets them).
    """
    return _kth_resnet(input_shape, num_classes, config, "kth_resnet", ((64, 3), (128, 3)), deep=False)


@register(bn="after")
def kth_resnet_deep(input_shape, num_classes, config):
    """Seed report 004's "deeper ResNet" (fig. 3c, 93.78%), as its authors' Code/ResNet_Jan.ipynb builds it:
    32-64 filters, 3+9 blocks, no dropout.

    The report gives no architecture; the repository's only ResNet deeper than BestResNet.py (13 3x3
    convolutions) that trains with BestResNet's step schedule is that notebook's (25): a 3x3 conv of 32 on the
    raw input -> norm -> act -> norm, then per block conv -> act -> norm -> conv, + shortcut (1x1 conv with
    stride 2 entering stage 2) -> act -> norm; global average pooling, dense logits. Half kth_resnet's width,
    twice its depth.
    """
    return _kth_resnet(input_shape, num_classes, config, "kth_resnet_deep", ((32, 3), (64, 9)), deep=True)


def _kth_resnet(input_shape, num_classes, config, name, stages, deep):
    """The two ResNets of seed report 004's authors. BestResNet.py (``deep`` False) normalises the input, and
    opens each block with act -> norm and drops out (0.2 by default) before each sum; ResNet_Jan.ipynb (``deep``)
    normalises the stem's output instead, and has neither."""
    check_halvings(input_shape, len(stages) - 1, name)
    rates = iter(block_dropout(config, sum(blocks for _, blocks in stages), default=None if deep else "0.2"))
    inputs = keras.Input(input_shape, name="image")
    x = normalize(inputs, config, "input") if config.bn != "none" and not deep else inputs
    x = conv(x, stages[0][0], config, "stem")
    if deep:
        x = normalize(x, config, "stem_conv") if config.bn != "none" else x
        x = activate(x, config, "stem")
    for s, (filters, blocks) in enumerate(stages, start=1):
        for b in range(1, blocks + 1):
            block, strides = f"stage{s}_block{b}", 2 if s > 1 and b == 1 else 1
            if not deep:
                x = activate(x, config, f"{block}_pre")
            branch = conv_block(x, filters, config, f"{block}_1", strides=strides)
            branch = dropout(conv(branch, filters, config, f"{block}_2"), next(rates), config, f"{block}_dropout")
            bypass = shortcut(x, filters, strides, config, f"{block}_shortcut")
            x = activate(branch, config, f"{block}_2", shortcut=bypass)
    x = global_average_pool(x, config)
    return keras.Model(inputs, logits(x, num_classes, config), name=name)
