"""Cells trained side by side (training.fused) end as each ends alone: for real on digits, bit for bit when
deterministic, through early stopping, plateau cuts, a diverging neighbour, a kill mid-epoch and a second group on
the first group's traced functions."""

import keras
import pytest
import tensorflow as tf

from ablation_suite.config import Config
from ablation_suite.training.caches import Caches
from ablation_suite.training.fused import SharedSteps, train_fused
from ablation_suite.training.trainer import train

# 200 training images at batch 32: 7 batches per epoch, 3 per call, so an epoch takes 3 calls (the last of 1 batch)
TINY = dict(dataset="digits", train_size=200, epochs=4, batch_size=32, steps_per_execution=3, deterministic=True)
TIMINGS = ("wall_time", "train_time", "images_per_second")
TIMING_EXTRAS = ("setup_seconds", "evaluate_seconds", "examples_seconds", "epoch_seconds", "traces_reused")


def quiet(*args, **kwargs):
    pass


def comparable(result) -> dict:
    """A result without what depends on the clock or the process (timings, trace re-use, the fused width)."""
    values = {key: value for key, value in result.to_dict().items() if key not in TIMINGS}
    values["extra"] = {
        key: value for key, value in values["extra"].items() if key not in (*TIMING_EXTRAS, "trained_beside")
    }
    return values


def alone(configs, **kwargs):
    return [train(config, log=quiet, **kwargs) for config in configs]


# Every copy exercises another part of a cell: dropout, augmentation in the pipeline and in the train step, early
# stopping that ends the copy after its second epoch (nothing improves validation loss by 5), plateau cuts at every
# epoch from the second (nothing improves the training loss by 10), the best epoch's weights, its own learning rate.
COPIES = [
    dict(seed=0, dropout="0.3", augmentation="flip+shift", augment_in="pipeline", early_stopping_patience=1,
         early_stopping_min_delta=5.0),
    dict(seed=1, augmentation="shift", augment_in="train_step", reduce_lr_on_plateau=True, reduce_lr_patience=1,
         reduce_lr_min_delta=10.0, reduce_lr_monitor="loss"),
    dict(seed=2, checkpoint="val_accuracy", learning_rate=0.003),
]  # fmt: skip


def test_cells_side_by_side_end_bit_for_bit_as_alone():
    configs = [Config(**TINY, **copy) for copy in COPIES]
    finished = []
    fused = train_fused(configs, ["a | ", "b | ", "c | "], log=quiet, on_done=lambda index, _: finished.append(index))
    expected = alone(configs)
    assert [comparable(result) for result in fused] == [comparable(result) for result in expected]
    # the parts were exercised: an early stop, plateau cuts, and the stopped copy handed over first
    assert fused[0].epochs_run == 2 and fused[1].epochs_run == fused[2].epochs_run == 4
    rates = fused[1].history["learning_rate"]
    assert rates[1] == rates[0] and rates[2] < rates[1] and rates[3] < rates[2]
    assert finished[0] == 0 and sorted(finished) == [0, 1, 2]
    assert all(result.extra["trained_beside"] == 2 for result in fused)


def test_seeds_of_one_network_share_its_traced_steps_and_end_as_alone():
    """One trace of the training, validation and test steps serves every cell of a network, each on its own
    variables: its weights, dropout and augmentation seed state, optimiser moments and (constant) learning rate."""
    configs = [
        Config(**TINY, seed=seed, dropout="0.3", augmentation="shift", augment_in="train_step", learning_rate=rate)
        for seed, rate in ((0, 0.001), (1, 0.001), (2, 0.003))
    ]
    caches = Caches()
    fused = train_fused(configs, ["", "", ""], log=quiet, caches=caches)
    assert [comparable(result) for result in fused] == [comparable(result) for result in alone(configs)]
    ((_, steps),) = caches.compiled.groups.values()
    assert len({id(network) for network in steps.networks}) == 1
    network = steps.networks[0]
    assert network.train.experimental_get_tracing_count() == 1
    assert network.predict.experimental_get_tracing_count() <= 2  # full batches, and a last smaller one


def test_a_loss_scaled_network_shares_its_step_and_ends_as_alone():
    """Mixed precision wraps the optimiser in a LossScaleOptimizer, whose own variables (the scale) and inner
    optimiser's slots are each cell's own too."""
    configs = [Config(**{**TINY, "epochs": 2}, seed=seed, precision="mixed_float16") for seed in (0, 1)]
    caches = Caches()
    fused = train_fused(configs, ["", ""], log=quiet, caches=caches)
    assert [comparable(result) for result in fused] == [comparable(result) for result in alone(configs)]
    ((compiled, steps),) = caches.compiled.groups.values()
    assert all(isinstance(kept.model.optimizer, keras.optimizers.LossScaleOptimizer) for kept in compiled)
    assert steps.networks[0] is steps.networks[1]


class OwnCounter(keras.layers.Layer):
    """A layer keeping a tf.Variable of its own, outside Keras's variables (as a user's layer may)."""

    def build(self, shape):
        self.counter = tf.Variable(0.0, trainable=False)

    def call(self, x):
        self.counter.assign_add(1.0)
        return x


def small_model(own_state: bool) -> keras.Model:
    inputs = keras.Input((4,))
    hidden = OwnCounter()(inputs) if own_state else inputs
    model = keras.Model(inputs, keras.layers.Dense(2)(hidden))
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    model.optimizer.build(model.trainable_variables)
    model._symbolic_build(data_batch=SPEC)
    return model


SPEC = (tf.TensorSpec((None, 4)), tf.TensorSpec((None, 2)))


@pytest.mark.parametrize("own_state", [False, True])
def test_a_network_holding_state_of_its_own_traces_a_step_per_model(own_state):
    """A shared step would give every model the template's own tf.Variable: such a network is not shared."""
    steps = SharedSteps([small_model(own_state), small_model(own_state)], ["network", "network"], SPEC)
    assert (steps.networks[0] is steps.networks[1]) == (not own_state)


def test_a_diverging_copy_stops_alone_and_leaves_the_others_as_they_are_alone():
    configs = [
        Config(**TINY, seed=0),
        Config(**TINY, seed=1, optimizer="sgd", learning_rate=1e6),
        Config(**TINY, seed=2),
    ]
    fused = train_fused(configs, ["", "", ""], log=quiet)
    assert fused[1].diverged and fused[1].history["loss"][-1] is None and fused[1].epochs_run < 4
    assert not fused[0].diverged and not fused[2].diverged
    expected = alone(configs)
    assert [comparable(result) for result in fused] == [comparable(result) for result in expected]


class Crash(Exception):
    pass


class CrashAt(keras.callbacks.Callback):
    """Dies inside an epoch, after a given call's batches (as a kill would): every copy is mid-epoch."""

    def __init__(self, epoch: int, batch: int):
        super().__init__()
        self.at, self.epoch = (epoch, batch), None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) >= self.at:
            raise Crash


def test_a_round_killed_mid_epoch_resumes_every_copy_exactly(tmp_path):
    configs = [Config(**TINY, seed=seed, dropout="0.2") for seed in range(3)]
    backups = [tmp_path / f"cell{index}" for index in range(len(configs))]
    with pytest.raises(Crash):  # in the third epoch, after its first call
        train_fused(configs, ["", "", ""], log=quiet, backup_dirs=backups, callbacks=[CrashAt(2, 2)])
    lines = []
    resumed = train_fused(configs, ["", "", ""], log=lines.append, backup_dirs=backups)
    assert sum(" epoch 3/4 " in f" {line} " for line in lines) == 3  # each copy trained its third epoch again
    assert sum(" epoch 1/4 " in f" {line} " for line in lines) == 0
    assert [comparable(result) for result in resumed] == [comparable(result) for result in alone(configs)]


def test_a_second_group_trains_on_the_first_groups_traced_functions():
    caches = Caches()
    first = train_fused([Config(**TINY, seed=seed) for seed in (0, 1)], ["", ""], log=quiet, caches=caches)
    configs = [Config(**TINY, seed=seed) for seed in (2, 3)]
    second = train_fused(configs, ["", ""], log=quiet, caches=caches)
    assert not any(result.extra["traces_reused"] for result in first)
    assert all(result.extra["traces_reused"] for result in second)
    assert [comparable(result) for result in second] == [comparable(result) for result in alone(configs)]


def test_cells_whose_epochs_differ_are_not_trained_side_by_side():
    with pytest.raises(ValueError, match="batch size"):
        train_fused([Config(**TINY), Config(**{**TINY, "batch_size": 64})], ["", ""], log=quiet)
