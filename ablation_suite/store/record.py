"""The study record: the one module that reads and writes what the suite stores in an Optuna storage.

Everything is a user attribute of a study or a trial, so any Optuna storage holds it and
optuna-dashboard shows it. The layout:

- Main study ``NAME``: ``ablation`` (the Ablation's spec), ``base_config`` (the resolved base
  Config; written last, so its presence means the study is initialised), ``command``, ``created``,
  ``provenance`` (code, libraries and machine at creation), ``stage:INDEX`` (a chain's stage
  winners), ``tuned:CELL`` (a search level's tuned values).
- Cell trial: ``cell`` (the JSON key of its levels and seed), ``worker`` (host, pid, hardware,
  start), ``heartbeat``, ``process`` (this worker's trial count and memory), the TrialResult's
  fields (since issue 21 with ``misclassified`` and ``augmented_samples``: lists of small base64 PNGs with
  their classes, which older trials lack), or ``error`` and ``traceback``; ``duplicate_of`` on a trial closed untrained;
  ``pruned_at_epoch`` on a pruned search trial; ``over_budget`` on a search trial that lost a race
  for the last slot of the budget.
- Search study ``NAME/search/LEVEL`` (``NAME/search`` for a plain search): ``parent``, ``level``,
  ``n_trials`` (the budget in force).

Studies written since the first release use this layout; tests/test_old_studies.py opens one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

import optuna
from optuna.trial import TrialState

CELL = "cell"
BASE_CONFIG = "base_config"
PROTOCOL_WARNINGS = "protocol_warnings"  # what would make the study's answers artefacts, found before training
TUNED_PREFIX = "tuned:"
RESULT_COLUMNS = (
    "test_accuracy",
    "test_loss",
    "val_accuracy",
    "params",
    "epochs_run",
    "wall_time",
    "images_per_second",
    "diverged",
    "history",
    "confusion_matrix",
    "per_class_accuracy",
    "class_names",
    "split_fingerprint",
    "data_fingerprint",
    "extra",
    "error",
    "misclassified",
    "augmented_samples",
)


# --- cells ------------------------------------------------------------------------------------------


def cell_key(cell: dict) -> str:
    """Stable identity of a cell across runs and workers."""
    return json.dumps(cell, sort_keys=True)


def describe_cell(cell: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in cell.items())


def trial_cell_key(trial) -> str | None:
    """The cell key of a cell trial (None for a search trial or a trial that took no cell)."""
    return trial.user_attrs.get(CELL)


def trial_cell(trial) -> dict:
    """The levels and seed of a cell trial ({} when it has none)."""
    key = trial_cell_key(trial)
    return json.loads(key) if key else {}


def enqueue_cell(study: optuna.Study, cell: dict) -> None:
    study.enqueue_trial(cell, user_attrs={CELL: cell_key(cell)})


def mark_duplicate(trial, owner_number: int) -> None:
    trial.set_user_attr("duplicate_of", owner_number)


def is_duplicate(trial) -> bool:
    """A trial closed untrained because another trial owns its cell (loops.runner)."""
    return "duplicate_of" in trial.user_attrs


# --- the main study ---------------------------------------------------------------------------------


def initialise(
    study: optuna.Study, spec: dict, base: dict, command: str, provenance: dict, warnings: Sequence[str] = ()
) -> None:
    """Record how the study was made and what its protocol was warned of before training (workers.preflight); the
    base Config last, so its presence means all is written."""
    study.set_user_attr(PROTOCOL_WARNINGS, list(warnings))
    study.set_user_attr("ablation", spec)
    study.set_user_attr("command", command)
    study.set_user_attr("created", time.strftime("%Y-%m-%d %H:%M:%S"))
    study.set_user_attr("provenance", provenance)
    study.set_user_attr(BASE_CONFIG, base)


def is_initialised(study: optuna.Study) -> bool:
    return BASE_CONFIG in study.user_attrs


def stored_spec(study: optuna.Study) -> dict:
    """The ablation spec stored with the study ({} for a study not made by ablation-suite run)."""
    return dict(study.user_attrs.get("ablation", {}))


def stored_base(study: optuna.Study, defaults: dict) -> dict:
    """The base Config the study was created with; a knob added to Config later held its default there."""
    return {**defaults, **study.user_attrs.get(BASE_CONFIG, {})}


def creation(study: optuna.Study) -> dict:
    """What was recorded at creation: command, time, provenance and base Config (missing ones as None/{})."""
    return {
        "command": study.user_attrs.get("command"),
        "created": study.user_attrs.get("created"),
        "provenance": study.user_attrs.get("provenance", {}),
        "base": study.user_attrs.get(BASE_CONFIG, {}),
    }


def spec_with_winners(study: optuna.Study) -> dict:
    """The stored spec plus what the run decided so far (a chain's stage winners) and the warnings its protocol
    got before training (none for studies made before they were recorded)."""
    spec = stored_spec(study)
    if spec.get("stages"):
        spec["winners"] = winners(study)
    spec[PROTOCOL_WARNINGS] = list(study.user_attrs.get(PROTOCOL_WARNINGS, []))
    return spec


# --- a chain's stage winners ------------------------------------------------------------------------


def record_winner(study: optuna.Study, index: int, winner: dict) -> None:
    if study.user_attrs.get(f"stage:{index}") != winner:
        study.set_user_attr(f"stage:{index}", json.loads(json.dumps(winner)))


def winners(study: optuna.Study) -> list[dict]:
    """The recorded winners of consecutive finished stages, in stage order.

    A stage's record counts only if it started from the winners recorded before it (a re-run with
    more seeds may change an early winner, which makes the later records stale until re-run).
    """
    found: list[dict] = []
    carried: dict = {}
    while (record := study.user_attrs.get(f"stage:{len(found)}")) and record["start"] == carried:
        found.append(record)
        carried = {**carried, **record["levels"]}
    return found


# --- searches -----------------------------------------------------------------------------------------


def search_study_name(study_name: str, variant: dict) -> str:
    return f"{study_name}/search" + (f"/{describe_cell(variant)}" if variant else "")


def is_search_of(name: str, study_name: str) -> bool:
    """Whether ``name`` is one of the search studies of study ``study_name``."""
    return name == f"{study_name}/search" or name.startswith(f"{study_name}/search/")


def search_study_names(storage, study_name: str) -> list[str]:
    """The search studies of a main study, in name order."""
    return sorted(
        s.study_name for s in optuna.get_all_study_summaries(storage) if is_search_of(s.study_name, study_name)
    )


def record_search(search: optuna.Study, parent: str, variant: dict, budget: int) -> None:
    """Which main study and level a search belongs to, and the budget in force."""
    for key, value in (("parent", parent), ("level", variant), ("n_trials", budget)):
        if search.user_attrs.get(key) != value:
            search.set_user_attr(key, value)


def search_level(search: optuna.Study) -> dict:
    return search.user_attrs.get("level") or {}


def search_budget(search: optuna.Study, default: int | None = None) -> int | None:
    return search.user_attrs.get("n_trials", default)


def tuned_key(variant: dict) -> str:
    """Main-study user attribute holding a level's tuned values."""
    return TUNED_PREFIX + cell_key(variant)


def record_tuned(main: optuna.Study, variant: dict, values: dict) -> None:
    main.set_user_attr(tuned_key(variant), values)


def tuned_values(main: optuna.Study) -> dict:
    """Level (cell key of its factor levels) -> tuned values, for every level whose search is done."""
    return {key[len(TUNED_PREFIX) :]: value for key, value in main.user_attrs.items() if key.startswith(TUNED_PREFIX)}


def mark_over_budget(trial) -> None:
    trial.set_user_attr("over_budget", True)


def is_over_budget(trial) -> bool:
    return "over_budget" in trial.user_attrs


# --- a trial's worker and its liveness ------------------------------------------------------------


def record_worker(trial, info: dict) -> None:
    """Which process trains the trial (host, pid, start time and hardware)."""
    trial.set_user_attr("worker", info)


def trial_worker(trial) -> dict:
    return trial.user_attrs.get("worker", {})


def stamp_heartbeat(trial) -> None:
    trial.set_user_attr("heartbeat", time.time())


def silence(trial, now: float | None = None) -> float:
    """Seconds since the trial last showed its worker alive: its heartbeat, else its worker's start."""
    now = time.time() if now is None else now
    started = trial.datetime_start.timestamp() if trial.datetime_start else now
    return now - trial.user_attrs.get("heartbeat", trial_worker(trial).get("started", started))


# --- a cell's identity, and cells reused from another study -----------------------------------------------

IDENTITY = "identity"  # what makes two cells train the same run (loops.reuse.identity)
REUSED = "reused_from"  # {"study": name, "trial": number}: the finished twin whose result a cell took


def record_identity(trial, identity: str) -> None:
    trial.set_user_attr(IDENTITY, identity)


def trial_identity(trial) -> str | None:
    return trial.user_attrs.get(IDENTITY)


def record_reused(trial, study_name: str, number: int) -> None:
    trial.set_user_attr(REUSED, {"study": study_name, "trial": number})


def reused_from(trial) -> str | None:
    """ "STUDY #N" for a cell that took the result of a finished twin in another study, else None."""
    source = trial.user_attrs.get(REUSED)
    return f"{source['study']} #{source['trial']}" if source else None


# --- a trial's outcome ----------------------------------------------------------------------------------


def record_result(trial, result: dict, process: dict, pruned_at_epoch: int | None = None) -> None:
    """A trained trial's TrialResult fields, and its worker's trial count and memory after it."""
    trial.set_user_attr("process", process)
    for key, value in result.items():
        trial.set_user_attr(key, value)
    if pruned_at_epoch is not None:
        trial.set_user_attr("pruned_at_epoch", pruned_at_epoch)


def record_error(trial, message: str, traceback_text: str, process: dict) -> None:
    trial.set_user_attr("process", process)
    trial.set_user_attr("error", message)
    trial.set_user_attr("traceback", traceback_text[-4000:])


def results(trial) -> dict:
    """The result columns of a trial (None where it has none, e.g. a failed trial's accuracy)."""
    return {key: trial.user_attrs.get(key) for key in RESULT_COLUMNS}


def process(trial) -> dict:
    """The worker's trial count and resident memory after this trial (workers.memory)."""
    return trial.user_attrs.get("process", {})


def status(trial) -> str:
    """done / diverged / running / pending / failed / pruned."""
    if trial.state == TrialState.COMPLETE:
        return "diverged" if trial.user_attrs.get("diverged") else "done"
    return {"RUNNING": "running", "WAITING": "pending", "FAIL": "failed", "PRUNED": "pruned"}[trial.state.name]


def test_accuracy(trial) -> float:
    return trial.user_attrs["test_accuracy"]
