"""Network in Network (Lin, Chen & Yan 2014), the CIFAR-10 model of seed report 000.

Three mlpconv blocks (a spatial convolution followed by two 1x1 convolutions, the "micro MLP"),
dropout after the first two, and global average pooling of one feature map per class instead of
a dense head. The widths and kernels are those of the authors' published Caffe model
(cifar10 NIN prototxt): 192-160-96 (5x5), 192-192-192 (5x5), 192-192-classes (3x3); 3x3 poolings
with stride 2, rounding up as Caffe does.
"""

from __future__ import annotations

import keras
from keras import layers

from baselines import register
from baselines.blocks import block_dropout, check_halvings, conv_block, dropout, weights

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
            x = layers.Conv2D(num_classes, 1, name=f"mlpconv{b}_classes_conv",
                              **weights(config, f"mlpconv{b}_classes_conv"))(x)
            break
        x = conv_block(x, widths[2], config, name=f"mlpconv{b}_mlp2", kernel_size=1)
        x = POOLS[pool](3, strides=2, padding="same", name=f"mlpconv{b}_pool")(x)
        x = dropout(x, next(rates), config, name=f"mlpconv{b}_dropout")
    outputs = layers.GlobalAveragePooling2D(name="logits")(x)
    return keras.Model(inputs, outputs, name="nin")
