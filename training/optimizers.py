"""The OPTIMIZERS table: optimiser name -> keras optimiser, built from the Config."""

from __future__ import annotations

import keras

OPTIMIZERS = {
    "sgd": lambda c: keras.optimizers.SGD(c.learning_rate, momentum=c.momentum, nesterov=c.nesterov),
    "rmsprop": lambda c: keras.optimizers.RMSprop(c.learning_rate, momentum=c.momentum),
    "adam": lambda c: keras.optimizers.Adam(c.learning_rate),
    "adamw": lambda c: keras.optimizers.AdamW(c.learning_rate),
    "adamax": lambda c: keras.optimizers.Adamax(c.learning_rate),
    "nadam": lambda c: keras.optimizers.Nadam(c.learning_rate),
    "adagrad": lambda c: keras.optimizers.Adagrad(c.learning_rate),
    "adadelta": lambda c: keras.optimizers.Adadelta(c.learning_rate),
    "ftrl": lambda c: keras.optimizers.Ftrl(c.learning_rate),
    "lion": lambda c: keras.optimizers.Lion(c.learning_rate),
}


def create_optimizer(config) -> keras.optimizers.Optimizer:
    return OPTIMIZERS[config.optimizer](config)
