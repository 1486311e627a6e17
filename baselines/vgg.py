"""VGG (Simonyan & Zisserman 2015): stacks of 3x3 convolutions, five max-poolings, a dense head.

Seed reports 000 (VGG-A = `vgg11`, with the 4096-4096 head and dropout 0.5) and 002 (VGG-16 =
`vgg16`), without normalisation as published; `vgg11_cifar`/`vgg16_cifar` are the CIFAR form
(Zagoruyko 2015's cifar.torch, used by Li et al. 2017): batch norm before every ReLU and a
small-input head of one dense layer of 512. Poolings round up (Caffe's ceil mode), so 28x28 MNIST
passes all five, as in 000.
"""

from __future__ import annotations

import keras
from keras import layers

from ablation_suite.baselines import register
from ablation_suite.baselines.blocks import block_dropout, check_halvings, conv_block, dense_head

# Convolutions per block; the filters are 64, 128, 256, 512, 512.
CONFIGURATIONS = {"A": (1, 1, 2, 2, 2), "D": (2, 2, 3, 3, 3)}
FILTERS = (64, 128, 256, 512, 512)


def _vgg(input_shape, num_classes, config, name, configuration, head):
    """Five blocks of 3x3 convolutions, each closed by a 2x2 max-pooling, then ``head`` dense layers
    with dropout (0.5 by default, as the paper) after each."""
    check_halvings(input_shape, len(FILTERS), name)
    rates = block_dropout(config, len(head), default="0.5")
    inputs = keras.Input(input_shape, name="image")
    x = inputs
    for b, (convs, filters) in enumerate(zip(CONFIGURATIONS[configuration], FILTERS), start=1):
        for c in range(1, convs + 1):
            x = conv_block(x, filters, config, name=f"block{b}_{c}")
        x = layers.MaxPooling2D(2, padding="same", name=f"block{b}_pool")(x)
    return keras.Model(inputs, dense_head(x, head, rates, num_classes, config), name=name)


@register
def vgg11(input_shape, num_classes, config):
    """VGG-A (11 weight layers) with the 4096-4096 head: 132.9M parameters at 224x224x3, 1000 classes.

    Published: 133M (Simonyan & Zisserman 2015, table 2).
    """
    return _vgg(input_shape, num_classes, config, "vgg11", "A", head=(4096, 4096))


@register
def vgg16(input_shape, num_classes, config):
    """VGG-D (16 weight layers) with the 4096-4096 head: 138.4M parameters at 224x224x3, 1000 classes.

    Published: 138M (Simonyan & Zisserman 2015, table 2).
    """
    return _vgg(input_shape, num_classes, config, "vgg16", "D", head=(4096, 4096))


@register(bn="before")
def vgg11_cifar(input_shape, num_classes, config):
    """VGG-A with the small-input head (one dense layer of 512 and dropout): 9.49M parameters at 32x32x3, 10 classes."""
    return _vgg(input_shape, num_classes, config, "vgg11_cifar", "A", head=(512,))


@register(bn="before")
def vgg16_cifar(input_shape, num_classes, config):
    """VGG-16 in its CIFAR form (one dense layer of 512 and dropout): 15.0M parameters at 32x32x3, 10 classes.

    Published: 1.5e7 parameters and 3.13e8 FLOPs (Li et al. 2017, "Pruning filters for efficient
    ConvNets", table 1, VGG-16 on CIFAR-10).
    """
    return _vgg(input_shape, num_classes, config, "vgg16_cifar", "D", head=(512,))
