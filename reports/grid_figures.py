"""Figures of a two-factor grid: an interaction plot and a heat map of mean test accuracy (seed report 001,
figs. 6-8), instead of one categorical axis of flattened "a=x, b=y" labels.

Pure: Group -> Figure, like ``reports.figures`` (whose import sets the backend and theme).
"""

from __future__ import annotations

import numbers

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ablation_suite.reports.comparisons import Group, level_label
from ablation_suite.reports.figures import _zoom_accuracy
from ablation_suite.stats.intervals import accuracy_ci
from ablation_suite.stats.levels import test_size

LOG_RATIO = 20  # a positive numeric factor spanning this ratio or more (learning rate, decay) gets a log axis


def is_two_factor(group: Group) -> bool:
    return len(group.fields) == 2 and all(group.rows[f].map(level_label).nunique() > 1 for f in group.fields)


def factor_order(group: Group, field: str) -> list:
    """The values of one factor in the ablation's order (as the comparison's levels list them)."""
    rows = group.rows.assign(_order=group.rows["level"].map({level: i for i, level in enumerate(group.levels)}))
    return list(dict.fromkeys(rows.sort_values("_order")[field].map(level_label)))


def _numeric(values) -> bool:
    return all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values)


def axis_factor(group: Group) -> tuple[str, str]:
    """(x factor, line factor): a numeric factor goes on the x axis, else the one with more levels."""
    first, second = group.fields
    numeric = [f for f in group.fields if _numeric(group.rows[f].dropna().unique())]
    if len(numeric) == 1:
        return numeric[0], first if numeric[0] == second else second
    return (first, second) if group.rows[first].nunique() >= group.rows[second].nunique() else (second, first)


def cell_means(group: Group) -> pd.DataFrame:
    """Per cell of the grid: both factors' labels (and the x factor's raw value), seeds, mean test accuracy and
    its 95% interval (stats.intervals.accuracy_ci)."""
    x, line = axis_factor(group)
    images = test_size(group.rows)
    records = []
    for (xv, lv), sub in group.rows.groupby([group.rows[x].map(level_label), group.rows[line].map(level_label)]):
        mean, low, high = accuracy_ci(sub["test_accuracy"], images)
        records.append(
            {x: xv, line: lv, "value": sub[x].iloc[0], "seeds": len(sub), "mean": mean, "low": low, "high": high}
        )
    return pd.DataFrame(records)


def plot_interaction(group: Group) -> plt.Figure:
    """Mean test accuracy across the levels of one factor, one line per level of the other, with each cell's
    95% interval; a log x axis for a numeric factor spanning a ratio of LOG_RATIO or more."""
    x, line = axis_factor(group)
    means = cell_means(group)
    numeric = _numeric(means["value"])
    log = numeric and (means["value"] > 0).all() and means["value"].max() >= LOG_RATIO * means["value"].min()
    x_order = factor_order(group, x)
    palette = sns.color_palette("colorblind" if means[line].nunique() <= 10 else "husl", means[line].nunique())
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for color, level in zip(palette, factor_order(group, line)):
        rows = means[means[line] == level]
        rows = rows.assign(_pos=rows[x].map(x_order.index)).sort_values("_pos")
        position = (rows["value"] if numeric else rows["_pos"]).to_numpy(dtype=float)
        mean = rows["mean"].to_numpy(dtype=float)
        bar = np.array([mean - rows["low"].to_numpy(dtype=float), rows["high"].to_numpy(dtype=float) - mean])
        ax.errorbar(
            position, mean, yerr=np.where(np.isfinite(bar), bar, 0), marker="o", color=color, capsize=3, label=level
        )
    if log:
        ax.set_xscale("log")
    if not numeric:
        ax.set_xticks(range(len(x_order)), x_order, rotation=30 if len(x_order) > 4 else 0)
    ax.set(xlabel=x + (" (log scale)" if log else ""), ylabel="test accuracy")
    _zoom_accuracy(ax)
    ax.legend(title=line, fontsize=8, title_fontsize=9, loc="best")
    fig.tight_layout()
    return fig


def plot_accuracy_heatmap(group: Group) -> plt.Figure:
    """Mean test accuracy (percent) of every cell: rows one factor, columns the other, both in the ablation's
    order."""
    x, line = axis_factor(group)
    means = cell_means(group)
    grid = means.pivot(index=line, columns=x, values="mean").reindex(
        index=factor_order(group, line), columns=factor_order(group, x)
    )
    fig, ax = plt.subplots(figsize=(max(5.0, 0.9 * grid.shape[1] + 2.5), max(3.0, 0.5 * grid.shape[0] + 1.6)))
    sns.heatmap(
        100 * grid,
        annot=True,
        fmt=".1f",
        cmap="viridis",
        ax=ax,
        cbar_kws={"label": "test accuracy (%)"},
        annot_kws={"fontsize": 9},
    )
    ax.set(xlabel=x, ylabel=line)
    ax.tick_params(axis="y", rotation=0)
    fig.tight_layout()
    return fig
