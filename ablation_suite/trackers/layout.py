"""One layout for every tracker, read from the study's database alone: the study as a parent run, each finished
cell (and each finished nuisance trial of a search) as a child run, and the answer on the parent.

Every tracker (trackers.mlflow_tracker, wandb_tracker, tensorboard_tracker) writes what this module describes and
nothing else, so MLflow, W&B and TensorBoard show the same runs, tags and numbers. Because it is read from the
database, a live run (after each trial) and a back-fill (``export --to``) write the same thing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass, field

import optuna
import pandas as pd
from optuna.trial import TrialState

from ablation_suite.ablations import Ablation
from ablation_suite.config import FIELD_TYPES, Config, upgraded
from ablation_suite.store import record
from ablation_suite.store.frame import TIDY_METRICS, trials_frame

# The tags of every child run, in every tracker (the "same tags everywhere").
CHILD_TAGS = ("study", "factor", "level", "role", "seed", "pair", "cell", "config_hash")
FINAL_METRICS = tuple(m for m in TIDY_METRICS if m not in ("error", "split_fingerprint", "data_fingerprint"))


@dataclass
class ChildRun:
    """One finished cell or nuisance trial as a tracker shows it."""

    key: str  # unique and stable: the same study's same trial always gets the same key (trackers look runs up by it)
    name: str  # e.g. "bn=after seed=1"
    tags: dict[str, str]
    params: dict[str, object]  # every Config field the trial trained with
    history: dict[str, list[float]]  # per epoch (index 0 = epoch 1)
    metrics: dict[str, float]  # the final results
    confusion: pd.DataFrame | None = None  # rows true class, columns predicted (test set)
    trial: tuple = ()  # (study name, trial number) of the trial it shows (the study's or one of its searches')


@dataclass
class StudyRun:
    """The parent run: how the study was made and, once there are finished cells, its answer."""

    key: str
    name: str
    tags: dict[str, str]
    params: dict[str, object]  # the base Config
    children: list[ChildRun] = field(default_factory=list)
    answers: pd.DataFrame | None = None  # one row per compared level (answer_table)
    sentences: list[str] = field(default_factory=list)  # the answers in words, as `run` prints them


def study_run(study: optuna.Study) -> StudyRun:
    """The parent run of ``study`` with its finished children (its cells and its searches' trials)."""
    spec = record.stored_spec(study)
    made = record.creation(study)
    base = _config(made["base"])
    identity = f"{study.study_name}@{made['created']}"  # a study re-made under the same name is another run
    provenance = made["provenance"] or {}
    tags = {
        "study": study.study_name,
        "role": "study",
        "question": (spec.get("question") or "").strip(),
        "design": str(spec.get("design", "")),
        "seeds": str(spec.get("seeds", "")),
        "rule": _rule(spec),
        "command": str(made["command"] or ""),
        "created": str(made["created"] or ""),
        "git_commit": str(provenance.get("git", "unknown")),
        "suite_version": str(provenance.get("suite", "unknown")),
        "project_git_commit": str(provenance.get("project git", "unknown")),
    }
    parent = StudyRun(_key(identity), study.study_name, tags, base.to_dict() if base else dict(made["base"]))
    ablation = Ablation.from_spec(spec) if spec else None
    parent.children = [*_cells(study, spec, ablation, base, identity), *_searches(study, ablation, base, identity)]
    parent.answers, parent.sentences = answer_table(study, spec)
    return parent


def _cells(study, spec: dict, ablation, base, identity: str) -> list[ChildRun]:
    frame = trials_frame(study)
    if frame.empty:
        return []
    frame = frame[frame["status"].isin(["done", "diverged"])]
    factors = list(spec.get("factors", {}))
    base_levels = ablation.base_levels() if ablation else {}
    children = []
    for _, row in frame.iterrows():
        cell = json.loads(row["cell"])  # (store.record.cell_key)
        varied = [f for f in factors if str(cell.get(f)) != str(base_levels.get(f))]
        tags = {
            "study": study.study_name,
            "factor": "+".join(varied or factors),  # the base is the reference of every factor
            "level": "+".join(str(cell[f]) for f in (varied or factors)),
            "role": "level" if varied else "base",
            "seed": str(cell.get("seed")),
            "pair": str(cell.get("seed")),  # cells are paired by seed: the base cell this one is compared with
            "cell": record.cell_key(cell),
            **({"reused_from": row["reused_from"]} if row.get("reused_from") else {}),  # (loops.reuse)
        }
        child = _child(f"{identity}#cell:{tags['cell']}", cell, tags, row, ablation, base)
        children.append(dataclasses.replace(child, trial=(study.study_name, int(row["number"]))))
    return children


def _searches(study, ablation, base, identity: str) -> list[ChildRun]:
    """Each finished nuisance trial of the study's searches (role "search")."""
    storage = study._storage
    children = []
    for name in record.search_study_names(storage, study.study_name):
        search = optuna.load_study(study_name=name, storage=storage)
        level = record.search_level(search)
        for trial in search.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)):
            cell = {**level, **trial.params, **({"seed": trial.params.get("seed")} if "seed" in trial.params else {})}
            tags = {
                "study": study.study_name,
                "factor": "+".join(level) or "search",
                "level": "+".join(str(v) for v in level.values()),
                "role": "search",
                "seed": str(cell.get("seed", "")),
                "pair": "",
                "cell": f"{record.describe_cell(level) or 'search'} trial {trial.number}",
            }
            row = pd.Series({**record.results(trial), "number": trial.number})
            child = _child(f"{identity}#{name}#{trial.number}", cell, tags, row, ablation, base)
            children.append(dataclasses.replace(child, trial=(name, trial.number)))
    return children


def _child(identity: str, cell: dict, tags: dict, row, ablation, base) -> ChildRun:
    config = _cell_config(cell, ablation, base)
    params = config.to_dict() if config else {**(base.to_dict() if base else {}), **cell}
    tags = {
        **tags,
        "config_hash": hashlib.sha1(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:12],
    }
    history = {
        metric: [float(v) for v in values]
        for metric, values in (row.get("history") or {}).items()
        if isinstance(values, list) and all(isinstance(v, (int, float)) for v in values)
    }
    metrics = {"train_accuracy": history["accuracy"][-1]} if history.get("accuracy") else {}
    for name in FINAL_METRICS:
        value = row.get(name)
        if isinstance(value, (bool, int, float)) and not (isinstance(value, float) and math.isnan(value)):
            metrics[name] = float(value)
    return ChildRun(
        _key(identity),
        tags["cell"] if tags["role"] == "search" else record.describe_cell(cell),
        tags,
        params,
        history,
        metrics,
        _confusion(row.get("confusion_matrix"), row.get("class_names")),
    )


def _cell_config(cell: dict, ablation, base) -> Config | None:
    """The Config a cell trained with (as loops.runner.run_trial builds it); None when this version of the suite
    cannot rebuild it (a study stored under rules it refuses), and the stored values are shown instead."""
    if base is None or ablation is None:
        return None
    try:
        return base.replace(**ablation.overrides(cell))
    except Exception:  # noqa: BLE001 (any refusal: fall back to what was stored)
        return None


def _config(values: dict) -> Config | None:
    try:
        return Config(**{name: value for name, value in upgraded(dict(values)).items() if name in FIELD_TYPES})
    except Exception:  # noqa: BLE001
        return None


def _confusion(matrix, names) -> pd.DataFrame | None:
    if not matrix:
        return None
    labels = [str(n) for n in names] if names and len(names) == len(matrix) else [str(i) for i in range(len(matrix))]
    return pd.DataFrame(matrix, index=pd.Index(labels, name="true"), columns=labels)


def _rule(spec: dict) -> str:
    if spec.get("seeds") != "auto":
        return f"fixed {spec.get('seeds')} seeds"
    return (
        f"seeds auto: margin +-{spec.get('rope')} pp, alpha {spec.get('alpha')} over the {spec.get('family', 'study')}"
        f", {spec.get('min_seeds')}-{spec.get('max_seeds')} seeds"
    )


def _key(identity: str) -> str:
    return hashlib.sha1(identity.encode()).hexdigest()[:24]


def answer_table(study: optuna.Study, spec: dict | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Per compared level: its comparison, decision, difference from its reference and interval (accuracy points)
    and seeds used; and the answers in words (cli.console.print_answers's sentences)."""
    from ablation_suite.reports.answers import answered_groups, group_sentences

    spec = record.spec_with_winners(study) if spec is None else {**spec, **record.spec_with_winners(study)}
    frame = trials_frame(study)
    rows, sentences = [], []
    for group, summary in answered_groups(frame, spec) if not frame.empty else []:
        sentences += [f"{group.title}: {s}" for s in group_sentences(group, summary)]
        for _, level in summary.iterrows():
            if level["level"] == group.base:
                continue
            rows.append(
                {
                    "comparison": group.title,
                    "level": level["level"],
                    "reference": group.base,
                    "decision": level.get("decision"),
                    "difference_pp": _points(level.get("delta_vs_base")),
                    "low_pp": _points(level.get("diff_low")),
                    "high_pp": _points(level.get("diff_high")),
                    "seeds": int(level["seeds"]),
                }
            )
    columns = ["comparison", "level", "reference", "decision", "difference_pp", "low_pp", "high_pp", "seeds"]
    return pd.DataFrame(rows, columns=columns), sentences


def answer_text(row) -> str:
    """One row of answer_table in words, e.g. "better: +1.20 pp [0.31, 2.09], 5 seeds"."""
    decision = row["decision"] or "not decided"
    if row["difference_pp"] is None:
        return f"{decision}, {row['seeds']} seeds"
    interval = "" if row["low_pp"] is None else f" [{row['low_pp']:.2f}, {row['high_pp']:.2f}]"
    return f"{decision}: {row['difference_pp']:+.2f} pp{interval}, {row['seeds']} seeds"


def _points(value) -> float | None:
    return None if value is None or pd.isna(value) else round(100 * float(value), 3)
