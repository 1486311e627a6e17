"""The chained design: stages in order, each starting from the winners of the stages before it.

A stage's cells carry every staged field (the winners so far, the base value elsewhere), so a cell
that two stages share (a stage's starting point is the previous stage's winner) is trained once. A
stage's winner is the variant with the best mean validation accuracy over its seeds (the test set
is kept for reporting); it is recorded on the main study as ``stage:INDEX`` with its margin over
the runner-up, and the next stage starts from it.
"""

from __future__ import annotations

import numpy as np
import optuna
from optuna.trial import TrialState

from ablation_suite.ablations import Ablation
from ablation_suite.loops.runner import Outcome, Run, run_cells
from ablation_suite.store import record


def stage_cells(ablation: Ablation, index: int, carried: dict, seeds: int) -> list[dict]:
    return [{**variant, "seed": seed} for variant in ablation.stage_variants(index, carried) for seed in range(seeds)]


def stage_winner(study: optuna.Study, ablation: Ablation, index: int, carried: dict, seeds: int) -> dict | None:
    """The stage's winning levels with their scores, or None while any of its cells is unfinished."""
    results = {
        record.trial_cell_key(t): t
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if record.trial_cell_key(t)
    }
    scores = []
    for variant in ablation.stage_variants(index, carried):
        trials = [results.get(record.cell_key({**variant, "seed": seed})) for seed in range(seeds)]
        if None in trials:
            return None
        scores.append(
            (
                float(np.mean([t.value for t in trials])),
                float(np.mean([record.test_accuracy(t) for t in trials])),
                variant,
            )
        )
    scores.sort(key=lambda s: s[0], reverse=True)
    (val, test, variant), runner_up = scores[0], scores[1]
    return dict(
        start=dict(carried),
        levels={name: variant[name] for name in ablation.stages[index]},
        val_accuracy=val,
        test_accuracy=test,
        margin=val - runner_up[0],
        runner_up={name: runner_up[2][name] for name in ablation.stages[index]},
    )


def run_chained(run: Run) -> Outcome:
    """The runner of the chained design: the stages in order; stops at a stage that cannot finish here
    (failures, or other workers), or when this worker should restart."""
    ablation, study, log = run.ablation, run.study, run.log
    outcome, carried = Outcome(), {}
    for index, stage in enumerate(ablation.stages):
        log(
            f"stage {index + 1}/{len(ablation.stages)}: {' x '.join(stage)}, starting from "
            f"{record.describe_cell(carried) or 'the base'}"
        )
        if outcome.add(run_cells(run, stage_cells(ablation, index, carried, run.seeds))).restart:
            break
        winner = stage_winner(study, ablation, index, carried, run.seeds)
        if winner is None:
            log(
                f"stage {index + 1} is not finished (a cell failed, or other workers are still training it); "
                "run the command again to continue the chain"
            )
            break
        record.record_winner(study, index, winner)
        log(
            f"stage {index + 1} winner: {record.describe_cell(winner['levels'])} (val accuracy "
            f"{winner['val_accuracy']:.4f}, {winner['margin']:+.4f} over {record.describe_cell(winner['runner_up'])})"
        )
        carried.update(winner["levels"])
    return outcome
