"""Tables of a comparison or of a study, shared by the report and the text commands (``status``, ``best``).

Pure pandas and numpy (no matplotlib or seaborn), so ``ablation-suite status`` prints them without
loading the plotting stack.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ablation_suite.ablations import Ablation
from ablation_suite.ablations.levels import stored_values
from ablation_suite.config import format_override, upgraded
from ablation_suite.reports.comparisons import Group, finished, level_label
from ablation_suite.stats.levels import compare_levels


def summary_table(group: Group, test: str = "t") -> pd.DataFrame:
    """Per level: seeds, mean test accuracy with 95% CI, delta and paired test vs base, size and speed."""
    table = compare_levels(group.rows, group.levels, group.base, test=test).rename(columns={"mean": "test_accuracy"})
    by_level = group.rows.groupby("level")
    table["train_accuracy"] = table["level"].map(
        lambda level: float(np.mean([_last(h, "accuracy") for h in by_level.get_group(level)["history"]]))
    )
    table["diverged"] = table["level"].map(lambda level: int(by_level.get_group(level)["diverged"].astype(bool).sum()))
    table["params"] = table["level"].map(lambda level: int(by_level.get_group(level)["params"].iloc[0]))
    for column in ("images_per_second", "wall_time"):
        table[column] = table["level"].map(lambda level, c=column: float(by_level.get_group(level)[c].median()))
    for name in group.tuned:  # a nested design's levels each ran at their own tuned values
        table.insert(1, f"tuned_{name}", table["level"].map(lambda level, n=name: by_level.get_group(level)[n].iloc[0]))
    return table


def _last(history, key):
    values = [v for v in (history or {}).get(key, []) if v is not None]
    return values[-1] if values else np.nan


def curves_frame(group: Group) -> pd.DataFrame:
    """Long table of per-epoch history: level, seed, epoch, metric, value."""
    records = []
    for _, row in group.rows.iterrows():
        for metric in ("accuracy", "val_accuracy", "loss", "val_loss"):
            for epoch, value in enumerate((row["history"] or {}).get(metric, []), start=1):
                records.append(dict(level=row["level"], seed=row["seed"], epoch=epoch, metric=metric, value=value))
    return pd.DataFrame(records, columns=["level", "seed", "epoch", "metric", "value"])


def significance_mark(p_holm: float) -> str:
    """Stars for a Holm-adjusted p-value, "n.s." above 0.05, nothing when untested (the base, one seed)."""
    if not np.isfinite(p_holm):
        return ""
    for threshold, mark in ((0.001, "***"), (0.01, "**"), (0.05, "*")):
        if p_holm < threshold:
            return mark
    return "n.s."


def level_table(group: Group) -> pd.DataFrame:
    """One row per level of a comparison, averaged over seeds, shaped like ``networks_table`` so the
    train-vs-test and accuracy-vs-size charts draw levels exactly as they draw networks."""
    rows = []
    for level in _present(group, group.rows):
        sub = group.rows[group.rows["level"] == level]
        rows.append(dict(dataset="", network=level, **_seed_means(sub)))
    return pd.DataFrame(rows)


def _seed_means(trials: pd.DataFrame) -> dict:
    """Seeds, mean final train / test accuracy, size and mean per-class accuracy of one network or level."""
    return dict(
        seeds=len(trials),
        train_accuracy=float(np.mean([_last(h, "accuracy") for h in trials["history"]])),
        test_accuracy=float(trials["test_accuracy"].mean()),
        params=int(trials["params"].iloc[0]),
        per_class_accuracy=np.mean([np.asarray(a, dtype=float) for a in trials["per_class_accuracy"]], axis=0).tolist(),
        class_names=list(trials["class_names"].iloc[0]),
    )


def mean_confusion(group: Group, level: str) -> tuple[np.ndarray, int]:
    """The level's row-normalised test confusion matrix averaged over its seeds, and the number of seeds."""
    sub = group.rows[group.rows["level"] == level]
    matrices = [np.asarray(m, dtype=float) for m in sub["confusion_matrix"]]
    return np.mean([m / np.maximum(m.sum(axis=1, keepdims=True), 1) for m in matrices], axis=0), len(matrices)


def confused_pairs(group: Group, top: int = 3) -> pd.DataFrame:
    """Per level, its ``top`` most confused class pairs ("9 read as 4"): the share of the true class predicted
    as the other (mean over seeds) and the same share at the base level."""
    names_of = {level: list(sub["class_names"].iloc[0]) for level, sub in group.rows.groupby("level")}
    base = mean_confusion(group, group.base)[0] if group.base in names_of else None
    records = []
    for level in _present(group, group.rows):
        matrix, seeds = mean_confusion(group, level)
        names = names_of[level]
        same = base is not None and names_of[group.base] == names  # the base's share means nothing across datasets
        off = matrix.copy()
        np.fill_diagonal(off, -1.0)
        for index in np.argsort(off, axis=None)[::-1][:top]:
            true, predicted = np.unravel_index(index, off.shape)
            if off[true, predicted] <= 0:
                break
            records.append(
                dict(
                    level=level,
                    true=names[true],
                    predicted=names[predicted],
                    seeds=seeds,
                    share=float(matrix[true, predicted]),
                    base_share=float(base[true, predicted]) if same else np.nan,
                )
            )
    return pd.DataFrame(records, columns=["level", "true", "predicted", "seeds", "share", "base_share"])


def _present(group, data):
    return [level for level in group.levels if level in set(data["level"])]


def networks_table(frame: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """One row per network (and dataset, when the dataset is a factor), averaged over seeds: the unit of
    seed report 000's comparison charts. A network is a model level together with the levels of any
    other factor (e.g. "vgg11 input_scale=3"); rows follow the ablation's level order."""
    done = finished(frame)
    factors = spec["factors"]
    others = [f for f in factors if f not in ("model", "dataset")]
    columns = [
        "dataset",
        "network",
        "model",
        "seeds",
        "train_accuracy",
        "test_accuracy",
        "params",
        "per_class_accuracy",
        "class_names",
    ]
    if done.empty:
        return pd.DataFrame(columns=columns)
    order = {f: [level_label(v) for v in stored_values(levels)] for f, levels in factors.items()}
    done["dataset_label"] = done["dataset"].map(level_label) if "dataset" in factors else ""
    done["network"] = [
        " ".join([level_label(r["model"])] + [f"{f}={level_label(r[f])}" for f in others]) for _, r in done.iterrows()
    ]
    ranked = sorted(factors, key=lambda f: f != "dataset")  # the dataset first, then the ablation's factor order
    done["rank"] = [tuple(order[f].index(level_label(r[f])) for f in ranked) for _, r in done.iterrows()]
    rows = []
    for (dataset, network), sub in done.sort_values("rank").groupby(["dataset_label", "network"], sort=False):
        rows.append(dict(dataset=dataset, network=network, model=level_label(sub["model"].iloc[0]), **_seed_means(sub)))
    return pd.DataFrame(rows, columns=columns)


def best_configuration(frame: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """Every configuration of varied fields (factors and tuned values), ranked by mean validation accuracy over
    its seeds (the test set stays out of the choice), with its exact values as --set overrides."""
    done = finished(frame)
    fields = [*spec.get("factors", {}), *spec.get("search_space", {})]
    columns = ["overrides", "val_accuracy", "test_accuracy", "seeds"]
    if done.empty or not fields:
        return pd.DataFrame(columns=columns)
    keys = done[fields].map(level_label).agg(" ".join, axis=1)  # one configuration, whatever its number types
    table = done.groupby(keys, sort=False).agg(
        val_accuracy=("val_accuracy", "mean"), test_accuracy=("test_accuracy", "mean"), seeds=("seed", "size")
    )
    first = done.groupby(keys, sort=False)[
        fields
    ].first()  # exact values, as the first trial (in number order) stored them
    ablation = Ablation.from_spec(spec)  # a compound level becomes the fields it sets
    table["overrides"] = [  # in today's spelling (a study stored by an earlier version may spell a value otherwise)
        " ".join(f"--set {format_override(k, v)}" for k, v in upgraded(ablation.overrides(dict(row))).items())
        for _, row in first.iterrows()
    ]
    return table.sort_values("val_accuracy", ascending=False, kind="stable").reset_index(drop=True)[columns]
