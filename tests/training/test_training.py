"""One trial for real on digits: results are consistent, divergence is an outcome, knobs take effect."""

import math

import numpy as np
import pytest

from ablation_suite.config import LR_SCHEDULE_NAMES, WARMUP_SCHEDULES, Config
from ablation_suite.training.caches import Caches
from ablation_suite.training.data import load_data
from ablation_suite.training.schedules import OPTIMIZERS, learning_rate
from ablation_suite.training.trainer import train

TINY = dict(dataset="digits", train_size=200, epochs=2, batch_size=32)


def quiet(*args, **kwargs):
    pass


@pytest.fixture(scope="module")
def result():
    return train(Config(**TINY), log=quiet)


def test_result_is_consistent(result):
    matrix = np.array(result.confusion_matrix)
    assert matrix.shape == (10, 10) and matrix.sum() == 450
    assert np.isclose(np.trace(matrix) / matrix.sum(), result.test_accuracy)
    assert np.allclose(result.per_class_accuracy, np.diag(matrix) / matrix.sum(axis=1))
    assert result.epochs_run == 2
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"):
        assert len(result.history[key]) == 2
    assert result.history["learning_rate"] == pytest.approx([1e-3, 1e-3])
    assert result.params == 287_722 and result.images_per_second > 0 and not result.diverged
    assert result.test_accuracy > 0.2  # two epochs on 200 digits beat chance (0.1) clearly
    assert result.extra["label_noise_flipped"] == 0.0 and result.extra["setup_seconds"] > 0


def test_same_seed_same_result(result):
    again = train(Config(**TINY), log=quiet)
    assert again.test_accuracy == result.test_accuracy and again.history == result.history


def test_divergence_is_recorded_not_raised():
    diverged = train(Config(**TINY, optimizer="sgd", learning_rate=1e6), log=quiet)
    assert diverged.diverged and diverged.test_loss is None
    assert diverged.history["loss"][-1] is None and diverged.epochs_run >= 1
    assert 0.0 <= diverged.test_accuracy <= 1.0


# reduce_lr_min_delta=10 makes every epoch after the first a plateau: with patience 1 the LR is halved at the end of
# the second epoch and of every epoch after it. The history holds the LR each epoch started with.
PLATEAU = dict(reduce_lr_on_plateau=True, reduce_lr_patience=1, reduce_lr_min_delta=10.0, reduce_lr_monitor="loss")


def scheduled(config: Config, epochs: int) -> list[float]:
    """The LR of ``config``'s schedule (without plateau cuts) at the first step of each epoch."""
    steps = math.ceil(TINY["train_size"] / TINY["batch_size"])
    rate = learning_rate(config, steps)
    return [float(rate(epoch * steps)) if callable(rate) else rate for epoch in range(epochs)]


@pytest.mark.parametrize("schedule", LR_SCHEDULE_NAMES)
def test_plateau_cuts_the_learning_rate_of_every_schedule(schedule):
    warmup = dict(warmup_epochs=1) if schedule in WARMUP_SCHEDULES else {}
    plain = Config(**{**TINY, "epochs": 4}, lr_schedule=schedule, **warmup)
    result = train(plain.replace(**PLATEAU), log=quiet)
    cuts = [1.0, 1.0, 0.5, 0.25]
    assert result.history["learning_rate"] == pytest.approx(
        [cut * lr for cut, lr in zip(cuts, scheduled(plain, 4))], rel=1e-5, abs=1e-12
    )


@pytest.mark.parametrize("restore", [True, False])
def test_early_stopping_stops_and_restores_the_best_weights_if_asked(restore):
    # min_delta=10: only the first epoch counts as an improvement, so patience 1 stops after the second.
    result = train(
        Config(
            **{**TINY, "epochs": 6},
            early_stopping_patience=1,
            early_stopping_min_delta=10.0,
            restore_best_weights=restore,
        ),
        log=quiet,
    )
    assert result.epochs_run == 2
    first, last = result.history["val_accuracy"]
    assert first != last  # else this test could not tell the two weights apart
    assert result.val_accuracy == pytest.approx(first if restore else last)  # evaluated after training


def test_a_checkpoint_trains_every_epoch_and_ends_on_the_best_ones_weights():
    """checkpoint="val_accuracy" (seed report 004's ModelCheckpoint): never stops, whatever the epochs, and the
    weights tested are those of the epoch with the best validation accuracy. Adam at 0.1 on 200 images is
    unstable: its best epoch (the second, deterministic) is not its last, so the two weights can be told apart."""
    config = Config(**{**TINY, "epochs": 6}, learning_rate=0.1, deterministic=True)
    kept, last = (train(config.replace(checkpoint=c), log=quiet) for c in ("val_accuracy", "none"))
    accuracies = kept.history["val_accuracy"]
    assert kept.epochs_run == 6 and accuracies == last.history["val_accuracy"]  # the same run, every epoch
    assert max(accuracies) != accuracies[-1]
    assert kept.val_accuracy == pytest.approx(max(accuracies))  # evaluated after training: the best epoch's weights
    assert last.val_accuracy == pytest.approx(accuracies[-1])


def test_a_schedule_sets_the_learning_rate_recorded_per_epoch():
    # one_cycle rising over 2 of 4 epochs: 1e-3/25 at the start, half-way (cosine) after one epoch, the
    # peak after two, half-way down to 1e-3/25/1e4 after three. The history holds each epoch's first LR.
    result = train(Config(**{**TINY, "epochs": 4}, lr_schedule="one_cycle", warmup_epochs=2), log=quiet)
    start, peak, end = 1e-3 / 25, 1e-3, 1e-3 / 25 / 1e4
    assert result.history["learning_rate"] == pytest.approx(
        [start, (start + peak) / 2, peak, (peak + end) / 2], rel=1e-5
    )


def test_label_noise_and_mixup_train_on_noisy_soft_labels_while_validation_stays_clean():
    config = Config(**TINY, label_noise=0.2, augmentation="mixup")
    data = load_data(config)
    clean = data.y_train.copy()
    result = train(config, data=data, log=quiet)
    assert result.extra["label_noise_flipped"] == 0.2  # 40 of the 200 training labels
    assert np.array_equal(data.y_train, clean)  # the noise lives in the training pipeline only
    # Keras's val_accuracy (one-hot pipeline labels) equals the one computed from the clean integer labels.
    assert result.history["val_accuracy"][-1] == pytest.approx(result.val_accuracy)
    assert all(0.0 <= a <= 1.0 for a in result.history["accuracy"]) and not result.diverged


def test_input_scale_upsamples_in_the_pipeline():
    lines = []
    result = train(Config(**{**TINY, "epochs": 1}, model="conv", input_scale=3), log=lines.append)
    # conv at 24x24 (8x8 upsampled x3): flatten is 2x2x64, so Dense(64) has 256*64+64 weights
    assert result.params == 320 + 18_496 + 36_928 + (256 * 64 + 64) + 650
    assert len(lines) == 1 and lines[0].startswith("epoch 1/1")
    assert load_data(Config(**TINY)).input_shape == (8, 8, 1)  # the stored data stays 8x8


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_every_optimizer_trains(optimizer):
    result = train(
        Config(
            **{**TINY, "epochs": 1},
            optimizer=optimizer,
            momentum=0.9 if optimizer == "sgd" else 0.0,
            nesterov=optimizer == "sgd",
            learning_rate=1e-2 if optimizer != "adadelta" else 1.0,
        ),
        log=quiet,
    )
    assert np.isfinite(result.history["loss"][0]) and not result.diverged


class Crash(Exception):
    pass


class CrashAfter(__import__("keras").callbacks.Callback):
    """Dies at the end of an epoch, after the checkpoint of that epoch is written (like a kill)."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise Crash


def test_interrupted_trial_resumes_at_its_epoch_with_a_continuous_history(tmp_path):
    config = Config(**{**TINY, "epochs": 4})
    first_lines, second_lines = [], []
    with pytest.raises(Crash):
        train(config, log=first_lines.append, callbacks=[CrashAfter(1)], backup_dir=tmp_path / "cell")
    assert (tmp_path / "cell" / "history.json").is_file()
    result = train(config, log=second_lines.append, backup_dir=tmp_path / "cell")
    assert [line.split()[1] for line in first_lines] == ["1/4", "2/4"]
    assert [line.split()[1] for line in second_lines] == ["3/4", "4/4"]  # epochs 1-2 were not trained again
    assert result.epochs_run == 4 and all(len(v) == 4 for v in result.history.values())
    assert result.history["loss"][:2] == [
        pytest.approx(float(line.split("loss=")[1].split()[0]), abs=1e-4) for line in first_lines
    ]
    assert not (tmp_path / "cell").exists()  # removed once the trial finished


def test_an_unreadable_checkpoint_restarts_the_cell_instead_of_failing_it(tmp_path):
    config = Config(**{**TINY, "epochs": 3})
    with pytest.raises(Crash):
        train(config, log=quiet, callbacks=[CrashAfter(0)], backup_dir=tmp_path / "cell")
    for path in (tmp_path / "cell").glob("*.h5*"):
        path.write_bytes(b"killed while writing")
    lines = []
    result = train(config, log=lines.append, backup_dir=tmp_path / "cell")
    assert "checkpoint unreadable" in lines[0]
    assert [line.split()[1] for line in lines[1:]] == ["1/3", "2/3", "3/3"]
    assert result.epochs_run == 3 and len(result.history["loss"]) == 3


def test_plateau_cuts_survive_a_kill(tmp_path):
    plain = Config(**{**TINY, "epochs": 4}, lr_schedule="cosine")
    with pytest.raises(Crash):  # killed after the third epoch, whose end made the second cut
        train(plain.replace(**PLATEAU), log=quiet, callbacks=[CrashAfter(2)], backup_dir=tmp_path / "cell")
    result = train(plain.replace(**PLATEAU), log=quiet, backup_dir=tmp_path / "cell")
    # The fourth epoch trains at both cuts: the multiplier came back with the optimiser's checkpointed state.
    assert result.history["learning_rate"][3] == pytest.approx(0.25 * scheduled(plain, 4)[3], rel=1e-5)


# Early stopping and plateau cuts whose decisions do not depend on the metrics' values: with min_delta 10 only
# the first epoch improves, so the plateau cuts after every later epoch and early stopping ends epoch 3.
DECIDING = dict(
    PLATEAU,
    early_stopping_min_delta=10.0,
    early_stopping_patience=2,
    early_stopping_monitor="loss",
    restore_best_weights=True,
    deterministic=True,
)


@pytest.mark.parametrize("killed_after", [0, 2], ids=["mid-patience", "after-stopping"])
def test_early_stopping_and_plateau_state_survive_a_kill(tmp_path, killed_after):
    """A cell killed mid-trial decides as the uninterrupted cell: its patience counters and best value continue
    (not start over), it stops at the same epoch, and it restores the same best weights (epoch 1's)."""
    config = Config(**{**TINY, "epochs": 6}, **DECIDING)
    whole = train(config, log=quiet, backup_dir=tmp_path / "whole")
    with pytest.raises(Crash):
        train(config, log=quiet, callbacks=[CrashAfter(killed_after)], backup_dir=tmp_path / "killed")
    lines = []
    resumed = train(config, log=lines.append, backup_dir=tmp_path / "killed")
    assert whole.epochs_run == resumed.epochs_run == 3
    assert len([line for line in lines if " epoch " in f" {line}"]) == 2 - killed_after  # epochs trained again
    assert resumed.history == whole.history  # the same cuts, and the same epochs bit for bit
    # both restored epoch 1's weights: the same network, bit for bit (deterministic ops, same seed)
    assert (resumed.test_loss, resumed.test_accuracy) == (whole.test_loss, whole.test_accuracy)


@pytest.mark.parametrize(
    "knobs",
    [
        {},
        {"dropout": "0.3"},
        {"model": "baseline1", "augmentation": "flip", "augment_in": "train_step"},
        {"augmentation": "shift+mixup", "augment_in": "pipeline"},
    ],
    ids=["shuffle", "dropout", "augmented-in-train-step", "augmented-in-pipeline"],
)
def test_a_deterministic_cell_resumes_bit_for_bit(tmp_path, knobs):
    """After a kill the resumed epochs draw what the uninterrupted cell's drew: the training set's shuffle
    (moved on by the epochs done) and the seed generators of the model and of the pipeline's augmentation
    (kept with the checkpoint)."""
    config = Config(**{**TINY, "epochs": 4}, deterministic=True, **knobs)
    whole = train(config, log=quiet, backup_dir=tmp_path / "whole")
    with pytest.raises(Crash):
        train(config, log=quiet, callbacks=[CrashAfter(1)], backup_dir=tmp_path / "killed")
    resumed = train(config, log=quiet, backup_dir=tmp_path / "killed")
    assert resumed.history == whole.history
    assert (resumed.test_loss, resumed.test_accuracy) == (whole.test_loss, whole.test_accuracy)


@pytest.mark.parametrize("lost", ["state", "garbled state", "best weights"])
def test_a_checkpoint_without_its_training_state_resumes_and_says_what_differs(tmp_path, lost):
    """A checkpoint whose training state is missing (an older version wrote it), garbled or refers to lost best
    weights: the cell still resumes at its epoch, and the log says what differs from the uninterrupted cell."""
    config = Config(**{**TINY, "epochs": 3}, **DECIDING)
    with pytest.raises(Crash):
        train(config, log=quiet, callbacks=[CrashAfter(0)], backup_dir=tmp_path / "cell")
    state = tmp_path / "cell" / "training_state.json"
    if lost == "state":
        state.unlink()
    elif lost == "garbled state":
        state.write_text('{"0": {"callb')
    else:
        for path in (tmp_path / "cell").glob("best_weights_epoch*.npz"):
            path.unlink()
    lines = []
    result = train(config, log=lines.append, backup_dir=tmp_path / "cell")
    said = "unusable" if lost == "best weights" else "no training state found with the checkpoint of epoch 1"
    assert said in lines[0] and "patience count from here" in lines[0]
    assert [line.split()[1] for line in lines[1:] if " epoch " in f" {line}"][0] == "2/3" and result.epochs_run >= 2


def test_a_deterministic_trial_does_not_leak_into_the_next_one_of_the_process():
    """Op determinism is process-wide: a worker's deterministic cell must not make the next cells deterministic."""
    from tensorflow.python.framework import config as tf_config

    train(Config(**{**TINY, "epochs": 1}, deterministic=True), log=quiet)
    assert tf_config.is_op_determinism_enabled()
    train(Config(**{**TINY, "epochs": 1}), log=quiet)
    assert not tf_config.is_op_determinism_enabled()


def test_a_trial_resumed_on_a_reused_network_continues_as_on_its_own_and_leaves_no_resume_epoch(tmp_path, monkeypatch):
    """A worker may resume a killed cell on the compiled model of an earlier cell with its network
    (training.reuse): the checkpoint's weights, optimiser state and epoch go into that model, and the next cell
    on it starts at epoch 1 again."""
    config = Config(**TINY, model="baseline1", deterministic=True)

    def resumed(cell, reuse: str):
        monkeypatch.setenv("ABLATION_REUSE_TRACES", reuse)
        caches = Caches()  # the worker's
        with pytest.raises(Crash):  # a killed attempt: its checkpoint after epoch 1
            train(config, log=quiet, callbacks=[CrashAfter(0)], backup_dir=tmp_path / cell, caches=caches)
        if reuse != "0":
            train(config.replace(seed=1), log=quiet, caches=caches)  # another cell with this network, before the resume
        lines = []
        return train(config, log=lines.append, backup_dir=tmp_path / cell, caches=caches), lines, caches

    own, own_lines, _ = resumed("own", "0")
    reused, reused_lines, caches = resumed("reused", "4")
    assert reused.extra["traces_reused"] and not own.extra["traces_reused"]
    assert [line.split()[1] for line in reused_lines] == ["2/2"] == [line.split()[1] for line in own_lines]
    assert reused.history == own.history and reused.test_accuracy == own.test_accuracy
    lines = []
    after = train(config.replace(seed=1), log=lines.append, caches=caches)  # on the model the resume ran on
    assert after.extra["traces_reused"] and [line.split()[1] for line in lines] == ["1/2", "2/2"]
