"""Run a named ablation as an Optuna study: one trial per (variant, seed) cell, resumable.

The study is created with the ablation's spec and resolved base Config as user attributes. Each
run enqueues the cells that have no finished, running or waiting trial, then takes waiting trials
until none is left. A trial left RUNNING by a dead process on this host is marked FAIL first, so
its cell is retried; a finished cell is never trained again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import platform
import socket
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

import optuna
from optuna.trial import TrialState

from ablations import Ablation
from driver.space import cell_distributions, suggest
from driver.storage import StorageError, exists, open_storage
from driver.workers import MEMORY
from config import Config

optuna.logging.set_verbosity(optuna.logging.WARNING)

ACTIVE = (TrialState.COMPLETE, TrialState.RUNNING, TrialState.WAITING)


def cell_key(cell: dict) -> str:
    """Stable identity of a cell across runs and workers."""
    return json.dumps(cell, sort_keys=True)


def describe_cell(cell: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in cell.items())


def create_or_resume(url: str, study_name: str, ablation: Ablation, base: Config, command: str) -> optuna.Study:
    """The study for this ablation; resuming with a different base Config is refused."""
    study = optuna.create_study(storage=open_storage(url), study_name=study_name, direction="maximize",
                                load_if_exists=True)
    if "base_config" in study.user_attrs:
        check_same_setup(study, url, ablation, base)
    else:  # base_config last: its presence means the study is fully initialised
        study.set_user_attr("ablation", ablation.spec())
        study.set_user_attr("command", command)
        study.set_user_attr("created", time.strftime("%Y-%m-%d %H:%M:%S"))
        study.set_user_attr("provenance", provenance())
        study.set_user_attr("base_config", base.to_dict())
    return study


LIBRARIES = ("tensorflow", "keras", "optuna", "numpy", "scikit-learn", "pandas", "scipy", "seaborn", "matplotlib")
REPO = Path(__file__).resolve().parents[1]


def provenance() -> dict:
    """What produced the study: code version, libraries and the machine that created it (workers on other
    machines record theirs per trial, see ``hardware``)."""
    from importlib.metadata import PackageNotFoundError, version

    def installed(name):
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    return {"git": git_commit(), "python": sys.version.split()[0], "platform": platform.platform(),
            "libraries": {name: installed(name) for name in LIBRARIES}, **hardware()}


def git_commit() -> str:
    """The code's commit, with "+dirty" when tracked files differ from it ("unknown" outside a git checkout)."""
    def git(*args):
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, timeout=30)

    try:
        commit = git("rev-parse", "HEAD")
        if commit.returncode != 0:
            return "unknown (not a git checkout)"
        dirty = git("status", "--porcelain", "--untracked-files=no").stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown (git not available)"
    return commit.stdout.strip() + ("+dirty" if dirty else "")


def hardware() -> dict:
    """Host, CPU model and cores, and GPUs as TensorFlow sees them (only asked when TensorFlow is already
    loaded, as in a training process: importing it here would slow down every command)."""
    cpu = platform.processor() or "unknown"
    try:
        models = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")]
        cpu = models[0] if models else cpu
    except OSError:
        pass  # not Linux: platform.processor() is the best there is
    info = {"host": socket.gethostname(), "cpu": cpu, "cpu_cores": os.cpu_count()}
    if "tensorflow" in sys.modules:
        tf = sys.modules["tensorflow"]
        info["gpus"] = [tf.config.experimental.get_device_details(device).get("device_name", device.name)
                        for device in tf.config.list_physical_devices("GPU")]
    return info


def check_same_setup(study: optuna.Study, url: str, ablation: Ablation, base: Config) -> None:
    """Refuse to resume a study created with another base Config or other factor levels."""
    stored = study.user_attrs.get("base_config")
    if stored is None:
        return  # not initialised yet (another worker is creating it, or a kill interrupted that)
    # A knob added to Config after the study was created held its default value there.
    stored = {**{f.name: f.default for f in dataclasses.fields(Config)}, **stored}
    spec, stored_spec = ablation.spec(), study.user_attrs.get("ablation", {})
    same_design = all(stored_spec.get(key, spec[key]) == spec[key] for key in ("factors", "search_space", "stages"))
    if stored != base.to_dict() or not same_design:
        changed = {k: (stored.get(k), v) for k, v in base.to_dict().items() if stored.get(k) != v}
        what = ", ".join(f"{k}: {old!r} -> {new!r}" for k, (old, new) in changed.items()) or \
            "the factors' levels or the search space"
        raise StorageError(
            f"study {study.study_name!r} in {url} was created with a different set-up ({what}); "
            f"resume it with the original options, or start a separate study with --study-name NEW_NAME"
        )


def check_resumable(url: str, study_name: str, ablation: Ablation, base: Config) -> None:
    """Refuse a mismatched resume before anything is written (reads only; the study may not exist)."""
    if not exists(url):
        return
    storage = open_storage(url)
    if any(s.study_name == study_name for s in optuna.get_all_study_summaries(storage)):
        check_same_setup(optuna.load_study(study_name=study_name, storage=storage), url, ablation, base)


HEARTBEAT_SECONDS = 20  # how often a running trial records that its worker is alive
GRACE_SECONDS = 120  # a RUNNING trial silent for longer belongs to a dead worker (any host)


def stale_trials(study: optuna.Study, grace: float = GRACE_SECONDS) -> list[tuple[object, str]]:
    """RUNNING cell trials whose worker is gone, with the reason: a dead local pid or a stale heartbeat.

    The heartbeat is a trial user attribute, so it works the same on SQLite, journal files and
    PostgreSQL (Optuna's own heartbeat exists for RDB storages only).
    """
    host, now, stale = socket.gethostname(), time.time(), []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        worker = trial.user_attrs.get("worker", {})
        started = trial.datetime_start.timestamp() if trial.datetime_start else now
        silent = now - trial.user_attrs.get("heartbeat", worker.get("started", started))
        if worker.get("host") == host and not _alive(worker.get("pid", -1)):
            stale.append((trial, f"worker pid {worker.get('pid')} on this host is gone"))
        elif silent > grace:
            stale.append((trial, f"no heartbeat from {worker.get('host')}:{worker.get('pid')} for {silent:.0f} s"))
    return stale


def fail_stale_trials(study: optuna.Study, grace: float = GRACE_SECONDS, log=print) -> int:
    """Mark FAIL every stale RUNNING trial so its cell is run again; returns how many."""
    stale = stale_trials(study, grace)
    for trial, reason in stale:
        study.tell(trial.number, state=TrialState.FAIL)
        cell = describe_cell(json.loads(trial.user_attrs.get("cell", "{}")))
        log(f"trial #{trial.number} ({cell}) was interrupted ({reason}); its cell will be re-run")
    return len(stale)


class Heartbeat:
    """Context manager: a daemon thread that stamps the trial's heartbeat while the cell trains."""

    def __init__(self, trial, interval: float = HEARTBEAT_SECONDS):
        self.trial, self.interval, self.stop = trial, interval, threading.Event()

    def __enter__(self):
        self.trial.set_user_attr("heartbeat", time.time())
        self.thread = threading.Thread(target=self._beat, daemon=True)
        self.thread.start()
        return self

    def _beat(self):
        while not self.stop.wait(self.interval):
            try:
                self.trial.set_user_attr("heartbeat", time.time())
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


def enqueue_missing(study: optuna.Study, cells: list[dict]) -> int:
    """Enqueue every cell without a finished, running or waiting trial; returns how many."""
    taken = {t.user_attrs.get("cell") for t in study.get_trials(deepcopy=False, states=ACTIVE)}
    missing = [cell for cell in cells if cell_key(cell) not in taken]
    for cell in missing:
        study.enqueue_trial(cell, user_attrs={"cell": cell_key(cell)})
    return len(missing)


def run_cells(study: optuna.Study, ablation: Ablation, base: Config, cells: list[dict], log=print,
              backups: Path | None = None, tensorboard: Path | None = None) -> dict:
    """Train waiting cells until none is left; returns counts of what this process did.

    With ``tensorboard`` every trial writes TensorBoard logs under ``tensorboard/STUDY/trial-N``."""
    distributions = cell_distributions(ablation.spec())
    fail_stale_trials(study, log=log)
    enqueue_missing(study, cells)
    total = len(cells)
    done = _count(study, cells, TrialState.COMPLETE)
    waiting = len(study.get_trials(deepcopy=False, states=(TrialState.WAITING,)))
    log(f"study {study.study_name}: {total} cells, {done} already done, {waiting} waiting to run")
    counts = new_counts()
    started = time.perf_counter()
    while study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
        trial = study.ask()
        if "cell" not in trial.user_attrs:  # another worker took the last waiting cell
            study.tell(trial, state=TrialState.FAIL)
            break
        cell = json.loads(trial.user_attrs["cell"])
        if _is_duplicate(study, trial):
            continue
        done = _count(study, cells, TrialState.COMPLETE)
        prefix = f"[{done + 1}/{total}] {describe_cell(cell)} | "
        backup_dir = backups / study.study_name / hashlib.sha1(trial.user_attrs["cell"].encode()).hexdigest()[:16] \
            if backups else None
        outcome = run_trial(study, trial, base, distributions, prefix, log, backup_dir, tensorboard=tensorboard)
        counts[outcome] += 1
        elapsed = time.perf_counter() - started
        ran = sum(counts.values())
        remaining = len(study.get_trials(deepcopy=False, states=(TrialState.WAITING,)))
        log(f"{prefix}{outcome}; {ran} run in {elapsed:.0f} s, about {elapsed / ran * remaining:.0f} s to go")
        if remaining:  # between trials: may raise RecycleWorker, to restart this process
            MEMORY.check()
    return counts


def _is_duplicate(study, trial) -> bool:
    """Whether another trial already owns this trial's cell; if so this one is closed untrained.

    Workers that start together may enqueue the same cell twice. Every trial is RUNNING before this
    check, so "a finished trial, or the lowest-numbered running one, owns the cell" gives every worker
    the same answer and no cell is trained twice.
    """
    owners = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.RUNNING))
              if t.user_attrs.get("cell") == trial.user_attrs["cell"] and t.number != trial.number]
    owner = next((t for t in owners if t.state == TrialState.COMPLETE), None) or next(
        (t for t in sorted(owners, key=lambda t: t.number) if t.number < trial.number), None)
    if owner is None:
        return False
    trial.set_user_attr("duplicate_of", owner.number)
    study.tell(trial, state=TrialState.FAIL)
    return True


def new_counts() -> dict:
    return {"completed": 0, "diverged": 0, "pruned": 0, "failed": 0}


OUTCOMES = new_counts()  # every trial this process ran, whichever loop ran it (carried over a restart)


def run_trial(study, trial, base: Config, distributions: dict, prefix: str, log, backup_dir=None,
              fixed: dict | None = None, prune: bool = False, tensorboard: Path | None = None,
              callbacks=()) -> str:
    """Train one trial: params drawn from ``distributions`` (enqueued cells get theirs back), the rest
    from ``base`` and ``fixed``. Records the result, the pruning or the error; returns the outcome.
    ``callbacks`` are extra Keras callbacks (the benchmark times epochs with one).
    """
    outcome = _train_and_record(study, trial, base, distributions, prefix, log, backup_dir, fixed, prune,
                                tensorboard, callbacks)
    OUTCOMES[outcome] += 1
    return outcome


def _train_and_record(study, trial, base, distributions, prefix, log, backup_dir, fixed, prune, tensorboard,
                      callbacks) -> str:
    from training.trainer import train

    trial.set_user_attr("worker", {**hardware(), "pid": os.getpid(), "started": time.time()})
    params = {name: suggest(trial, name, dist) for name, dist in distributions.items()}
    pruning = []
    if prune:
        from driver.pruning import StopWhenPruned

        pruning = [StopWhenPruned(trial)]
    logs = [tensorboard_callback(tensorboard, study, trial)] if tensorboard else []
    try:
        with Heartbeat(trial):
            if backup_dir is not None and backup_dir.exists():
                log(f"{prefix}resuming from the checkpoint of an interrupted attempt ({backup_dir})")
            result = train(base.replace(**(fixed or {}), **params), prefix=prefix, log=log, backup_dir=backup_dir,
                           callbacks=[*pruning, *logs, *callbacks])
    except KeyboardInterrupt:
        study.tell(trial, state=TrialState.FAIL)
        raise
    except Exception as error:  # one bad cell must not stop the study; the error is kept on the trial
        trial.set_user_attr("process", MEMORY.record())
        trial.set_user_attr("error", f"{type(error).__name__}: {error}")
        trial.set_user_attr("traceback", traceback.format_exc()[-4000:])
        study.tell(trial, state=TrialState.FAIL)
        log(f"{prefix}FAILED: {type(error).__name__}: {error}", file=sys.stderr)
        return "failed"
    pruned_at = pruning[0].pruned_at if pruning else None
    try:
        trial.set_user_attr("process", MEMORY.record())  # this process's trial count and memory after it
        for key, value in result.to_dict().items():
            trial.set_user_attr(key, value)
        if pruned_at is not None:  # its partial history is kept; Optuna takes the last reported value
            trial.set_user_attr("pruned_at_epoch", pruned_at + 1)
            study.tell(trial, state=TrialState.PRUNED)
            log(f"{prefix}pruned after epoch {pruned_at + 1} (val accuracy {result.val_accuracy:.4f})")
            return "pruned"
        study.tell(trial, result.val_accuracy)
    except optuna.exceptions.UpdateFinishedTrialError:  # declared stale meanwhile; its cell was re-queued
        log(f"{prefix}trial #{trial.number} was marked stale while training; its result is dropped "
            "and the re-queued cell will be trained again", file=sys.stderr)
        return "failed"
    log(f"{prefix}test accuracy {result.test_accuracy:.4f}, val {result.val_accuracy:.4f}, "
        f"{result.epochs_run} epochs in {result.wall_time:.1f} s ({result.images_per_second:.0f} img/s)"
        + (", DIVERGED" if result.diverged else ""))
    return "diverged" if result.diverged else "completed"


def tensorboard_callback(root: Path, study, trial):
    """Keras' TensorBoard logs of one trial (per-epoch losses, metrics and learning rate)."""
    import keras

    return keras.callbacks.TensorBoard(log_dir=str(Path(root) / study.study_name / f"trial-{trial.number}"))


def _count(study, cells, state) -> int:
    keys = {cell_key(c) for c in cells}
    return sum(1 for t in study.get_trials(deepcopy=False, states=(state,)) if t.user_attrs.get("cell") in keys)
