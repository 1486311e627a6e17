"""Figures: every chart of a comparison (a ``Group``) or of the networks table, one concern each.

``plot_*`` functions are pure (Group or table -> Figure) and write no files (``reports.writers``
does). The matplotlib backend and the seaborn theme are set here, once, on import: every module
that draws for the report imports this one first.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only, no display needed

import re  # noqa: E402
import textwrap  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from ablation_suite.reports.comparisons import Group  # noqa: E402
from ablation_suite.reports.tables import (
    _present,
    curves_frame,
    level_table,
    mean_confusion,
    significance_mark,
    summary_table,
)  # noqa: E402

sns.set_theme(style="whitegrid", context="notebook")
BAND = "band: lowest to highest seed"  # what the learning curves' band is, for captions


def short(level: str) -> str:
    """A level as figures draw it: "adam, 0.001" for "optimizer=adam, learning_rate=0.001" (the axis or legend
    title names the fields), a one-field label as it is."""
    return re.sub(r"(^|, )[A-Za-z_][\w.]*=", r"\1", str(level))


def level_colors(levels: list) -> dict:
    """One colour per level, in the comparison's order (base first), kept across every figure of it."""
    palette = sns.color_palette("colorblind" if len(levels) <= 10 else "husl", len(levels))
    return dict(zip(levels, palette))


def plot_learning_curves(group: Group) -> plt.Figure:
    """Accuracy (top) and loss (bottom) per epoch, validation and training, for every level: the mean over
    seeds with a band from the lowest to the highest seed."""
    curves = curves_frame(group).assign(level=lambda frame: frame["level"].map(short))
    colors = {short(level): color for level, color in level_colors(group.levels).items()}
    fig, axes = plt.subplots(2, 2, figsize=(11, 7), sharex=True)
    for row, kind in enumerate(("accuracy", "loss")):
        for col, (prefix, split) in enumerate((("val_", "validation"), ("", "training"))):
            ax = axes[row, col]
            data = curves[curves["metric"] == prefix + kind].dropna(subset=["value"])
            if not data.empty:
                sns.lineplot(
                    data=data,
                    x="epoch",
                    y="value",
                    hue="level",
                    hue_order=list(
                        dict.fromkeys(short(level) for level in group.levels if short(level) in set(data["level"]))
                    ),
                    palette=colors,
                    errorbar=("pi", 100),
                    ax=ax,
                    marker="o",
                    markersize=3,
                )
            ax.set(title=f"{split} {kind}", xlabel="epoch" if row else "", ylabel=kind)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _single_legend(fig, axes.ravel(), title=", ".join(group.fields) or group.title)
    return fig


def plot_test_accuracy(group: Group, marks: bool = True) -> plt.Figure:
    """Test accuracy per level: each seed as a dot, the mean with its 95% interval (on the logit scale, so
    inside [0, 1]) as a bar; Holm-corrected paired-test marks against the base where there are >= 3 pairs
    (``marks``; off where a decision rule of its own decides the study)."""
    table = summary_table(group)
    colors = level_colors(group.levels)
    fig, ax = plt.subplots(figsize=(max(5.0, 0.8 * len(table) + 2.5), 4))
    order = list(table["level"])
    sns.stripplot(
        data=group.rows, x="level", y="test_accuracy", order=order, color="0.55", size=5, ax=ax, jitter=0.08, zorder=1
    )
    for position, (_, row) in enumerate(table.iterrows()):
        low, high = row["ci_low"], row["ci_high"]
        bar = [[row["test_accuracy"] - low], [high - row["test_accuracy"]]] if np.isfinite([low, high]).all() else None
        ax.errorbar(
            position,
            row["test_accuracy"],
            yerr=bar,
            fmt="D",
            color=colors[row["level"]],
            markersize=7,
            elinewidth=2,
            capsize=5,
            zorder=3,
        )
        mark = significance_mark(row["p_holm"]) if marks else ""
        if mark:  # along the top edge: a wide interval would push a mark at its end out of the axes
            ax.text(
                position,
                0.97,
                mark,
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="top",
                fontsize=11,
                fontweight="bold",
            )
    ax.set_xticks(
        range(len(order)),
        [f"{short(level)}\n(base)" if level == group.base else short(level) for level in order],
        rotation=30 if len(order) > 4 else 0,
        ha="right" if len(order) > 4 else "center",
    )
    ax.set(xlabel=", ".join(group.fields) or group.title, ylabel="test accuracy")
    _zoom_accuracy(ax)
    fig.tight_layout()
    return fig


def plot_forest(
    table: pd.DataFrame,
    base: str,
    title: str = "",
    rope: float | None = None,
    colors: dict | None = None,
    reference: str = "base",
) -> plt.Figure:
    """Paired differences from the base in percentage points, one row per level sorted best first, each with
    its interval; the base as the zero line (and a row of its own), the equivalence band +-``rope`` shaded.

    ``table`` has level, delta_vs_base, diff_low, diff_high, pairs (or seeds) and optionally ``decision``,
    which is written at the row's right end; ``reference`` names what the others are compared with (a race's
    current "best")."""
    others = table[table["level"] != base].sort_values("delta_vs_base", ascending=True, kind="stable")
    colors = colors or level_colors([base, *others["level"]])
    n = "pairs" if "pairs" in others else "seeds"
    fig, ax = plt.subplots(figsize=(7.5, 0.42 * (len(others) + 1) + 1.4))
    if rope:
        ax.axvspan(-100 * rope, 100 * rope, color="0.85", zorder=0, label=f"equivalence band +-{100 * rope:g} pp")
    ax.axvline(0, color="0.3", linewidth=1, zorder=1)
    ax.plot([0], [0], marker="D", color=colors.get(base, "0.3"), markersize=7, linestyle="none", zorder=3)
    for y, (_, row) in enumerate(others.iterrows(), start=1):
        color = colors.get(row["level"], "tab:blue")
        delta, low, high = 100 * row["delta_vs_base"], 100 * row["diff_low"], 100 * row["diff_high"]
        if np.isfinite([low, high]).all():
            ax.hlines(y, low, high, color=color, linewidth=2.5, zorder=2)
        ax.plot([delta], [y], marker="o", color=color, markersize=8, zorder=3)
        verdict = row.get("decision") or ""
        label = f"{verdict + ', ' if verdict else ''}{int(row[n])} seed{'s' if row[n] != 1 else ''}"
        ax.annotate(
            label,
            (1.0, y),
            xycoords=("axes fraction", "data"),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
            color="0.25",
        )
    ax.set_yticks(range(len(others) + 1), [f"{short(base)} ({reference})", *others["level"].map(short)])
    ax.set_ylim(-0.6, len(others) + 0.6)
    ax.set(xlabel=f"difference in test accuracy from {short(base)} (percentage points)", ylabel=title)
    ax.margins(x=0.08)
    if rope:
        ax.legend(loc="lower right", fontsize=8, frameon=True)
    fig.tight_layout()
    return fig


def plot_per_class_difference(group: Group) -> plt.Figure:
    """Per-class test accuracy of every level minus the base level's (one row per level other than the base,
    mean over seeds), in percentage points."""
    table = level_table(group).set_index("network")
    names = list(table["class_names"].iloc[0])
    matrix = pd.DataFrame(list(table["per_class_accuracy"]), index=table.index, columns=names)
    difference = 100 * (matrix - matrix.loc[group.base]).drop(index=group.base).rename(index=short)
    limit = max(float(np.abs(difference.to_numpy()).max()), 1.0)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.55 * min(len(names), 40) + 2.5), 0.45 * len(difference) + 1.8))
    sns.heatmap(
        difference,
        annot=len(names) <= 12,
        fmt="+.1f",
        cmap="RdBu",
        center=0,
        vmin=-limit,
        vmax=limit,
        ax=ax,
        cbar_kws={"label": f"pp vs {short(group.base)}"},
        annot_kws={"fontsize": 8},
    )
    ax.set(xlabel="class", ylabel=", ".join(group.fields) or group.title)
    ax.tick_params(axis="y", rotation=0)
    fig.tight_layout()
    return fig


def plot_confusion_matrices(group: Group) -> plt.Figure:
    """Small multiples: the row-normalised test confusion matrix of every level (mean over its seeds), one
    panel each, titled in the level's colour, with one shared colour bar."""
    levels = _present(group, group.rows)
    colors = level_colors(group.levels)
    names = max(group.rows["class_names"], key=len)  # sizes the panels; each level labels its own classes
    columns = min(len(levels), 3 if len(names) <= 12 else 2)
    rows = -(-len(levels) // columns)
    panel = 3.2 if len(names) <= 12 else 5.0
    fig, axes = plt.subplots(rows, columns, figsize=(panel * columns + 1.0, panel * rows + 0.3), squeeze=False)
    for ax, level in zip(axes.ravel(), levels):
        matrix, seeds = mean_confusion(group, level)
        names = list(group.rows.loc[group.rows["level"] == level, "class_names"].iloc[0])  # a dataset factor
        sns.heatmap(
            100 * matrix,
            annot=len(names) <= 10,
            fmt=".0f",
            cmap="Blues",
            vmin=0,
            vmax=100,
            square=True,
            cbar=False,
            ax=ax,
            annot_kws={"fontsize": 6},
            xticklabels=names if len(names) <= 20 else False,
            yticklabels=names if len(names) <= 20 else False,
        )
        title = f"{short(level)}{' (base)' if level == group.base else ''}, {seeds} seed{'s' if seeds != 1 else ''}"
        ax.set_title(
            "\n".join(textwrap.wrap(title, int(9 * panel))), color=colors[level], fontsize=9, fontweight="bold"
        )
        ax.set(xlabel="predicted", ylabel="true")
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[len(levels) :]:
        ax.axis("off")
    fig.tight_layout()
    fig.colorbar(
        plt.cm.ScalarMappable(cmap="Blues", norm=plt.Normalize(0, 100)),
        ax=axes.ravel().tolist(),
        shrink=0.6,
        label="% of the true class",
    )
    return fig


def _single_legend(fig, axes, title: str = ""):
    handles, labels = next(((h, t) for h, t in (ax.get_legend_handles_labels() for ax in axes) if h), ([], []))
    for ax in axes:
        if ax.get_legend():
            ax.get_legend().remove()
    columns = max(1, min(len(labels), 6, 90 // (max(map(len, labels), default=1) + 6)))
    rows = -(-len(labels) // columns)
    fig.tight_layout(rect=(0, 0.03 + 0.035 * rows, 1, 1))
    fig.legend(handles, labels, title=title, loc="lower center", ncol=columns, frameon=False)


def _dataset_panels(table: pd.DataFrame, height: float, width: float = 7.0, sharey: bool = False):
    """One axes per dataset of ``table`` (side by side), with the dataset and its rows."""
    datasets = list(dict.fromkeys(table["dataset"]))
    fig, axes = plt.subplots(1, len(datasets), figsize=(width * len(datasets), height), squeeze=False, sharey=sharey)
    return fig, [(ax, dataset, table[table["dataset"] == dataset]) for ax, dataset in zip(axes[0], datasets)]


def _zoom_accuracy(ax):
    low, high = ax.get_ylim()  # zoom on the data, but an accuracy axis never leaves [0, 1]
    ax.set_ylim(max(low, 0.0), min(high, 1.005))


def plot_train_vs_test(table: pd.DataFrame, what: str = "network", colors: dict | None = None) -> plt.Figure:
    """Final training accuracy (open circle) and test accuracy (diamond) of every network (or level, in its
    colour from ``colors``; mean over seeds): the gap is overfitting."""
    fig, panels = _dataset_panels(table, height=4.0, width=max(5.0, 0.8 * table["network"].nunique() + 2.5))
    for ax, dataset, rows in panels:
        positions = np.arange(len(rows))
        color = [colors[n] for n in rows["network"]] if colors else ["tab:blue"] * len(rows)
        ax.vlines(positions, rows["test_accuracy"], rows["train_accuracy"], color="0.75", zorder=1)
        ax.scatter(
            positions,
            rows["train_accuracy"],
            marker="o",
            s=50,
            facecolors="none",
            edgecolors=color,
            linewidths=1.8,
            label="train",
            zorder=2,
            clip_on=False,
        )
        ax.scatter(
            positions,
            rows["test_accuracy"],
            marker="D",
            s=50,
            color=color if colors else "tab:orange",
            label="test",
            zorder=2,
            clip_on=False,
        )
        ax.set_xticks(
            positions,
            rows["network"].map(short) if colors else rows["network"],
            rotation=30 if len(rows) > 4 else 0,
            ha="right" if len(rows) > 4 else "center",
        )
        ax.set(title=f"train vs test accuracy{' on ' + dataset if dataset else ''}", xlabel=what, ylabel="accuracy")
        _zoom_accuracy(ax)
        ax.legend(
            handles=[
                plt.Line2D([], [], marker="o", color="0.3", markerfacecolor="none", linestyle="none", label="train"),
                plt.Line2D([], [], marker="D", color="0.3" if colors else "tab:orange", linestyle="none", label="test"),
            ],
            loc="upper left",
            bbox_to_anchor=(1.01, 1),
            frameon=False,
        )
    fig.tight_layout()
    return fig


def plot_accuracy_vs_parameters(table: pd.DataFrame, colors: dict | None = None) -> plt.Figure:
    """Test accuracy against log10 of the parameter count, one labelled point per network (or level, in its
    colour)."""
    fig, panels = _dataset_panels(table, height=4.0, width=6.0)
    for ax, dataset, rows in panels:
        x = np.log10(rows["params"].astype(float))
        ax.scatter(x, rows["test_accuracy"], s=50, color=[colors[n] for n in rows["network"]] if colors else "tab:blue")
        for xi, yi, label in zip(x, rows["test_accuracy"], rows["network"].map(short) if colors else rows["network"]):
            ax.annotate(label, (xi, yi), textcoords="offset points", xytext=(5, 4), fontsize=9)
        ax.set(
            title=f"test accuracy vs size{' on ' + dataset if dataset else ''}",
            xlabel="log10(trainable parameters)",
            ylabel="test accuracy",
        )
        ax.margins(x=0.15, y=0.15)
        _zoom_accuracy(ax)
    fig.tight_layout()
    return fig


def plot_per_class_accuracy(table: pd.DataFrame) -> plt.Figure:
    """Test accuracy of every class (columns) for every network (rows), one heatmap per dataset."""
    datasets = list(dict.fromkeys(table["dataset"]))
    classes = max(len(names) for names in table["class_names"])
    width = max(7.0, 0.6 * min(classes, 40) + 3)  # 100 classes get narrow unlabelled cells
    height = sum(0.45 * (table["dataset"] == dataset).sum() + 2 for dataset in datasets)
    fig, axes = plt.subplots(len(datasets), 1, squeeze=False, figsize=(width, height))
    for ax, dataset in zip(axes[:, 0], datasets):
        rows = table[table["dataset"] == dataset]
        matrix = pd.DataFrame(
            list(rows["per_class_accuracy"]), index=list(rows["network"]), columns=list(rows["class_names"].iloc[0])
        )
        sns.heatmap(
            matrix,
            annot=classes <= 12,
            fmt=".3f",
            cmap="viridis",
            ax=ax,
            cbar_kws={"label": "test accuracy of the class"},
        )
        ax.set(title=f"per-class test accuracy{' on ' + dataset if dataset else ''}", xlabel="class", ylabel="network")
        ax.tick_params(axis="y", rotation=0)
    fig.tight_layout()
    return fig


def sizes_differ(params, tolerance: float = 0.01) -> bool:
    """Whether parameter counts differ by more than ``tolerance`` (1%): below that a size axis shows nothing."""
    params = np.asarray(params, dtype=float)
    return len(params) > 1 and params.max() > (1 + tolerance) * params.min()
