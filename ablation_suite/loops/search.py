"""Search designs: an Optuna search per level (or one search), then the best trial re-run with seeds.

Each level's search is its own Optuna study named ``STUDY/search/LEVEL`` (``STUDY/search`` for a
plain search) in the same storage, with the ablation's sampler and pruner; its trials train with
seed 0. When a search has spent its budget, its best trial's values become that level's tuned
values, recorded on the main study, and the level's cells (tuned values x seeds) are trained in the
main study exactly like an ablation's cells, so every report, status and statistic applies.

The budget is a total across restarts and workers: a trial counts once it is running, complete or
pruned (a failed or interrupted one does not), so a resumed search runs only what is missing.
"""

from __future__ import annotations

import optuna
from optuna.trial import TrialState

from ablation_suite.ablations import Ablation
from ablation_suite.loops.runner import Outcome, Run, run_cells, run_trial
from ablation_suite.loops.space import distribution, make_pruner, make_sampler
from ablation_suite.store import record
from ablation_suite.store.storage import open_storage
from ablation_suite.workers.liveness import fail_stale_trials

COUNTED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)
MAX_FAILURES_IN_A_ROW = 3  # a search whose trials keep failing stops instead of sampling forever


def open_search(url: str, study_name: str, variant: dict, ablation: Ablation) -> optuna.Study:
    """The search study of one level, created on first use with the ablation's sampler and pruner;
    remembers the budget in force."""
    study = optuna.create_study(
        storage=open_storage(url),
        study_name=record.search_study_name(study_name, variant),
        direction="maximize",
        load_if_exists=True,
        sampler=make_sampler(ablation.sampler, ablation.search_space),
        pruner=make_pruner(ablation.pruner),
    )
    record.record_search(study, study_name, variant, ablation.n_trials)
    return study


def counted(study: optuna.Study) -> list:
    """Trials that use the budget: running, complete or pruned."""
    return [t for t in study.get_trials(deepcopy=False, states=COUNTED) if not record.is_over_budget(t)]


def search_done(study: optuna.Study, budget: int) -> bool:
    """The budget is spent and nothing is still running."""
    trials = counted(study)
    return len(trials) >= budget and all(t.state in FINISHED for t in trials)


def run_search(run: Run, study: optuna.Study, variant: dict) -> Outcome:
    """Sample and train trials until the search study holds the ablation's budget of counted trials (or this
    worker should restart)."""
    ablation, log, budget = run.ablation, run.log, run.ablation.n_trials
    fail_stale_trials(study, log=log)
    space = {name: distribution(spec) for name, spec in ablation.search_space.items()}
    outcome, failures_in_a_row = Outcome(), 0
    label = record.describe_cell(variant) or "search"
    while len(counted(study)) < budget and failures_in_a_row < MAX_FAILURES_IN_A_ROW:
        trial = study.ask()
        ahead = [t for t in counted(study) if t.number < trial.number]
        if len(ahead) >= budget:  # another worker took the last slot between our count and our ask
            record.mark_over_budget(trial)
            study.tell(trial, state=TrialState.FAIL)
            break
        prefix = f"[{label} | trial {len(ahead) + 1}/{budget}] "
        result = run_trial(run, study, trial, space, prefix, fixed=variant, prune=ablation.pruner != "none")
        outcome.counts[result] += 1
        failures_in_a_row = failures_in_a_row + 1 if result == "failed" else 0
        if len(counted(study)) < budget and (reason := run.memory.restart_reason()):
            outcome.restart = reason
            return outcome
    if failures_in_a_row >= MAX_FAILURES_IN_A_ROW:
        log(
            f"[{label}] {failures_in_a_row} trials failed in a row; stopping this search "
            "(see their errors with ablation-suite status)"
        )
    return outcome


def best_values(study: optuna.Study) -> dict:
    """The searched values of the best complete trial (pruned trials never win)."""
    return dict(study.best_trial.params)


def run_search_design(run: Run) -> Outcome:
    """The runner of the search and nested designs: search every level to its budget, then train each
    finished level's best values with every seed."""
    ablation, main, log = run.ablation, run.study, run.log
    outcome, cells, searching = Outcome(), [], []
    if run.fuse not in ("auto", "off"):
        log(
            f"--fuse {run.fuse}: a search's trials train one at a time (each is chosen from the ones before it); "
            "the seeds of each level's best values train side by side"
        )
    for variant in ablation.variants():
        study = open_search(run.url, main.study_name, variant, ablation)
        if outcome.add(run_search(run, study, variant)).restart:
            return outcome
        if not search_done(study, ablation.n_trials):
            searching.append(record.describe_cell(variant) or "search")
            continue
        tuned = best_values(study)
        record.record_tuned(main, variant, tuned)
        log(
            f"[{record.describe_cell(variant) or 'search'}] best of {ablation.n_trials} trials: "
            f"{record.describe_cell(tuned)} (val accuracy {study.best_value:.4f}); re-running it with {run.seeds} seeds"
        )
        cells += [{**variant, **tuned, "seed": seed} for seed in range(run.seeds)]
    if searching:
        log(
            f"still being searched by other workers: {', '.join(searching)}; the worker that finishes a "
            "search trains its level's seeds"
        )
    return outcome.add(run_cells(run, cells))


def progress(url: str, main: optuna.Study) -> list[dict]:
    """Per level of a search design: its label, whether its search started, trials finished and pruned of
    the budget, the best validation accuracy and values so far, and whether its seeds were queued."""
    storage = open_storage(url)
    spec = record.stored_spec(main)
    names = {s.study_name for s in optuna.get_all_study_summaries(storage)}
    tuned = record.tuned_values(main)
    rows = []
    for variant in Ablation.from_spec(spec).variants():
        name = record.search_study_name(main.study_name, variant)
        row = dict(label=record.describe_cell(variant) or "search", started=name in names)
        if row["started"]:
            search = optuna.load_study(study_name=name, storage=storage)
            done = [t for t in counted(search) if t.state in FINISHED]
            complete = any(t.state == TrialState.COMPLETE for t in done)
            row.update(
                finished=len(done),
                pruned=sum(t.state == TrialState.PRUNED for t in done),
                budget=record.search_budget(search, spec.get("n_trials")),
                best=(search.best_value, search.best_params) if complete else None,
                tuned=record.cell_key(variant) in tuned,
            )
        rows.append(row)
    return rows
