"""Train several cells side by side: ``train_fused(configs, ...)``, one training step of every copy per call.

Cells of an ablation are small, alike trainings: the same network shape, batch size and data, over and over for
seeds and levels. A small step leaves the hardware idle between its operations (on 2 CPU cores, a batch of 32
through the `conv` network uses them about half the time), and every step pays Python's and TensorFlow's dispatch.
Here each step of K cells is one call of one traced function that runs every cell's own ``train_step``: one
dispatch, and TensorFlow runs the K independent graphs on the cores at once.

Each cell stays exactly the cell it is alone (training.trainer.build makes it, seed by seed, in the order a cell
alone follows): its own model, initial weights, optimiser and its state, shuffled stream (two iterators per epoch,
as ``fit``'s epoch iterator makes them), dropout and augmentation seeds, callbacks (early stopping, plateau
cuts, the best-epoch checkpoint, divergence), checkpoint, history, validation and test. No loss is summed across
cells: one cell's NaN stops that cell only. A cell that stops (early stopping, divergence, its last epoch) leaves
the shared step, which is traced again for the cells still training, so it stops costing compute, and its result is
handed over (``on_done``) at once. A resumed cell starts at its own checkpoint's epoch and joins the others when
they reach it. Every Keras callback hook that ``fit`` calls is called in ``fit``'s order, so with
``deterministic=True`` a cell trained here ends with the weights and history it has alone, bit for bit
(tests/training/test_fused.py).

Cells train together only if their epochs have the same number of steps and calls (``together_key``): the same data
split sizes, batch size and batches per call (steps_per_execution).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import keras
import tensorflow as tf
from keras.src.backend.tensorflow.trainer import TFEpochIterator  # fit's own epoch iterator: the same data order

from ablation_suite.config import Config
from ablation_suite.training.caches import Caches
from ablation_suite.training.trainer import Prepared, TrialResult, build, finish, releasing_traced_graphs, wire


def together_key(config: Config) -> tuple:
    """Cells with the same key can train side by side: their epochs have the same number of steps and calls (the
    same data, split, batch size and batches per call) and they share the process-wide op determinism."""
    return (
        config.dataset,
        config.image_size,
        config.val_fraction,
        config.train_size,
        config.batch_size,
        config.steps_per_execution,
        config.deterministic,
    )


@dataclass
class Copy:
    """One cell in the shared loop: its prepared parts and where its own training stands."""

    index: int
    cell: Prepared
    batches: int  # per epoch
    callbacks: keras.callbacks.CallbackList
    epoch: int = 0  # the next epoch it trains
    logs: dict = field(default_factory=dict)  # its last step's logs
    epoch_logs: dict | None = None
    started: float = 0.0
    done: bool = False


def train_fused(
    configs: list[Config],
    prefixes: list[str],
    log=print,
    backup_dirs: list[Path | None] | None = None,
    caches: Caches | None = None,
    on_done: Callable[[int, TrialResult], None] | None = None,
    callbacks=(),
) -> list[TrialResult]:
    """Train the cells of ``configs`` side by side (all with the same ``together_key``); returns their results in
    order. ``on_done(index, result)`` is called as each cell finishes (before the others do)."""
    if len({together_key(config) for config in configs}) != 1:
        raise ValueError(
            "cells trained side by side need the same data, split, batch size and steps_per_execution; got "
            + ", ".join(str(together_key(config)) for config in configs)
        )
    caches = caches if caches is not None else Caches()
    backup_dirs = backup_dirs or [None] * len(configs)
    results: dict[int, TrialResult] = {}

    def done(index: int, result: TrialResult) -> None:
        results[index] = result
        if on_done is not None:
            on_done(index, result)

    with releasing_traced_graphs():
        try:
            started = time.perf_counter()
            keras.utils.clear_session(free_memory=True)
            built = [build(config, None, caches) for config in configs]  # seeded one after the other
            keys = tuple(cell.graph_key() for cell in built)
            # the models of an earlier group with these networks, holding these cells' initial states, and their
            # traced shared step (training.reuse), when there is one
            compiled, steps = caches.compiled.take_group(keys, [(cell.model, cell.rate) for cell in built])
            cells = [
                wire(cell, model, prefix, log, list(callbacks), backup, started)
                for cell, model, prefix, backup in zip(built, compiled, prefixes, backup_dirs)
            ]
            steps = steps or SharedSteps([cell.model for cell in cells])
            fit_together(cells, steps, done)
            caches.compiled.keep_group(keys, compiled, steps)
        except BaseException:
            caches.compiled.clear()
            raise
    return [results[index] for index in range(len(configs))]


def fit_together(cells: list[Prepared], steps: SharedSteps, on_done: Callable[[int, TrialResult], None]) -> None:
    """``model.fit`` of every cell, one call of ``steps`` (traced over their models) per call of them all."""
    copies = [_begin(index, cell) for index, cell in enumerate(cells)]
    fit_started = time.perf_counter()
    for copy in copies:
        copy.started = fit_started
        if copy.epoch >= copy.cell.config.epochs:  # resumed complete
            _end(copy, on_done, len(cells))
    epoch = min((copy.epoch for copy in copies if not copy.done), default=0)
    while any(not copy.done for copy in copies):
        training = [copy for copy in copies if not copy.done and copy.epoch == epoch]
        for copy in training:
            copy.cell.model.reset_metrics()
            copy.callbacks.on_epoch_begin(epoch)
        if training:
            _train_epoch(training, steps)
        for copy in training:
            _end_epoch(copy, epoch)
            if copy.cell.model.stop_training or copy.epoch >= copy.cell.config.epochs:
                _end(copy, on_done, len(cells))
        epoch += 1


def _begin(index: int, cell: Prepared) -> Copy:
    """What ``fit`` does before its first epoch, for one cell."""
    model = cell.model
    batches = int(cell.train_set.cardinality())
    if batches < 0:
        raise ValueError(f"cell {index}: its training set has no known number of batches, so it cannot step in turn")
    callbacks = keras.callbacks.CallbackList(
        cell.callbacks,
        add_history=True,
        add_progbar=False,
        verbose=0,
        epochs=cell.config.epochs,
        steps=batches,
        model=model,
    )
    model.stop_training = False
    model._eval_epoch_iterator = None
    if not model.optimizer.built:  # fit builds it when it first traces a step; a checkpoint loads into it first
        model.optimizer.build(model.trainable_variables)
    callbacks.on_train_begin()
    return Copy(index, cell, batches, callbacks, epoch=model._initial_epoch or 0)


def _train_epoch(training: list[Copy], steps: SharedSteps) -> None:
    """One epoch of every copy in ``training``: one traced call per batch steps every copy still in the epoch, and its
    callbacks see every steps_per_execution batches, as ``fit``'s do. The batches come from one iterator over the
    zipped training sets, so each set makes one iterator as the epoch starts and, as ``fit``'s epoch iterator does,
    another after its last batch: the same shuffles."""
    per_call, batches = training[0].cell.model.steps_per_execution, training[0].batches
    zipped = iter(tf.data.Dataset.zip(tuple(copy.cell.train_set for copy in training)))
    stepping = list(range(len(training)))  # positions in the zip of the copies still in the epoch
    for first in range(0, batches, per_call):
        last = min(first + per_call, batches) - 1
        for position in stepping:
            training[position].callbacks.on_train_batch_begin(first)
        for _ in range(first, last + 1):  # fit's steps_per_execution: the callbacks see every per_call batches
            outputs = steps(tuple(copy.index for copy in training), tuple(stepping), next(zipped))
        for position, logs in zip(list(stepping), outputs):
            copy = training[position]
            copy.logs = logs
            copy.callbacks.on_train_batch_end(last, logs)
            if copy.cell.model.stop_training:  # fit leaves the epoch at once
                stepping.remove(position)
        if not stepping:
            break
    for copy in training:
        iter(copy.cell.train_set)  # fit's second iterator of the epoch


def _end_epoch(copy: Copy, epoch: int) -> None:
    """Validation and the epoch's callbacks, as ``fit`` runs them after an epoch."""
    model = copy.cell.model
    epoch_logs = dict(model._get_metrics_result_or_logs(copy.logs))
    if getattr(model, "_eval_epoch_iterator", None) is None:  # fit keeps one for its validation passes
        model._eval_epoch_iterator = TFEpochIterator(
            x=copy.cell.val_set,
            distribute_strategy=model.distribute_strategy,
            steps_per_execution=model.steps_per_execution,
            shuffle=False,
        )
    validation = model.evaluate(
        x=copy.cell.val_set, callbacks=copy.callbacks, return_dict=True, _use_cached_eval_dataset=True
    )
    epoch_logs.update({f"val_{name}": value for name, value in validation.items()})
    copy.callbacks.on_epoch_end(epoch, epoch_logs)
    copy.epoch_logs = epoch_logs
    copy.epoch = epoch + 1


def _end(copy: Copy, on_done, width: int) -> None:
    """What ``fit`` does after its last epoch, then the cell's test and result."""
    model = copy.cell.model
    if isinstance(model.optimizer, keras.optimizers.Optimizer) and copy.cell.config.epochs > 0:
        model.optimizer.finalize_variable_values(model.trainable_weights)
    model._eval_epoch_iterator = None
    copy.callbacks.on_train_end(logs=copy.epoch_logs)
    copy.done = True
    fitted = model.history.history if model.history is not None else {}
    result = finish(copy.cell, fitted, time.perf_counter() - copy.started, extra={"trained_beside": width - 1})
    on_done(copy.index, result)


class SharedSteps:
    """The traced step of a set of models (cells trained side by side): a call trains each model stepping on its own
    batch through its own ``train_step`` (in a traced function of its own only under XLA, as ``fit`` would compile
    it), all in one traced function (one per set of copies: a copy that stops leaves the set).

    One batch per call, even where ``fit`` loops over steps_per_execution batches inside its traced function: the K
    steps of a call run side by side as they are, where a loop inside the function measured 1.5 to 2 times slower
    per step on 2 CPU cores (its body is optimised as one function, and the copies' steps overlap less)."""

    def __init__(self, models: list[keras.Model]):
        self.models = models
        self.functions: dict[tuple, Callable] = {}

    def __call__(self, zipped: tuple, stepping: tuple, batches: tuple) -> list[dict]:
        """One step of the models at positions ``stepping`` of ``zipped`` (model indices, in the order of the
        ``batches``, one per model zipped); returns the logs of each model stepped."""
        key = (zipped, stepping)
        if key not in self.functions:
            self.functions[key] = self._trace([self.models[index] for index in zipped], stepping)
        return self.functions[key](batches)

    @staticmethod
    def _trace(models: list[keras.Model], stepping: tuple) -> Callable:
        steps = {position: _one_step(models[position]) for position in stepping}

        @tf.function(autograph=False)
        def step(batches):
            for position, one in steps.items():
                one(batches[position])
            # what each train_step returns (Model.compute_metrics), after it
            return [models[position].get_metrics_result() for position in stepping]

        return step


def _one_step(model: keras.Model) -> Callable:
    """A model's training step on one batch; under XLA in a function of its own (keras TensorFlowTrainer traces the
    step with jit_compile), else called in line (a nested traced function per model costs a third more per step)."""
    if not model.jit_compile:
        return model.train_step
    return tf.function(model.train_step, reduce_retracing=True, jit_compile=True)
