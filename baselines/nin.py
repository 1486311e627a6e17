"""Network in Network (Lin, Chen & Yan 2014): the authors' CIFAR-10 model and seed report 000's own.

Three mlpconv blocks (a spatial convolution followed by two 1x1 convolutions, the "micro MLP"),
dropout after the first two, and global average pooling of one feature map per class instead of
a dense head.

- `nin`: the widths and kernels of the authors' published Caffe model (cifar10 NIN prototxt):
  192-160-96 (5x5), 192-192-192 (5x5), 192-192-classes (3x3); 3x3 poolings with stride 2, rounding
  up as Caffe does.
- `nin_report`: the network seed report 000 trained (its section 3.3): mlpconv 5x5 of 64, 3x3 of 128
  and 3x3 of 192 (each spatial conv followed by two 1x1 convs of the same width, the last one of the
  network giving one map per class), 2x2 max-pooling and dropout after the first two.
"""

from __future__ import annotations

import keras
from keras import layers

from ablation_suite.baselines import register
from ablation_suite.baselines.blocks import block_dropout, check_halvings, conv_block, dropout, weights

BLOCKS = (  # (kernel, filters of the spatial conv and the two 1x1 convs, pooling after the block)
    (5, (192, 160, 96), "max"),
    (5, (192, 192, 192), "average"),
    (3, (192, 192, None), None),  # the last 1x1 conv has one filter per class
)
POOLS = {"max": layers.MaxPooling2D, "average": layers.AveragePooling2D}


@register
def nin(input_shape, num_classes, config):
    """Network in Network for CIFAR-10 (Lin et al. 2014): 0.97M parameters at 32x32x3, 10 classes.

    The count follows from the authors' published Caffe model; the paper states none.
    """
    check_halvings(input_shape, 2, "nin")
    rates = iter(block_dropout(config, 2, default="0.5"))
    inputs = keras.Input(input_shape, name="image")
    x = inputs
    for b, (kernel, widths, pool) in enumerate(BLOCKS, start=1):
        x = conv_block(x, widths[0], config, name=f"mlpconv{b}_spatial", kernel_size=kernel)
        x = conv_block(x, widths[1], config, name=f"mlpconv{b}_mlp1", kernel_size=1)
        if widths[2] is None:  # one map per class, averaged into the logits: no normalisation or activation
            x = layers.Conv2D(
                num_classes, 1, name=f"mlpconv{b}_classes_conv", **weights(config, f"mlpconv{b}_classes_conv", "conv")
            )(x)
            break
        x = conv_block(x, widths[2], config, name=f"mlpconv{b}_mlp2", kernel_size=1)
        x = POOLS[pool](3, strides=2, padding="same", name=f"mlpconv{b}_pool")(x)
        x = dropout(x, next(rates), config, name=f"mlpconv{b}_dropout")
    outputs = layers.GlobalAveragePooling2D(name="logits")(x)
    return keras.Model(inputs, outputs, name="nin")


REPORT_BLOCKS = ((5, 64), (3, 128), (3, 192))  # seed report 000, section 3.3: (kernel, width) of each mlpconv


@register
def nin_report(input_shape, num_classes, config):
    """Seed report 000's NIN (its section 3.3): 380,426 parameters at 32x32x3, 10 classes (377,226 on MNIST).

    As the report sketches it: mlpconv[5x5, 64] -> MaxPool[2] -> Dropout[0.5] -> mlpconv[3x3, 128] ->
    MaxPool[2] -> Dropout[0.5] -> mlpconv[3x3, 192] whose last 1x1 conv outputs one map per class ->
    GlobalAvg -> softmax; mlpconv[k, w] is Conv_kxk[w] -> Conv_1x1[w] -> Conv_1x1[w], a ReLU after each
    conv (NIN's micro-MLP; the sketch names no activation), no normalisation. The report states no
    count; ours is computed from that sketch. Dropout 0.5 is the sketch's; its section 6.2 speaks of
    "the aggressive 70% dropout rate within the network" (set dropout="0.7" for that reading). As in
    `nin`, the class maps are averaged without an activation; the report does not say whether the last
    conv had one. The poolings round up ("same" padding), so MNIST at x3 (84 px) passes: 84-42-21.
    """
    check_halvings(input_shape, 2, "nin_report")
    rates = iter(block_dropout(config, 2, default="0.5"))
    inputs = keras.Input(input_shape, name="image")
    x = inputs
    for b, (kernel, width) in enumerate(REPORT_BLOCKS, start=1):
        x = conv_block(x, width, config, name=f"mlpconv{b}_spatial", kernel_size=kernel)
        x = conv_block(x, width, config, name=f"mlpconv{b}_mlp1", kernel_size=1)
        if b == len(REPORT_BLOCKS):  # one map per class, averaged into the logits
            x = layers.Conv2D(
                num_classes, 1, name=f"mlpconv{b}_classes_conv", **weights(config, f"mlpconv{b}_classes_conv", "conv")
            )(x)
            break
        x = conv_block(x, width, config, name=f"mlpconv{b}_mlp2", kernel_size=1)
        x = layers.MaxPooling2D(2, padding="same", name=f"mlpconv{b}_pool")(x)
        x = dropout(x, next(rates), config, name=f"mlpconv{b}_dropout")
    outputs = layers.GlobalAveragePooling2D(name="logits")(x)
    return keras.Model(inputs, outputs, name="nin_report")
