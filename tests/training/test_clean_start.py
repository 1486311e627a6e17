"""Every trial starts clean, however many cells a worker trained before it and in which order, also in a
`study.py` process whose start-up is frozen out of the garbage collector (workers.memory.freeze_start_up);
also when it trains on the traced functions of an earlier cell with the same network (training.reuse), which gives
what tracing its own gives, bit for bit; and the validation accuracy the trainer takes from fit's last validation
pass is the one a pass of its own gives."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from common import REPO

from ablation_suite.config import Config
from ablation_suite.training.caches import Caches
from ablation_suite.training.data import load_data
from ablation_suite.training.trainer import evaluate, train, validated_accuracy

TINY = dict(dataset="digits", model="baseline1", train_size=200, epochs=1, batch_size=32, deterministic=True)

# One worker process trains cells in the order of ORDER. A and B share seed 0 (levels of a learning-rate factor),
# C has seed 1: all three share a network, so with the re-use of traced functions (training.reuse, on by default)
# B, C and the second B and A train on the functions traced for the first A. D has dropout and augments in its
# train step (seed-generator state in the model), E trains three epochs in mixed_float16 (loss-scale state) with
# a plateau cut after its second epoch (the multiplier variable); their second runs re-use their first's.
# Each trial reports its initial weights (a digest), whether and how it re-used traced functions, and its results.
ORDER = "ABCDEBADE"
REUSED = "-++--++++"  # + : trained on traced functions of an earlier cell
WORKER = """
import hashlib, json, sys
from ablation_suite.training.quiet import prepare_tensorflow
prepare_tensorflow()
import keras
from ablation_suite.workers.memory import freeze_start_up
freeze_start_up()  # as `ablation-suite run` does before any model is built
from ablation_suite.config import Config
from ablation_suite.training.caches import Caches
from ablation_suite.training.trainer import train

caches = Caches()  # what the worker holds between its trials

def tracings(train_function):  # Keras's train function is a closure over its tf.functions
    return sum(cell.cell_contents.experimental_get_tracing_count() for cell in train_function.__closure__
               if hasattr(cell.cell_contents, "experimental_get_tracing_count"))

class Observed(keras.callbacks.Callback):  # initial weights, and the train function fit called and its tracings
    def on_train_begin(self, logs=None):
        self.digest = hashlib.sha256(b"".join(w.tobytes() for w in self.model.get_weights())).hexdigest()
        self.function, self.traced = self.model.train_function, tracings(self.model.train_function)

    def on_train_end(self, logs=None):
        self.traced = tracings(self.function) - self.traced

plateau = dict(epochs=3, precision="mixed_float16", reduce_lr_on_plateau=True, reduce_lr_patience=1,
               reduce_lr_factor=0.1, reduce_lr_min_delta=10.0)  # no epoch improves by 10: a cut after epoch 2
cells = {{"A": dict(learning_rate=1e-3, seed=0), "B": dict(learning_rate=1e-2, seed=0),
          "C": dict(learning_rate=1e-3, seed=1), "D": dict(dropout="0.3", augmentation="flip+cutout",
          augment_in="train_step"), "E": plateau}}
runs, functions = [], []
for name in {order!r}:
    observed = Observed()
    result = train(Config(**{tiny!r}).replace(**cells[name]), log=lambda *a, **k: None, callbacks=[observed],
                   caches=caches)
    if not any(observed.function is f for f in functions):
        functions.append(observed.function)
    runs.append(dict(cell=name, initial=observed.digest, history=result.history, test=result.test_accuracy,
                     val=result.val_accuracy, matrix=result.confusion_matrix, reused=result.extra["traces_reused"],
                     function=[observed.function is f for f in functions].index(True), traced=observed.traced))
print(json.dumps(runs))
"""


def worker(reuse: str, order: str) -> list[dict]:
    environment = {**os.environ, "ABLATION_REUSE_TRACES": reuse}
    done = subprocess.run(
        [sys.executable, "-c", WORKER.format(repo=str(REPO), tiny=TINY, order=order)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=environment,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def runs():
    return worker("4", ORDER)  # the default


@pytest.fixture(scope="module")
def runs_without_reuse():
    return worker("0", "ABCDE")  # each cell once


def test_a_cell_gives_the_same_result_whatever_ran_before_it_in_the_worker(runs):
    first, second = {}, {}
    for run in runs:
        (second if run["cell"] in first else first)[run["cell"]] = run
    for cell in "ABDE":  # A ran first and last, B after A and after C, D and E after other networks
        assert _result(second[cell]) == _result(first[cell])
    assert first["A"]["history"] != first["B"]["history"]  # else the comparison could not tell cells apart
    assert first["E"]["history"]["learning_rate"] == pytest.approx([1e-3, 1e-3, 1e-4])  # the cut happened


def test_initial_weights_are_the_seeds_at_every_level(runs):
    initial = {run["cell"]: run["initial"] for run in runs}
    assert len({run["initial"] for run in runs if run["cell"] in "AB"}) == 1  # seed 0, both learning rates
    assert initial["C"] != initial["A"]  # seed 1


def test_cells_sharing_a_network_train_on_its_traced_functions_and_give_what_their_own_give(runs, runs_without_reuse):
    assert "".join("+" if run["reused"] else "-" for run in runs) == REUSED
    for index, run in enumerate(runs):  # a re-used train function is the first run's of its network, traced no more
        first = next(earlier for earlier in runs if earlier["cell"] in _network(run["cell"]))
        if run["reused"]:
            assert run["function"] == first["function"] and run["traced"] == 0
        else:
            assert run["function"] not in {earlier["function"] for earlier in runs[:index]} and run["traced"] > 0
    assert not any(run["reused"] for run in runs_without_reuse)
    assert len({run["function"] for run in runs_without_reuse}) == len(runs_without_reuse) == 5
    own = {run["cell"]: _result(run) for run in runs_without_reuse}
    for run in runs:  # bit for bit, every run of every cell
        assert _result(run) == own[run["cell"]]


def _result(run: dict) -> dict:
    return {key: run[key] for key in ("initial", "history", "test", "val", "matrix")}


def _network(cell: str) -> str:
    return "ABC" if cell in "ABC" else cell


def test_the_validation_accuracy_taken_from_fit_is_what_a_pass_of_its_own_gives():
    config = Config(**{**TINY, "deterministic": False}, val_fraction=0.3)  # 539 validation images: a partial batch
    data = load_data(config)
    trained = []

    class Keep(keras.callbacks.Callback):  # the trained model, to evaluate it again after train() returns
        def on_train_end(self, logs=None):
            trained.append(self.model)

    result = train(config, data=data, log=lambda *a, **k: None, callbacks=[Keep()])
    _, own, _ = evaluate(trained[0], data.x_val, data.y_val, config, data.num_classes)
    assert result.val_accuracy == own
    assert result.val_accuracy == validated_accuracy(
        {"val_accuracy": [np.float32(own)]}, config, len(data.y_val), diverged=False
    )


@pytest.mark.parametrize("case", ["no epoch here", "diverged", "restored"])
@pytest.mark.unit
def test_the_trainer_evaluates_validation_itself_when_fit_did_not_see_the_final_weights(case):
    config = (
        Config(**TINY, early_stopping_patience=1, restore_best_weights=True) if case == "restored" else Config(**TINY)
    )
    fitted = {} if case == "no epoch here" else {"val_accuracy": [0.5]}
    assert validated_accuracy(fitted, config, 100, diverged=case == "diverged") is None


NETWORK = """import keras

def build(input_shape, num_classes, config):
    inputs = keras.Input(input_shape)
    hidden = keras.layers.Dense(16, activation="{activation}")(keras.layers.Flatten()(inputs))
    return keras.Model(inputs, keras.layers.Dense(num_classes)(hidden))
"""


def test_a_network_file_of_my_own_edited_between_cells_is_traced_again(tmp_path):
    """An edited file is imported again (baselines.user), e.g. in a notebook; its graph may change where no
    variable does, so a cell after the edit never trains on the functions traced before it."""
    source = tmp_path / "mine.py"
    source.write_text(NETWORK.format(activation="relu"))
    config = Config(**{**TINY, "model": f"{source}:build"})
    caches = Caches()  # one worker's
    before = train(config, log=lambda *a, **k: None, caches=caches)
    assert train(config.replace(seed=1), log=lambda *a, **k: None, caches=caches).extra["traces_reused"]  # same file
    source.write_text(NETWORK.format(activation="tanh"))
    after = train(config, log=lambda *a, **k: None, caches=caches)
    assert not after.extra["traces_reused"] and after.history != before.history
