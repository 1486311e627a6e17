"""One comparison's report part: its charts and summary table gathered into a ``Section``."""

from __future__ import annotations

import pandas as pd

from reports.comparisons import Group
from reports.figures import (plot_accuracy_vs_parameters, plot_confusion_matrix, plot_learning_curves,
                             plot_per_class_difference, plot_test_accuracy, plot_train_vs_test)
from reports.tables import _present, level_table, summary_table
from reports.writers import Section, slug


def comparison_section(group: Group) -> tuple[Section, pd.DataFrame | None]:
    """Every chart of one comparison and its summary table (None while nothing has finished)."""
    if group.rows.empty:
        return Section(group.title, ["No finished cells yet."]), None
    stem = slug(group.title)
    table = summary_table(group)
    best = table.loc[table["test_accuracy"].idxmax(), "level"]
    levels = level_table(group)
    figures = [(f"{stem}_curves", plot_learning_curves(group), "learning curves (mean over seeds, 95% CI band)"),
               (f"{stem}_test_accuracy", plot_test_accuracy(group), "test accuracy per level, significance vs base"),
               (f"{stem}_train_vs_test", plot_train_vs_test(levels, what=group.title),
                "train vs test accuracy per level (the over-fitting gap)"),
               (f"{stem}_per_class", plot_per_class_difference(group), "per-class accuracy, difference from base"),
               (f"{stem}_accuracy_vs_parameters", plot_accuracy_vs_parameters(levels),
                "test accuracy vs log10 parameters per level")]
    for index, level in enumerate(_present(group, group.rows)):
        name = "base" if level == group.base else f"{index}_{slug(level)}"  # the index keeps names unique
        figures.append((f"{stem}_confusion_{name}", plot_confusion_matrix(group, level),
                        f"confusion matrix, {level}" + (" (base)" if level == group.base else "")))
    paragraphs = [f"Best level (test accuracy): {best}."] + ([group.note] if group.note else [])
    return Section(group.title, paragraphs, [table], figures), table
