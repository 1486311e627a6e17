"""One comparison's report part: its answer, charts and tables gathered into a ``Section``.

The section leads with the answer (one sentence per level, reports.answers, and the forest plot of the
paired differences), then the seed reports' figures; a figure that carries no information for this
study (one level, sizes that do not differ, no second factor) is left out with a note saying why.
"""

from __future__ import annotations

from functools import partial

import pandas as pd

from ablation_suite.ablations import AUTO
from ablation_suite.ablations.designs import DESIGNS
from ablation_suite.reports.answers import answered, group_sentences, margin
from ablation_suite.reports.comparisons import Group, level_label
from ablation_suite.reports.example_figures import (
    augmenting_levels,
    plot_augmented_samples,
    plot_misclassified,
    shown_trials,
)
from ablation_suite.reports.exports import Table
from ablation_suite.reports.figures import (
    BAND,
    level_colors,
    plot_accuracy_vs_parameters,
    plot_confusion_matrices,
    plot_forest,
    plot_learning_curves,
    plot_per_class_difference,
    plot_test_accuracy,
    plot_train_vs_test,
    short,
    sizes_differ,
)
from ablation_suite.reports.formatting import shown_confused_pairs, shown_summary
from ablation_suite.reports.grid_figures import is_two_factor, plot_accuracy_heatmap, plot_interaction
from ablation_suite.reports.tables import confused_pairs, level_table
from ablation_suite.reports.writers import Section, slug
from ablation_suite.stats import MIN_PAIRS
from ablation_suite.stats.levels import test_size


def seeds_phrase(table: pd.DataFrame) -> str:
    """ "3 seeds per level" or "2-3 seeds per level"."""
    low, high = int(table["seeds"].min()), int(table["seeds"].max())
    count = f"{low}" if low == high else f"{low}-{high}"
    return f"{count} seed{'s' if high != 1 else ''} per level"


def level_fields(group: Group) -> dict:
    """Level label -> {field: value label}, for tables that show each field in a column."""
    return {
        level: {name: level_label(sub[name].iloc[0]) for name in group.fields}
        for level, sub in group.rows.groupby("level")
    }


def comparison_section(group: Group, spec: dict) -> tuple[Section, pd.DataFrame | None]:
    """Every chart of one comparison and its summary table (None while nothing has finished), decided as the
    study decides (reports.answers.answered; a seeds="auto" study's margin is shaded)."""
    if group.rows.empty:
        return Section(group.title, ["No finished cells yet."]), None
    group, table = answered(group, spec)
    rope, adaptive = margin(spec), spec.get("seeds") == AUTO
    races = adaptive and DESIGNS[spec["design"]].races
    stem, title, base = slug(group.title), group.title, group.base
    images = test_size(group.rows)
    seeds = seeds_phrase(table)
    colors = level_colors(group.levels)
    levels = level_table(group)
    compared = len(table) > 1 and base in set(table["level"])  # levels to compare, and the base to compare with
    section = Section(title, lead=group_sentences(group, table, rope, races) if compared else [])
    if group.note:
        section.paragraphs.append(group.note)
    band = f"; shaded: the equivalence band +-{100 * rope:g} pp" if rope else ""
    if compared:
        reference = "best" if races else "base"
        section.figures.append(
            (
                f"{stem}_forest",
                partial(plot_forest, table, base, title, rope, colors, reference),
                f"Difference in test accuracy from the {'current best' if races else 'base'} "
                f"level {base}, in percentage points: mean over the seeds both levels share ({seeds}) "
                + (
                    "with the interval of the study's decision rule (paired t, simultaneous over its looks and "
                    + ("this comparison's" if spec.get("family") == "comparison" else "the study's")
                    + f" levels at error rate {spec.get('alpha', 0.05):g}: valid although the data decided when "
                    "to stop)"
                    if adaptive
                    else "with the 95% paired t interval of the difference"
                )
                + f"{band}. Right: decision and paired seeds; a decision needs at least {MIN_PAIRS} "
                "pairs.",
            )
        )
    else:
        section.paragraphs.append("One level (or no base level) has finished: no differences to show yet.")
    two_factor = is_two_factor(group)
    section.figures += (
        []
        if two_factor
        else [
            (
                f"{stem}_test_accuracy",
                partial(plot_test_accuracy, group, marks=not adaptive),
                f"Test accuracy by {title} ({seeds}): dots are seeds, diamonds the mean with its 95% interval "
                "(t interval on the logit scale, so inside [0, 1]); "
                + (
                    "no test marks: the study's decision rule decides (the forest plot above)."
                    if adaptive
                    else "marks: Holm-corrected paired t test against the base (*** < 0.001, ** < 0.01, * < 0.05, "
                    f"n.s.), only with >= {MIN_PAIRS} paired seeds."
                ),
            )
        ]
    )
    section.figures += [
        (
            f"{stem}_curves",
            partial(plot_learning_curves, group),
            f"Learning curves by {title}: accuracy (top) and loss (bottom), validation (left) and training (right); "
            f"line: mean over seeds ({seeds}), {BAND}.",
        )
    ]
    if two_factor:  # the interaction plot and heat map replace one axis of flattened "a=x, b=y" labels
        section.figures += [
            (
                f"{stem}_interaction",
                partial(plot_interaction, group),
                f"Interaction of {' and '.join(group.fields)}: mean test accuracy per cell with its 95% interval "
                f"({seeds}).",
            ),
            (
                f"{stem}_heatmap",
                partial(plot_accuracy_heatmap, group),
                f"Mean test accuracy (%) of every cell ({seeds}).",
            ),
        ]
    section.figures.append(
        (
            f"{stem}_train_vs_test",
            partial(plot_train_vs_test, levels, what=title, colors=colors),
            f"Final training accuracy (circles) and test accuracy (diamonds) per level, mean over "
            f"seeds ({seeds}): the gap is over-fitting.",
        )
    )
    same_classes = group.rows["class_names"].map(tuple).nunique() == 1
    if compared and not same_classes:
        section.paragraphs.append(
            "The levels classify different sets of classes (a dataset factor): no per-class difference from the base."
        )
    elif compared:
        section.figures.append(
            (
                f"{stem}_per_class",
                partial(plot_per_class_difference, group),
                f"Per-class test accuracy of each level minus the base level's ({base}), in "
                f"percentage points, mean over seeds ({seeds}).",
            )
        )
    section.figures.append(
        (
            f"{stem}_confusion",
            partial(plot_confusion_matrices, group),
            f"Test confusion matrices, normalised per true class and averaged over seeds; one panel "
            f"per level ({seeds}).",
        )
    )
    example_figures(group, stem, section)
    if sizes_differ(levels["params"]):
        section.figures.append(
            (
                f"{stem}_accuracy_vs_parameters",
                partial(plot_accuracy_vs_parameters, levels, colors),
                f"Test accuracy against log10 of the trainable parameters, per level ({seeds}).",
            )
        )
    else:
        section.paragraphs.append("The levels' parameter counts differ by less than 1%: no accuracy-vs-size figure.")
    section.tables.append(
        Table(
            f"{stem}_summary",
            table,
            f"{title}: per level, test accuracy (%) with its 95% "
            f"interval, the difference from {base} in percentage points with "
            + (
                "the interval and decision of the study's rule (the forest plot above); for reference the "
                if adaptive
                else "its paired 95% interval, "
            )
            + f"Holm-corrected paired t test and d_z (given with >= {MIN_PAIRS} paired seeds), "
            "final training accuracy, size and speed.",
            shown_summary(table, base, images, level_fields(group)),
        )
    )
    pairs = confused_pairs(group)
    if not pairs.empty:
        section.tables.append(
            Table(
                f"{stem}_confused_pairs",
                pairs,
                f"{title}: the three most confused class pairs "
                f"of every level, as a share of the true class (mean over seeds), and the same "
                f"share at {base}.",
                shown_confused_pairs(pairs, base, images),
            )
        )
    return section, table


def example_figures(group: Group, stem: str, section: Section) -> None:
    """The recorded example images (reports.example_figures): misclassified test images per level and, where a level
    augments, its augmented training images; a note where the trials recorded none (stored by older code) or no
    level augments."""
    chosen, seed = shown_trials(group, "misclassified")
    if not chosen:
        section.paragraphs.append(
            "These trials were stored before trials recorded example images: no misclassified "
            "test images or augmented training images to show."
        )
        return
    section.figures.append(
        (
            f"{stem}_misclassified",
            partial(plot_misclassified, group),
            f"The first misclassified test images in test order, up to 8 per level, one row per level "
            f"({_shown_seed(seed)}): title: true -> predicted class; below: the test image's index. "
            "Taken in test order, an image several levels misread appears in each of their rows.",
        )
    )
    augmenting = augmenting_levels(group)
    if not augmenting:
        section.paragraphs.append("No level augments its training images: no figure of augmented samples.")
        return
    chosen, seed = shown_trials(group, "augmented_samples")
    plain = [short(level) for level in group.levels if level in chosen and level not in augmenting]
    section.figures.append(
        (
            f"{stem}_augmented",
            partial(plot_augmented_samples, group),
            f"Training images as each level augments them ({_shown_seed(seed)}): the first training "
            "image of each class (the row labelled original) and, per level, the same images after "
            "that trial's own augmentation layers and seeds, applied once (mixup and cutmix blend each "
            "image with another of the row)"
            + (f"; levels without augmentation ({', '.join(plain)}) are left out." if plain else "."),
        )
    )


def _shown_seed(seed) -> str:
    return f"seed {seed}" if seed is not None else "each level's lowest seed: the levels share no seed"
