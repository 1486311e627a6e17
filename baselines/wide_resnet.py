"""Wide residual networks (Zagoruyko & Komodakis 2016), seed report 003.

WRN-d-k: a 3x3 conv of 16, three stages of N = (d - 4) / 6 pre-activation blocks of 16k, 32k and
64k filters, dropout between each block's two convolutions (0.3 by default, the paper's CIFAR
setting), a final norm -> act, global average pooling and dense logits. `wide_resnet` is WRN-28-10;
`wrn_D_K` are the depth/width grid of seed report 003 (N in {2, 4} x k in {2, 4, 8, 16}).
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
    dropout,
    global_average_pool,
    logits,
)

GRID = [(depth, width) for depth in (16, 28) for width in (2, 4, 8, 16)]
PUBLISHED = {(16, 8): "11.0M"}  # parameters with 10 classes (Zagoruyko & Komodakis 2016, table 4)


def _wide_block(x, filters, strides, rate, config, name):
    """norm -> act -> conv (stride) -> norm -> act -> dropout -> conv, plus the shortcut: the input, or
    a 1x1 projection of the activated input when the shape changes (as the authors' code)."""
    activated = activate(x, config, f"{name}_1")
    branch = conv(activated, filters, config, f"{name}_1", strides=strides)
    branch = dropout(activate(branch, config, f"{name}_2"), rate, config, f"{name}_dropout")
    branch = conv(branch, filters, config, f"{name}_2")
    same_shape = strides == 1 and x.shape[-1] == filters
    shortcut = (
        x
        if same_shape
        else conv(activated, filters, config, f"{name}_shortcut", kernel_size=1, strides=strides, role="shortcut")
    )
    return layers.Add(name=f"{name}_add")([branch, shortcut])


def _wide_resnet(input_shape, num_classes, config, name, depth, width):
    if (depth - 4) % 6:
        raise ValueError(f"a wide ResNet has depth 6N + 4 (16, 22, 28, 40, ...), not {depth}")
    blocks = (depth - 4) // 6
    check_halvings(input_shape, 2, name)
    rates = iter(block_dropout(config, 3 * blocks, default="0.3"))
    inputs = keras.Input(input_shape, name="image")
    x = conv(inputs, 16, config, "stem")
    for s, filters in enumerate((16 * width, 32 * width, 64 * width), start=1):
        for b in range(1, blocks + 1):
            strides = 2 if s > 1 and b == 1 else 1
            x = _wide_block(x, filters, strides, next(rates), config, f"stage{s}_block{b}")
    x = global_average_pool(activate(x, config, "final"), config)
    return keras.Model(inputs, logits(x, num_classes, config), name=name)


@register(bn="before")
def wide_resnet(input_shape, num_classes, config):
    """WRN-28-10: 36.5M parameters with 10 classes (Zagoruyko & Komodakis 2016, table 4)."""
    return _wide_resnet(input_shape, num_classes, config, "wide_resnet", depth=28, width=10)


for _depth, _width in GRID:
    _published = PUBLISHED.get((_depth, _width))
    _size = f"; {_published} parameters with 10 classes (paper, table 4)" if _published else ""
    register_variant(
        f"wrn_{_depth}_{_width}",
        f"WRN-{_depth}-{_width}: {(_depth - 4) // 6} blocks per stage, "
        f"widening factor {_width} (seed report 003's grid){_size}.",
        functools.partial(_wide_resnet, depth=_depth, width=_width),
        bn="before",
    )
