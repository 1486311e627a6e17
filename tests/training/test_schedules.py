"""training/schedules.py: every schedule gives the expected learning rate at chosen epochs, and plateau cuts
multiply any of them (tests/test_training.py cuts them in training)."""

import math

import pytest

from ablation_suite import config as C
from ablation_suite.config import Config
from ablation_suite.training.schedules import LR_SCHEDULES, PlateauScaled, learning_rate

STEPS = 10  # optimiser steps per epoch


def config(schedule: str, **changes) -> Config:
    """LR 0.1 over 8 epochs with ``schedule`` (warming up for 2 epochs where it has a warm-up)."""
    warmup = dict(warmup_epochs=2) if schedule in C.WARMUP_SCHEDULES else {}
    return Config(**{"learning_rate": 0.1, "epochs": 8, "lr_schedule": schedule, **warmup, **changes})


def half_cosine(begin, end, fraction):
    return end + (begin - end) * (1 + math.cos(math.pi * fraction)) / 2


# schedule -> {optimiser step: expected LR}; epoch e starts at step e * STEPS, the run ends at step 80.
EXPECTED = {
    "constant": {0: 0.1, 40: 0.1, 79: 0.1},
    # seed report 004: 0.1 for the first half (epochs 0-3), 0.01 to three quarters (4-5), then 0.001
    "step": {0: 0.1, 39: 0.1, 40: 0.01, 59: 0.01, 60: 0.001, 79: 0.001},
    "exponential": {0: 0.1, 40: 0.01, 80: 0.001},
    "cosine": {0: 0.1, 20: half_cosine(0.1, 0.0, 0.25), 40: 0.05, 80: 0.0},
    # linear warm-up from 0 over 2 epochs, then cosine over the remaining 6
    "warmup_cosine": {0: 0.0, 10: 0.05, 20: 0.1, 50: 0.05, 80: 0.0},
    # from 0.1/25 up to 0.1 over 2 epochs, then down to 0.1/25/1e4, both halves cosine
    "one_cycle": {0: 0.004, 10: 0.052, 20: 0.1, 50: half_cosine(0.1, 4e-7, 0.5), 80: 4e-7},
}


@pytest.mark.unit
def test_every_schedule_has_expectations():
    assert set(EXPECTED) == set(LR_SCHEDULES) == set(C.LR_SCHEDULE_NAMES)


@pytest.mark.parametrize("name", C.LR_SCHEDULE_NAMES)
@pytest.mark.unit
def test_schedule_gives_the_expected_learning_rate(name):
    schedule = learning_rate(config(name), STEPS)
    for step, expected in EXPECTED[name].items():
        value = float(schedule(step)) if callable(schedule) else schedule
        assert value == pytest.approx(expected, rel=1e-5, abs=1e-9), f"{name} at step {step}"


@pytest.mark.parametrize("epochs, changes", [(100, (50, 75)), (10, (5, 8)), (3, (2, 3))])
@pytest.mark.unit
def test_step_changes_at_half_and_three_quarters_of_the_epochs(epochs, changes):
    schedule = learning_rate(config("step", epochs=epochs), STEPS)
    per_epoch = [float(schedule(epoch * STEPS)) for epoch in range(epochs)]
    first, second = changes
    assert per_epoch == pytest.approx([0.1] * first + [0.01] * (second - first) + [0.001] * (epochs - second))


@pytest.mark.parametrize("name", C.LR_SCHEDULE_NAMES)
@pytest.mark.unit
def test_plateau_cuts_multiply_every_schedule_through_an_optimizer_variable(name):
    import keras

    rate = learning_rate(config(name, reduce_lr_on_plateau=True), STEPS)
    assert isinstance(rate, PlateauScaled)
    optimizer = keras.optimizers.SGD(rate)
    rate.track(optimizer)
    assert any(variable is rate.scale for variable in optimizer.variables)  # saved with the optimiser's state
    rate.scale.assign(0.25)
    for step, expected in EXPECTED[name].items():
        assert float(rate(step)) == pytest.approx(0.25 * expected, rel=1e-5, abs=1e-9), f"{name} at step {step}"
