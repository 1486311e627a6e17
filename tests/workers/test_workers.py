"""Several workers, one storage: the same `run` command started three times shares the cells.

The PostgreSQL server is real (pgserver ships the binaries and starts it on a Unix socket, no root);
if it cannot start, the test fails rather than skips.
"""

import json
import os
import subprocess
import sys
from collections import Counter

import optuna
import pytest
from common import CELLS, REPO, TINY, assert_every_cell_trained_once, start_workers, tails
from optuna.trial import TrialState


@pytest.fixture
def postgres_url(tmp_path):
    import pgserver

    server = pgserver.get_server(tmp_path / "pgdata", cleanup_mode="stop")
    yield server.get_uri()
    server.cleanup()


@pytest.mark.engines
def test_three_workers_share_one_postgres_study(postgres_url, tmp_path):
    outputs = assert_every_cell_trained_once(postgres_url, start_workers(3, postgres_url, tmp_path))
    assert sum(out.count("completed;") for out in outputs) == len(CELLS)


def test_workers_option_shares_a_journal_file_and_recycles_workers(tmp_path):
    """One command with --workers 2 (the second worker started by the first) and a memory limit so low
    that workers restart themselves between trials whenever their memory grew: each cell is still
    trained exactly once, worker 0 waits for the other one across its own restarts, and its final
    counts add up over its restarts."""
    storage = f"journal:{tmp_path / 'study.log'}"
    argv = [
        sys.executable,
        str(REPO / "study.py"),
        "run",
        "bn_placement",
        *TINY,
        "--storage",
        storage,
        "--workers",
        "2",
        "--recycle-mb",
        "1",
        "--fuse",
        "off",  # a worker restarts between groups of cells; one cell per group, so between cells, as this test needs
    ]
    # No network kept for re-use (training.reuse): the memory watch takes a trial after which a worker keeps more
    # networks than ever as its new reference (every trial here: each is a new bn level), and a network that
    # replaces the one kept may hand memory back; without re-use every trial's growth counts, as this test needs.
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "ABLATION_REUSE_TRACES": "0"}
    worker_0 = subprocess.Popen(
        argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output = worker_0.communicate(timeout=600)[0]
    assert worker_0.returncode == 0, tails([worker_0], [output])
    assert "absl::InitializeLog" not in output and "oneDNN" not in output  # quiet workers, restarts included
    journal = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(tmp_path / "study.log")))
    trials = [
        t
        for t in optuna.load_study(study_name="bn_placement", storage=journal).get_trials()
        if "test_accuracy" in t.user_attrs
    ]
    trained = Counter(
        (json.loads(t.user_attrs["cell"])["bn"], json.loads(t.user_attrs["cell"])["seed"]) for t in trials
    )
    assert trained == Counter(CELLS)
    assert len({t.user_attrs["worker"]["pid"] for t in trials}) == 2  # both workers trained
    # whichever worker created the study, it recorded the command typed, not the extra worker's own
    recorded = optuna.load_study(study_name="bn_placement", storage=journal).user_attrs["command"]
    assert recorded == "ablation-suite " + " ".join(argv[2:]), recorded
    restarts = output.count("restarting this worker to hand its memory back")
    assert restarts >= 1, output
    # A restarted process (same PID) counts its trials from 1 again. A restart may find that the other worker
    # took the last cells (hence <=, and a run may show no restarted process that trained: whether memory
    # grows after a given trial is up to TensorFlow's allocator).
    by_process = {}
    for t in sorted(trials, key=lambda t: t.number):
        by_process.setdefault(t.user_attrs["worker"]["pid"], []).append(t.user_attrs["process"]["process_trial"])
    assert sum(numbers.count(1) - 1 for numbers in by_process.values()) <= restarts, (by_process, restarts)
    final = next(line for line in reversed(output.splitlines()) if line.startswith("finished:"))  # then its answers
    assert f"finished: {len(by_process[worker_0.pid])} completed" in final, final
    assert "by this worker (1 more worker(s) exited with [0])" in final, final


def test_two_workers_share_one_nested_search(tmp_path):
    """Both workers run the same `search` command: each level's budget is spent exactly once between
    them and each level's tuned cell is trained once."""
    from common import NESTED

    storage = f"journal:{tmp_path / 'search.log'}"
    value_at = NESTED.index("--n-trials") + 1  # one trial per level keeps this test short
    argv = [
        sys.executable,
        str(REPO / "study.py"),
        *NESTED[:value_at],
        "1",
        *NESTED[value_at + 1 :],
        "--storage",
        storage,
    ]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "OMP_NUM_THREADS": "1"}
    workers = [
        subprocess.Popen(argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(2)
    ]
    outputs = [w.communicate(timeout=600)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], tails(workers, outputs)
    assert all("trial 1/1]" in out for out in outputs), "a worker did no search work"
    journal = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(tmp_path / "search.log")))
    for level in ("adam", "rmsprop", "sgd", "adamax"):
        trials = optuna.load_study(study_name=f"optimizer_lr/search/optimizer={level}", storage=journal).get_trials()
        trained = [t for t in trials if "test_accuracy" in t.user_attrs]
        assert len(trained) == 1 and all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trained)
    cells = optuna.load_study(study_name="optimizer_lr", storage=journal).get_trials()
    trained = Counter(t.params["optimizer"] for t in cells if "test_accuracy" in t.user_attrs)
    assert trained == Counter(["adam", "rmsprop", "sgd", "adamax"])


POP_ALL = """
import json, sys
import optuna
from ablation_suite.store.storage import open_storage
study = optuna.load_study(study_name="queue", storage=open_storage(sys.argv[1]))
popped = []
while (trial_id := study._pop_waiting_trial_id()) is not None:  # what study.ask() does with a queue
    popped.append(trial_id)
print(json.dumps(popped))
"""


def test_two_workers_popping_one_sqlite_queue_never_take_the_same_trial(tmp_path):
    """Optuna marks a waiting trial running by reading it, then writing it; on SQLite that is atomic only
    when the transaction takes the write lock at once (store.storage). Without it two processes took the
    same trial, and trained its cell twice, about 10 times in 300."""
    from ablation_suite.store.storage import open_storage

    url = f"sqlite:///{tmp_path / 'queue.db'}"
    study = optuna.create_study(study_name="queue", storage=open_storage(url))
    for x in range(300):
        study.enqueue_trial({"x": x})
    workers = [
        subprocess.Popen([sys.executable, "-c", POP_ALL, url], cwd=REPO, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    popped = [json.loads(worker.communicate(timeout=300)[0]) for worker in workers]
    assert all(worker.returncode == 0 for worker in workers)
    assert all(popped) and not set(popped[0]) & set(popped[1])  # both took some; none took one the other took
    assert sorted(popped[0] + popped[1]) == sorted(t._trial_id for t in study.get_trials())
