"""Figures of the example images the trials recorded (training.examples, stored by store.record): the first
misclassified test images of every level (seed report 000 reads "9 as 4") and training images as each
augmentation level transforms them (seed report 001, figs. 12, 16 and 17).

Pure: Group -> Figure, like ``reports.figures`` (whose import sets the backend and theme). The images are the
stored PNG text, decoded here (matplotlib reads PNG through Pillow): no TensorFlow. Trials stored before the
images were recorded have None in these columns; tables made by hand may lack the columns.
"""

from __future__ import annotations

import base64
import io
import re

import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ablation_suite.reports.comparisons import Group
from ablation_suite.reports.figures import level_colors, short

PANEL = 1.5  # inches per image panel


def recorded(group: Group, column: str) -> pd.DataFrame:
    """The comparison's trials that recorded ``column`` (a list, maybe empty); older trials hold None."""
    if column not in group.rows:
        return group.rows.iloc[:0]
    return group.rows[group.rows[column].map(lambda value: isinstance(value, list))]


def shown_trials(group: Group, column: str) -> tuple[dict, int | None]:
    """Level -> the trial (row) whose examples are shown, and the seed they share: the lowest seed every level
    with data has (levels of one seed share the split, so they show the same images); None when the levels
    have no seed in common, and then each shows its lowest seed."""
    rows = recorded(group, column).sort_values("seed")
    if rows.empty:
        return {}, None
    seeds = [set(sub["seed"]) for _, sub in rows.groupby("level")]
    common = sorted(set.intersection(*seeds))
    chosen = rows[rows["seed"] == common[0]] if common else rows
    return {level: sub.iloc[0] for level, sub in chosen.groupby("level")}, (common[0] if common else None)


def augmenting_levels(group: Group) -> list:
    """The levels whose shown trial recorded augmented samples (levels without augmentation record none)."""
    chosen, _ = shown_trials(group, "augmented_samples")
    return [level for level in group.levels if level in chosen and chosen[level]["augmented_samples"]]


def decode(text: str) -> np.ndarray:
    """A stored base64 PNG as an array in [0, 1] (H, W) or (H, W, C)."""
    return mpimg.imread(io.BytesIO(base64.b64decode(text)), format="png")


def _show(ax, text: str) -> None:
    image = decode(text)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    ax.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=1, interpolation="nearest")
    _bare(ax)


def _bare(ax) -> None:
    """No ticks or frame, but the row label (the y label) stays visible, unlike ``axis("off")``."""
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.grid(False)


def _row_label(ax, text: str, color) -> None:
    ax.set_ylabel(
        _wrapped(text), color=color, fontsize=9, fontweight="bold", rotation=0, ha="right", va="center", labelpad=8
    )


def _wrapped(text: str, width: int = 16) -> str:
    """A level label in lines of about ``width`` characters, broken after "+" and "," (augmentation names joined
    by "+", fields by ", ") or at spaces, never inside a name."""
    lines = [""]
    for piece in re.findall(r"[^+,\s]+[+,]?\s*", text):
        if lines[-1] and len(lines[-1]) + len(piece.rstrip()) > width:
            lines.append("")
        lines[-1] += piece
    return "\n".join(line.rstrip() for line in lines)


def _level_name(group: Group, level: str) -> str:
    return f"{short(level)} (base)" if level == group.base else short(level)


def _class_name(names, index: int) -> str:
    return str(names[index]) if names is not None and index < len(names) else str(index)


def plot_misclassified(group: Group) -> plt.Figure:
    """Small multiples: one row per level, its first misclassified test images in test order, each titled
    "true 9 -> predicted 4" with the test index below; the row label in the level's colour."""
    chosen, _ = shown_trials(group, "misclassified")
    levels = [level for level in group.levels if level in chosen]
    if not levels:
        raise ValueError(f"no trial of {group.title!r} recorded misclassified test images (stored by older code)")
    colors = level_colors(group.levels)
    columns = max([len(chosen[level]["misclassified"]) for level in levels] + [1])
    fig, axes = plt.subplots(
        len(levels), columns, squeeze=False, figsize=(PANEL * columns + 1.8, (PANEL + 0.35) * len(levels) + 0.2)
    )
    for row, level in zip(axes, levels):
        trial = chosen[level]
        for position, ax in enumerate(row):
            _bare(ax)
            if position >= len(trial["misclassified"]):
                continue
            example = trial["misclassified"][position]
            _show(ax, example["png"])
            true, predicted = (_class_name(trial["class_names"], example[k]) for k in ("true", "predicted"))
            title = f"true {true} -> predicted {predicted}"
            ax.set_title(title if len(title) <= 22 else f"true {true}\n-> predicted {predicted}", fontsize=8)
            ax.set_xlabel(f"test #{example['index']}", fontsize=6, color="0.4")
        if not trial["misclassified"]:
            row[0].text(0.0, 0.5, "no misclassified test image", transform=row[0].transAxes, fontsize=8, va="center")
        _row_label(row[0], _level_name(group, level), colors[level])
    fig.tight_layout()
    return fig


def plot_augmented_samples(group: Group) -> plt.Figure:
    """Training images as each augmentation level transforms them: the originals in the top row (one row per
    level when the levels' samples differ), then one row per level that augments, in the level's colour."""
    chosen, _ = shown_trials(group, "augmented_samples")
    levels = augmenting_levels(group)
    if not levels:
        raise ValueError(f"no level of {group.title!r} recorded augmented training images: nothing to draw")
    colors = level_colors(group.levels)
    shared = len({tuple(sample["index"] for sample in chosen[level]["augmented_samples"]) for level in levels}) == 1
    rows = [("original", chosen[levels[0]], "original", "0.25")] if shared else []
    for level in levels:
        if not shared:
            rows.append((f"{_level_name(group, level)}: original", chosen[level], "original", "0.25"))
        rows.append((_level_name(group, level), chosen[level], "augmented", colors[level]))
    columns = max(len(trial["augmented_samples"]) for _, trial, _, _ in rows)
    fig, axes = plt.subplots(
        len(rows), columns, squeeze=False, figsize=(PANEL * columns + 1.8, (PANEL + 0.1) * len(rows) + 0.2)
    )
    for axes_row, (label, trial, kind, color) in zip(axes, rows):
        for position, ax in enumerate(axes_row):
            _bare(ax)
            if position < len(trial["augmented_samples"]):
                sample = trial["augmented_samples"][position]
                _show(ax, sample[kind])
                if kind == "original":
                    ax.set_title(_class_name(trial["class_names"], sample["label"]), fontsize=8)
        _row_label(axes_row[0], label, color)
    fig.tight_layout()
    return fig
