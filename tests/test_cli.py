"""The CLI end to end: a real ablation into a real SQLite database, resume, report, bad input."""

import json
import os
import signal
import subprocess
import sys
import time

import optuna
import pytest
from optuna.trial import TrialState

import study
from conftest import REPO, TINY


def run_cli(*argv):
    return study.main([str(a) for a in argv])


def load(db, name="bn_placement"):
    return optuna.load_study(study_name=name, storage=f"sqlite:///{db}")


@pytest.fixture(scope="module")
def finished_study(tmp_path_factory):
    """bn_placement run once through the CLI on tiny digits (3 levels x 2 seeds)."""
    db = tmp_path_factory.mktemp("study") / "s.db"
    assert run_cli("run", "bn_placement", *TINY, "--storage", f"sqlite:///{db}") == 0
    return db


def test_run_trains_every_cell_once_with_results(finished_study):
    trials = load(finished_study).get_trials(states=(TrialState.COMPLETE,))
    cells = sorted((t.params["bn"], t.params["seed"]) for t in trials)
    assert cells == sorted((bn, seed) for bn in ("none", "before", "after") for seed in (0, 1))
    for trial in trials:
        attrs = trial.user_attrs
        assert 0.0 <= attrs["test_accuracy"] <= 1.0
        assert len(attrs["history"]["val_accuracy"]) == attrs["epochs_run"] == 1
        assert sum(map(sum, attrs["confusion_matrix"])) == 450  # the fixed digits test set
        assert attrs["images_per_second"] > 0 and attrs["params"] > 0
    study_attrs = load(finished_study).user_attrs
    assert study_attrs["base_config"]["dataset"] == "digits"
    assert study_attrs["ablation"]["factors"] == {"bn": ["none", "before", "after"]}


def test_second_run_adds_no_trials(finished_study):
    before = len(load(finished_study).trials)
    assert run_cli("run", "bn_placement", *TINY, "--storage", f"sqlite:///{finished_study}") == 0
    assert len(load(finished_study).trials) == before


def test_more_seeds_adds_only_the_new_cells(tmp_path, finished_study):
    db = tmp_path / "copy.db"
    db.write_bytes(finished_study.read_bytes())
    args = [a if a != "2" else "3" for a in TINY]  # --seeds 3
    assert run_cli("run", "bn_placement", *args, "--storage", f"sqlite:///{db}") == 0
    trials = load(db).get_trials(states=(TrialState.COMPLETE,))
    assert len(trials) == 9 and sorted(t.params["seed"] for t in trials) == [0] * 3 + [1] * 3 + [2] * 3


def test_status_lists_every_cell(finished_study, capsys):
    assert run_cli("status", "bn_placement", "--storage", f"sqlite:///{finished_study}") == 0
    out = capsys.readouterr().out
    assert "6 done" in out and out.count(" done ") >= 6


def test_report_renders_from_database_alone(finished_study, tmp_path):
    out = tmp_path / "report"
    assert run_cli("report", "bn_placement", "--storage", f"sqlite:///{finished_study}", "--out", out) == 0
    page = (out / "index.html").read_text()
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert {"bn_curves.png", "bn_test_accuracy.png", "bn_confusion_base.png"} <= set(pngs)
    for name in pngs:
        assert f'src="{name}"' in page and (out / name).stat().st_size > 5000
    assert "Where should batch normalisation sit" in page and "split fingerprints" in page


def test_resume_with_a_different_base_is_refused(finished_study, capsys):
    before = len(load(finished_study).trials)
    code = run_cli("run", "bn_placement", *TINY, "--set", "batch_size=64", "--storage", f"sqlite:///{finished_study}")
    assert code == 2
    err = capsys.readouterr().err
    assert "batch_size: 32 -> 64" in err and "--study-name" in err
    assert len(load(finished_study).trials) == before


def test_list_and_show(capsys):
    assert run_cli("list") == 0
    out = capsys.readouterr().out
    assert "bn_placement" in out and "baseline2" in out and "conv" in out
    assert run_cli("show", "weight_decay") == 0
    out = capsys.readouterr().out
    assert "grid, 12 variants x 3 seeds = 36 cells" in out


BAD_INPUTS = [
    (["run", "no_such_ablation"], "unknown ablation 'no_such_ablation'"),
    (["run", "bn_placement", "--set", "optimizer=adamm"], "optimizer='adamm' is not known"),
    (["run", "bn_placement", "--set", "batch_size=abc"], "batch_size takes a int"),
    (["run", "bn_placement", "--set", "batch_size=0"], "batch_size=0 must be >= 1"),
    (["run", "bn_placement", "--set", "dropout=1.0"], "every rate must be in [0, 1)"),
    (["run", "bn_placement", "--set", "colour=red"], "unknown --set key(s) 'colour'"),
    (["run", "bn_placement", "--set", "nokeyvalue"], "--set expects key=value"),
    (["run", "bn_placement", "--set", "bn=after"], "bn is a factor of ablation"),
    (["run", "bn_placement", "--seeds", "0"], "--seeds 0"),
    (["run", "bn_placement", "--dataset", "imagenet"], "dataset='imagenet' is not known"),
    (["run", "bn_placement", "--dataset", "npz:/nonexistent.npz"], "no such file"),
    (["run", "bn_placement", "--storage", "redis://x"], "unknown scheme"),
    (["run", "bn_placement", "--dataset", "digits", "--set", "model=conv"], "needs inputs of at least 18x18"),
    (["run", "bn_placement", "--dataset", "digits", "--set", "model=resnet9000"], "not a registered baseline"),
    (["status", "bn_placement"], "does not exist yet"),
    (["report", "bn_placement"], "does not exist yet"),
]


@pytest.mark.parametrize("argv, message", BAD_INPUTS, ids=[" ".join(a) for a, _ in BAD_INPUTS])
def test_bad_input_exits_2_and_writes_nothing(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    storage = [] if "--storage" in argv else ["--storage", f"sqlite:///{tmp_path / 's.db'}"]
    assert run_cli(*argv, *storage) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_killed_run_resumes_with_every_cell_done_exactly_once(tmp_path):
    """SIGKILL mid-trial, resume: every cell is complete once and finished results are untouched."""
    db = tmp_path / "k.db"
    argv = [sys.executable, str(REPO / "study.py"), "run", "bn_placement", "--dataset", "digits", "--epochs", "3",
            "--seeds", "2", "--set", "train_size=300", "--storage", f"sqlite:///{db}"]
    worker = subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    deadline = time.time() + 300
    while time.time() < deadline:
        time.sleep(0.5)
        try:
            trials = load(db).get_trials()
        except KeyError:  # the study is not created yet
            continue
        done = [t for t in trials if t.state == TrialState.COMPLETE]
        if len(done) >= 2 and any(t.state == TrialState.RUNNING for t in trials):
            break
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    before_kill = {t.number: (t.value, t.user_attrs["test_accuracy"]) for t in load(db).get_trials()
                   if t.state == TrialState.COMPLETE}
    assert 2 <= len(before_kill) < 6
    assert any(t.state == TrialState.RUNNING for t in load(db).get_trials())

    resumed = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "was interrupted" in resumed.stdout

    trials = load(db).get_trials()
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    cells = [json.loads(t.user_attrs["cell"]) for t in complete]
    assert sorted((c["bn"], c["seed"]) for c in cells) == sorted(
        (bn, seed) for bn in ("none", "before", "after") for seed in (0, 1))
    assert not [t for t in trials if t.state == TrialState.RUNNING]
    assert [t.state for t in trials if t.state not in (TrialState.COMPLETE,)] == [TrialState.FAIL]
    for number, (value, accuracy) in before_kill.items():
        assert (trials[number].value, trials[number].user_attrs["test_accuracy"]) == (value, accuracy)
