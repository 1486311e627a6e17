"""The optimiser and its learning rate: the OPTIMIZERS table (optimiser name -> Keras optimiser, built from the
Config and a learning rate: ``create_optimizer``) and the LR_SCHEDULES table (``learning_rate(config,
steps_per_epoch)`` is what the optimiser is given).

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

from ablation_suite.config import Config

STEP_DIVISORS = (1, 10, 100)  # seed report 004: 0.1, 0.01, 0.001 from a base of 0.1
EXPONENTIAL_END = 0.01  # exponential decay ends where "step" ends: learning_rate / 100
ONE_CYCLE_START, ONE_CYCLE_END = 25.0, 1e4  # one-cycle starts at peak / 25 and ends at that / 1e4 (PyTorch's)


class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
    """One-cycle policy (Smith & Topping 2019): the LR rises from peak/25 to the peak over ``rising_steps``,
    then falls to peak/25/1e4 at ``total_steps``; both halves cosine-shaped, the divisors those of
    PyTorch's OneCycleLR defaults."""

    def __init__(self, peak, total_steps, rising_steps, start_divisor=ONE_CYCLE_START, end_divisor=ONE_CYCLE_END):
        self.peak, self.total_steps, self.rising_steps = peak, total_steps, rising_steps
        self.start_divisor, self.end_divisor = start_divisor, end_divisor

    def __call__(self, step):
        step = ops.cast(step, "float32")
        start = self.peak / self.start_divisor
        rising = ops.clip(step / self.rising_steps, 0.0, 1.0)
        falling = ops.clip((step - self.rising_steps) / (self.total_steps - self.rising_steps), 0.0, 1.0)
        return ops.where(
            step < self.rising_steps,
            _cosine(start, self.peak, rising),
            _cosine(self.peak, start / self.end_divisor, falling),
        )

    def get_config(self):
        return dict(
            peak=self.peak,
            total_steps=self.total_steps,
            rising_steps=self.rising_steps,
            start_divisor=self.start_divisor,
            end_divisor=self.end_divisor,
        )


def _cosine(begin, end, fraction):
    """From ``begin`` (fraction 0) to ``end`` (fraction 1) along half a cosine."""
    return end + (begin - end) * (1.0 + ops.cos(math.pi * fraction)) / 2.0


def step_epochs(epochs: int) -> tuple[int, int]:
    """The last epochs at LR and at LR/10 of the step schedule: half and three quarters of the run."""
    return math.ceil(epochs / 2), math.ceil(3 * epochs / 4)


def _step(c: Config, steps: int):
    # Boundaries are the last step of the epoch before each change (the decay compares step > boundary).
    return keras.optimizers.schedules.PiecewiseConstantDecay(
        [e * steps - 1 for e in step_epochs(c.epochs)], [c.learning_rate / d for d in STEP_DIVISORS]
    )


LR_SCHEDULES = {
    "constant": lambda c, steps: c.learning_rate,
    # LR for the first half of the epochs, LR/10 to three quarters, LR/100 after (seed report 004).
    "step": _step,
    "exponential": lambda c, steps: keras.optimizers.schedules.ExponentialDecay(
        c.learning_rate, decay_steps=c.epochs * steps, decay_rate=EXPONENTIAL_END
    ),
    # Cosine annealing to 0 over the run (Loshchilov & Hutter 2017, without restarts).
    "cosine": lambda c, steps: keras.optimizers.schedules.CosineDecay(c.learning_rate, c.epochs * steps),
    # Linear warm-up from 0 over warmup_epochs (Goyal et al. 2017), then cosine annealing to 0.
    "warmup_cosine": lambda c, steps: keras.optimizers.schedules.CosineDecay(
        0.0, (c.epochs - c.warmup_epochs) * steps, warmup_target=c.learning_rate, warmup_steps=c.warmup_epochs * steps
    ),
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


def describe_schedule(c: Config) -> str:
    """The Config's LR schedule in words (what LR_SCHEDULES builds), its phases in epochs of the run."""
    lr, epochs, warmup = c.learning_rate, c.epochs, c.warmup_epochs
    if c.lr_schedule == "step":
        ends = (*step_epochs(epochs), epochs)
        phases = [
            (first, last, lr / divisor)
            for first, last, divisor in zip((1, ends[0] + 1, ends[1] + 1), ends, STEP_DIVISORS)
            if first <= last
        ]
        return "step: " + ", ".join(
            f"{rate:.3g} in epoch{'s' if last > first else ''} {first}" + (f"-{last}" if last > first else "")
            for first, last, rate in phases
        )
    return {
        "constant": lambda: f"constant {lr:.3g}",
        "exponential": lambda: (
            f"exponential decay from {lr:.3g} to {lr * EXPONENTIAL_END:.3g} at the end of epoch {epochs}"
        ),
        "cosine": lambda: f"cosine from {lr:.3g} to 0 over {_epochs(epochs)}",
        "warmup_cosine": lambda: (
            f"linear warm-up from 0 to {lr:.3g} over {_epochs(warmup)}, then cosine to 0 at the end of epoch {epochs}"
        ),
        "one_cycle": lambda: (
            f"one-cycle: from {lr / ONE_CYCLE_START:.3g} up to {lr:.3g} over {_epochs(warmup)}, "
            f"then down to {lr / ONE_CYCLE_START / ONE_CYCLE_END:.3g} at the end of epoch {epochs} "
            "(cosine halves)"
        ),
    }[c.lr_schedule]()


def _epochs(count: int) -> str:
    return f"{count} epoch{'s' if count != 1 else ''}"


def learning_rate(config: Config, steps_per_epoch: int):
    """The optimiser's learning rate: a float or a schedule of the optimiser step, times the plateau
    cuts (a PlateauScaled, to be tracked by the optimiser) when ``config.reduce_lr_on_plateau``."""
    rate = LR_SCHEDULES[config.lr_schedule](config, steps_per_epoch)
    return PlateauScaled(rate) if config.reduce_lr_on_plateau else rate


OPTIMIZERS = {
    "sgd": lambda c, lr: keras.optimizers.SGD(lr, momentum=c.momentum, nesterov=c.nesterov),
    "rmsprop": lambda c, lr: keras.optimizers.RMSprop(lr, momentum=c.momentum),
    "adam": lambda c, lr: keras.optimizers.Adam(lr),
    "adamw": lambda c, lr: keras.optimizers.AdamW(lr),
    "adamax": lambda c, lr: keras.optimizers.Adamax(lr),
    "nadam": lambda c, lr: keras.optimizers.Nadam(lr),
    "adagrad": lambda c, lr: keras.optimizers.Adagrad(lr),
    "adadelta": lambda c, lr: keras.optimizers.Adadelta(lr),
    "ftrl": lambda c, lr: keras.optimizers.Ftrl(lr),
    "lion": lambda c, lr: keras.optimizers.Lion(lr),
}


def create_optimizer(config, learning_rate) -> keras.optimizers.Optimizer:
    return OPTIMIZERS[config.optimizer](config, learning_rate)
