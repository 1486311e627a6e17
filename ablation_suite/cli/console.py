"""The console of a command: the lines that lead a run (the study, the plan, and the device each worker trains
on) and the answers it ends with (shared with ``status``). Keeping TensorFlow's C++ start-up lines out is
``training.quiet``'s job."""

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


def warning_lines(frame, spec: dict, answers: list) -> str:
    """The methodology warnings (reports.warnings) of the answers, as the console prints them."""
    from ablation_suite.reports.warnings import methodology_warnings

    warnings = methodology_warnings(frame, spec, [(group.title, summary) for group, summary in answers])
    return (
        "\nmethodology warnings:" + "".join(f"\n  - {w}" for w in warnings) if warnings else "\nno methodology warnings"
    )


def print_answers(study) -> None:
    """What a run ends with: each level's answer in a sentence, with what makes it likely an artefact of the
    protocol beside it, then the methodology warnings (``status`` shows the tables behind them)."""
    from ablation_suite.ablations import AUTO
    from ablation_suite.reports.answers import answered_groups, group_sentences
    from ablation_suite.store.frame import trials_frame
    from ablation_suite.store.record import spec_with_winners

    spec, frame = spec_with_winners(study), trials_frame(study)
    answers = answered_groups(frame, spec)
    if not answers:
        return
    if spec.get("seeds") != AUTO:  # (a seeds="auto" run has just printed its decisions: loops.adaptive)
        for group, summary in answers:
            print(f"\n{group.title}:", *group_sentences(group, summary), sep="\n  ")
    print(warning_lines(frame, spec, answers), flush=True)


def far_trials(frame, spec: dict) -> set:
    """The numbers of the trials whose run makes their seed disagree in a comparison the answers make
    (stats.outliers.far_runs: a level's run far by its paired difference or its own value, the reference's run
    by its own): the seeds each decision names, marked in the export."""
    from ablation_suite.reports.answers import answered_groups
    from ablation_suite.stats.intervals import paired_differences
    from ablation_suite.stats.outliers import far_runs

    numbers = set()
    for group, _ in answered_groups(frame, spec):
        by_level = {level: rows.set_index("seed") for level, rows in group.rows.groupby("level")}
        reference = by_level.get(group.base)
        for level, rows in by_level.items():
            if level == group.base or reference is None:
                continue
            diff = paired_differences(rows["test_accuracy"], reference["test_accuracy"])
            runs = [side["test_accuracy"].reindex(diff.index).to_numpy(dtype=float) for side in (rows, reference)]
            level_far, reference_far = far_runs(diff.to_numpy(), *runs)
            numbers |= set(rows.loc[diff.index[level_far], "number"])
            numbers |= set(reference.loc[diff.index[reference_far], "number"])
    return numbers
