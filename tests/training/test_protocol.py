"""`show NAME` prints the training protocol each variant gets, read from the objects the trainer builds."""

import keras
import pytest

from ablation_suite.cli import main as study
from ablation_suite.config import Config
from ablation_suite.training.protocol import protocol
from ablation_suite.training.schedules import describe_schedule, learning_rate


def show(capsys, *argv):
    assert study.main(["show", *argv]) == 0
    return capsys.readouterr().out


def protocol_lines(out: str) -> list[str]:
    return out.split("training protocol (what the trainer builds; variants numbered as above):\n", 1)[1].splitlines()


def test_show_lists_the_plateau_rule_at_its_plateau_level_only(capsys):
    out = show(capsys, "lr_schedule", "--dataset", "digits")
    assert "notes: Seed report 004 trained a ResNet for 100 epochs" in out  # the docs say show prints them
    lines = protocol_lines(out)
    plateau = lines.index(next(line for line in lines if line.startswith("  plateau cuts:")))
    assert lines[plateau] == "  plateau cuts:   off   [variants 0-5]"
    assert lines[plateau + 1].strip() == (
        "ReduceLROnPlateau rule on the schedule: times 0.5 after 3 epochs without loss improving by more than "
        "0.0001 (cooldown 0, min_lr 0)   [variant 6]"
    )
    assert "  optimizer:      SGD learning_rate=0.1, momentum=0.9, nesterov=False" in lines  # one line: all variants
    assert any(
        "step: 0.1 in epochs 1-25, 0.01 in epochs 26-38, 0.001 in epochs 39-50   [variant 1]" in line for line in lines
    )
    assert "  early stopping: off" in lines


def test_show_lists_every_optimiser_with_its_keras_settings(capsys):
    lines = protocol_lines(show(capsys, "optimizer", "--dataset", "digits"))
    # seed report 001: at Keras's defaults (SGD 0.01), SGD with momentum and with Nesterov, RMSprop with momentum
    assert "                  SGD learning_rate=0.01, momentum=0.9, nesterov=False   [variant 1]" in lines
    assert "                  SGD learning_rate=0.01, momentum=0.9, nesterov=True   [variant 2]" in lines
    assert any(
        line.startswith("  optimizer:      Adam learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07")
        for line in lines
    )
    assert "AdamW learning_rate=0.001, weight_decay=0.004" in protocol(Config(optimizer="adamw"))["optimizer"]
    assert (
        "  early stopping: EarlyStopping: after 3 epochs without val_loss improving by more than 0; "
        "restore_best_weights=False" in lines
    )
    assert "  epochs, batch:  50 epochs at most, batch size 256" in lines


def test_show_marks_the_protocol_lines_a_search_varies(capsys):
    lines = protocol_lines(show(capsys, "joint", "--dataset", "digits"))
    assert any(
        line.startswith("  optimizer:      Adam ")
        and line.endswith("(at the base; searched: learning_rate, optimizer)")
        for line in lines
    )
    assert any("per search trial: StopWhenPruned" in line for line in lines)


@pytest.mark.unit
def test_the_protocol_reads_what_keras_builds():
    config = Config(
        optimizer="sgd",
        momentum=0.9,
        nesterov=True,
        learning_rate=0.05,
        early_stopping_patience=4,
        early_stopping_monitor="val_accuracy",
        early_stopping_min_delta=0.01,
        restore_best_weights=True,
        augmentation="flip+cutout",
        augment_in="pipeline",
        label_noise=0.2,
        epochs=1,
    )
    described = protocol(config)
    assert described["optimizer"] == "SGD learning_rate=0.05, momentum=0.9, nesterov=True"
    assert described["early stopping"] == (
        "EarlyStopping: after 4 epochs without val_accuracy improving by more than 0.01; restore_best_weights=True"
    )
    assert described["augmentation"] == (
        "flip (horizontal), cutout (a square of 50% of the side); training batches only, in the tf.data pipeline"
    )
    assert described["label noise"] == "20% of the training labels flipped, each to another class at random"
    assert described["callbacks"] == "TerminateOnNaN, EarlyStopping, EpochLog (history and LR per epoch)"
    assert described["epochs, batch"] == "1 epoch at most, batch size 32"
    assert protocol(Config(precision="mixed_float16"))["optimizer"].endswith("LossScaleOptimizer (mixed_float16)")
    assert described["checkpoint"] == "none" and described["inputs"] == "as loaded; pixels in [0, 1]"
    kept = protocol(Config(checkpoint="val_accuracy", image_size=16, input_scale=2, standardize="image"))
    assert kept["checkpoint"] == "every epoch trained, ending on the weights of the epoch with the best val_accuracy"
    assert kept["inputs"] == (
        "resized to 16x16 (bilinear), upsampled x2 (nearest); each image standardised by its own mean and spread"
    )
    assert kept["callbacks"] == "TerminateOnNaN, BestEpoch, EpochLog (history and LR per epoch)"


@pytest.mark.parametrize("epochs", [1, 2, 7, 20])
@pytest.mark.unit
def test_the_step_schedule_in_words_is_the_built_one(epochs):
    """Each phase the description names is where the built schedule has that rate (evaluated at the first
    step of every epoch, with one step per epoch: the phases are in epochs)."""
    config = Config(lr_schedule="step", learning_rate=0.1, epochs=epochs)
    schedule = learning_rate(config, steps_per_epoch=1)
    built = [float(keras.ops.convert_to_numpy(schedule(epoch))) for epoch in range(epochs)]
    described = []
    for phase in describe_schedule(config).removeprefix("step: ").split(", "):
        rate, _, epochs_text = phase.partition(" in epoch")
        first, _, last = epochs_text.lstrip("s ").partition("-")
        described += [float(rate)] * (int(last or first) - int(first) + 1)
    assert described == pytest.approx(built)
