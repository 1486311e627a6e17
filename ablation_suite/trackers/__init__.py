"""Experiment trackers: a study's results where researchers already look (MLflow, Weights & Biases, TensorBoard).

``--track mlflow[=URI]``, ``--track wandb[=PROJECT]`` and ``--track tensorboard=DIR`` (several at once) on ``run`` and
``search``; ``export --to ...`` back-fills a finished study. Every tracker writes the one layout of
trackers.layout, read from the study's database: so a live run and a back-fill write the same runs, a cell killed
and retrained is logged once (it is logged when it has finished, and a tracker skips a child it already holds), and
a tracker that fails mid-run costs no training (the cells it missed are written by the next sync).

Why not the libraries' own Keras callbacks (``mlflow.keras``, ``wandb.integration.keras``) or optuna-integration's
``MLflowCallback``/``WeightsAndBiasesCallback``: they log a run per Optuna trial as it trains, without the parent
run, the cell's factor/level/pair tags or the answer, and a trial killed and resumed would be a second run. The
layout here is written from the stored trials instead, with each tracker's own client.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from ablation_suite.errors import UserError

KINDS = ("mlflow", "wandb", "tensorboard")
SPELLING = "--track mlflow[=URI], --track wandb[=PROJECT] or --track tensorboard=DIR"


class TrackerError(UserError):
    """A --track or --to value that names no tracker, lacks its package or cannot be reached."""


def parse(specs, old_tensorboard: str | None = None) -> list:
    """The trackers of ``--track`` values (each "KIND" or "KIND=TARGET"), checked and reached before anything trains;
    ``old_tensorboard``, the replaced ``--tensorboard DIR``, is refused with its new spelling."""
    if old_tensorboard is not None:
        raise TrackerError(
            "--tensorboard is now --track tensorboard=DIR (MLflow and W&B beside it): "
            f"--track tensorboard={old_tensorboard}"
        )
    trackers = []
    for spec in specs or ():
        kind, _, target = str(spec).partition("=")
        if kind not in KINDS:
            raise TrackerError(f"unknown tracker {kind!r} in {spec!r}; the trackers are {', '.join(KINDS)}: {SPELLING}")
        if kind == "tensorboard" and not target:
            raise TrackerError(f"--track tensorboard needs a directory: --track tensorboard=DIR (got {spec!r})")
        trackers.append(_make(kind, target or None))
    kinds = [t.kind for t in trackers]
    if len(set(kinds)) < len(kinds):
        raise TrackerError(f"each tracker once: {' '.join('--track ' + s for s in specs)} names one twice")
    for tracker in trackers:
        tracker.check()
    return trackers


def _make(kind: str, target: str | None):
    import importlib
    import importlib.util

    if importlib.util.find_spec(kind) is None:  # each tracker's package has its name
        raise TrackerError(
            f"--track {kind} needs the {kind} package, which is not installed; "
            f"install it with: pip install 'ablation-suite[track]' (or pip install -e '.[track]' in a checkout)"
        )
    module = importlib.import_module(f"ablation_suite.trackers.{kind}_tracker")
    return module.Tracker(target)


def sync(trackers, study, final: bool = False, render=None, log=print, trial: tuple | None = None) -> None:
    """Bring every tracker up to date with ``study``'s database: the parent run, a child for each finished cell it
    does not hold yet, and the answer. ``final`` (the end of a run, or a back-fill) also closes the parent and
    attaches the report that ``render(folder, fmt)`` writes (api.report's, as HTML and as PDF) where it is new or
    missing. ``trial`` (study name, number): only that trial's child, as a worker logs the trial it just finished
    (so that two workers never write one child at once; the end of the run writes any a killed worker left). A
    tracker that fails is reported and skipped: training goes on, and the next sync (or ``export --to``) writes what
    it missed."""
    if not trackers:
        return
    from ablation_suite.trackers.layout import study_run

    parent = study_run(study)
    if trial is not None:
        parent.children = [child for child in parent.children if child.trial == tuple(trial)]
    report = Report(render, log) if final and render else None
    try:
        _write_all(trackers, study, parent, report, final, log)
    finally:
        if report is not None:
            report.remove()


def _write_all(trackers, study, parent, report, final: bool, log) -> None:
    new = []
    for tracker in trackers:
        try:
            written = tracker.write(parent, report, final)
        except Exception as error:  # noqa: BLE001 (a tracker must never cost a training)
            log(
                f"warning: {tracker.describe()} failed ({type(error).__name__}: {error}); it is caught up at the "
                f"next sync, or with: ablation-suite export {study.study_name} --to {tracker.spec()}",
                file=sys.stderr,
            )
            continue
        if final:
            log(
                f"{tracker.describe()}: study {study.study_name} and its {len(parent.children)} run(s) logged "
                f"({written} new); {tracker.where(parent)}"
            )
        elif written:
            new.append(f"{written} to {tracker.describe()}")
    if new:
        log(f"logged {', '.join(new)}")


class Report:
    """The study's report for the trackers, rendered (as HTML and as PDF, into one temporary folder) when the first
    tracker asks for it: a back-fill that finds everything in place renders nothing."""

    def __init__(self, render, log):
        self.render, self.log, self.path, self.tried = render, log, None, False

    def folder(self) -> Path | None:
        if not self.tried:
            self.tried = True
            import tempfile

            self.path = Path(tempfile.mkdtemp(prefix="ablation-report-"))
            try:
                for fmt in ("html", "pdf"):
                    self.render(self.path, fmt)
            except Exception as error:  # noqa: BLE001 (no report yet, e.g. no finished cell: the runs still go)
                self.log(
                    f"warning: the report could not be rendered for the trackers ({type(error).__name__}: {error})"
                )
                self.remove()
        return self.path

    def remove(self) -> None:
        if self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)
            self.path = None
