"""The suite from Python, for notebooks and scripts: the API beside the ``ablation-suite`` command line,
importable from the package itself. Build an ``Ablation`` in a cell, run it, get the tidy per-trial table back
and show the report's figures inline:

    import ablation_suite as suite

    question = suite.Ablation(question="Does batch norm help?", base=dict(model="baseline1"),
                              factors=dict(bn=["none", "before"]), seeds=2)
    frame = suite.run(question, name="bn", storage="sqlite:///runs/studies.db", dataset="digits", epochs=1)
    suite.figures("bn", storage="sqlite:///runs/studies.db")   # matplotlib figures, shown inline

``run`` takes the same path as ``ablation-suite run`` (loops.entry): the ablation is validated and resolved, a study
made with another set-up is refused, every cell's data and network are checked before anything is written,
then the study is created or resumed and its missing cells trained in this process. Running it again trains
nothing. Errors are the CLI's, raised as exceptions (``ablation_suite.UserError``) instead of exit status 2.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pandas as pd

from ablation_suite.loops import entry
from ablation_suite.store.storage import given_url, load_study
from ablation_suite.training.quiet import prepare_tensorflow

prepare_tensorflow()  # as the command line: TensorFlow's C++ start-up lines stay out of the notebook's output


def run(
    ablation,
    name: str | None = None,
    storage: str | None = None,
    dataset: str | None = None,
    epochs: int | None = None,
    seeds: int | str | None = None,
    settings: dict | None = None,
    track=(),
    reuse: bool = True,
    fuse: str | int = "auto",
    log=print,
) -> pd.DataFrame:
    """Run (or resume) ``ablation`` as study ``name`` (default: the ablation's name) in ``storage`` (default as
    the CLI's: $ABLATION_STORAGE, else sqlite:///runs/studies.db); ``settings`` are Config fields, as with
    ``--set``; ``track`` the trackers, as with ``--track`` (e.g. ``["mlflow=sqlite:///mlflow.db"]``);
    ``reuse=False`` trains cells whose twin finished in another study, as ``--no-reuse``; ``fuse`` trains cells side
    by side as ``--fuse`` ("auto", "off" or a number). Returns the study's tidy per-trial table (``frame``)."""
    from ablation_suite import trackers
    from ablation_suite.loops import fusing
    from ablation_suite.store import resume
    from ablation_suite.training.caches import Caches

    # Each call keeps its own datasets and networks, as a new command would: the data on disk may have changed
    # since this kernel's last run (an image added to a folder, a new npz), and the resume check must see it.
    caches = Caches()
    name = name or ablation.name
    if not name:
        raise entry.UsageError("an Ablation built in a notebook has no name; give run(..., name='my_question')")
    ablation = ablation if ablation.name else _named(ablation, name)
    overrides = {**(settings or {}), **{k: v for k, v in (("dataset", dataset), ("epochs", epochs)) if v is not None}}
    ablation, base, seeds, adapted = entry.resolve(ablation, name, "run", overrides, seeds)
    url = given_url(storage)
    try:
        fuse = fusing.parse(str(fuse))
    except ValueError as error:
        raise entry.UsageError(str(error)) from None
    tracking = trackers.parse(track)
    resume.check_resumable(url, name, ablation, base, caches.datasets)
    if adapted:
        log(f"adapted to this run: {adapted}")
    warnings = entry.check_before_writing(ablation, base, seeds, caches.datasets)
    for warning in warnings:
        log(f"warning: {warning}")
    command = f"notebook: run({name!r}, dataset={base.dataset!r}, epochs={base.epochs}, seeds={seeds})"
    outcome = entry.train_study(
        url,
        name,
        ablation,
        base,
        seeds,
        command,
        tracking,
        log=log,
        caches=caches,
        warnings=warnings,
        reuse=reuse,
        fuse=fuse,
    )
    counts = outcome.counts
    log(f"finished: {counts['completed']} completed, {counts['diverged']} diverged, {counts['failed']} failed")
    trackers.sync(tracking, load_study(url, name), final=True, render=partial(report, name, url), log=log)
    return frame(name, storage)


def _named(ablation, name: str):
    import dataclasses

    return dataclasses.replace(ablation, name=name)


def frame(name: str, storage: str | None = None) -> pd.DataFrame:
    """One row per cell trial: its levels, seed, status and results (store.frame.trials_frame)."""
    from ablation_suite.store.frame import trials_frame

    return trials_frame(load_study(given_url(storage), name))


def figures(name: str, storage: str | None = None) -> dict:
    """Every comparison's report figures, caption -> matplotlib Figure (a notebook shows each one inline)."""
    from ablation_suite.reports.comparisons import groups
    from ablation_suite.reports.sections import comparison_section
    from ablation_suite.store.record import spec_with_winners

    study = load_study(given_url(storage), name)
    table, spec = frame(name, storage), spec_with_winners(study)
    shown = {}
    for group in groups(table, spec):
        for _, draw, caption in comparison_section(group, spec)[0].figures:
            shown[f"{group.title}: {caption}"] = draw()
    return shown


def report(name: str, storage: str | None = None, out=None, fmt: str = "html", svg: bool = False) -> Path:
    """Render study ``name``'s report from the storage alone, as ``ablation-suite report`` does (to ``out``, default
    runs/reports/NAME); returns the written page's path."""
    from ablation_suite import reports
    from ablation_suite.reports.search_plots import search_sections, search_studies
    from ablation_suite.store.provenance import report_provenance
    from ablation_suite.store.record import spec_with_winners
    from ablation_suite.store.storage import open_storage

    url = given_url(storage)
    study = load_study(url, name)
    table = frame(name, storage)
    spec = spec_with_winners(study)
    if not spec:
        raise entry.UsageError(
            f"study {study.study_name!r} was not created by ablation-suite run (no ablation recorded)"
        )
    out = Path(out) if out else Path("runs") / "reports" / study.study_name
    searches = search_sections(search_studies(open_storage(url), study.study_name), spec.get("search_space", {}))
    return reports.render(
        table, spec, out, study.study_name, report_provenance(study, table, url), searches, fmt=fmt, svg=svg
    )
