"""Train one cell: ``train(config) -> TrialResult``.

Every trial starts clean (cleared Keras session, seeded RNGs), trains with ``model.fit`` on a
``tf.data`` pipeline and is evaluated on the untouched test set. A NaN/inf loss stops the trial
as "diverged" with its history kept; that is a result, not an error.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import keras
import numpy as np
import tensorflow as tf
from scipy.special import log_softmax
from sklearn.metrics import confusion_matrix

import baselines
from training.config import Config
from training.data import Data, load_data
from training.optimizers import create_optimizer


@dataclass
class TrialResult:
    """Everything the report needs about one trained cell; JSON-safe via ``to_dict``."""

    history: dict  # per epoch: loss, accuracy, val_loss, val_accuracy, learning_rate
    val_accuracy: float
    test_accuracy: float
    test_loss: float | None  # None when the model diverged to NaN
    confusion_matrix: list  # rows = true class, columns = predicted class (test set)
    per_class_accuracy: list
    class_names: list
    params: int
    epochs_run: int
    wall_time: float  # seconds, build to evaluation
    train_time: float  # seconds inside model.fit
    images_per_second: float  # training images processed per second of model.fit
    diverged: bool
    split_fingerprint: str
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


class EpochLog(keras.callbacks.Callback):
    """Records the learning rate each epoch trains with and prints one progress line per epoch."""

    def __init__(self, epochs, prefix="", log=print):
        super().__init__()
        self.epochs, self.prefix, self.log = epochs, prefix, log
        self.learning_rates = []

    def on_epoch_begin(self, epoch, logs=None):
        # Read at the start: plateau callbacks change the LR at an epoch's end, for the next epoch.
        self.learning_rates.append(float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)))

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        lr = self.learning_rates[-1]
        metrics = " ".join(f"{k}={logs[k]:.4f}" for k in ("loss", "accuracy", "val_loss", "val_accuracy") if k in logs)
        self.log(f"{self.prefix}epoch {epoch + 1}/{self.epochs} {metrics} lr={lr:.3g}")


def train(config: Config, data: Data | None = None, prefix: str = "", log=print, callbacks=()) -> TrialResult:
    """Build, train and evaluate the cell described by ``config``."""
    started = time.perf_counter()
    data = data if data is not None else load_data(config)
    keras.utils.clear_session(free_memory=True)
    keras.utils.set_random_seed(config.seed)
    if config.deterministic:
        tf.config.experimental.enable_op_determinism()  # process-wide; cannot be switched off again
    model = build_model(config, data)
    model.compile(optimizer=create_optimizer(config),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    epoch_log = EpochLog(config.epochs, prefix, log)
    fit_started = time.perf_counter()
    history = model.fit(
        pipeline(data.x_train, data.y_train, config, training=True), epochs=config.epochs,
        validation_data=pipeline(data.x_val, data.y_val, config, training=False),
        callbacks=[*training_callbacks(config), epoch_log, *callbacks], shuffle=False, verbose=0,  # shuffled by tf.data
    ).history
    train_time = time.perf_counter() - fit_started
    history = {k: [_finite_or_none(v) for v in values] for k, values in history.items() if k != "learning_rate"}
    epochs_run = len(history.get("loss", []))
    history["learning_rate"] = epoch_log.learning_rates[:epochs_run]
    diverged = any(v is None for v in history.get("loss", []))

    val_loss, val_accuracy, _ = evaluate(model, data.x_val, data.y_val, config)
    test_loss, test_accuracy, predictions = evaluate(model, data.x_test, data.y_test, config)
    labels = list(range(data.num_classes))
    matrix = confusion_matrix(data.y_test, predictions, labels=labels)
    per_class = (np.diag(matrix) / np.maximum(matrix.sum(axis=1), 1)).tolist()
    return TrialResult(
        history=history, val_accuracy=val_accuracy, test_accuracy=test_accuracy, test_loss=test_loss,
        confusion_matrix=matrix.tolist(), per_class_accuracy=per_class, class_names=list(data.class_names),
        params=int(model.count_params()), epochs_run=epochs_run, wall_time=time.perf_counter() - started,
        train_time=train_time, images_per_second=len(data.y_train) * epochs_run / max(train_time, 1e-9),
        diverged=diverged, split_fingerprint=data.split_fingerprint,
    )


def build_model(config: Config, data: Data) -> keras.Model:
    """The registered baseline at the (upsampled) input shape of the data."""
    height, width, channels = data.input_shape
    shape = (height * config.input_scale, width * config.input_scale, channels)
    return baselines.create(config.model, shape, data.num_classes, config)


def pipeline(x, y, config: Config, training: bool) -> tf.data.Dataset:
    """Batches from memory; shuffled by the seed when training; upsampled per batch if input_scale > 1."""
    dataset = tf.data.Dataset.from_tensor_slices((x, y))
    if training:
        dataset = dataset.shuffle(len(x), seed=config.seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(config.batch_size)
    if config.input_scale > 1:
        size = (x.shape[1] * config.input_scale, x.shape[2] * config.input_scale)
        dataset = dataset.map(lambda images, labels: (tf.image.resize(images, size, method="nearest"), labels),
                              num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


def training_callbacks(config: Config) -> list:
    """Keras callbacks for the Config's stopping and plateau knobs, plus divergence detection."""
    callbacks = [keras.callbacks.TerminateOnNaN()]
    if config.early_stopping_patience:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor=config.early_stopping_monitor, patience=config.early_stopping_patience,
            min_delta=config.min_delta, restore_best_weights=True))
    if config.reduce_lr_patience:
        callbacks.append(keras.callbacks.ReduceLROnPlateau(
            monitor=config.reduce_lr_monitor, patience=config.reduce_lr_patience,
            factor=config.reduce_lr_factor, min_delta=config.min_delta))
    return callbacks


def evaluate(model, x, y, config: Config):
    """(cross-entropy or None if not finite, accuracy, predicted classes) from one pass of logits."""
    logits = model.predict(pipeline(x, y, config, training=False), verbose=0).astype(np.float64)
    predictions = np.argmax(np.nan_to_num(logits, nan=-np.inf), axis=1)
    loss = float(-log_softmax(logits, axis=1)[np.arange(len(y)), y].mean())
    return _finite_or_none(loss), float((predictions == y).mean()), predictions


def _finite_or_none(value):
    value = float(value)
    return value if math.isfinite(value) else None
