"""The runner of ``seeds="auto"`` and of races: train in rounds, deciding each level after every round.

A round is every cell the decision rule (stats.sequential) asks for next: first ``min_seeds`` seeds of
every level, then one more seed for each undecided level (and the seed its reference pairs it with).
Everything is derived from the study's finished trials, so a killed run, a resumed run and several
workers all agree on the next round; cells are handed out as in every design (loops.runner), so no
seed is trained twice, and a decided study trains nothing when run again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import optuna
from optuna.trial import TrialState

from ablation_suite.ablations.designs import DESIGNS
from ablation_suite.loops.runner import Outcome, Run, run_cells
from ablation_suite.stats import sequential as decide
from ablation_suite.store import record
from ablation_suite.workers.liveness import fail_stale_trials

WAIT_SECONDS = 5.0  # how often a worker with nothing to train looks whether the round others train is over


@dataclass(frozen=True)
class Verdicts:
    """The decisions of one comparison and what its levels have trained."""

    title: str
    reference: str  # the base level, or in a race the current best
    decisions: list
    counts: dict  # level label -> finished seeds
    cells: dict  # level label -> the cell of that level without its seed


def rule_of(ablation) -> decide.Rule:
    return decide.Rule.of(ablation.rule())


def finished(study: optuna.Study) -> tuple[dict, float]:
    """Cell key without seed -> {seed: test accuracy} of every finished (done or diverged) cell, and the
    step of accuracy (one test example) seen in them."""
    values, resolution = {}, 0.0
    for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        cell = record.trial_cell(trial)
        if not cell or "seed" not in cell:
            continue
        seed = cell.pop("seed")
        values.setdefault(record.cell_key(cell), {})[seed] = record.test_accuracy(trial)
        matrix = record.results(trial)["confusion_matrix"]
        if matrix and not resolution:
            resolution = 1.0 / sum(map(sum, matrix))
    return values, resolution


def verdicts(ablation, values: dict, resolution: float = 0.0) -> list[Verdicts]:
    """Every comparison of the ablation decided on the finished cells ``values`` (from ``finished``)."""
    rule, races, family = rule_of(ablation), DESIGNS[ablation.design].races, ablation.family_size()
    result = []
    for comparison in ablation.comparisons():
        cells = {comparison.label(level): {**comparison.fixed, **level} for level in comparison.levels}
        seeds = {label: values.get(record.cell_key(cell), {}) for label, cell in cells.items()}
        if races:
            reference, decisions = decide.against_best(seeds, rule, resolution, family)
        else:
            reference = comparison.label(comparison.base)
            decisions = decide.against_base(seeds, reference, rule, resolution, family)
        result.append(
            Verdicts(
                comparison.title,
                reference or comparison.label(comparison.base),
                decisions,
                {label: len(s) for label, s in seeds.items()},
                cells,
            )
        )
    return result


def next_cells(ablation, found: list[Verdicts]) -> list[dict]:
    """The cells of the next round (empty when every comparison is decided or at its cap)."""
    rule, races = rule_of(ablation), DESIGNS[ablation.design].races
    wanted = {}
    for verdict in found:
        for label, target in decide.seeds_wanted(verdict.decisions, verdict.counts, rule, races).items():
            key = record.cell_key(verdict.cells[label])
            wanted[key] = (verdict.cells[label], max(target, wanted.get(key, (None, 0))[1]))
    # seed by seed, so that the pairs of a round complete together
    return [
        {**cell, "seed": seed}
        for seed in range(max((t for _, t in wanted.values()), default=0))
        for cell, target in wanted.values()
        if seed < target
    ]


def run_rounds(run: Run) -> Outcome:
    """Train rounds until every level is decided or has ``max_seeds`` seeds; print the decisions.

    A worker with nothing left to train while other workers still train the round waits for their
    results, which decide the next round."""
    study, log, outcome = run.study, run.log, Outcome()
    announced = None
    while True:
        found = verdicts(run.ablation, *finished(study))
        cells = next_cells(run.ablation, found)
        if not cells and not study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            for line in decision_lines(run.ablation, found, trainings(study)):
                log(line)
            return outcome
        if cells != announced:
            log("next round: " + "; ".join(progress(verdict) for verdict in found))
            announced = cells
        this_round = run_cells(run, cells) if cells else Outcome()
        outcome.add(this_round)
        if this_round.restart or this_round.counts["failed"]:
            return outcome  # a failed cell is retried when the study runs again, not in a loop here
        if not sum(this_round.counts.values()):  # the round's cells are all taken by other workers
            fail_stale_trials(study, log=log)  # a dead worker's cell goes back to the queue
            time.sleep(WAIT_SECONDS)


def trainings(study: optuna.Study) -> int:
    """Cells trained to the end (done or diverged)."""
    return sum(
        1 for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)) if record.trial_cell_key(trial)
    )


def progress(verdict: Verdicts) -> str:
    decided = sum(d.decided for d in verdict.decisions)
    return f"{verdict.title}: {decided}/{len(verdict.decisions)} decided"


def decision_lines(ablation, found: list[Verdicts], trained: int) -> list[str]:
    """Per comparison and level: the decision, the interval of the paired difference, the seeds; then one
    summary line against a fixed design at the cap."""
    rule = rule_of(ablation)
    lines = []
    for verdict in found:
        versus = "the best" if DESIGNS[ablation.design].races else "the base"
        covers = "the study" if rule.family == "study" else "this comparison"
        lines.append(
            f"{verdict.title} (vs {versus} {verdict.reference}, margin +-{rule.rope:g} pp, alpha {rule.alpha:g} "
            f"over {covers}):"
        )
        lines += ["  " + describe(decision) for decision in verdict.decisions]
        if DESIGNS[ablation.design].races:
            verdicts = {decision.level: decision.verdict for decision in verdict.decisions}
            lines.append("  " + decide.best_set_sentence(verdict.title, verdict.reference, verdicts))
    variants = len({record.cell_key(cell) for verdict in found for cell in verdict.cells.values()})
    verdicts = [decision.verdict for verdict in found for decision in verdict.decisions]
    return lines + [decide.summary(verdicts, trained, variants, rule)]


def describe(decision: decide.Decision) -> str:
    """ "bn=before: better, +1.1 pp [+0.6, +1.6] vs none, 4 paired seeds"."""
    if decision.pairs < 2:
        return f"{decision.level}: {decision.verdict}, {decision.pairs} paired seed(s) vs {decision.reference}"
    stopped = "; stopped: its cap of seeds could not decide it" if decision.hopeless else ""
    far = f"; {decision.disagreeing}" if decision.disagreeing else ""
    return (
        f"{decision.level}: {decision.verdict}, {100 * decision.mean:+.2f} pp "
        f"[{100 * decision.low:+.2f}, {100 * decision.high:+.2f}] vs {decision.reference}, "
        f"{decision.pairs} paired seeds{stopped}{far}"
    )


def study_decisions(study: optuna.Study, spec: dict) -> list[str]:
    """The decision lines of a stored seeds="auto" study (``status``), from its database alone."""
    from ablation_suite.ablations import Ablation

    ablation = Ablation.from_spec(spec)
    return decision_lines(ablation, verdicts(ablation, *finished(study)), trainings(study))
