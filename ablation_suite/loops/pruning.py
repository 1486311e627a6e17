"""Optuna pruning inside ``model.fit`` (imports Keras, so loaded only by trials that prune)."""

from __future__ import annotations

import optuna
from optuna_integration import KerasPruningCallback


class StopWhenPruned(KerasPruningCallback):
    """Optuna's Keras pruning callback, but a pruned trial stops training instead of raising.

    Raising TrialPruned inside ``fit`` would lose the trial's history and evaluation; stopping keeps
    both, and the driver then records the trial as PRUNED with its partial history.
    """

    def __init__(self, trial: optuna.Trial, monitor: str = "val_accuracy"):
        super().__init__(trial, monitor)
        self.pruned_at = None  # the 0-based epoch after which the pruner stopped the trial

    def on_epoch_end(self, epoch, logs=None):
        try:
            super().on_epoch_end(epoch, logs)
        except optuna.TrialPruned:
            self.pruned_at = epoch
            self.model.stop_training = True
