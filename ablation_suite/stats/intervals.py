"""Intervals: of a mean, of an accuracy (inside [0, 1]), and of a paired difference.

Seeds are a paired axis (seed k has the same split, data order and, where shapes agree, initial weights at
every level), so two levels are compared seed by seed: ``paired_differences`` is the one place that pairs
them, and ``paired_interval`` the one paired-t interval of their mean difference, used by the fixed-seed
tables (at 95%) and by the sequential rule (at its own, smaller error share per look).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit, logit

from ablation_suite.stats import CONFIDENCE

UNKNOWN_TEST_SIZE = 10_000  # images assumed when a trial stored no confusion matrix to count them from


def mean_ci(values, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of unbounded values (NaN bounds with one value or no spread)."""
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    if len(values) < 2 or np.allclose(values, mean):
        return mean, math.nan, math.nan
    low, high = stats.t.interval(confidence, len(values) - 1, loc=mean, scale=stats.sem(values))
    return mean, float(low), float(high)


def accuracy_ci(values, test_size: int | None = None, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean accuracy and an interval inside [0, 1]: a t interval of the seeds' logits, transformed back.

    An accuracy of exactly 0 or 1 has no finite logit; it is moved half an image inwards (``test_size``
    images, from the stored confusion matrix; 10,000 when unknown). NaN bounds with one seed, or seeds
    that all agree: neither says how far another seed could land, and a zero-width interval would claim it.
    """
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    if len(values) < 2 or np.allclose(values, mean):
        return mean, math.nan, math.nan
    half_image = 0.5 / (test_size or UNKNOWN_TEST_SIZE)
    logits = logit(np.clip(values, half_image, 1 - half_image))
    low, high = stats.t.interval(confidence, len(values) - 1, loc=logits.mean(), scale=stats.sem(logits))
    return mean, float(expit(low)), float(expit(high))


def paired_differences(level: Mapping | pd.Series, base: Mapping | pd.Series) -> pd.Series:
    """``level - base`` over the seeds both have (each a Series or dict indexed by seed), indexed by seed in seed
    order; a seed without a value (NaN) on either side is left out."""
    pairs = (
        pd.concat({"level": pd.Series(level, dtype=float), "base": pd.Series(base, dtype=float)}, axis=1, join="inner")
        .dropna()
        .sort_index()
    )
    return pairs["level"] - pairs["base"]


def paired_interval(
    differences, confidence: float = CONFIDENCE, resolution: float = 0.0, bounded: bool = True
) -> tuple[float, float, float]:
    """Mean and two-sided paired Student-t interval of ``differences``.

    ``resolution`` floors the spread (accuracy moves in steps of one test image, so pairs that happen to shift
    alike on every seed still carry that much uncertainty). NaN bounds with fewer than two pairs or no spread
    left: a zero-width interval from a few seeds that shifted alike would claim a certainty nobody has.
    ``bounded``: a difference of accuracies lies in [-1, 1], and cutting the interval to it keeps its coverage.
    """
    diffs = np.asarray(differences, dtype=float)
    mean = float(diffs.mean()) if len(diffs) else math.nan
    spread = max(float(diffs.std(ddof=1)), resolution) if len(diffs) >= 2 else 0.0
    if spread == 0:
        return mean, math.nan, math.nan
    half = t_quantile(confidence, len(diffs) - 1) * spread / math.sqrt(len(diffs))
    low, high = mean - half, mean + half
    return (mean, max(low, -1.0), min(high, 1.0)) if bounded else (mean, low, high)


def t_quantile(confidence: float, df: int) -> float:
    """The two-sided Student-t critical value of ``confidence`` with ``df`` degrees of freedom."""
    return float(stats.t.ppf(1 - (1 - confidence) / 2, df))
