"""Experiment trackers end to end, against the real libraries: MLflow (SQLite store, and a local `mlflow server` for
the HTTP path), W&B in offline mode read back from its run files, TensorBoard read back with its own reader."""

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time

import optuna
import pytest
from common import REPO, TINY, free_port
from optuna.trial import TrialState
from tracked import mlflow_runs, tensorboard_runs, wandb_runs

from ablation_suite.config import Config

STUDY = [sys.executable, str(REPO / "study.py")]
CONFIG_FIELDS = {f.name for f in dataclasses.fields(Config)}
CHILD_TAGS = {"study", "factor", "level", "role", "seed", "pair", "cell", "config_hash"}


def environment(tmp_path) -> dict:
    return {
        **os.environ,
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONUNBUFFERED": "1",
        "WANDB_MODE": "offline",
        "WANDB_DIR": str(tmp_path / "wandb-files"),
    }


def cells_of(db) -> dict:
    """Cell key -> its finished trial, from the study's database (what every tracker must show)."""
    study = optuna.load_study(study_name="bn_placement", storage=f"sqlite:///{db}")
    return {t.user_attrs["cell"]: t for t in study.get_trials(states=(TrialState.COMPLETE,))}


def check_mlflow(uri: str, cells: dict) -> dict:
    runs = mlflow_runs(uri, "bn_placement")
    assert set(runs) == {*cells, "study"}  # one run per cell (mlflow_runs refuses two), and the parent
    parent = runs["study"]
    assert parent["tags"]["question"].startswith("Where should batch normalisation sit")
    assert parent["tags"]["git_commit"] and parent["tags"]["design"] == "ofat"
    assert set(parent["params"]) == CONFIG_FIELDS  # the base Config
    for cell, trial in cells.items():
        run = runs[cell]
        assert run["tags"]["mlflow.parentRunId"] == parent["run"].info.run_id
        assert set(run["tags"]) >= CHILD_TAGS and run["run"].info.status == "FINISHED"
        assert run["tags"]["role"] == ("base" if '"none"' in cell else "level")
        assert run["tags"]["seed"] == run["tags"]["pair"] == str(json.loads(cell)["seed"])
        assert set(run["params"]) == CONFIG_FIELDS and run["params"]["bn"] == json.loads(cell)["bn"]
        assert run["metrics"]["final_test_accuracy"] == pytest.approx(trial.user_attrs["test_accuracy"])
        assert run["history"]["val_accuracy"] == pytest.approx(trial.user_attrs["history"]["val_accuracy"])
        assert run["artifacts"] == ["confusion_matrix.csv"]
    answers = {k: v for k, v in parent["tags"].items() if k.startswith("answer.")}
    assert set(answers) == {"answer.bn.before", "answer.bn.after"}
    assert all(text.endswith("2 seeds") for text in answers.values())
    assert "bn: bn=before:" in parent["tags"]["mlflow.note.content"]
    assert {"answers.csv", "report/index.html", "report/report.pdf"} <= set(parent["artifacts"])
    assert parent["tags"]["ablation_suite.report_runs"] == str(len(cells))  # rendered with every cell
    assert any(path.startswith("report/tables/") and path.endswith(".csv") for path in parent["artifacts"])
    return runs


def check_wandb(folder, cells: dict) -> None:
    runs = wandb_runs(folder)
    assert set(runs) == {*cells, "study"}
    assert runs["study"]["config"]["job_type"] == "study"
    assert set(runs["study"]["summary"]) >= {"answer/bn/before", "answer/bn/after"}
    assert runs["study"]["summary"]["report_runs"] == len(cells)  # the report made with every cell
    for cell, trial in cells.items():
        run = runs[cell]
        assert run["exits"] == 1  # written once, and finished
        assert run["config"]["group"] == "bn_placement" and set(run["config"]) >= CHILD_TAGS
        assert set(run["config"]) >= CONFIG_FIELDS
        assert run["summary"]["final_test_accuracy"] == pytest.approx(trial.user_attrs["test_accuracy"])
        assert run["history"]["val_accuracy"] == pytest.approx(trial.user_attrs["history"]["val_accuracy"])


def check_tensorboard(folder, cells: dict) -> None:
    runs = tensorboard_runs(folder / "bn_placement")
    assert set(runs) == {*cells, "study"}
    for cell, trial in cells.items():
        assert runs[cell]["final/test_accuracy"] == pytest.approx(trial.user_attrs["test_accuracy"])
        assert runs[cell]["epoch/val_accuracy"] == pytest.approx(trial.user_attrs["history"]["val_accuracy"])
        assert "| true \\ predicted |" in runs[cell]["confusion_matrix"]
    assert "bn: bn=after:" in runs["study"]["answer"]
    assert (folder / "bn_placement" / "report" / "index.html").exists()
    assert (folder / "bn_placement" / "report" / ".runs").read_text() == str(len(cells))  # rendered with every cell


def test_a_run_tracked_three_ways_killed_and_resumed_logs_each_cell_once(tmp_path):
    """`run --track mlflow=... --track wandb --track tensorboard=...`, killed (SIGKILL) after two cells were logged
    and run again by two workers: every tracker holds the parent and exactly one finished run per cell, with the
    database's numbers, tags and per-epoch history, and the answer and report on the parent."""
    db, mlflow_uri = tmp_path / "s.db", f"sqlite:///{tmp_path / 'mlflow.db'}"
    argv = [
        *STUDY,
        "run",
        "bn_placement",
        *TINY,
        "--storage",
        f"sqlite:///{db}",
        "--track",
        f"mlflow={mlflow_uri}",
        "--track",
        "wandb",
        "--track",
        f"tensorboard={tmp_path / 'tb'}",
    ]
    env = environment(tmp_path)
    first = subprocess.Popen(argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen, logged = [], 0
    for line in first.stdout:
        seen.append(line)
        logged += line.startswith("logged ") and "MLflow" in line and "W&B" in line and "TensorBoard" in line
        if logged == 2:
            first.kill()
            break
    first.wait(timeout=60)
    assert logged == 2, "".join(seen)
    assert len(cells_of(db)) in (2, 3)  # killed before the end
    # resumed by two workers, each logging the cells it trains (the end of the run, the cells a worker left)
    second = subprocess.run(
        [*argv, "--workers", "2"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert "and its 6 run(s) logged" in second.stdout
    cells = cells_of(db)
    assert len(cells) == 6
    check_mlflow(mlflow_uri, cells)
    check_wandb(tmp_path / "wandb-files", cells)
    check_tensorboard(tmp_path / "tb", cells)


@pytest.fixture
def mlflow_server(tmp_path):
    """`mlflow server` on a free port of 127.0.0.1 (SQLite behind it, artifacts proxied), stopped at the end."""
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--backend-store-uri",
            f"sqlite:///{tmp_path / 'server.db'}",
            "--artifacts-destination",
            str(tmp_path / "server-artifacts"),
            "--workers",
            "1",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    uri = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    import urllib.request

    while True:
        try:
            urllib.request.urlopen(f"{uri}/health", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.time() > deadline:
                server.kill()
                raise AssertionError("mlflow server did not start: " + server.stdout.read()[-3000:]) from None
            time.sleep(0.5)
    yield uri
    server.terminate()
    server.wait(timeout=30)


def test_export_to_back_fills_a_study_made_before_the_trackers_over_http_and_twice_is_once(mlflow_server, tmp_path):
    """A study made by the suite before the trackers existed (tests/fixtures/pre_trackers_bn_placement.db: commit
    39a39e8's `run bn_placement --dataset digits --epochs 1 --seeds 2 --set train_size=200`, recorded in its
    provenance) is back-filled by `export --to` into a real `mlflow server` over HTTP, into W&B's offline files and
    into TensorBoard; a second back-fill writes no new run."""
    db = tmp_path / "s.db"
    shutil.copy(REPO / "tests" / "fixtures" / "pre_trackers_bn_placement.db", db)
    study = optuna.load_study(study_name="bn_placement", storage=f"sqlite:///{db}")
    assert study.user_attrs["provenance"]["git"].startswith("39a39e8")  # made before trackers/ existed
    argv = [*STUDY, "export", "bn_placement", "--storage", f"sqlite:///{db}", "--to", f"mlflow={mlflow_server}"]
    argv += ["--to", "wandb", "--to", f"tensorboard={tmp_path / 'tb'}"]
    env = environment(tmp_path)
    for attempt in range(2):
        done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert f"and its 6 run(s) logged ({6 if attempt == 0 else 0} new)" in done.stdout, done.stdout
    cells = cells_of(db)
    check_mlflow(mlflow_server, cells)
    check_wandb(tmp_path / "wandb-files", cells)
    check_tensorboard(tmp_path / "tb", cells)
    assert not (tmp_path / "runs").exists()  # --to writes to the trackers, not to files


def test_an_unreachable_tracker_stops_the_run_before_anything_is_trained(tmp_path):
    """A tracker that cannot be reached is named (URI without the password) before the study is created."""
    bad = "http://bob:secret@127.0.0.1:9"
    argv = [*STUDY, "run", "bn_placement", *TINY, "--storage", f"sqlite:///{tmp_path / 's.db'}", "--track"]
    done = subprocess.run(
        [*argv, f"mlflow={bad}"], cwd=tmp_path, env=environment(tmp_path), capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "http://bob:***@127.0.0.1:9 cannot be reached" in done.stderr and "secret" not in done.stderr + done.stdout
    assert not (tmp_path / "s.db").exists()
    online = {
        **environment(tmp_path),
        "WANDB_MODE": "online",
        "WANDB_BASE_URL": "http://127.0.0.1:9",
        "WANDB_API_KEY": "k" * 40,
    }
    done = subprocess.run([*argv, "wandb"], cwd=tmp_path, env=online, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "W&B server at http://127.0.0.1:9" in done.stderr, done.stderr
    assert "k" * 40 not in done.stderr and not (tmp_path / "s.db").exists()


def test_export_to_refuses_file_options(finished_study, tmp_path):
    argv = [*STUDY, "export", "bn_placement", "--storage", f"sqlite:///{finished_study}"]
    done = subprocess.run(
        [*argv, "--to", f"tensorboard={tmp_path / 'tb'}", "--history"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 2 and "--to writes to trackers, not files: leave out --history" in done.stderr
    assert list(tmp_path.iterdir()) == []
