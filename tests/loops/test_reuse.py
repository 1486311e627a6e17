"""No cell trained twice: a cell whose twin finished in another study of the storage takes its result (loops.reuse);
a changed network file or dataset never matches; --no-reuse trains it."""

import shutil

import numpy as np
import optuna
import pandas as pd
import pytest
from common import TINY
from optuna.trial import TrialState

from ablation_suite.cli import main as study
from ablation_suite.config import Config
from ablation_suite.loops import reuse
from ablation_suite.training.caches import Caches

NETWORK = """
import keras


def net(input_shape, num_classes, config):
    inputs = keras.Input(input_shape)
    x = keras.layers.Flatten()(inputs)
    return keras.Model(inputs, keras.layers.Dense(num_classes)(x))
"""


@pytest.mark.unit
def test_identity_changes_with_the_network_file_the_data_and_the_seed_but_not_an_idle_knob(tmp_path):
    (tmp_path / "models.py").write_text(NETWORK)
    data = tmp_path / "data.npz"
    rng = np.random.default_rng(0)
    x, y = rng.random((60, 8, 8, 1)).astype("float32"), np.repeat(np.arange(3), 20)
    np.savez(data, x_train=x, y_train=y, x_test=x[:30], y_test=y[:30])
    config = Config(model=f"{tmp_path / 'models.py'}:net", dataset=f"npz:{data}", epochs=1)
    caches = Caches()
    first = reuse.identity(config, caches)
    assert reuse.identity(config, Caches()) == first  # stable across processes' caches
    assert reuse.identity(config.replace(seed=1), caches) != first
    # a knob that does nothing here (no early stopping: its patience is idle) is the same set-up
    assert reuse.identity(config.replace(restore_best_weights=True), caches) == first
    (tmp_path / "models.py").write_text(NETWORK + "\n# edited\n")
    assert reuse.identity(config, caches) != first  # a changed network file never matches
    (tmp_path / "models.py").write_text(NETWORK)
    np.savez(data, x_train=x[::-1].copy(), y_train=y, x_test=x[:30], y_test=y[:30])
    assert reuse.identity(config, Caches()) != first  # nor changed data


def test_a_second_study_takes_every_finished_twin_and_no_reuse_trains_them(finished_study, tmp_path, capsys):
    """bn_placement run again under another name in the storage of the finished one: every cell is its twin's
    (reused, no epoch trained), shown by the run, `status`, the export and the report's provenance; with --no-reuse
    the cells train."""
    db = tmp_path / "s.db"
    shutil.copy(finished_study, db)
    storage = ["--storage", f"sqlite:///{db}"]
    assert study.main(["run", "bn_placement", *TINY, *storage, "--study-name", "again"]) == 0
    out = capsys.readouterr().out
    assert out.count("reused from study bn_placement trial #") == 6 and "epoch 1/1" not in out, out
    assert "0 completed, 0 diverged, 0 pruned, 0 failed, 6 reused from other studies in this run" in out
    first = optuna.load_study(study_name="bn_placement", storage=f"sqlite:///{db}")
    again = optuna.load_study(study_name="again", storage=f"sqlite:///{db}")
    originals = {t.user_attrs["cell"]: t for t in first.get_trials(states=(TrialState.COMPLETE,))}
    for trial in again.get_trials(states=(TrialState.COMPLETE,)):
        source = originals[trial.user_attrs["cell"]]
        assert trial.user_attrs["reused_from"] == {"study": "bn_placement", "trial": source.number}
        assert trial.user_attrs["test_accuracy"] == source.user_attrs["test_accuracy"]
        assert trial.user_attrs["history"] == source.user_attrs["history"]
    assert study.main(["status", "bn_placement", *storage, "--study-name", "again"]) == 0
    assert "reused_from" in capsys.readouterr().out
    assert (
        study.main(["export", "bn_placement", *storage, "--study-name", "again", "--out", str(tmp_path / "c.csv")]) == 0
    )
    cells = pd.read_csv(tmp_path / "c.csv")
    assert cells["reused_from"].str.startswith("bn_placement #").all()
    out_dir = tmp_path / "report"
    assert study.main(["report", "bn_placement", *storage, "--study-name", "again", "--out", str(out_dir)]) == 0
    assert "6: #" in (out_dir / "index.html").read_text()  # cells reused from other studies, in the provenance
    capsys.readouterr()
    assert (
        study.main(["run", "bn_placement", *TINY, *storage, "--study-name", "fresh", "--seeds", "1", "--no-reuse"]) == 0
    )
    out = capsys.readouterr().out
    assert "reused" not in out.split("finished:")[0] and "3 completed" in out
