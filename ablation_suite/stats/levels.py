"""The per-level table of one comparison, and the decision of a fixed-seed design from its one final look.

Per level: the mean test accuracy with its 95% interval (``intervals.accuracy_ci``), the paired difference
from the base with its own 95% interval (``intervals.paired_interval``), a paired t test (or Wilcoxon)
Holm-corrected across the levels of the comparison, and the paired effect size d_z. Small samples are
reported honestly: with fewer than ``MIN_PAIRS`` paired seeds no p-value or effect size is given (NaN, with a
note), while the interval of the difference, which says exactly how little is known, is.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ablation_suite.stats import ALPHA, MIN_PAIRS, outliers
from ablation_suite.stats.intervals import accuracy_ci, mean_ci, paired_differences, paired_interval
from ablation_suite.stats.tests import holm, paired_test, seeds_needed

NEEDS_PAIRS = f"needs >= {MIN_PAIRS} paired seeds"
COLUMNS = [
    "level",
    "seeds",
    "mean",
    "ci_low",
    "ci_high",
    "delta_vs_base",
    "diff_low",
    "diff_high",
    "p_value",
    "p_holm",
    "effect_size",
    "pairs",
    "seeds_needed",
    "far_seeds",
    "disagreeing",
    "note",
]
_BASE_ROW = dict(
    diff_low=math.nan,
    diff_high=math.nan,
    p_value=math.nan,
    effect_size=math.nan,
    pairs=0,
    seeds_needed=math.nan,
    far_seeds=0,
    disagreeing="",
    note="base",
)


def test_size(rows: pd.DataFrame) -> int | None:
    """Images in the test set, from the first stored confusion matrix (None when none is stored)."""
    if "confusion_matrix" not in rows:
        return None
    matrices = [m for m in rows["confusion_matrix"] if m is not None]
    return int(np.sum(matrices[0])) if matrices else None


def compare_levels(
    rows: pd.DataFrame, levels: list[str], base: str, metric: str = "test_accuracy", test: str = "t"
) -> pd.DataFrame:
    """Per level: seeds, mean with 95% interval (inside [0, 1] for an accuracy), difference from the base
    with the paired difference's own 95% interval, paired p (raw and Holm) and effect size (NaN with fewer
    than MIN_PAIRS pairs, said in ``note``), the seeds paired with the base, and ``seeds_needed``: about how
    many pairs a paired t test would need for 80% power at the observed difference and spread (a planning
    guess, NaN where there is nothing to plan from).

    ``rows`` has one row per finished trial with columns "level", "seed" and ``metric``.
    """
    by_level = {level: rows[rows["level"] == level].set_index("seed")[metric].astype(float) for level in levels}
    images = test_size(rows)
    accuracy = metric.endswith("accuracy")
    table = []
    for level in levels:
        values = by_level[level].dropna()
        if values.empty:
            continue
        mean, low, high = accuracy_ci(values, images) if accuracy else mean_ci(values)
        row = dict(
            level=level,
            seeds=len(values),
            mean=mean,
            ci_low=low,
            ci_high=high,
            delta_vs_base=mean - by_level[base].mean() if not by_level[base].empty else math.nan,
            **_versus_base(values, by_level[base], test, accuracy) if level != base else _BASE_ROW,
        )
        table.append(row)
    table = pd.DataFrame(table, columns=[c for c in COLUMNS if c != "p_holm"])
    table.insert(COLUMNS.index("p_holm"), "p_holm", holm(table["p_value"]) if len(table) else [])
    table["significant"] = table["p_holm"] < ALPHA
    return table


def _versus_base(values: pd.Series, base: pd.Series, test: str, bounded: bool) -> dict:
    """The paired columns of one level against the base."""
    diff = paired_differences(values, base)
    p, effect, pairs = paired_test(values, base, test)
    _, low, high = paired_interval(diff, bounded=bounded)
    spread = diff.std(ddof=1) if len(diff) >= 2 else 0.0
    needed = seeds_needed(diff.mean() / spread) if spread > 0 and diff.mean() != 0 else math.nan
    note = "no seed paired with the base" if pairs == 0 else NEEDS_PAIRS if pairs < MIN_PAIRS else ""
    runs = [side.reindex(diff.index).to_numpy(dtype=float) for side in (values, base)]
    far = diff[outliers.disagreeing(diff.to_numpy(), *runs)]  # by the difference, the level's run or the base's
    return dict(
        diff_low=low,
        diff_high=high,
        p_value=p,
        effect_size=effect,
        pairs=pairs,
        seeds_needed=needed,
        far_seeds=len(far),
        disagreeing=outliers.describe(far, pairs),
        note=note,
    )


def fixed_design_decision(row, rope: float | None = None) -> str:
    """better / worse / equivalent / undecided of one ``compare_levels`` row, from one look at a fixed number of
    seeds: better or worse when the Holm-corrected paired test rejects at ALPHA (at least MIN_PAIRS pairs),
    equivalent when a margin ``rope`` (a difference of accuracies) is given, the whole interval of the
    difference lies inside it and no seed lies far from the others (stats.outliers), else undecided."""
    low, high = row["diff_low"], row["diff_high"]
    if row["pairs"] < MIN_PAIRS or not (math.isfinite(low) and math.isfinite(high)):
        return "undecided"
    if rope and -rope <= low and high <= rope:
        return "equivalent" if not row.get("far_seeds", 0) else "undecided"
    if math.isfinite(row["p_holm"]) and row["p_holm"] < ALPHA:
        return "better" if row["delta_vs_base"] > 0 else "worse"
    return "undecided"
