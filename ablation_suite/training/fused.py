"""Train several cells side by side: ``train_fused(configs, ...)``, every copy's steps in one call.

Cells of an ablation are small, alike trainings: the same network shape, batch size and data, over and over for
seeds and levels. A small step leaves the hardware idle between its operations, and every step pays Python's and
TensorFlow's dispatch. Here one call of one traced function runs steps_per_execution batches of every one of K
cells, each through the cell's own ``train_step``: one dispatch, and TensorFlow runs the K independent steps on the
cores at once.

The cells of one network (seeds, or constant learning rates) share its traced training, validation and test steps
(``NetworkStep``): traced once, over one of the models, and called with each model's own variables, as cells one
after another share a network's traces (training.reuse). Tracing costs seconds where a small step costs
milliseconds, so a group tracing each of its K cells would cost more than its steps side by side save.

Each cell stays exactly the cell it is alone (training.trainer.build makes it, seed by seed, in the order a cell
alone follows): its own model, initial weights, optimiser and its state, shuffled stream (two iterators per epoch,
as ``fit``'s epoch iterator makes them), dropout and augmentation seeds, callbacks (early stopping, plateau
cuts, the best-epoch checkpoint, divergence), checkpoint, history, validation and test. No loss is summed across
cells: one cell's NaN stops that cell only. A cell that stops (early stopping, divergence, its last epoch) leaves
the shared call, which is traced again (cheaply: it only calls the networks' traced steps) for the cells still
training, so it stops costing compute, and its result is handed over (``on_done``) at once. A resumed cell starts
at its own checkpoint's epoch and joins the others when they reach it. Every Keras callback hook that ``fit`` calls
is called in ``fit``'s order, so with ``deterministic=True`` a cell trained here ends with the weights and history
it has alone, bit for bit (tests/training/test_fused.py).

Cells train together only if their epochs have the same number of steps and calls (``together_key``): the same data
split sizes, batch size and batches per call (steps_per_execution).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
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
            for cell in cells:
                _build(cell)
            steps = steps or SharedSteps([cell.model for cell in cells], keys, cells[0].train_set.element_spec)
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
    callbacks.on_train_begin()
    return Copy(index, cell, batches, callbacks, epoch=model._initial_epoch or 0)


def _build(cell: Prepared) -> None:
    """Make every variable a step of the cell's model uses before the step is traced (``fit`` makes the optimiser's
    and the metrics' as it traces its first step; all start at zero, or at the compiled learning rate): a shared
    step is traced over one model and given the others' variables."""
    model = cell.model
    if not model.optimizer.built:  # a checkpoint (on_train_begin) loads into it
        model.optimizer.build(model.trainable_variables)
    model._symbolic_build(data_batch=cell.train_set.element_spec)


def _train_epoch(training: list[Copy], steps: SharedSteps) -> None:
    """One epoch of every copy in ``training``: one traced call per steps_per_execution batches steps every copy
    still in the epoch, and its callbacks see each call's last batch, as ``fit``'s do. Each training set makes one
    iterator as the epoch starts, read inside the traced call, and, as ``fit``'s epoch iterator does, another after
    its last batch: the same shuffles."""
    per_call, batches = training[0].cell.model.steps_per_execution, training[0].batches
    iterators = [iter(copy.cell.train_set) for copy in training]
    stepping = list(range(len(training)))  # positions in ``training`` of the copies still in the epoch
    for first in range(0, batches, per_call):
        last = min(first + per_call, batches) - 1
        for position in stepping:
            training[position].callbacks.on_train_batch_begin(first)
        outputs = steps(tuple(copy.index for copy in training), tuple(stepping), tuple(iterators), last - first + 1)
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
    _RELEASING.submit(iterators.clear)


# An iterator read in a traced function waits, as it is deleted, for tf.data's autotuning thread to stop (30 to 160 ms
# each, measured): the epoch's iterators are dropped on a thread of their own while the next epoch trains.
_RELEASING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fused-iterators")


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
    """The traced step of a set of models (cells trained side by side): a call steps each model on its own batches
    through its own ``train_step``, all in one traced function (one per set of copies: a copy that stops leaves the
    set). Models of one network (the same ``graph_key``: seeds, or a constant learning rate) share its traced step
    (``NetworkStep``), traced over the first of them and called with each model's own variables.

    A call steps every copy on steps_per_execution batches in a tf.while_loop (``_repeat``), as ``fit``'s traced
    function loops: faster than a batch per call or unrolled batches (measured: docs/explanation/performance.md)."""

    def __init__(self, models: list[keras.Model], keys: list, batch_spec):
        networks: dict = {}
        for model, key in zip(models, keys):
            networks.setdefault(key, NetworkStep(model))
        self.networks = [
            networks[key]
            if networks[key].template is model or networks[key].serves_others(batch_spec)
            else NetworkStep(model)
            for model, key in zip(models, keys)
        ]
        self.states = [tuple(variable.value for variable in state_of(model)) for model in models]
        for network, model, variables in zip(self.networks, models, self.states):
            network.use(model, variables)
        self.functions: dict[tuple, Callable] = {}

    def __call__(self, zipped: tuple, stepping: tuple, iterators: tuple, count: int) -> list[dict]:
        """``count`` steps of the models at positions ``stepping`` of ``zipped`` (model indices, in the order of the
        ``iterators``, one per model zipped: each steps on the next batches of its own); returns the logs of each
        model's last step."""
        key = (zipped, stepping)
        if key not in self.functions:
            self.functions[key] = self._trace(
                [self.networks[index] for index in zipped], [self.states[index] for index in zipped], stepping
            )
        return self.functions[key](iterators, tf.constant(count))

    @staticmethod
    def _trace(networks: list[NetworkStep], states: list[tuple], stepping: tuple) -> Callable:
        # The models' variables are captured, so a call passes only the iterators and the count (no variables to
        # match against the trace), and handed to each network's step as arguments, so one trace of that step serves
        # all its models.
        @tf.function(autograph=False)
        def steps(iterators, count):
            def step():
                return [networks[at].train(states[at], iterators[at].get_next()) for at in stepping]

            specs = [networks[at].outputs(networks[at].train, states[at], iterators[at]) for at in stepping]
            return _repeat(step, count, specs)

        return steps


def _repeat(step: Callable, count, specs):
    """Run ``step`` (which returns tensors shaped as ``specs``) ``count`` times in a tf.while_loop and return its last
    outputs: one call into the graph for ``count`` batches, as Keras's traced functions loop over steps_per_execution
    batches."""
    _, outputs = tf.while_loop(lambda done, _: done < count, lambda done, _: (done + 1, step()), (0, _zeros(specs)))
    return outputs


def _zeros(specs):
    """Tensors of zeros shaped as ``specs``: a loop's outputs before its first step."""
    return tf.nest.map_structure(lambda spec: tf.zeros(spec.shape, spec.dtype), specs)


class NetworkStep:
    """The traced steps of a network, for every model of it: ``train(variables, batch)`` runs the ``train_step`` of
    ``template`` (any of the models) on the model whose ``state_of`` variables are given and returns its logs;
    ``test`` and ``predict`` run its ``test_step`` and ``predict_step`` (``use`` gives a model its validation and
    test passes on them).

    Each is traced once, with the template's Keras variables pointing at the variables passed in (their values,
    ``_value``, swapped for the trace only), so the graph reads and writes the variables it is given: every model of
    the network steps on it with its own weights, optimiser state, metrics and seed-generator state. A network
    whose step also holds state outside ``state_of`` (a layer of the user's keeping a tf.Variable of its own, not a
    Keras variable) cannot share it: ``serves_others`` says so, and each of its models then traces its own."""

    def __init__(self, template: keras.Model):
        self.template = template
        self.train = self._shared(template.train_step)
        self.test = self._shared(template.test_step)
        self.predict = self._shared(template.predict_step)
        self.test_batches = tf.function(self._test_batches, autograph=False, reduce_retracing=True)

    def outputs(self, traced: Callable, variables: tuple, iterator):
        """What ``traced`` (``train`` or ``test``) returns for a batch of ``iterator``: the specs of its logs."""
        return traced.get_concrete_function(variables, iterator.element_spec).structured_outputs

    def _test_batches(self, variables, iterator, count):
        """Up to ``count`` test steps on the next batches of ``iterator``: how many there were, and the last one's
        logs. As Keras's test function, it takes no batch beyond ``count`` (the next call's)."""

        def step(done, _, batch):
            logs = self.test(variables, batch.get_value())
            batch = tf.cond(done + 1 < count, iterator.get_next_as_optional, lambda: batch)
            return done + 1, logs, batch

        more = lambda done, _, batch: tf.logical_and(done < count, batch.has_value())  # noqa: E731
        zeros = _zeros(self.outputs(self.test, variables, iterator))
        done, logs, _ = tf.while_loop(more, step, (0, zeros, iterator.get_next_as_optional()))
        return done, logs

    def serves_others(self, batch_spec) -> bool:
        """Whether the traced training step reads and writes only the variables it is given (traced here, on the
        template's own, for batches of ``batch_spec``: the trace its later calls use)."""
        variables = tuple(variable.value for variable in state_of(self.template))
        traced = self.train.get_concrete_function(variables, batch_spec)
        given = {variable.handle.ref() for variable in variables}
        return all(tensor.dtype != tf.resource or tensor.ref() in given for tensor in traced.captured_inputs)

    def _shared(self, method: Callable) -> Callable:
        def step(variables, batch):
            with _pointing(self.template, variables):
                return method(batch)

        # under XLA, as keras TensorFlowTrainer compiles its steps (jit_compile); a last, smaller batch is traced
        # once more, shape-relaxed
        return tf.function(step, autograph=False, reduce_retracing=True, jit_compile=self.template.jit_compile)

    def use(self, model: keras.Model, variables: tuple) -> None:
        """``model``'s ``evaluate`` and ``predict`` run on this network's traced steps (with ``variables``, its
        ``state_of``): Keras calls ``model.test_function`` and ``model.predict_function``, which a model traces
        for itself otherwise. Each call takes steps_per_execution batches, as ``fit``'s functions: the same steps
        in the same order."""
        per_call = tf.constant(model.steps_per_execution)

        def test_function(iterator):
            done, logs = self.test_batches(variables, iterator, per_call)
            if done == 0:
                raise StopIteration  # as Keras's test function: the epoch iterator ends the pass
            return logs

        def predict_function(batches):
            return tf.concat([self.predict(variables, batch) for batch in batches], axis=0)

        model.test_function, model.predict_function = test_function, predict_function


def state_of(model: keras.Model) -> list:
    """Every Keras variable a training step of ``model`` reads or writes (weights, BatchNormalization statistics,
    seed-generator state, optimiser and metrics), in one order for every model of its network. The model must be
    built with its optimiser and metrics (``_build``)."""
    seen, state = set(), []
    for variable in [*model.variables, *model.optimizer.variables, *model.metrics_variables]:
        if id(variable) not in seen:
            seen.add(id(variable))
            state.append(variable)
    return state


@contextmanager
def _pointing(template: keras.Model, variables):
    """``template``'s Keras variables read and write ``variables`` (tf.Variables, in ``state_of`` order) until the
    block ends. The optimiser finds a variable's slots by the tf.Variable's id (``_var_key``), so it is told the
    new ids' old ones."""
    state = state_of(template)
    if len(state) != len(variables):
        raise ValueError(f"a model of this network has {len(state)} variables, not {len(variables)}")
    own = [variable._value for variable in state]
    renamed = {new._unique_id: old._unique_id for old, new in zip(own, variables)}
    optimizers = [
        template.optimizer,
        *([template.optimizer.inner_optimizer] if hasattr(template.optimizer, "inner_optimizer") else []),
    ]
    for optimizer in optimizers:
        key = type(optimizer)._var_key.__get__(optimizer)
        optimizer._var_key = lambda variable, key=key: renamed.get(key(variable), key(variable))
    for variable, new in zip(state, variables):
        variable._value = new
    try:
        yield
    finally:
        for variable, value in zip(state, own):
            variable._value = value
        for optimizer in optimizers:
            del optimizer._var_key
