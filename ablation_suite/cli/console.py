"""The console of a command: the lines that lead a run (the study, the plan, and the device each worker trains
on). Keeping TensorFlow's C++ start-up lines out is ``training.quiet``'s job."""

from __future__ import annotations

import os


def plan_summary(ablation, base, seeds: int) -> str:
    """The plan of a study in one line: design, cells, search trials and epochs."""
    trained = ablation.trained_variants()
    searches = len(ablation.variants()) * ablation.n_trials if ablation.searches else 0
    if ablation.adaptive:
        low = trained * ablation.min_seeds
        return (
            f"design: {ablation.design}, {trained} variants x {ablation.min_seeds}-{seeds} seeds decided as they "
            f"train (margin +-{ablation.rope:g} pp, alpha {ablation.alpha:g}) = {low}-{trained * seeds} cells, "
            f"{base.epochs} epoch{'s' if base.epochs > 1 else ''} each (up to {trained * seeds * base.epochs} "
            "epochs)"
        )
    return (
        f"design: {ablation.design}, {trained} variants x {seeds} seeds = {trained * seeds} cells"
        + (f" + {searches} search trials" if searches else "")
        + f", {base.epochs} epoch{'s' if base.epochs > 1 else ''} each (up to "
        f"{(trained * seeds + searches) * base.epochs} epochs)"
    )


def run_header(name: str, url: str, ablation, base, seeds: int, adapted: str, log=print) -> None:
    """What leads a run's output: the study, its plan and what was adapted to this run (the device follows
    from each worker, ``device_line``)."""
    from ablation_suite.store.storage import masked

    log(f"study {name} in {masked(url)}: {ablation.question.strip().splitlines()[0]}")
    log(plan_summary(ablation, base, seeds))
    if adapted:
        log(f"adapted to this run: {adapted}")


def device_line(log=print) -> None:
    """What this worker trains on (loads TensorFlow, with this worker's environment)."""
    import tensorflow  # noqa: F401  (hardware() describes GPUs only when TensorFlow is loaded)

    from ablation_suite.store.provenance import describe
    from ablation_suite.workers.machine import hardware

    log(f"worker pid {os.getpid()} trains on: {describe(hardware())}", flush=True)
