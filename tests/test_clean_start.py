"""Every trial starts clean, however many cells a worker trained before it and in which order, also in a
`study.py` process whose start-up is frozen out of the garbage collector (driver.memory.freeze_start_up);
and the validation accuracy the trainer takes from fit's last validation pass is the one a pass of its own gives."""

import json
import subprocess
import sys

import keras
import numpy as np
import pytest

from conftest import REPO
from config import Config
from training.data import load_data
from training.trainer import evaluate, train, validated_accuracy

TINY = dict(dataset="digits", model="baseline1", train_size=200, epochs=1, batch_size=32, deterministic=True)

# One worker process trains cells in two orders: A B C B A. A and B share seed 0 (levels of a learning-rate
# factor), C has seed 1. Each trial reports its initial weights (a digest) and its results.
WORKER = """
import hashlib, json, sys
sys.path.insert(0, {repo!r})
from driver.console import prepare_tensorflow
prepare_tensorflow()
import keras
from driver.memory import freeze_start_up
freeze_start_up()  # as `python study.py run` does before any model is built
from config import Config
from training.trainer import train

class InitialWeights(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.digest = hashlib.sha256(b"".join(w.tobytes() for w in self.model.get_weights())).hexdigest()

cells = {{"A": dict(learning_rate=1e-3, seed=0), "B": dict(learning_rate=1e-2, seed=0),
          "C": dict(learning_rate=1e-3, seed=1)}}
runs = []
for name in "ABCBA":
    weights = InitialWeights()
    result = train(Config(**{tiny!r}).replace(**cells[name]), log=lambda *a, **k: None, callbacks=[weights])
    runs.append(dict(cell=name, initial=weights.digest, history=result.history, test=result.test_accuracy,
                     val=result.val_accuracy, matrix=result.confusion_matrix))
print(json.dumps(runs))
"""


@pytest.fixture(scope="module")
def runs():
    done = subprocess.run([sys.executable, "-c", WORKER.format(repo=str(REPO), tiny=TINY)], capture_output=True,
                          text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_cell_gives_the_same_result_whatever_ran_before_it_in_the_worker(runs):
    first, second = {}, {}
    for run in runs:
        (second if run["cell"] in first else first)[run["cell"]] = run
    for cell in "AB":  # A ran first and last, B after A and after C
        assert second[cell] == first[cell]
    assert first["A"]["history"] != first["B"]["history"]  # else the comparison could not tell cells apart


def test_initial_weights_are_the_seeds_at_every_level(runs):
    initial = {run["cell"]: run["initial"] for run in runs}
    assert len({run["initial"] for run in runs if run["cell"] in "AB"}) == 1  # seed 0, both learning rates
    assert initial["C"] != initial["A"]  # seed 1


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
    assert result.val_accuracy == validated_accuracy({"val_accuracy": [np.float32(own)]}, config, len(data.y_val),
                                                     diverged=False)


@pytest.mark.parametrize("case", ["no epoch here", "diverged", "restored"])
def test_the_trainer_evaluates_validation_itself_when_fit_did_not_see_the_final_weights(case):
    config = Config(**TINY, early_stopping_patience=1, restore_best_weights=True) if case == "restored" \
        else Config(**TINY)
    fitted = {} if case == "no epoch here" else {"val_accuracy": [0.5]}
    assert validated_accuracy(fitted, config, 100, diverged=case == "diverged") is None
