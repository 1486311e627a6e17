"""Train one cell: ``train(config) -> TrialResult``.

Every trial starts clean (cleared Keras session, seeded RNGs, a freshly built and compiled model whose
initial state an earlier cell's compiled model with the same network takes when there is one, to train on
its traced functions: training.reuse), trains with ``model.fit`` on a
``tf.data`` pipeline (one-hot labels, so mixup/cutmix can make them soft; label noise and
augmentation on the training split only) and is evaluated on the untouched test set. A NaN/inf
loss stops the trial as "diverged" with its history kept; that is a result, not an error.
"""

from __future__ import annotations

import math
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from scipy.special import log_softmax
from sklearn.metrics import confusion_matrix

from ablation_suite import baselines
from ablation_suite.baselines.cost import parameters
from ablation_suite.config import Config
from ablation_suite.training.augment import augment_in, batch_augmenter, with_augmentation
from ablation_suite.training.caches import Caches
from ablation_suite.training.checkpoint import Checkpoint, EpochLog, finite_or_none, training_callbacks
from ablation_suite.training.data import Data, load_data, noisy_labels
from ablation_suite.training.examples import augmented_samples, misclassified
from ablation_suite.training.reuse import Compiled, capacity, graph_key
from ablation_suite.training.schedules import PlateauScaled, create_optimizer, learning_rate
from ablation_suite.training.streams import Streamed, in_given_order, shuffle_buffer

# Every trial builds a new model, whose predict function traces once per batch shape: TensorFlow calls
# that "excessive retracing" and warns in every study's output, though nothing is wrong.
tf.get_logger().addFilter(lambda record: "triggered tf.function retracing" not in record.getMessage())


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
    params: int  # trainable parameters (baselines.cost.parameters)
    epochs_run: int
    wall_time: float  # seconds, build to evaluation
    train_time: float  # seconds inside model.fit
    images_per_second: float  # training images processed per second of model.fit
    diverged: bool
    split_fingerprint: str
    data_fingerprint: str = ""  # the content of the data it was split from (training.data.content_fingerprint)
    extra: dict = field(default_factory=dict)  # label_noise_flipped: share of training labels flipped;
    # setup_seconds, evaluate_seconds, examples_seconds (recording the examples), epoch_seconds (each epoch this
    # process trained, with validation), traces_reused (trained on the traced functions of an earlier cell:
    # training.reuse)
    misclassified: list = field(default_factory=list)  # the first misclassified test images (training.examples)
    augmented_samples: list = field(default_factory=list)  # training images before/after augmentation ([] without)

    def to_dict(self) -> dict:
        return asdict(self)


@contextmanager
def releasing_traced_graphs():
    """Drop the custom gradients TensorFlow registered while the block traced its graphs.

    Keras's optimiser all-reduces the gradients through ``tf.custom_gradient``, which in a traced
    function registers a gradient closure under a new "CustomGradient-N" name in TensorFlow's global
    registry and never removes it (tensorflow/tensorflow#97697). Each closure keeps its whole
    training graph alive: 10-15 MB per trial of the `conv` model, which clear_session cannot free.
    The closures are only needed while the graph is traced (a graph kept for re-use, training.reuse, runs
    without them; a new input shape traces again and registers new ones), so the trial's own ones are dropped
    when it ends (registrations made before it, e.g. by user code in a notebook, are left alone).
    """
    from tensorflow.python.framework import ops  # private: the registry has no public API

    registry = getattr(getattr(ops, "_gradient_registry", None), "_registry", None)
    before = set(registry or ())
    try:
        yield
    finally:
        for name in [name for name in registry or () if name.startswith("CustomGradient-") and name not in before]:
            del registry[name]


def train(
    config: Config,
    data: Data | None = None,
    prefix: str = "",
    log=print,
    callbacks=(),
    backup_dir: Path | None = None,
    caches: Caches | None = None,
) -> TrialResult:
    """Build, train and evaluate the cell described by ``config``.

    With ``backup_dir`` the weights, optimiser state, epoch and history are saved after every epoch
    (Keras BackupAndRestore), so a trial killed at epoch k resumes at epoch k; the directory is
    removed when training ends. ``caches`` are what the process keeps between its cells (training.caches: the
    loaded datasets, the compiled networks to re-use); without them the cell loads and compiles afresh.
    """
    caches = caches if caches is not None else Caches()
    with releasing_traced_graphs():
        try:
            return _train(config, data, prefix, log, callbacks, backup_dir, caches)
        except BaseException:  # a model left mid-fit is never trained again
            caches.compiled.clear()
            raise


def set_op_determinism(on: bool) -> None:
    """TensorFlow's op determinism is process-wide: set it for every trial, so that a deterministic cell never
    leaks into the cells a worker trains after it. TensorFlow has no public switch to turn it off; its own
    config module has one (private, so a TensorFlow without it leaves the setting as it is)."""
    if on:
        tf.config.experimental.enable_op_determinism()
        return
    from tensorflow.python.framework import config as framework_config

    disable = getattr(framework_config, "disable_op_determinism", None)
    if disable is not None:
        disable()


def _train(config, data, prefix, log, callbacks, backup_dir, caches: Caches) -> TrialResult:
    started = time.perf_counter()
    keras.utils.clear_session(free_memory=True)
    cell = prepare(config, data, prefix, log, callbacks, backup_dir, caches, started)
    fit_started = time.perf_counter()
    fitted = cell.model.fit(
        cell.train_set,
        epochs=config.epochs,
        validation_data=cell.val_set,
        callbacks=cell.callbacks,
        shuffle=False,
        verbose=0,
    ).history  # shuffled by tf.data
    return finish(cell, fitted, time.perf_counter() - fit_started)


@dataclass
class Built:
    """A cell's seeded parts: its data, fresh compiled model and input pipelines (everything that draws a random
    number, made in one order right after seeding, so a cell built beside others draws what it draws alone)."""

    config: Config
    data: Data
    model: keras.Model
    rate: object  # the compiled learning rate (compile_model)
    y_train: np.ndarray  # the training labels, noisy when the Config says so
    augment: object  # the pipeline's batch augmenter, or None
    train_set: tf.data.Dataset
    val_set: tf.data.Dataset

    def graph_key(self) -> tuple:
        """What its traced functions depend on (training.reuse.graph_key)."""
        return graph_key(self.config, self.rate, self.data.input_shape, self.data.num_classes)


@dataclass
class Prepared:
    """One cell built, compiled and wired, ready for ``model.fit`` (or for training.fused, beside others)."""

    config: Config
    data: Data
    model: keras.Model
    y_train: np.ndarray
    epoch_log: EpochLog
    callbacks: list  # fit's callbacks, in their order: deciding, the epoch log, the checkpoint, the caller's
    train_set: tf.data.Dataset
    val_set: tf.data.Dataset
    started: float  # perf_counter when the cell's process began it
    setup_seconds: float
    traces_reused: bool


def prepare(config, data, prefix, log, callbacks, backup_dir, caches: Caches, started: float) -> Prepared:
    """Seed, build, compile and wire one cell, on the compiled model of an earlier cell with this network when
    there is one (holding the fresh model's initial state; its traced functions are kept: training.reuse)."""
    built = build(config, data, caches)
    compiled = caches.compiled.take(built.graph_key(), built.model, built.rate, capacity())
    return wire(built, compiled, prefix, log, callbacks, backup_dir, started)


def build(config: Config, data: Data | None, caches: Caches) -> Built:
    """Seed the process by the Config and make everything of the cell that draws a random number."""
    data = data if data is not None else load_data(config, caches.datasets)
    keras.utils.set_random_seed(config.seed)
    set_op_determinism(config.deterministic)
    model = with_augmentation(build_model(config, data), config)
    y_train = noisy_labels(data.y_train, data.num_classes, config)
    rate = compile_model(model, config, steps_per_epoch=math.ceil(len(y_train) / config.batch_size))
    augment = batch_augmenter(config) if augment_in(config) == "pipeline" else None
    return Built(
        config=config,
        data=data,
        model=model,
        rate=rate,
        y_train=y_train,
        augment=augment,
        train_set=pipeline(data.x_train, y_train, config, data.num_classes, training=True, augment=augment),
        val_set=pipeline(data.x_val, data.y_val, config, data.num_classes, training=False),
    )


def wire(built: Built, compiled: Compiled, prefix, log, callbacks, backup_dir: Path | None, started) -> Prepared:
    """The cell's callbacks around the model it trains (``compiled``: the fresh one, or a kept one holding its
    initial state)."""
    config = built.config
    setup_seconds = time.perf_counter() - started  # load, build and compile (the graph is traced in fit)
    epoch_log = EpochLog(config.epochs, prefix, log, path=backup_dir / "history.json" if backup_dir else None)
    deciding = training_callbacks(config, compiled.rate)
    # The history and the deciding callbacks' state are written before the weights: a kill between them
    # re-runs that epoch.
    augment = built.augment
    backup = (
        [Checkpoint(backup_dir, epoch_log, log, deciding, built.train_set, augment.variables if augment else [])]
        if backup_dir
        else []
    )
    return Prepared(
        config=config,
        data=built.data,
        model=compiled.model,
        y_train=built.y_train,
        epoch_log=epoch_log,
        callbacks=[*deciding, epoch_log, *backup, *callbacks],
        train_set=built.train_set,
        val_set=built.val_set,
        started=started,
        setup_seconds=setup_seconds,
        traces_reused=compiled.reused,
    )


def finish(cell: Prepared, fitted: dict, train_time: float, extra: dict | None = None) -> TrialResult:
    """Evaluate a trained cell on its test set and gather its result. ``fitted``: the history of the epochs this
    process trained (``model.fit``'s), ``train_time`` the seconds they took; ``extra`` joins the result's extra."""
    config, data, model, epoch_log = cell.config, cell.data, cell.model, cell.epoch_log
    history = epoch_log.history()
    epochs_run = len(history.get("loss", []))
    diverged = any(v is None for v in history.get("loss", []))
    epochs_here = len(fitted.get("loss", []))  # epochs trained by this process (after a resume, fewer)

    evaluate_started = time.perf_counter()
    val_accuracy = validated_accuracy(fitted, config, len(data.y_val), diverged)
    if val_accuracy is None:  # no validation pass saw these weights: one of our own
        val_accuracy = evaluate(model, data.x_val, data.y_val, config, data.num_classes)[1]
    test_loss, test_accuracy, predictions = evaluate(model, data.x_test, data.y_test, config, data.num_classes)
    labels = list(range(data.num_classes))
    matrix = confusion_matrix(data.y_test, predictions, labels=labels)
    per_class = (np.diag(matrix) / np.maximum(matrix.sum(axis=1), 1)).tolist()
    evaluate_seconds, examples_started = time.perf_counter() - evaluate_started, time.perf_counter()
    examples = dict(
        misclassified=misclassified(data.x_test, data.y_test, predictions),  # the evaluation's predictions
        augmented_samples=augmented_samples(data.x_train, data.y_train, config, data.num_classes),
    )
    timings = dict(
        setup_seconds=cell.setup_seconds,
        evaluate_seconds=evaluate_seconds,
        examples_seconds=time.perf_counter() - examples_started,
        epoch_seconds=[epoch_log.seconds[epoch] for epoch in sorted(epoch_log.seconds)],
    )
    return TrialResult(
        history=history,
        val_accuracy=val_accuracy,
        test_accuracy=test_accuracy,
        test_loss=test_loss,
        confusion_matrix=matrix.tolist(),
        per_class_accuracy=per_class,
        class_names=list(data.class_names),
        params=parameters(model),
        epochs_run=epochs_run,
        wall_time=time.perf_counter() - cell.started,
        train_time=train_time,
        images_per_second=len(data.y_train) * epochs_here / max(train_time, 1e-9),
        diverged=diverged,
        split_fingerprint=data.split_fingerprint,
        data_fingerprint=data.data_fingerprint,
        extra={
            **timings,
            "label_noise_flipped": float(np.mean(cell.y_train != data.y_train)),
            "traces_reused": cell.traces_reused,
            **(extra or {}),
        },
        **examples,
    )


def build_model(config: Config, data: Data) -> keras.Model:
    """The registered baseline at the (upsampled) input shape of the data, in the Config's precision."""
    # Layers take the global dtype policy when built, so it is set for the build only and every later
    # model (and trial) starts from float32 again.
    keras.mixed_precision.set_dtype_policy(config.precision)
    try:
        return baselines.build(config, data.input_shape, data.num_classes)
    finally:
        keras.mixed_precision.set_dtype_policy("float32")


def compile_model(model: keras.Model, config: Config, steps_per_epoch: int):
    """Optimiser with its LR schedule, loss on (possibly soft) one-hot labels and accuracy, with the
    Config's XLA and steps-per-execution knobs. Under mixed_float16 Keras wraps the optimiser in a
    LossScaleOptimizer itself. Returns the optimiser's learning rate (training.schedules.learning_rate).
    """
    rate = learning_rate(config, steps_per_epoch)
    optimizer = create_optimizer(config, rate)
    if isinstance(rate, PlateauScaled):
        rate.track(optimizer)
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.CategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")],  # argmax of soft labels too
        jit_compile=config.jit_compile,
        steps_per_execution=config.steps_per_execution,
    )
    return rate


def pipeline(x, y, config: Config, num_classes: int, training: bool, augment=None) -> tf.data.Dataset:
    """Batches of (images, one-hot labels) from memory, upsampled per batch if input_scale > 1; when
    training, shuffled by the seed and, unless the model's train step augments them (augment_in),
    augmented (by ``augment``, a batch_augmenter the caller keeps, else a new one). Validation and test
    batches are never augmented."""
    # images held in memory, or streamed from a file cache in its order (training.streams)
    dataset = x.dataset(y) if isinstance(x, Streamed) else tf.data.Dataset.from_tensor_slices((x, y))
    if training:
        dataset = dataset.shuffle(shuffle_buffer(x), seed=config.seed, reshuffle_each_iteration=True)
    size = (x.shape[1] * config.input_scale, x.shape[2] * config.input_scale)

    def prepare(images, labels):
        if images.dtype == tf.uint8:  # streamed: scaled per batch to the very floats training.data gives arrays
            # (float32 division by 255 is exact to the float32 of the float64 quotient for all 256 bytes here; a
            # test checks every byte, as an optimiser rewriting it as a multiplication would break that)
            images = tf.cast(images, tf.float32) / 255.0
        if config.input_scale > 1:
            images = tf.image.resize(images, size, method="nearest")
        return images, tf.one_hot(labels, num_classes)

    dataset = dataset.batch(config.batch_size).map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
    if augment is None and training and augment_in(config) == "pipeline":
        augment = batch_augmenter(config)
    if training and augment is not None:  # one batch at a time: the seed generators then advance in batch order
        dataset = dataset.map(augment)
    return dataset.prefetch(tf.data.AUTOTUNE)


def validated_accuracy(fitted: dict, config: Config, val_images: int, diverged: bool) -> float | None:
    """The validation accuracy of the final weights, from the validation pass ``model.fit`` ran after its last
    epoch (``fitted``: fit's history), or None when that pass did not see the final weights: no epoch trained in
    this process (a resumed trial already complete), a diverged trial (its NaN logits are ranked by our
    ``evaluate``), or early stopping that may have restored an earlier epoch's weights.

    The same images and weights in inference mode give the same predictions, so a second pass over the
    validation set (a traced predict function and a pass over the data per trial) would only repeat it.
    Keras's metric is a float32 share; it is returned as the exact fraction of images, as ``evaluate`` gives it.
    """
    accuracies = fitted.get("val_accuracy") or [None]
    restoring = (config.early_stopping_patience and config.restore_best_weights) or config.checkpoint != "none"
    if accuracies[-1] is None or diverged or restoring or not math.isfinite(accuracies[-1]):
        return None
    return round(float(accuracies[-1]) * val_images) / val_images


def evaluate(model, x, y, config: Config, num_classes: int):
    """(cross-entropy or None if not finite, accuracy, predicted classes) from one pass of logits."""
    logits = model.predict(pipeline(x, y, config, num_classes, training=False), verbose=0).astype(np.float64)
    logits = in_given_order(x, logits)  # a streamed split is read in its cache's order
    predictions = np.argmax(np.nan_to_num(logits, nan=-np.inf), axis=1)
    loss = float(-log_softmax(logits, axis=1)[np.arange(len(y)), y].mean())
    return finite_or_none(loss), float((predictions == y).mean()), predictions
