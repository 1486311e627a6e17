"""Driver internals that need no training: heartbeats and stale-trial detection."""

import json
import os
import socket
import time

import optuna
import pytest
from optuna.trial import TrialState

from ablation_suite.loops import runner
from ablation_suite.store import resume
from ablation_suite.workers import liveness


def test_heartbeat_keeps_stamping_while_the_cell_trains(tmp_path):
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 'h.db'}")
    trial = study.ask()
    with liveness.Heartbeat(trial, interval=0.05):
        first = study.trials[0].user_attrs["heartbeat"]
        time.sleep(0.3)
        later = study.trials[0].user_attrs["heartbeat"]
    assert later > first


@pytest.mark.unit
def test_a_dead_local_worker_is_stale_at_once_a_live_one_is_not():
    study = optuna.create_study()
    dead = study.ask()
    child = os.fork() if hasattr(os, "fork") else None
    if child == 0:
        os._exit(0)
    os.waitpid(child, 0)  # a pid that certainly no longer runs
    for trial, pid in ((dead, child), (study.ask(), os.getppid())):
        trial.set_user_attr("cell", json.dumps({"seed": trial.number}))
        trial.set_user_attr("worker", {"host": socket.gethostname(), "pid": pid, "started": time.time()})
    stale = liveness.stale_trials(study)
    assert [t.number for t, _ in stale] == [dead.number] and "is gone" in stale[0][1]
    assert liveness.fail_stale_trials(study, log=lambda *a, **k: None) == [{"seed": dead.number}]
    assert [t.state for t in study.trials] == [TrialState.FAIL, TrialState.RUNNING]


def test_an_impossible_data_level_is_refused_before_training():
    """preflight loads every distinct data set-up, not only the base's."""
    import pytest

    from ablation_suite.ablations import Ablation
    from ablation_suite.config import Config
    from ablation_suite.training.data import DataError
    from ablation_suite.workers.preflight import preflight

    ablation = Ablation(question="q", base={}, seeds=1, name="tiny", factors=dict(train_size=[200, 5]))
    with pytest.raises(DataError, match="train_size=5 is smaller than the 10 classes"):
        preflight(ablation, Config(dataset="digits", epochs=1), 1)


def test_an_exception_in_one_cell_is_recorded_and_the_study_goes_on(tmp_path, monkeypatch, capsys):
    """train_size=5 cannot hold 10 classes: that cell fails with its message; the other cell completes."""
    from ablation_suite.ablations import Ablation
    from ablation_suite.cli import main as cli
    from ablation_suite.config import Config

    monkeypatch.chdir(tmp_path)
    ablation = Ablation(
        question="Does a tiny training set fail cleanly?",
        base={},
        seeds=1,
        name="tiny",
        factors=dict(train_size=[200, 5]),
    )
    base = Config(dataset="digits", epochs=1)
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = resume.create_or_resume(url, "tiny", ablation, base, command="test")
    counts = runner.run_cells(
        runner.Run(url, study, ablation, base, 1, log=lambda *a, **k: None), ablation.cells()
    ).counts
    assert counts == {"completed": 1, "failed": 1, "diverged": 0, "pruned": 0, "reused": 0}
    failed = [t for t in study.trials if t.state == TrialState.FAIL]
    assert len(failed) == 1 and "train_size=5 is smaller than the 10 classes" in failed[0].user_attrs["error"]
    assert cli.main(["status", "tiny", "--storage", url]) == 0
    out = capsys.readouterr().out
    assert "1 done" in out and "1 failed" in out and "train_size=5 is smaller" in out


def test_a_file_that_is_not_a_database_exits_2(tmp_path, capsys):
    from ablation_suite.cli import main as cli

    not_a_db = tmp_path / "notes.db"
    not_a_db.write_text("these are my notes, not an Optuna database\n" * 100)
    assert cli.main(["status", "bn_placement", "--storage", f"sqlite:///{not_a_db}"]) == 2
    assert "cannot open the database" in capsys.readouterr().err


@pytest.mark.unit
def test_report_levels_match_whatever_type_the_table_returns():
    import pandas as pd

    from ablation_suite.reports.comparisons import groups

    spec = {"design": "ofat", "factors": {"reg_strength": [0, 1e-4, 1e-3], "batch_size": [32, 256]}}
    frame = pd.DataFrame(
        {"status": ["done"] * 4, "reg_strength": [0.0, 1e-4, 1e-3, 0.0], "batch_size": [32, 32, 32, 256]}
    )
    by_title = {g.title: g for g in groups(frame, spec)}
    assert by_title["reg_strength"].base == "0" and sorted(by_title["reg_strength"].rows["level"]) == [
        "0",
        "0.0001",
        "0.001",
    ]
    assert list(by_title["batch_size"].rows["level"]) == ["32", "256"]


@pytest.mark.unit
def test_status_lists_seeds_in_numeric_order():
    import pandas as pd

    from ablation_suite.store.frame import status_table

    frame = pd.DataFrame(
        dict(
            number=range(4),
            status="done",
            cell=list("abcd"),
            bn=["none"] * 4,
            seed=[10, 2, 1, 3],
            test_accuracy=0.5,
            error=None,
        )
    )
    assert status_table(frame, ["bn"])["seed"].tolist() == [1, 2, 3, 10]
