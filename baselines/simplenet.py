"""SimpleNet v1 (Hasanpour et al. 2016, "Lets keep it simple"), seed report 003.

Thirteen convolutional layers, all 3x3 except the 11th and 12th (1x1), batch norm before every
ReLU, five 2x2 max-poolings each followed by dropout 0.1, global max pooling and one dense layer,
as the authors' reference implementation (github.com/Coderx7/SimpleNet). The paper's Caffe
poolings round up, so 28x28 MNIST passes all five.
"""

from __future__ import annotations

import keras
from keras import layers

from ablation_suite.baselines import register
from ablation_suite.baselines.blocks import block_dropout, check_halvings, conv_block, dropout, logits

# Each group is (filters of its convolutions, kernel size); a max-pooling and dropout close each group.
GROUPS = (
    ((64, 128, 128, 128), 3),
    ((128, 128, 256), 3),
    ((256, 256), 3),
    ((512,), 3),
    ((2048, 256), 1),
)
LAST = (256, 3)  # the 13th layer, after the fifth pooling


@register(bn="before")
def simplenet(input_shape, num_classes, config):
    """SimpleNet v1, 13 layers: 5.48M parameters with 10 classes (Hasanpour et al. 2016, CIFAR-10)."""
    check_halvings(input_shape, len(GROUPS), "simplenet")
    rates = iter(block_dropout(config, len(GROUPS), default="0.1"))
    inputs = keras.Input(input_shape, name="image")
    x, number = inputs, 0
    for g, (filters_list, kernel) in enumerate(GROUPS, start=1):
        for filters in filters_list:
            number += 1
            x = conv_block(x, filters, config, name=f"conv{number}", kernel_size=kernel)
        x = layers.MaxPooling2D(2, padding="same", name=f"pool{g}")(x)
        x = dropout(x, next(rates), config, name=f"pool{g}_dropout")
    x = conv_block(x, LAST[0], config, name=f"conv{number + 1}", kernel_size=LAST[1])
    x = layers.GlobalMaxPooling2D(name="global_pool")(x)
    return keras.Model(inputs, logits(x, num_classes, config), name="simplenet")
