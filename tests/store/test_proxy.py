"""Optuna's gRPC storage proxy: `study.py serve` in front of an SQLite file, three workers on one grid
through `--storage grpc://...`, one of them killed with SIGKILL mid-trial, and one more worker to finish."""

import json
import os
import socket
import subprocess
import sys

import optuna
import pytest
from common import CELLS, REPO, TINY, free_port, run_until, tails
from optuna.trial import TrialState

from ablation_suite.store.storage import open_storage

STUDY = [sys.executable, str(REPO / "study.py")]
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}


@pytest.mark.engines
def test_three_workers_through_the_proxy_one_killed_mid_trial(proxy, tmp_path):
    port, server = proxy
    url = f"grpc://127.0.0.1:{port}"
    run = [*STUDY, "run", "bn_placement", *TINY, "--storage", url, "--recycle-mb", "0"]
    workers = [
        subprocess.Popen(run, cwd=tmp_path, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(2)
    ]
    killed = run_until(run, tmp_path, "epoch 1/1", 0.0)  # the third worker, SIGKILLed as its first cell ends
    outputs = [w.communicate(timeout=300)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], tails(workers, outputs)
    last = subprocess.run(
        run, cwd=tmp_path, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300
    )
    assert last.returncode == 0, last.stdout[-3000:]

    trials = optuna.load_study(study_name="bn_placement", storage=open_storage(url)).get_trials()
    key = lambda t: (json.loads(t.user_attrs["cell"])["bn"], json.loads(t.user_attrs["cell"])["seed"])  # noqa: E731
    assert sorted(map(key, (t for t in trials if t.state == TrialState.COMPLETE))) == CELLS  # each exactly once
    assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    interrupted = [t for t in trials if t.state == TrialState.FAIL and "test_accuracy" not in t.user_attrs]
    assert len(interrupted) >= 1 and "was interrupted" in last.stdout, killed[-2000:]
    assert sum("completed;" in out for out in [*outputs, last.stdout]) >= 1

    for command, said in (("status", "bn_placement"), ("recover", ""), ("export", "exported"), ("report", "")):
        done = subprocess.run(
            [*STUDY, command, "bn_placement", "--storage", url],
            cwd=tmp_path,
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0 and said in done.stdout, f"{command}: {done.stdout[-2000:]}"
    assert (tmp_path / "runs" / "reports" / "bn_placement" / "index.html").is_file()
    assert server.poll() is None  # still serving after every worker came and went


def test_serve_refuses_a_journal_file_and_a_busy_port(tmp_path):
    journal = subprocess.run(
        [*STUDY, "serve", "--storage", f"journal:{tmp_path / 'j.log'}", "--port", str(free_port())],
        cwd=tmp_path,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert journal.returncode == 2 and "cannot serve a journal file" in journal.stderr
    assert not (tmp_path / "j.log").exists()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = subprocess.run(
            [*STUDY, "serve", "--storage", f"sqlite:///{tmp_path / 's.db'}", "--port", str(busy.getsockname()[1])],
            cwd=tmp_path,
            env=ENV,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert taken.returncode == 2 and "cannot listen" in taken.stderr
    unreachable = subprocess.run(
        [*STUDY, "status", "bn_placement", "--storage", f"grpc://127.0.0.1:{free_port()}"],
        cwd=tmp_path,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert unreachable.returncode == 2 and "no storage proxy answers" in unreachable.stderr
