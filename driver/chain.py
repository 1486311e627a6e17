"""The chained design: stages in order, each starting from the winners of the stages before it.

A stage's cells carry every staged field (the winners so far, the base value elsewhere), so a cell
that two stages share (a stage's starting point is the previous stage's winner) is trained once. A
stage's winner is the variant with the best mean validation accuracy over its seeds (the test set
is kept for reporting); it is recorded on the main study as ``stage:INDEX`` with its margin over
the runner-up, and the next stage starts from it.
"""

from __future__ import annotations

import json

import numpy as np
import optuna
from optuna.trial import TrialState

from ablations import Ablation
from driver.runner import cell_key, describe_cell, new_counts, run_cells
from config import Config


def stage_cells(ablation: Ablation, index: int, carried: dict, seeds: int) -> list[dict]:
    return [{**variant, "seed": seed} for variant in ablation.stage_variants(index, carried) for seed in range(seeds)]


def stage_winner(study: optuna.Study, ablation: Ablation, index: int, carried: dict, seeds: int) -> dict | None:
    """The stage's winning levels with their scores, or None while any of its cells is unfinished."""
    results = {t.user_attrs["cell"]: t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
               if "cell" in t.user_attrs}
    scores = []
    for variant in ablation.stage_variants(index, carried):
        trials = [results.get(cell_key({**variant, "seed": seed})) for seed in range(seeds)]
        if None in trials:
            return None
        scores.append((float(np.mean([t.value for t in trials])),
                       float(np.mean([t.user_attrs["test_accuracy"] for t in trials])), variant))
    scores.sort(key=lambda s: s[0], reverse=True)
    (val, test, variant), runner_up = scores[0], scores[1]
    return dict(start=dict(carried), levels={name: variant[name] for name in ablation.stages[index]}, val_accuracy=val,
                test_accuracy=test, margin=val - runner_up[0],
                runner_up={name: runner_up[2][name] for name in ablation.stages[index]})


def winners(study: optuna.Study) -> list[dict]:
    """The recorded winners of consecutive finished stages, in stage order.

    A stage's record counts only if it started from the winners recorded before it (a re-run with
    more seeds may change an early winner, which makes the later records stale until re-run).
    """
    found, carried = [], {}
    while (record := study.user_attrs.get(f"stage:{len(found)}")) and record["start"] == carried:
        found.append(record)
        carried = {**carried, **record["levels"]}
    return found


def run_chained(study: optuna.Study, ablation: Ablation, base: Config, seeds: int, log=print, backups=None,
                tensorboard=None) -> dict:
    """Run the stages in order; stops at a stage that cannot finish here (failures, or other workers)."""
    counts, carried = new_counts(), {}
    for index, stage in enumerate(ablation.stages):
        log(f"stage {index + 1}/{len(ablation.stages)}: {' x '.join(stage)}, starting from "
            f"{describe_cell(carried) or 'the base'}")
        for outcome, n in run_cells(study, ablation, base, stage_cells(ablation, index, carried, seeds), log=log,
                                    backups=backups, tensorboard=tensorboard).items():
            counts[outcome] += n
        winner = stage_winner(study, ablation, index, carried, seeds)
        if winner is None:
            log(f"stage {index + 1} is not finished (a cell failed, or other workers are still training it); "
                "run the command again to continue the chain")
            break
        if study.user_attrs.get(f"stage:{index}") != winner:
            study.set_user_attr(f"stage:{index}", json.loads(json.dumps(winner)))
        log(f"stage {index + 1} winner: {describe_cell(winner['levels'])} (val accuracy {winner['val_accuracy']:.4f}, "
            f"{winner['margin']:+.4f} over {describe_cell(winner['runner_up'])})")
        carried.update(winner["levels"])
    return counts
