"""Driver internals that need no training: heartbeats and stale-trial detection."""

import json
import os
import socket
import time

import optuna
from optuna.trial import TrialState

from driver import runner


def test_heartbeat_keeps_stamping_while_the_cell_trains(tmp_path):
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 'h.db'}")
    trial = study.ask()
    with runner.Heartbeat(trial, interval=0.05):
        first = study.trials[0].user_attrs["heartbeat"]
        time.sleep(0.3)
        later = study.trials[0].user_attrs["heartbeat"]
    assert later > first


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
    stale = runner.stale_trials(study)
    assert [t.number for t, _ in stale] == [dead.number] and "is gone" in stale[0][1]
    assert runner.fail_stale_trials(study, log=lambda *a, **k: None) == 1
    assert [t.state for t in study.trials] == [TrialState.FAIL, TrialState.RUNNING]
