"""Train an ablation's cells as Optuna trials: one trial per (variant, seed) cell, resumable.

Each run enqueues the cells that have no finished, running or waiting trial, then takes waiting
trials until none is left. A RUNNING trial whose worker is gone (workers.liveness) is marked FAIL
first, so its cell is retried; a finished cell is never trained again.

The trial loops (here, in loops.search and loops.chain) take a ``Run`` and return an ``Outcome``:
what they trained and, when they stopped early, why. Between trials they ask ``Run.memory`` whether
this worker should restart (workers.memory), and stop if so; no loop raises to stop another.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import sys
import time
import traceback
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import optuna
from optuna.trial import TrialState

from ablation_suite.ablations import Ablation
from ablation_suite.ablations.designs import DESIGNS
from ablation_suite.config import Config
from ablation_suite.loops import fusing, reuse
from ablation_suite.loops.space import cell_distributions, suggest
from ablation_suite.store import record
from ablation_suite.training.caches import Caches
from ablation_suite.workers.liveness import Heartbeat, fail_stale_trials
from ablation_suite.workers.machine import hardware
from ablation_suite.workers.memory import MemoryWatch

optuna.logging.set_verbosity(optuna.logging.WARNING)

ACTIVE = (TrialState.COMPLETE, TrialState.RUNNING, TrialState.WAITING)


def new_counts() -> dict:
    return {"completed": 0, "diverged": 0, "pruned": 0, "failed": 0, "reused": 0}


@dataclass
class Outcome:
    """What a trial loop did: trials by outcome, and why it stopped early ("" when it ran out of work)."""

    counts: dict = field(default_factory=new_counts)
    restart: str = ""  # this worker should restart before its next trial (workers.memory)

    def add(self, other: Outcome) -> Outcome:
        for outcome, n in other.counts.items():
            self.counts[outcome] += n
        self.restart = self.restart or other.restart
        return self


@dataclass
class Run:
    """One worker's run of one study: what every trial loop needs."""

    url: str
    study: optuna.Study  # the main study
    ablation: Ablation
    base: Config
    seeds: int
    backups: Path | None = None  # where per-cell checkpoints live (store.storage.backup_root)
    trackers: list = field(default_factory=list)  # experiment trackers (--track), brought up to date per trial
    reuse: bool = True  # a cell whose twin finished in another study takes its result (loops.reuse; --no-reuse)
    fuse: str = "auto"  # cells trained side by side (training.fused): "auto", "off" or a number (--fuse; loops.fusing)
    log: Callable = print
    memory: MemoryWatch = field(default_factory=MemoryWatch)  # limit 0: never asks for a restart
    caches: Caches = field(default_factory=Caches)  # the datasets and networks this worker keeps between trials


def run_design(run: Run) -> Outcome:
    """Train this worker's share of the study with its design's runner (``ablations.designs.DESIGNS``), or its
    adaptive runner when the seeds are decided as the study trains (seeds="auto")."""
    design = DESIGNS[run.ablation.design]
    module, function = (design.adaptive if run.ablation.adaptive else design.runner).split(":")
    return getattr(importlib.import_module(module), function)(run)


def run_variants(run: Run) -> Outcome:
    """The runner of the ofat and grid designs: every variant with every seed."""
    return run_cells(run, run.ablation.cells(run.seeds))


def enqueue_missing(study: optuna.Study, cells: list[dict]) -> int:
    """Enqueue every cell without a finished, running or waiting trial; returns how many."""
    taken = {record.trial_cell_key(t) for t in study.get_trials(deepcopy=False, states=ACTIVE)}
    missing = [cell for cell in cells if record.cell_key(cell) not in taken]
    for cell in missing:
        record.enqueue_cell(study, cell)
    return len(missing)


def run_cells(run: Run, cells: list[dict]) -> Outcome:
    """Train waiting cells until none is left (or this worker should restart)."""
    study, log = run.study, run.log
    distributions = cell_distributions(run.ablation.spec())
    fail_stale_trials(study, log=log)
    enqueue_missing(study, cells)
    total = len(cells)
    done = _count(study, cells, TrialState.COMPLETE)
    waiting = len(study.get_trials(deepcopy=False, states=(TrialState.WAITING,)))
    log(f"study {study.study_name}: {total} cells, {done} already done, {waiting} waiting to run")
    outcome = Outcome()
    started = time.perf_counter()
    while (trial := claim_cell(study)) is not None:
        for group in fusing.claim_beside(run, study, trial):
            done = _count(study, cells, TrialState.COMPLETE)
            prefixes = [
                f"[{done + n + 1}/{total}] {record.describe_cell(record.trial_cell(t))} | " for n, t in enumerate(group)
            ]
            if len(group) > 1:
                run.log(f"{prefixes[0]}{len(group)} cells fused: trained side by side, every call steps each of them")
            results = (
                run_together(run, study, group, distributions, prefixes)
                if len(group) > 1
                else [run_trial(run, study, group[0], distributions, prefixes[0], backup_dir_of(run, study, group[0]))]
            )
            for prefix, result in zip(prefixes, results):
                outcome.counts[result] += 1
                elapsed = time.perf_counter() - started
                ran = sum(outcome.counts.values())
                remaining = len(study.get_trials(deepcopy=False, states=(TrialState.WAITING,)))
                log(f"{prefix}{result}; {ran} run in {elapsed:.0f} s, about {elapsed / ran * remaining:.0f} s to go")
        if remaining and (reason := run.memory.restart_reason()):
            outcome.restart = reason
            break
    return outcome


def backup_dir_of(run: Run, study, trial) -> Path | None:
    """Where a cell's mid-trial checkpoint lives (store.storage.backup_root), or None without checkpoints."""
    if not run.backups:
        return None
    return run.backups / study.study_name / hashlib.sha1(record.trial_cell_key(trial).encode()).hexdigest()[:16]


def claim_cell(study: optuna.Study) -> optuna.Trial | None:
    """Take one waiting cell for this worker (its trial, now RUNNING), or None when no cell is left: the one
    place a worker claims a cell.

    Optuna's ``study.ask()`` pops a WAITING trial by setting it RUNNING only if it is still WAITING
    (``Study._pop_waiting_trial_id``: read, then a conditional write). What makes that atomic is the storage:

    - SQLite: every transaction takes the file's write lock when it begins (``BEGIN IMMEDIATE``,
      store.storage), so no two processes both read the trial WAITING and both set it RUNNING;
    - PostgreSQL, MySQL: Optuna reads the trial ``SELECT ... FOR UPDATE`` (a row lock) in the transaction
      that sets it RUNNING;
    - journal file: every operation is appended under the journal's lock and replayed in order, so the later
      of two claims finds the trial RUNNING and Optuna moves on to the next waiting one;
    - gRPC proxy (``grpc://``): the one proxy process makes every call on its own storage, one of the above.

    A cell enqueued twice (by workers that start together) is caught after its claim: a finished trial or the
    lowest-numbered running one owns it, and this trial is closed untrained (``_is_duplicate``). With nothing
    waiting, ``ask()`` makes a new trial without a cell, closed at once: another worker took the last cell.
    """
    while study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
        trial = study.ask()
        if record.trial_cell_key(trial) is None:
            study.tell(trial, state=TrialState.FAIL)
            return None
        if not _is_duplicate(study, trial):
            return trial
    return None


def _is_duplicate(study, trial) -> bool:
    """Whether another trial already owns this trial's cell; if so this one is closed untrained.

    Workers that start together may enqueue the same cell twice. Every trial is RUNNING before this
    check, so "a finished trial, or the lowest-numbered running one, owns the cell" gives every worker
    the same answer and no cell is trained twice.
    """
    key = record.trial_cell_key(trial)
    owners = [
        t
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.RUNNING))
        if record.trial_cell_key(t) == key and t.number != trial.number
    ]
    owner = next((t for t in owners if t.state == TrialState.COMPLETE), None) or next(
        (t for t in sorted(owners, key=lambda t: t.number) if t.number < trial.number), None
    )
    if owner is None:
        return False
    record.mark_duplicate(trial, owner.number)
    study.tell(trial, state=TrialState.FAIL)
    return True


def run_trial(
    run: Run,
    study,
    trial,
    distributions: dict,
    prefix: str,
    backup_dir=None,
    fixed: dict | None = None,
    prune: bool = False,
    callbacks=(),
) -> str:
    """Train one trial of ``study`` (the main study or a search study): params drawn from ``distributions``
    (enqueued cells get theirs back), the rest from ``run.base`` and ``fixed``. Records the result, the
    pruning or the error; returns the outcome. ``callbacks`` are extra Keras callbacks (the benchmark
    times epochs with one).
    """
    from ablation_suite.training.trainer import train

    pruning = []
    if prune:
        from ablation_suite.loops.pruning import StopWhenPruned

        pruning = [StopWhenPruned(trial)]
    try:
        with Heartbeat(trial):
            cell = start_cell(run, study, trial, distributions, fixed)
            if cell.twin is not None:
                return take_twin(run, study, trial, cell.twin, prefix)
            say_resuming(run, prefix, backup_dir)
            result = train(
                cell.config,
                prefix=prefix,
                log=run.log,
                backup_dir=backup_dir,
                callbacks=[*pruning, *callbacks],
                caches=run.caches,
            )
    except KeyboardInterrupt:
        study.tell(trial, state=TrialState.FAIL)
        raise
    except Exception as error:  # one bad cell must not stop the study; the error is kept on the trial
        return fail_trial(run, study, trial, error, prefix)
    return finish_trial(run, study, trial, result, cell.identity, prefix, pruning[0].pruned_at if pruning else None)


def run_together(run: Run, study, trials: list, distributions: dict, prefixes: list[str]) -> list[str]:
    """Train claimed cells side by side (training.fused; each recorded as it finishes), those whose twin finished
    elsewhere taking its result; returns each trial's outcome."""
    from ablation_suite.training.fused import train_fused

    outcomes: dict[int, str] = {}
    cells: dict[int, Started] = {}
    with ExitStack() as beating:
        for n, trial in enumerate(trials):
            try:
                beating.enter_context(Heartbeat(trial))
                cells[n] = start_cell(run, study, trial, distributions)
            except Exception as error:
                outcomes[n] = fail_trial(run, study, trial, error, prefixes[n])
        for n, cell in list(cells.items()):
            if cell.twin is not None:
                outcomes[n] = take_twin(run, study, trials[n], cells.pop(n).twin, prefixes[n])
        order = list(cells)
        backups = [backup_dir_of(run, study, trials[n]) for n in order]
        for n, backup_dir in zip(order, backups):
            say_resuming(run, prefixes[n], backup_dir)

        def done(k: int, result) -> None:
            n = order[k]
            outcomes[n] = finish_trial(run, study, trials[n], result, cells[n].identity, prefixes[n])

        try:
            if order:
                configs = [cells[n].config for n in order]
                train_fused(configs, [prefixes[n] for n in order], run.log, backups, run.caches, on_done=done)
        except KeyboardInterrupt:
            for n in order:
                if n not in outcomes:
                    study.tell(trials[n], state=TrialState.FAIL)
            raise
        except Exception as error:  # the cells not yet finished fail together; the error is kept on each
            for n in order:
                if n not in outcomes:
                    outcomes[n] = fail_trial(run, study, trials[n], error, prefixes[n])
    return [outcomes[n] for n in range(len(trials))]


@dataclass
class Started:
    """A claimed trial about to train: its Config, its identity (cells only) and its finished twin, if any."""

    config: Config
    identity: str | None = None
    twin: tuple | None = None


def config_of(run: Run, values: dict) -> Config:
    """The Config of a cell or trial from its levels (a compound level's name becomes the fields it sets)."""
    return run.base.replace(**(run.ablation.overrides(values) if run.ablation else values))


def start_cell(run: Run, study, trial, distributions: dict, fixed: dict | None = None) -> Started:
    """Record who trains the trial, draw its params (enqueued cells get theirs back), make its Config and, for a
    cell (not a search trial), its identity and its finished twin in another study (loops.reuse)."""
    record.record_worker(trial, {**hardware(), "pid": os.getpid(), "started": time.time()})
    params = {name: suggest(trial, name, dist) for name, dist in distributions.items()}
    config = config_of(run, {**(fixed or {}), **params})
    if record.trial_cell_key(trial) is None:  # a search trial: trained every time
        return Started(config)
    identity = reuse.identity(config, run.caches)
    return Started(config, identity, reuse.twin(study, identity) if run.reuse else None)


def say_resuming(run: Run, prefix: str, backup_dir) -> None:
    if backup_dir is not None and backup_dir.exists():
        run.log(f"{prefix}resuming from the checkpoint of an interrupted attempt ({backup_dir})")


def fail_trial(run: Run, study, trial, error: Exception, prefix: str) -> str:
    """Record a trial's error (one bad cell must not stop the study) and close it as failed."""
    record.record_error(
        trial,
        f"{type(error).__name__}: {error}",
        "".join(traceback.format_exception(error)),
        run.memory.record(run.caches.kept_networks()),
    )
    study.tell(trial, state=TrialState.FAIL)
    run.log(f"{prefix}FAILED: {type(error).__name__}: {error}", file=sys.stderr)
    return "failed"


def finish_trial(run: Run, study, trial, result, identity: str | None, prefix: str, pruned_at=None) -> str:
    """Record a trained trial's result (with this process's trial count and memory after it; a pruned trial keeps
    its partial history) and tell Optuna; returns the outcome."""
    log = run.log
    try:
        record.record_result(
            trial,
            result.to_dict(),
            run.memory.record(run.caches.kept_networks()),
            pruned_at_epoch=None if pruned_at is None else pruned_at + 1,
        )
        if identity is not None:
            record.record_identity(trial, identity)
        if pruned_at is not None:  # Optuna takes the last reported value
            study.tell(trial, state=TrialState.PRUNED)
            log(f"{prefix}pruned after epoch {pruned_at + 1} (val accuracy {result.val_accuracy:.4f})")
            track(run, study, trial)
            return "pruned"
        study.tell(trial, result.val_accuracy)
    except optuna.exceptions.UpdateFinishedTrialError:  # declared stale meanwhile; its cell was re-queued
        log(
            f"{prefix}trial #{trial.number} was marked stale while training; its result is dropped "
            "and the re-queued cell will be trained again",
            file=sys.stderr,
        )
        return "failed"
    log(
        f"{prefix}test accuracy {result.test_accuracy:.4f}, val {result.val_accuracy:.4f}, "
        f"{result.epochs_run} epochs in {result.wall_time:.1f} s ({result.images_per_second:.0f} img/s)"
        + (", DIVERGED" if result.diverged else "")
    )
    track(run, study, trial)
    return "diverged" if result.diverged else "completed"


def take_twin(run: Run, study, trial, twin: tuple, prefix: str) -> str:
    """Give a cell the result of its finished twin in another study (loops.reuse) instead of training it."""
    name, source = twin
    result = {key: value for key, value in record.results(source).items() if key in source.user_attrs}
    record.record_result(trial, result, run.memory.record(run.caches.kept_networks()))
    record.record_identity(trial, record.trial_identity(source))
    record.record_reused(trial, name, source.number)
    study.tell(trial, result["val_accuracy"])
    run.log(
        f"{prefix}reused from study {name} trial #{source.number} (same Config, data, seed and code; --no-reuse "
        f"trains it): test accuracy {result['test_accuracy']:.4f}"
    )
    track(run, study, trial)
    return "reused"


def track(run: Run, study, trial) -> None:
    """Log the trial this worker just finished (of the main study or one of its searches) to the run's trackers
    (--track); the end of the run logs whatever a worker that died left out."""
    if run.trackers:
        from ablation_suite.trackers import sync

        sync(run.trackers, run.study, log=run.log, trial=(study.study_name, trial.number))


def _count(study, cells, state) -> int:
    keys = {record.cell_key(c) for c in cells}
    return sum(1 for t in study.get_trials(deepcopy=False, states=(state,)) if record.trial_cell_key(t) in keys)
