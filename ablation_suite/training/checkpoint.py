"""A cell's mid-trial checkpoint: a cell killed after epoch k continues at epoch k+1 as if it had never stopped.

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
import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import keras
import numpy as np

# Keras 3's EpochIterator makes an iterator at the start of each epoch and another after its last batch
# (keras/src/trainers/epoch_iterator.py); tests/test_training.py fails if that changes.
ITERATORS_PER_EPOCH = 2
# What each deciding callback's next decision depends on (Keras's attribute names)
STATE = {
    keras.callbacks.EarlyStopping: ("wait", "best", "best_epoch", "stopped_epoch"),
    keras.callbacks.ReduceLROnPlateau: ("wait", "best", "cooldown_counter"),
}


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
