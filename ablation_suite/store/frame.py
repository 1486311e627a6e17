"""Optuna study -> pandas DataFrames: the trials table the reports and ``status`` need, the status of each
cell, the tidy export (one row per cell, and a long table of its per-epoch history) and Optuna's raw one."""

from __future__ import annotations

import json

import optuna
import pandas as pd

from ablation_suite.store import record
from ablation_suite.store.record import RESULT_COLUMNS


def trials_frame(study: optuna.Study) -> pd.DataFrame:
    """One row per cell trial: number, state, status, the cell's levels, tuned values and seed, and results.

    In a search design only the cells of each level's current tuned values count (a search resumed
    with a larger budget may have found better values since older cells ran).
    """
    spec = record.stored_spec(study)
    factors, searched = list(spec.get("factors", {})), list(spec.get("search_space", {}))
    tuned = {key: {**json.loads(key), **values} for key, values in record.tuned_values(study).items()}
    rows = []
    for trial in study.get_trials(deepcopy=False):
        if record.trial_cell_key(trial) is None or record.is_duplicate(trial):
            continue  # not a cell, or a duplicate closed untrained (loops.runner._is_duplicate)
        cell = record.trial_cell(trial)
        if searched and tuned.get(record.cell_key({f: cell[f] for f in factors})) != {
            k: cell[k] for k in [*factors, *searched]
        }:
            continue
        row = {
            "number": trial.number,
            "state": trial.state.name,
            "status": record.status(trial),
            "cell": record.trial_cell_key(trial),
        }
        row.update({name: cell.get(name) for name in [*factors, *searched, "seed"]})
        row.update(record.results(trial))
        row["reused_from"] = record.reused_from(trial)
        rows.append(row)
    columns = ["number", "state", "status", "cell", *factors, *searched, "seed", *RESULT_COLUMNS, "reused_from"]
    return pd.DataFrame(rows, columns=columns)


def status_table(frame: pd.DataFrame, factors: list[str]) -> pd.DataFrame:
    """Per cell: the latest trial's status (a finished trial wins over earlier failures), attempts, accuracy."""
    if frame.empty:
        return frame
    rank = frame["status"].map({"done": 3, "diverged": 3, "running": 2, "pending": 1}).fillna(0)
    latest = frame.assign(_rank=rank).sort_values(["_rank", "number"]).groupby("cell").tail(1)
    attempts = frame.groupby("cell").size().rename("attempts")
    reused = ["reused_from"] if "reused_from" in frame and frame["reused_from"].notna().any() else []  # loops.reuse
    table = latest.join(attempts, on="cell")[
        [*factors, "seed", "status", "attempts", "test_accuracy", *reused, "error"]
    ]
    # levels may mix types (compare them as text); seeds are numbers (2 before 10)
    return table.sort_values(
        [*factors, "seed"], key=lambda column: column if column.name == "seed" else column.astype(str)
    ).reset_index(drop=True)


# The tidy export's metrics, in this order: the results a spreadsheet reads as they are (no nested values).
TIDY_METRICS = (
    "test_accuracy",
    "test_loss",
    "val_accuracy",
    "train_accuracy",
    "params",
    "epochs_run",
    "wall_time",
    "images_per_second",
    "diverged",
    "error",
    "split_fingerprint",
    "data_fingerprint",
)


def cells_table(study: optuna.Study) -> pd.DataFrame:
    """One row per cell trial (trials_frame's), tidy: the study, the trial's number, its factor columns (a level's
    value or name) and tuned values, the seed and ``pair`` (the base seed it is compared with: cells are paired by
    seed), its status, TIDY_METRICS (``train_accuracy``: the last epoch's) and ``reused_from`` (the study and trial
    whose result a cell took, loops.reuse; empty for a cell trained here)."""
    spec = record.stored_spec(study)
    frame = trials_frame(study)
    varied = [*spec.get("factors", {}), *spec.get("search_space", {})]
    last_epoch = frame["history"].map(lambda history: (history or {}).get("accuracy", [None])[-1])
    tidy = frame.assign(study=study.study_name, pair=frame["seed"], train_accuracy=last_epoch)
    columns = ["study", "number", *varied, "seed", "pair", "status", *TIDY_METRICS, "reused_from"]
    return tidy[columns].reset_index(drop=True)


def history_table(study: optuna.Study) -> pd.DataFrame:
    """The per-epoch history of every cell trial as a long table: study, number, factor columns, seed, epoch (from
    1), metric and value (loss, accuracy, val_loss, val_accuracy, learning_rate, ... as each trial recorded them)."""
    spec = record.stored_spec(study)
    varied = [*spec.get("factors", {}), *spec.get("search_space", {})]
    rows = [
        {"study": study.study_name, "number": row["number"], **{f: row[f] for f in varied}, "seed": row["seed"]}
        | {"epoch": epoch, "metric": metric, "value": value}
        for _, row in trials_frame(study).iterrows()
        for metric, values in (row["history"] or {}).items()
        if isinstance(values, list)
        for epoch, value in enumerate(values, start=1)
    ]
    return pd.DataFrame(rows, columns=["study", "number", *varied, "seed", "epoch", "metric", "value"])


def export_table(storage, study_name: str) -> tuple[pd.DataFrame, list[str]]:
    """Every trial of the study and of its searches, one row each (Optuna's trials_dataframe), with nested
    attributes (histories, matrices) as JSON text so CSV and Parquet can hold them; and the studies' names."""
    names = [study_name, *record.search_study_names(storage, study_name)]
    frames = [
        optuna.load_study(study_name=name, storage=storage).trials_dataframe(multi_index=False).assign(study=name)
        for name in names
    ]
    table = pd.concat(frames, ignore_index=True)
    for column in table.columns[table.dtypes == object]:  # noqa: E721 (pandas' object columns, not a type test)
        if table[column].map(lambda v: isinstance(v, (dict, list))).any():
            table[column] = table[column].map(lambda v: json.dumps(v) if isinstance(v, (dict, list)) else v)
    return table, names
