"""The callbacks that decide and record a cell's epochs (``training_callbacks``: divergence, early stopping,
plateau cuts, the best epoch; ``EpochLog``: the history) and the cell's mid-trial checkpoint: a cell killed after
epoch k continues at epoch k+1 as if it had never stopped.

Keras's BackupAndRestore keeps the weights, the optimiser's state (its step, moments and the plateau multiplier)
and the epoch. What it does not keep is the state of the callbacks that decide from the epochs so far: early
stopping's and the plateau cut's best value and patience counters, and the weights early stopping will restore.
Nor does it keep the model's seed generators (dropout, augmentation in the train step). Without them a resumed
cell would start its patience over, restore the best weights seen since the kill and draw other dropout masks:
a different network than the uninterrupted cell's. ``Checkpoint`` writes that state beside the weights after
every epoch (before them, keyed by epoch, so whichever of the two weight checkpoints a kill leaves readable
finds its own), with the seed states of the training set's augmentation when it runs in the tf.data pipeline,
puts it back on resume and moves the training set's shuffle on to the epoch resumed: a deterministic cell
resumes bit for bit. (Not guarded: a kill inside Keras's own save, between the weights and the epoch it writes
after them, which would train that epoch twice.)
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import keras
import numpy as np

from ablation_suite.config import Config
from ablation_suite.training.schedules import CutOnPlateau

# Keras 3's EpochIterator makes an iterator at the start of each epoch and another after its last batch
# (keras/src/trainers/epoch_iterator.py); tests/test_training.py fails if that changes.
ITERATORS_PER_EPOCH = 2
# What each deciding callback's next decision depends on (Keras's attribute names)
STATE = {
    keras.callbacks.EarlyStopping: ("wait", "best", "best_epoch", "stopped_epoch"),
    keras.callbacks.ReduceLROnPlateau: ("wait", "best", "cooldown_counter"),
}


class EpochLog(keras.callbacks.Callback):
    """The per-epoch history (metrics and the LR each epoch trained with), printed as it grows.

    With ``path`` the history is also saved after every epoch and reloaded on start, so a trial
    resumed by BackupAndRestore ends with one continuous history. Records are keyed by epoch: an
    epoch re-run after a kill replaces its record.
    """

    def __init__(self, epochs, prefix="", log=print, path=None):
        super().__init__()
        self.epochs, self.prefix, self.log, self.path = epochs, prefix, log, path
        self.records, self.seconds = {}, {}  # seconds: epochs trained by this process only
        if path is not None and path.is_file():
            self.records = {int(k): v for k, v in json.loads(path.read_text()).items()}

    def on_epoch_begin(self, epoch, logs=None):
        # Read at the start: plateau callbacks change the LR at an epoch's end, for the next epoch. With a
        # schedule this is its value at the epoch's first step (Keras evaluates it at optimizer.iterations).
        self.learning_rate = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        self.epoch_started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        record = {k: finite_or_none(v) for k, v in (logs or {}).items() if k != "learning_rate"}
        self.records[epoch] = {**record, "learning_rate": self.learning_rate}
        self.seconds[epoch] = time.perf_counter() - self.epoch_started  # with its validation pass
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_whole(self.path, json.dumps(self.records))
        metrics = " ".join(
            f"{k}={record[k]:.4f}" if record[k] is not None else f"{k}=nan"
            for k in ("loss", "accuracy", "val_loss", "val_accuracy")
            if k in record
        )
        self.log(f"{self.prefix}epoch {epoch + 1}/{self.epochs} {metrics} lr={self.learning_rate:.3g}")

    def forget(self):
        """Drop the reloaded history (its checkpoint was unusable, so training starts over)."""
        self.records = {}

    def history(self) -> dict:
        epochs = sorted(self.records)
        keys = dict.fromkeys(k for e in epochs for k in self.records[e])
        return {k: [self.records[e].get(k) for e in epochs] for k in keys}


def training_callbacks(config: Config, rate) -> list:
    """Keras callbacks for the Config's stopping and plateau knobs, plus divergence detection; ``rate``
    is the compiled learning rate (compile_model), whose multiplier plateau cuts lower."""
    callbacks = [keras.callbacks.TerminateOnNaN()]
    if config.early_stopping_patience:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor=config.early_stopping_monitor,
                patience=config.early_stopping_patience,
                min_delta=config.early_stopping_min_delta,
                restore_best_weights=config.restore_best_weights,
            )
        )
    if config.reduce_lr_on_plateau:
        callbacks.append(
            CutOnPlateau(
                rate,
                monitor=config.reduce_lr_monitor,
                patience=config.reduce_lr_patience,
                factor=config.reduce_lr_factor,
                min_delta=config.reduce_lr_min_delta,
            )
        )
    if config.checkpoint != "none":
        callbacks.append(BestEpoch(config.checkpoint))
    return callbacks


class BestEpoch(keras.callbacks.EarlyStopping):
    """Config.checkpoint: end on the weights of the epoch best by ``monitor``, training every epoch.

    Keras's EarlyStopping keeps those weights and puts them back when fit ends; with a patience no run reaches it
    never stops, whatever the epochs. Being an EarlyStopping, a killed cell resumes with the weights and the best
    value it had (training.checkpoint keeps that state), which a ModelCheckpoint's file would need kept apart."""

    def __init__(self, monitor: str):
        super().__init__(monitor=monitor, patience=sys.maxsize, restore_best_weights=True)


class Checkpoint(keras.callbacks.BackupAndRestore):
    """BackupAndRestore that keeps the previous checkpoint too, keeps the deciding callbacks' state with the
    weights and, if a kill left both checkpoints unreadable, starts the cell over instead of failing it.

    ``deciding``: the trial's callbacks before this one in fit's list (so their epoch's decision is made when
    this one saves); those of a kind in STATE have their state kept."""

    def __init__(self, backup_dir: Path, epoch_log, log, deciding=(), train_set=None, pipeline_random=()):
        super().__init__(str(backup_dir), double_checkpoint=True)
        self.epoch_log, self.log, self.train_set = epoch_log, log, train_set
        self.pipeline_random = list(pipeline_random)  # seed states of the training set's augmentation
        self.deciding = [callback for callback in deciding if _kind(callback)]
        self.states_path = Path(backup_dir) / "training_state.json"

    def on_train_begin(self, logs=None):
        try:
            super().on_train_begin(logs)
        except (OSError, ValueError, KeyError) as error:
            self.log(f"{self.epoch_log.prefix}checkpoint unreadable ({error}); training this cell from epoch 1")
            for pattern in ("*.h5*", "training_metadata.json*", self.states_path.name, "best_weights_epoch*"):
                for path in Path(self.backup_dir).glob(pattern):
                    path.unlink()
            self.model._initial_epoch = 0
            self.epoch_log.forget()
        if self.model._initial_epoch:
            self._restore(self.model._initial_epoch - 1)
            if self.train_set is not None and self.model._initial_epoch < self.params["epochs"]:
                # Each iterator of the training set draws its shuffle from the dataset's seed generator when it
                # is made, and fit makes ITERATORS_PER_EPOCH per epoch: making (and dropping) as many for the
                # epochs done gives the resumed epoch the order it had in the uninterrupted cell.
                for _ in range(ITERATORS_PER_EPOCH * self.model._initial_epoch):
                    iter(self.train_set)

    def on_epoch_end(self, epoch, logs=None):
        self._save(epoch)
        super().on_epoch_end(epoch, logs)  # the weights, after the state they need

    def _save(self, epoch: int) -> None:
        # A resume needs the state of the last epoch or, if its weights are unreadable, of the one before
        states = {key: state for key, state in self._states().items() if int(key) >= epoch - 1}
        states[str(epoch)] = {
            "callbacks": [self._state_of(callback) for callback in self.deciding],
            "random": [variable.numpy().tolist() for variable in self._random_state()],
        }
        write_whole(self.states_path, json.dumps(states))
        kept = {
            state.get("best_weights")
            for key in (str(epoch), str(epoch - 1))
            for state in states.get(key, {}).get("callbacks", [])
        }
        for path in Path(self.backup_dir).glob("best_weights_epoch*.npz"):  # those neither checkpoint needs
            if path.name not in kept:
                path.unlink()

    def _state_of(self, callback) -> dict:
        state = {name: _plain(getattr(callback, name)) for name in STATE[_kind(callback)]}
        if isinstance(callback, keras.callbacks.EarlyStopping) and callback.best_weights is not None:
            name = f"best_weights_epoch{callback.best_epoch}.npz"
            path = Path(self.backup_dir) / name
            if not path.is_file():  # written once per best epoch
                write_whole(path, lambda file: np.savez(file, *callback.best_weights))
            state["best_weights"] = name
        return state

    def _restore(self, epoch: int) -> None:
        try:
            self._put_back(self._states().get(str(epoch)), epoch)
        except (OSError, ValueError, KeyError) as error:  # e.g. best weights lost: the weights still hold
            self.log(
                f"{self.epoch_log.prefix}training state of epoch {epoch + 1} unusable ({error}); early "
                "stopping and plateau patience count from here, and dropout and augmentation draw differently "
                "from the uninterrupted cell"
            )
            self.states_path.unlink(missing_ok=True)

    def _put_back(self, saved: dict | None, epoch: int) -> None:
        if saved is None:
            if self.deciding or self._random_state():
                self.log(
                    f"{self.epoch_log.prefix}no training state found with the checkpoint of epoch {epoch + 1} "
                    "(an older version wrote it, or it was lost): early stopping and plateau patience count "
                    "from here, and dropout and augmentation draw differently from the uninterrupted cell"
                )
            return
        for callback, state in zip(self.deciding, saved["callbacks"]):
            for name in STATE[_kind(callback)]:
                setattr(callback, name, state[name])
            if state.get("best_weights"):
                with np.load(Path(self.backup_dir) / state["best_weights"]) as arrays:
                    callback.best_weights = [arrays[f"arr_{i}"] for i in range(len(arrays.files))]
        for variable, value in zip(self._random_state(), saved["random"], strict=True):
            variable.assign(np.asarray(value, dtype=variable.dtype))
        if any(getattr(callback, "stopped_epoch", 0) for callback in self.deciding):
            # Killed after early stopping ended the cell: train no further epoch (its best weights still return)
            self.model._initial_epoch = self.params["epochs"]

    def _random_state(self) -> list:
        """The variables the weight checkpoint leaves out: the model's seed generator states (dropout,
        augmentation in the train step), then those of the training set's augmentation."""
        weights = {id(weight) for weight in self.model.weights}
        return [variable for variable in self.model.variables if id(variable) not in weights] + self.pipeline_random

    def _states(self) -> dict:
        try:
            return json.loads(self.states_path.read_text())
        except (OSError, ValueError):  # none yet, or lost: each epoch writes it whole again
            return {}


def _kind(callback):
    return next((kind for kind in STATE if isinstance(callback, kind)), None)


def _plain(value):
    """A callback's number as JSON keeps it: Keras keeps some as NumPy or tensor scalars."""
    return None if value is None else (int(value) if isinstance(value, (int, np.integer)) else float(value))


def write_whole(path: Path, content: str | Callable[[BinaryIO], object]) -> None:
    """Written whole and flushed to disk, then renamed: neither a kill nor a node's crash leaves half a file.
    ``content`` is text, or a function that writes to the open binary file (no copy of it in memory)."""
    partial = path.with_suffix(".partial")
    with open(partial, "w" if isinstance(content, str) else "wb") as file:
        file.write(content) if isinstance(content, str) else content(file)
        file.flush()
        os.fsync(file.fileno())
    os.replace(partial, path)


def finite_or_none(value):
    value = float(value)
    return value if math.isfinite(value) else None
