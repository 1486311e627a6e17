"""The OPTIMIZERS table: optimiser name -> keras optimiser, built from the Config and a learning rate
(a float or a schedule from ``training.schedules``)."""

from __future__ import annotations

import keras

OPTIMIZERS = {
    "sgd": lambda c, lr: keras.optimizers.SGD(lr, momentum=c.momentum, nesterov=c.nesterov),
    "rmsprop": lambda c, lr: keras.optimizers.RMSprop(lr, momentum=c.momentum),
    "adam": lambda c, lr: keras.optimizers.Adam(lr),
    "adamw": lambda c, lr: keras.optimizers.AdamW(lr),
    "adamax": lambda c, lr: keras.optimizers.Adamax(lr),
    "nadam": lambda c, lr: keras.optimizers.Nadam(lr),
    "adagrad": lambda c, lr: keras.optimizers.Adagrad(lr),
    "adadelta": lambda c, lr: keras.optimizers.Adadelta(lr),
    "ftrl": lambda c, lr: keras.optimizers.Ftrl(lr),
    "lion": lambda c, lr: keras.optimizers.Lion(lr),
}


def create_optimizer(config, learning_rate) -> keras.optimizers.Optimizer:
    return OPTIMIZERS[config.optimizer](config, learning_rate)
