"""Optuna study -> pandas DataFrame, the only input the reports and ``status`` need."""

from __future__ import annotations

import json

import optuna
import pandas as pd

from driver.runner import cell_key
from driver.search import tuned_values

RESULT_COLUMNS = ("test_accuracy", "test_loss", "val_accuracy", "params", "epochs_run", "wall_time",
                  "images_per_second", "diverged", "history", "confusion_matrix", "per_class_accuracy",
                  "class_names", "split_fingerprint", "extra", "error")


def study_spec(study: optuna.Study) -> dict:
    """The ablation spec stored with the study, plus what the run decided (a chain's stage winners)."""
    from driver.chain import winners

    spec = dict(study.user_attrs.get("ablation", {}))
    if spec.get("stages"):
        spec["winners"] = winners(study)
    return spec


def trials_frame(study: optuna.Study) -> pd.DataFrame:
    """One row per cell trial: number, state, status, the cell's levels, tuned values and seed, and results.

    In a search design only the cells of each level's current tuned values count (a search resumed
    with a larger budget may have found better values since older cells ran).
    """
    spec = study.user_attrs.get("ablation", {})
    factors, searched = list(spec.get("factors", {})), list(spec.get("search_space", {}))
    tuned = {key: {**json.loads(key), **values} for key, values in tuned_values(study).items()}
    rows = []
    for trial in study.get_trials(deepcopy=False):
        if "cell" not in trial.user_attrs or "duplicate_of" in trial.user_attrs:
            continue  # not a cell, or a duplicate closed untrained (driver.runner._is_duplicate)
        cell = json.loads(trial.user_attrs["cell"])
        if searched and tuned.get(cell_key({f: cell[f] for f in factors})) != {k: cell[k] for k in [*factors, *searched]}:
            continue
        row = {"number": trial.number, "state": trial.state.name, "status": _status(trial), "cell": trial.user_attrs["cell"]}
        row.update({name: cell.get(name) for name in [*factors, *searched, "seed"]})
        row.update({key: trial.user_attrs.get(key) for key in RESULT_COLUMNS})
        rows.append(row)
    columns = ["number", "state", "status", "cell", *factors, *searched, "seed", *RESULT_COLUMNS]
    return pd.DataFrame(rows, columns=columns)


def _status(trial) -> str:
    if trial.state == optuna.trial.TrialState.COMPLETE:
        return "diverged" if trial.user_attrs.get("diverged") else "done"
    return {"RUNNING": "running", "WAITING": "pending", "FAIL": "failed", "PRUNED": "pruned"}[trial.state.name]


def status_table(frame: pd.DataFrame, factors: list[str]) -> pd.DataFrame:
    """Per cell: the latest trial's status (a finished trial wins over earlier failures), attempts, accuracy."""
    if frame.empty:
        return frame
    rank = frame["status"].map({"done": 3, "diverged": 3, "running": 2, "pending": 1}).fillna(0)
    latest = frame.assign(_rank=rank).sort_values(["_rank", "number"]).groupby("cell").tail(1)
    attempts = frame.groupby("cell").size().rename("attempts")
    table = latest.join(attempts, on="cell")[[*factors, "seed", "status", "attempts", "test_accuracy", "error"]]
    # levels may mix types (compare them as text); seeds are numbers (2 before 10)
    return table.sort_values([*factors, "seed"], key=lambda column: column if column.name == "seed"
                             else column.astype(str)).reset_index(drop=True)
