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

from ablations import Ablation
from driver.runner import (cell_key, describe_cell, fail_stale_trials, new_counts, run_cells, run_trial)
from driver.space import distribution, make_pruner, make_sampler
from driver.storage import open_storage
from driver.workers import MEMORY
from config import Config

COUNTED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)
MAX_FAILURES_IN_A_ROW = 3  # a search whose trials keep failing stops instead of sampling forever


def search_study_name(study_name: str, variant: dict) -> str:
    return f"{study_name}/search" + (f"/{describe_cell(variant)}" if variant else "")


def open_search(url: str, study_name: str, variant: dict, ablation: Ablation, sampler: str, pruner: str,
                budget: int) -> optuna.Study:
    """The search study of one level, created on first use; remembers the budget in force."""
    study = optuna.create_study(
        storage=open_storage(url), study_name=search_study_name(study_name, variant), direction="maximize",
        load_if_exists=True, sampler=make_sampler(sampler, ablation.search_space), pruner=make_pruner(pruner))
    for key, value in (("parent", study_name), ("level", variant), ("n_trials", budget)):
        if study.user_attrs.get(key) != value:
            study.set_user_attr(key, value)
    return study


def counted(study: optuna.Study) -> list:
    """Trials that use the budget: running, complete or pruned."""
    return [t for t in study.get_trials(deepcopy=False, states=COUNTED) if "over_budget" not in t.user_attrs]


def search_done(study: optuna.Study, budget: int) -> bool:
    """The budget is spent and nothing is still running."""
    trials = counted(study)
    return len(trials) >= budget and all(t.state in FINISHED for t in trials)


def run_search(study: optuna.Study, ablation: Ablation, base: Config, variant: dict, budget: int, prune: bool,
               log=print, tensorboard=None) -> dict:
    """Sample and train trials until the study holds ``budget`` counted trials; returns counts."""
    fail_stale_trials(study, log=log)
    space = {name: distribution(spec) for name, spec in ablation.search_space.items()}
    counts, failures_in_a_row = new_counts(), 0
    label = describe_cell(variant) or "search"
    while len(counted(study)) < budget and failures_in_a_row < MAX_FAILURES_IN_A_ROW:
        trial = study.ask()
        ahead = [t for t in counted(study) if t.number < trial.number]
        if len(ahead) >= budget:  # another worker took the last slot between our count and our ask
            trial.set_user_attr("over_budget", True)
            study.tell(trial, state=TrialState.FAIL)
            break
        prefix = f"[{label} | trial {len(ahead) + 1}/{budget}] "
        outcome = run_trial(study, trial, base, space, prefix, log, fixed=variant, prune=prune, tensorboard=tensorboard)
        counts[outcome] += 1
        failures_in_a_row = failures_in_a_row + 1 if outcome == "failed" else 0
        if len(counted(study)) < budget:  # between trials: may raise RecycleWorker, to restart this process
            MEMORY.check()
    if failures_in_a_row >= MAX_FAILURES_IN_A_ROW:
        log(f"[{label}] {failures_in_a_row} trials failed in a row; stopping this search "
            "(see their errors with study.py status)")
    return counts


def best_values(study: optuna.Study) -> dict:
    """The searched values of the best complete trial (pruned trials never win)."""
    return dict(study.best_trial.params)


def run_search_design(url: str, main: optuna.Study, ablation: Ablation, base: Config, seeds: int, budget: int,
                      sampler: str, pruner: str, log=print, backups=None, tensorboard=None) -> dict:
    """Search every level to its budget, then train each finished level's best values with every seed."""
    counts, cells, searching = new_counts(), [], []
    for variant in ablation.variants():
        study = open_search(url, main.study_name, variant, ablation, sampler, pruner, budget)
        for outcome, n in run_search(study, ablation, base, variant, budget, pruner != "none", log,
                                     tensorboard).items():
            counts[outcome] += n
        if not search_done(study, budget):
            searching.append(describe_cell(variant) or "search")
            continue
        tuned = best_values(study)
        main.set_user_attr(tuned_key(variant), tuned)
        log(f"[{describe_cell(variant) or 'search'}] best of {budget} trials: {describe_cell(tuned)} "
            f"(val accuracy {study.best_value:.4f}); re-running it with {seeds} seeds")
        cells += [{**variant, **tuned, "seed": seed} for seed in range(seeds)]
    if searching:
        log(f"still being searched by other workers: {', '.join(searching)}; the worker that finishes a "
            "search trains its level's seeds")
    for outcome, n in run_cells(main, ablation, base, cells, log=log, backups=backups, tensorboard=tensorboard).items():
        counts[outcome] += n
    return counts


def tuned_key(variant: dict) -> str:
    """Main-study user attribute holding a level's tuned values."""
    return "tuned:" + cell_key(variant)


def tuned_values(main: optuna.Study) -> dict:
    """Level (cell key of its factor levels) -> tuned values, for every level whose search is done."""
    return {key[len("tuned:"):]: value for key, value in main.user_attrs.items() if key.startswith("tuned:")}
