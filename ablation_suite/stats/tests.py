"""Paired tests of a level against its base, Holm's correction across a comparison's levels, and the planning
guess of how many seeds a paired t test would need."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from ablation_suite.stats import ALPHA, MIN_PAIRS
from ablation_suite.stats.intervals import paired_differences

TESTS = ("t", "wilcoxon")
MANY_SEEDS = 100  # beyond this a planning guess from a few seeds means only "a great many"


def paired_test(level, base, test: str = "t") -> tuple[float, float, int]:
    """(p-value, effect size d_z, pairs) of ``level - base`` over the seeds both have; NaN p and d_z with
    fewer than MIN_PAIRS pairs (a test on two pairs has one degree of freedom, its d_z is a ratio of two numbers)."""
    if test not in TESTS:
        raise ValueError(f"test={test!r} is not known; choose one of: {', '.join(TESTS)}")
    diff = paired_differences(level, base)
    if len(diff) < MIN_PAIRS:
        return math.nan, math.nan, len(diff)
    spread = diff.std(ddof=1)
    effect = float(diff.mean() / spread) if spread > 0 else math.nan
    if np.allclose(diff, 0):
        return 1.0, effect, len(diff)  # identical results: no evidence of a difference
    if spread == 0:
        return math.nan, effect, len(diff)  # a constant non-zero shift: the t test is undefined
    if test == "t":
        p = stats.ttest_1samp(diff, 0.0).pvalue  # = scipy's ttest_rel on the pairs
    else:
        p = stats.wilcoxon(diff).pvalue
    return float(p), effect, len(diff)


def holm(p_values) -> list[float]:
    """Holm-Bonferroni adjusted p-values (NaN stays NaN and does not count as a test).

    scipy offers Benjamini-Hochberg (false_discovery_control) but not Holm, which controls the
    family-wise error the paper-style "significantly different from base" claim needs.
    """
    p = np.asarray(p_values, dtype=float)
    tested = np.flatnonzero(~np.isnan(p))
    adjusted = np.full(len(p), np.nan)
    running = 0.0
    for rank, index in enumerate(tested[np.argsort(p[tested], kind="stable")]):
        running = max(running, min(1.0, (len(tested) - rank) * p[index]))
        adjusted[index] = running
    return adjusted.tolist()


def seeds_needed(effect_size: float, power: float = 0.8, alpha: float = ALPHA) -> int:
    """Pairs a two-sided paired t test needs to detect ``effect_size`` (d_z) with ``power``."""
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return math.ceil((z / abs(effect_size)) ** 2 + 2)  # +2: the t distribution's small-sample correction


def seeds_would(needed: float) -> str:
    """How many seeds would likely tell, in words: "about 8" or "more than 100"."""
    return f"about {int(needed)}" if needed <= MANY_SEEDS else f"more than {MANY_SEEDS}"
