"""Is a running trial's worker alive? Heartbeats while a cell trains, and the rule that declares a
silent trial stale so its cell is trained again.

The heartbeat is a trial user attribute (store.record), so it works the same on SQLite, journal
files and PostgreSQL (Optuna's own heartbeat exists for RDB storages only). A RUNNING trial is stale
when its worker process on this host is gone, when this process is the requeued SLURM task that
started it, or when a worker on any host has been silent for longer than the grace period.
"""

from __future__ import annotations

import os
import socket
import threading

import optuna
from optuna.trial import TrialState

from ablation_suite.store import record
from ablation_suite.workers.launchers import requeued_from

HEARTBEAT_SECONDS = 20  # how often a running trial records that its worker is alive
GRACE_SECONDS = 120  # a RUNNING trial silent for longer belongs to a dead worker (any host)


def stale_trials(study: optuna.Study, grace: float = GRACE_SECONDS) -> list[tuple[object, str]]:
    """RUNNING cell trials whose worker is gone, with the reason: a dead local pid or a stale heartbeat."""
    host, stale = socket.gethostname(), []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        worker = record.trial_worker(trial)
        silent = record.silence(trial)
        if requeued := requeued_from(worker):  # a preempted SLURM task back on any node: its old self is gone
            stale.append((trial, requeued))
        elif worker.get("host") == host and not _alive(worker.get("pid", -1)):
            stale.append((trial, f"worker pid {worker.get('pid')} on this host is gone"))
        elif silent > grace:
            stale.append((trial, f"no heartbeat from {worker.get('host')}:{worker.get('pid')} for {silent:.0f} s"))
    return stale


def fail_stale_trials(study: optuna.Study, grace: float = GRACE_SECONDS, log=print) -> list[dict]:
    """Mark FAIL every stale RUNNING trial so its cell is run again; returns their cells."""
    cells = []
    for trial, reason in stale_trials(study, grace):
        study.tell(trial.number, state=TrialState.FAIL)
        cell = record.trial_cell(trial)
        cells.append(cell)
        log(f"trial #{trial.number} ({record.describe_cell(cell)}) was interrupted ({reason}); its cell will be re-run")
    return cells


class Heartbeat:
    """Context manager: a daemon thread that stamps the trial's heartbeat while the cell trains."""

    def __init__(self, trial, interval: float = HEARTBEAT_SECONDS):
        self.trial, self.interval, self.stop = trial, interval, threading.Event()

    def __enter__(self):
        record.stamp_heartbeat(self.trial)
        self.thread = threading.Thread(target=self._beat, daemon=True)
        self.thread.start()
        return self

    def _beat(self):
        while not self.stop.wait(self.interval):
            try:
                record.stamp_heartbeat(self.trial)
            except optuna.exceptions.UpdateFinishedTrialError:
                return  # declared stale by another worker: nothing left to keep alive
            except Exception:  # a locked database or a dropped connection: try again next beat
                continue

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # a trial of ours that is RUNNING while we start can only be a leftover
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
