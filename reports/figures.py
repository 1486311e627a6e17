"""Figures: every chart of a comparison (a ``Group``) or of the networks table, one concern each.

``plot_*`` functions are pure (Group or table -> Figure) and write no files (``reports.writers``
does). The matplotlib backend and the seaborn theme are set here, once, on import: every module
that draws for the report imports this one first.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only, no display needed

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from reports.comparisons import Group  # noqa: E402
from reports.tables import _present, curves_frame, level_table, significance_mark, summary_table  # noqa: E402

sns.set_theme(style="whitegrid", context="notebook")


def plot_learning_curves(group: Group) -> plt.Figure:
    """Validation and training accuracy per epoch for every level: mean over seeds with a 95% CI band."""
    curves = curves_frame(group)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    for ax, metric, title in zip(axes, ("val_accuracy", "accuracy"), ("validation", "training")):
        data = curves[curves["metric"] == metric].dropna(subset=["value"])
        sns.lineplot(data=data, x="epoch", y="value", hue="level", hue_order=_present(group, data),
                     errorbar=("ci", 95), ax=ax, marker="o", markersize=4)
        ax.set(title=f"{title} accuracy by {group.title}", xlabel="epoch", ylabel="accuracy")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _single_legend(fig, axes)
    fig.tight_layout()
    return fig


def plot_test_accuracy(group: Group) -> plt.Figure:
    """Test accuracy per level: each seed as a dot, mean with its 95% t-interval as a bar."""
    table = summary_table(group)
    fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(table) + 3), 4.5))
    order = list(table["level"])
    sns.stripplot(data=group.rows, x="level", y="test_accuracy", order=order, color="0.45", size=6, ax=ax,
                  jitter=0.08, zorder=1)
    for position, (_, row) in enumerate(table.iterrows()):
        color = "tab:orange" if row["level"] == group.base else "tab:blue"
        ax.errorbar(position, row["test_accuracy"], yerr=[[row["test_accuracy"] - row["ci_low"]],
                    [row["ci_high"] - row["test_accuracy"]]], fmt="D", color=color, markersize=8,
                    elinewidth=2, capsize=6, zorder=3)
    ax.set(title=f"test accuracy by {group.title} (mean, 95% CI; base in orange;\n"
           "marks: paired test vs base, Holm-corrected)", xlabel=group.title, ylabel="test accuracy")
    _zoom_accuracy(ax)
    for position, (_, row) in enumerate(table.iterrows()):
        mark = significance_mark(row["p_holm"])
        if mark:
            # along the top edge: a wide interval would push a mark at its end out of the axes
            ax.text(position, 0.97, mark, transform=ax.get_xaxis_transform(), ha="center", va="top", fontsize=11,
                    fontweight="bold")
    ax.tick_params(axis="x", rotation=30 if len(order) > 4 else 0)
    fig.tight_layout()
    return fig


def plot_per_class_difference(group: Group) -> plt.Figure:
    """Per-class test accuracy of every level minus the base level's (level x class, mean over seeds)."""
    table = level_table(group).set_index("network")
    names = list(table["class_names"].iloc[0])
    matrix = pd.DataFrame(list(table["per_class_accuracy"]), index=table.index, columns=names)
    difference = matrix - matrix.loc[group.base]
    limit = max(float(np.abs(difference.to_numpy()).max()), 0.01)
    fig, ax = plt.subplots(figsize=(max(7.0, 0.6 * min(len(names), 40) + 3), 0.45 * len(difference) + 2.2))
    sns.heatmap(difference, annot=len(names) <= 12, fmt="+.2f", cmap="RdBu", center=0, vmin=-limit, vmax=limit,
                ax=ax, cbar_kws={"label": "class accuracy minus the base level's"})
    ax.set(title=f"per-class test accuracy by {group.title}, difference from the base ({group.base})",
           xlabel="class", ylabel=group.title)
    ax.tick_params(axis="y", rotation=0)
    fig.tight_layout()
    return fig


def plot_confusion_matrix(group: Group, level: str) -> plt.Figure:
    """Row-normalised test confusion matrix of one level, averaged over its seeds."""
    sub = group.rows[group.rows["level"] == level]
    matrices = [np.asarray(m, dtype=float) for m in sub["confusion_matrix"]]
    normalised = np.mean([m / np.maximum(m.sum(axis=1, keepdims=True), 1) for m in matrices], axis=0)
    names = list(sub["class_names"].iloc[0])
    size = max(5, 0.45 * len(names) + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    sns.heatmap(normalised, annot=len(names) <= 12, fmt=".2f", cmap="Blues", vmin=0, vmax=1, square=True,
                xticklabels=names, yticklabels=names, cbar_kws={"label": "share of the true class"}, ax=ax)
    ax.set(title=f"{group.title}: {level}\n(test set, mean over {len(matrices)} seed(s))", xlabel="predicted",
           ylabel="true")
    fig.tight_layout()
    return fig


def _single_legend(fig, axes):
    handles, labels = axes[0].get_legend_handles_labels()
    for ax in axes:
        if ax.get_legend():
            ax.get_legend().remove()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 6), bbox_to_anchor=(0.5, -0.02))
    fig.subplots_adjust(bottom=0.22)


def _dataset_panels(table: pd.DataFrame, height: float, width: float = 7.0, sharey: bool = False):
    """One axes per dataset of ``table`` (side by side), with the dataset and its rows."""
    datasets = list(dict.fromkeys(table["dataset"]))
    fig, axes = plt.subplots(1, len(datasets), figsize=(width * len(datasets), height), squeeze=False, sharey=sharey)
    return fig, [(ax, dataset, table[table["dataset"] == dataset]) for ax, dataset in zip(axes[0], datasets)]


def _zoom_accuracy(ax):
    low, high = ax.get_ylim()  # zoom on the data, but an accuracy axis never leaves [0, 1]
    ax.set_ylim(max(low, 0.0), min(high, 1.005))


def plot_train_vs_test(table: pd.DataFrame, what: str = "network") -> plt.Figure:
    """Final training accuracy and test accuracy of every network (or level; mean over seeds): the gap is
    overfitting."""
    fig, panels = _dataset_panels(table, height=4.5, width=max(6.0, 0.8 * table["network"].nunique() + 3))
    for ax, dataset, rows in panels:
        positions = np.arange(len(rows))
        ax.vlines(positions, rows["test_accuracy"], rows["train_accuracy"], color="0.75", zorder=1)
        ax.scatter(positions, rows["train_accuracy"], marker="o", s=50, color="tab:blue", label="train", zorder=2)
        ax.scatter(positions, rows["test_accuracy"], marker="D", s=50, color="tab:orange", label="test", zorder=2)
        ax.set_xticks(positions, rows["network"], rotation=30 if len(rows) > 4 else 0, ha="right" if len(rows) > 4
                      else "center")
        ax.set(title=f"train vs test accuracy{' on ' + dataset if dataset else ''}", xlabel=what,
               ylabel="accuracy")
        _zoom_accuracy(ax)
        ax.legend()
    fig.tight_layout()
    return fig


def plot_accuracy_vs_parameters(table: pd.DataFrame) -> plt.Figure:
    """Test accuracy against log10 of the parameter count, one labelled point per network (or level)."""
    fig, panels = _dataset_panels(table, height=4.5)
    for ax, dataset, rows in panels:
        x = np.log10(rows["params"].astype(float))
        ax.scatter(x, rows["test_accuracy"], s=50, color="tab:blue")
        for xi, yi, label in zip(x, rows["test_accuracy"], rows["network"]):
            ax.annotate(label, (xi, yi), textcoords="offset points", xytext=(5, 4), fontsize=9)
        ax.set(title=f"test accuracy vs size{' on ' + dataset if dataset else ''}",
               xlabel="log10(trainable parameters)", ylabel="test accuracy")
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
        matrix = pd.DataFrame(list(rows["per_class_accuracy"]), index=list(rows["network"]),
                              columns=list(rows["class_names"].iloc[0]))
        sns.heatmap(matrix, annot=classes <= 12, fmt=".3f", cmap="viridis", ax=ax,
                    cbar_kws={"label": "test accuracy of the class"})
        ax.set(title=f"per-class test accuracy{' on ' + dataset if dataset else ''}", xlabel="class",
               ylabel="network")
        ax.tick_params(axis="y", rotation=0)
    fig.tight_layout()
    return fig
