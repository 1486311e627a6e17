"""What many tests share (on sys.path through pytest's ``pythonpath``): the repository and tiny CLI options."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"

# A whole ablation in seconds: digits, one or two epochs, a stratified 200-image training set.
TINY = ["--dataset", "digits", "--epochs", "1", "--seeds", "2", "--set", "train_size=200"]

# bn_placement's cells (level, seed) at two seeds
CELLS = sorted((bn, seed) for bn in ("none", "before", "after") for seed in (0, 1))

NESTED = [
    "search",
    "optimizer_lr",
    "--dataset",
    "digits",
    "--epochs",
    "2",
    "--seeds",
    "1",
    "--n-trials",
    "2",
    "--set",
    "train_size=200",
    "--set",
    "batch_size=32",
    "--set",
    "model=baseline1",
    "--set",
    "bn_momentum=0.9",
    "--set",
    "dropout=default",
]


def run_until(argv, cwd, trigger, delay):
    """Start a worker, SIGKILL it when ``trigger`` appears in its output; return what it printed."""
    worker = subprocess.Popen(
        argv,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONUNBUFFERED": "1"},
    )
    lines = []
    for line in worker.stdout:
        lines.append(line)
        if trigger in line:
            time.sleep(delay)
            worker.send_signal(signal.SIGKILL)
            break
    worker.wait(timeout=300)
    worker.stdout.close()
    assert worker.returncode == -signal.SIGKILL, "".join(lines)[-2000:]
    return "".join(lines)


def tails(workers, outputs):
    """What a failing worker printed last (pytest would otherwise cut the middle of long outputs)."""
    return "\n".join(
        f"--- worker {i} exited {w.returncode}:\n"
        + "\n".join(line for line in out.splitlines() if " epoch " not in line)[-3000:]
        for i, (w, out) in enumerate(zip(workers, outputs))
        if w.returncode != 0
    )


def start_workers(count, storage, cwd, *options):
    """``count`` processes running bn_placement's tiny study on one storage, with ``options`` (e.g. --fuse 2)."""
    argv = [sys.executable, str(REPO / "study.py"), "run", "bn_placement", *TINY, *options, "--storage", storage]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "OMP_NUM_THREADS": "1"}
    return [
        subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(count)
    ]


def assert_every_cell_trained_once(storage, workers):
    """The workers all ended well, every cell of bn_placement is complete, and no cell was trained twice (even by a
    losing duplicate); returns what the workers printed."""
    import optuna
    from optuna.trial import TrialState

    outputs = [w.communicate(timeout=600)[0] for w in workers]
    assert [w.returncode for w in workers] == [0] * len(workers), tails(workers, outputs)
    trials = optuna.load_study(study_name="bn_placement", storage=storage).get_trials()
    trained = [t for t in trials if "test_accuracy" in t.user_attrs]
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    key = lambda t: (json.loads(t.user_attrs["cell"])["bn"], json.loads(t.user_attrs["cell"])["seed"])  # noqa: E731
    assert sorted(map(key, complete)) == CELLS
    assert Counter(map(key, trained)) == Counter(CELLS)
    assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    assert sum("completed;" in out for out in outputs) >= 1
    return outputs


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
