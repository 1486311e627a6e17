"""What a built network costs: its parameters and its multiply-adds per image.

Parameters are the trainable weights, as the papers count them (a batch-norm layer's moving
statistics are state, not parameters). The multiply-add count is the papers' "FLOPs" (He et al.
2016, Xie et al. 2017 and Li et al. 2017 count one multiply-add as one FLOP): the multiply-accumulates
of every convolution and dense layer, which dominate; normalisation, activation, pooling and
additions are left out, as the papers do. TensorFlow's profiler is not used: it counts grouped
convolutions (ResNeXt, Res2Net) as zero.
"""

from __future__ import annotations

import math

from keras import layers


def parameters(model) -> int:
    """Trainable parameters of ``model``."""
    return sum(math.prod(weight.shape) for weight in model.trainable_weights)


def multiply_adds(model) -> int:
    """Multiply-accumulates of one forward pass of one image through ``model``."""
    return sum(_layer_multiply_adds(layer) for layer in model.layers)


def _layer_multiply_adds(layer) -> int:
    if isinstance(layer, layers.Conv2D):  # also grouped: the kernel holds only in_channels/groups inputs
        kernel_height, kernel_width, inputs_per_group, filters = layer.kernel.shape
        positions = math.prod(layer.output.shape[1:-1])
        return kernel_height * kernel_width * inputs_per_group * filters * positions
    if isinstance(layer, layers.Dense):
        inputs, units = layer.kernel.shape
        return inputs * units * math.prod(layer.output.shape[1:-1])
    if hasattr(layer, "kernel"):  # a weighted layer this count does not know: refuse rather than undercount
        raise ValueError(
            f"cannot count the multiply-adds of layer {layer.name!r} ({type(layer).__name__}); "
            "add its rule to baselines/cost.py"
        )
    return 0
