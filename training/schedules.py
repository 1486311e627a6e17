"""The LR_SCHEDULES table: ``learning_rate(config, steps_per_epoch)`` is what the optimiser is given.

Schedules are Keras LearningRateSchedules evaluated at every optimiser step, with their phases set in
whole epochs of the run (``config.epochs``); ``learning_rate`` is the base (peak) rate; "constant" is a
plain float. With ``reduce_lr_on_plateau`` any of them is multiplied by a factor that ``CutOnPlateau``
lowers on a plateau (``PlateauScaled``): Keras's ReduceLROnPlateau sets ``optimizer.learning_rate``,
which Keras refuses for an optimiser driven by a schedule (TypeError: "its learning rate is not
settable"), so the cut goes into the one multiplier the schedule reads.
"""

from __future__ import annotations

import math

import keras
from keras import ops

from config import Config

STEP_DIVISORS = (1, 10, 100)  # seed report 004: 0.1, 0.01, 0.001 from a base of 0.1
EXPONENTIAL_END = 0.01  # exponential decay ends where "step" ends: learning_rate / 100


class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
    """One-cycle policy (Smith & Topping 2019): the LR rises from peak/25 to the peak over ``rising_steps``,
    then falls to peak/25/1e4 at ``total_steps``; both halves cosine-shaped, the divisors those of
    PyTorch's OneCycleLR defaults."""

    def __init__(self, peak, total_steps, rising_steps, start_divisor=25.0, end_divisor=1e4):
        self.peak, self.total_steps, self.rising_steps = peak, total_steps, rising_steps
        self.start_divisor, self.end_divisor = start_divisor, end_divisor

    def __call__(self, step):
        step = ops.cast(step, "float32")
        start = self.peak / self.start_divisor
        rising = ops.clip(step / self.rising_steps, 0.0, 1.0)
        falling = ops.clip((step - self.rising_steps) / (self.total_steps - self.rising_steps), 0.0, 1.0)
        return ops.where(step < self.rising_steps, _cosine(start, self.peak, rising),
                         _cosine(self.peak, start / self.end_divisor, falling))

    def get_config(self):
        return dict(peak=self.peak, total_steps=self.total_steps, rising_steps=self.rising_steps,
                    start_divisor=self.start_divisor, end_divisor=self.end_divisor)


def _cosine(begin, end, fraction):
    """From ``begin`` (fraction 0) to ``end`` (fraction 1) along half a cosine."""
    return end + (begin - end) * (1.0 + ops.cos(math.pi * fraction)) / 2.0


def _step(c: Config, steps: int):
    # Boundaries are the last step of the epoch before each change (the decay compares step > boundary).
    epochs = (math.ceil(c.epochs / 2), math.ceil(3 * c.epochs / 4))
    return keras.optimizers.schedules.PiecewiseConstantDecay(
        [e * steps - 1 for e in epochs], [c.learning_rate / d for d in STEP_DIVISORS])


LR_SCHEDULES = {
    "constant": lambda c, steps: c.learning_rate,
    # LR for the first half of the epochs, LR/10 to three quarters, LR/100 after (seed report 004).
    "step": _step,
    "exponential": lambda c, steps: keras.optimizers.schedules.ExponentialDecay(
        c.learning_rate, decay_steps=c.epochs * steps, decay_rate=EXPONENTIAL_END),
    # Cosine annealing to 0 over the run (Loshchilov & Hutter 2017, without restarts).
    "cosine": lambda c, steps: keras.optimizers.schedules.CosineDecay(c.learning_rate, c.epochs * steps),
    # Linear warm-up from 0 over warmup_epochs (Goyal et al. 2017), then cosine annealing to 0.
    "warmup_cosine": lambda c, steps: keras.optimizers.schedules.CosineDecay(
        0.0, (c.epochs - c.warmup_epochs) * steps, warmup_target=c.learning_rate,
        warmup_steps=c.warmup_epochs * steps),
    "one_cycle": lambda c, steps: OneCycle(c.learning_rate, c.epochs * steps, c.warmup_epochs * steps),
}


class PlateauScaled(keras.optimizers.schedules.LearningRateSchedule):
    """A learning rate (a float or a schedule) times ``scale``, the product of the plateau cuts so far.

    ``track(optimizer)`` makes ``scale`` a variable of the optimiser, so a checkpoint (BackupAndRestore)
    keeps the cuts made before a kill, as it keeps a float learning rate.
    """

    def __init__(self, rate):
        self.rate, self.scale = rate, None

    def track(self, optimizer: keras.optimizers.Optimizer) -> None:
        self.scale = optimizer.add_variable((), initializer="ones", name="plateau_scale")

    def __call__(self, step):
        return ops.multiply(self.rate(step) if callable(self.rate) else self.rate, self.scale)

    def get_config(self):
        return dict(rate=keras.optimizers.schedules.serialize(self.rate) if callable(self.rate) else self.rate)


class CutOnPlateau(keras.callbacks.ReduceLROnPlateau):
    """Keras's ReduceLROnPlateau (its monitor, patience, factor and min_delta rule, unchanged) cutting the
    multiplier of a PlateauScaled rate instead of setting the optimiser's learning rate."""

    def __init__(self, rate: PlateauScaled, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def _reduce_optimizer_lr(self, optimizer, epoch, name=""):
        # Keras's one hook for a cut (keras/src/callbacks/reduce_lr_on_plateau.py). Were it renamed, Keras's
        # own cut would set the learning rate of a schedule and fail (TypeError), never skip a cut silently;
        # tests/test_training.py checks the cuts.
        self.rate.scale.assign(ops.multiply(self.rate.scale, self.factor))
        return True


def learning_rate(config: Config, steps_per_epoch: int):
    """The optimiser's learning rate: a float or a schedule of the optimiser step, times the plateau
    cuts (a PlateauScaled, to be tracked by the optimiser) when ``config.reduce_lr_on_plateau``."""
    rate = LR_SCHEDULES[config.lr_schedule](config, steps_per_epoch)
    return PlateauScaled(rate) if config.reduce_lr_on_plateau else rate
