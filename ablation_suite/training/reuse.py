"""Compiled models kept between trials, so cells that share a network re-use its traced step functions.

Tracing a trial's train, test and predict functions is the largest fixed cost of a short trial (about a
second of a 1-epoch trial of the `conv` network on a CPU). Cells that differ only in their seed, or in a
constant learning rate, trace the same graphs: the seed only sets the initial values of variables (weights,
the BatchNormalization statistics and the state of the dropout and augmentation seed generators), and a
constant learning rate lives in the optimiser's learning-rate variable. So a worker keeps the compiled model
of its last few networks (``CompiledModels``) and trains such a cell on it.

Each trial still starts clean: the trainer clears the session, seeds the RNGs and builds and compiles a fresh
model and optimiser exactly as without re-use; the cached model then takes all of the fresh model's variables
and the fresh optimiser's (iterations 0, zero moments, the cell's learning rate, loss-scale state, plateau
multiplier 1), its metrics are reset and fit's resume epoch cleared. Only the traced functions are kept.
A cache hit needs the variables to match one for one (name, shape, dtype); anything else is a miss, and the
fresh model is trained and cached instead. (So a Keras callback that keeps ``self.model`` after its trial holds
a model that a later cell may train again: save what it needs, e.g. the weights, in ``on_train_end``.)

ABLATION_REUSE_TRACES=0 turns the re-use off (every trial traces its own functions, as before);
ABLATION_REUSE_TRACES=N keeps at most N networks (default 4: the driver hands a worker its cells seed by
seed, every variant once per seed, so a factor with up to 4 graph-changing levels still hits from its
second seed on). Each kept network holds its variables (with their optimiser slots) and its graphs, on the
GPU too; ``VARIABLE_BUDGET`` bounds the variables' bytes, the newest network always kept.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from dataclasses import dataclass

import keras
import numpy as np

from ablation_suite.baselines import user
from ablation_suite.config import Config

DEFAULT_ENTRIES = 4
VARIABLE_BUDGET = 512 * 2**20  # bytes of model and optimiser variables kept, over all entries but the newest


@dataclass
class Compiled:
    """A compiled model and its learning rate (training.schedules.learning_rate), as compile_model gave them."""

    model: keras.Model
    rate: object
    reused: bool = False  # trained on traced functions of an earlier trial


def capacity() -> int:
    """How many networks a worker keeps (ABLATION_REUSE_TRACES; 0 = no re-use)."""
    value = os.environ.get("ABLATION_REUSE_TRACES", str(DEFAULT_ENTRIES)).strip()
    if not value.isdigit():
        raise ValueError(
            f"ABLATION_REUSE_TRACES={value!r} must be a whole number: 0 (no re-use of traced "
            f"functions between trials) or how many networks a worker keeps (default {DEFAULT_ENTRIES}); "
            "set it to one, or unset it"
        )
    return int(value)


def graph_key(config: Config, rate, input_shape, num_classes: int) -> tuple:
    """What the traced graphs depend on: the whole Config but the seed, and but the learning rate when the
    compiled ``rate`` is a number (the optimiser holds it in a variable; a schedule, plateau cuts included,
    bakes it into the graph), with the network's input shape and classes, and for a network of the user's
    own the hash of its file (an edited file is imported again, e.g. in a notebook, and may change the graph
    but no variable)."""
    fields = dict(config.to_dict(), seed=None)
    if _a_number(rate):
        fields["learning_rate"] = None
    source = user.file_sha256(config.model) if user.is_user_model(config.model) else None
    return tuple(sorted(fields.items())), tuple(input_shape), int(num_classes), source


class CompiledModels:
    """The compiled models of a worker's last networks, by ``graph_key`` (least recently used first), and of its last
    groups of cells trained side by side (training.fused), by their networks' keys in order, with the shared step
    traced over them."""

    GROUPS = 2  # groups kept: a study's rounds repeat one group of levels seed after seed

    def __init__(self):
        self.entries: OrderedDict[tuple, Compiled] = OrderedDict()
        self.groups: OrderedDict[tuple, tuple[list[Compiled], object]] = OrderedDict()

    def take_group(self, keys: tuple, fresh: list[tuple[keras.Model, object]]) -> tuple[list[Compiled], object]:
        """The models to train side by side and their shared step (None when it must be traced): the kept group
        for ``keys``, each model holding its fresh model's initial state (a hit), else the fresh ones (a miss).
        ``fresh``: (compiled model, rate) per cell; ``keep_group`` keeps a group once it has trained."""
        kept = self.groups.pop(keys, None) if capacity() else None
        if kept is not None and all(_take_state(old.model, model) for old, (model, _) in zip(kept[0], fresh)):
            compiled = [
                Compiled(old.model, rate if _a_number(rate) else old.rate, reused=True)
                for old, (_, rate) in zip(kept[0], fresh)
            ]
            return compiled, kept[1]
        return [Compiled(model, rate) for model, rate in fresh], None

    def keep_group(self, keys: tuple, compiled: list[Compiled], steps) -> None:
        if not capacity():
            return
        self.groups[keys] = (compiled, steps)
        while len(self.groups) > self.GROUPS or (
            len(self.groups) > 1
            and sum(_bytes(c.model) for group, _ in list(self.groups.values())[:-1] for c in group) > VARIABLE_BUDGET
        ):
            self.groups.popitem(last=False)

    def take(self, key: tuple, fresh: keras.Model, rate, entries: int) -> Compiled:
        """The model to train: the cached one for ``key`` holding the fresh, compiled model's initial state
        (a hit), else the fresh one, kept for later cells (a miss). ``rate``: the fresh model's compiled LR."""
        cached = self.entries.pop(key, None)
        if entries and cached is not None and _take_state(cached.model, fresh):
            self.entries[key] = cached
            # CutOnPlateau must cut the multiplier the cached optimiser reads; any other rate is a value
            rate = rate if _a_number(rate) else cached.rate
            return Compiled(cached.model, rate, reused=True)
        if entries:
            self.entries[key] = Compiled(fresh, rate)
            self._evict(entries)
        else:
            self.entries.clear()
        return Compiled(fresh, rate)

    def clear(self) -> None:
        self.entries.clear()
        self.groups.clear()

    def networks(self) -> int:
        """How many compiled networks are kept."""
        return len(self.entries) + sum(len(group) for group, _ in self.groups.values())

    def _evict(self, entries: int) -> None:
        while len(self.entries) > entries:
            self.entries.popitem(last=False)
        while (
            len(self.entries) > 1 and sum(_bytes(e.model) for e in list(self.entries.values())[:-1]) > VARIABLE_BUDGET
        ):
            self.entries.popitem(last=False)


def _a_number(rate) -> bool:
    return isinstance(rate, (int, float))


def _take_state(cached: keras.Model, fresh: keras.Model) -> bool:
    """Give ``cached`` the initial state of ``fresh`` (compiled, unbuilt optimiser): all variables of the model
    and of a freshly built optimiser, reset metrics, no resume epoch. False (nothing assigned) when the two
    do not match variable for variable (name, shape, dtype)."""
    fresh.optimizer.build(fresh.trainable_variables)
    if not cached.optimizer.built:  # its trial never reached a training step (e.g. resumed when complete)
        cached.optimizer.build(cached.trainable_variables)
    pairs = list(zip(cached.variables, fresh.variables)) + list(
        zip(cached.optimizer.variables, fresh.optimizer.variables)
    )
    if (len(cached.variables), len(cached.optimizer.variables)) != (
        len(fresh.variables),
        len(fresh.optimizer.variables),
    ):
        return False
    if any(_signature(target) != _signature(source) for target, source in pairs):
        return False
    for target, source in pairs:
        target.assign(source.value)
    cached.reset_metrics()
    cached._initial_epoch = None  # set by BackupAndRestore when a trial resumes; fit starts from it
    cached.stop_training = False
    return True


def _signature(variable) -> tuple:
    # The name, not the path: an optimiser built inside a LossScaleOptimizer's update has its scope in the path.
    return variable.name, tuple(variable.shape), str(variable.dtype)


def _bytes(model: keras.Model) -> int:
    """Bytes of the model's and its optimiser's variables."""
    variables = list(model.variables) + (list(model.optimizer.variables) if model.optimizer else [])
    return sum(int(np.prod(v.shape, dtype=np.int64)) * np.dtype(v.dtype).itemsize for v in variables)
