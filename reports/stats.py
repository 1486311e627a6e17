"""Statistics of a comparison: per-level mean and CI, paired tests against the base, methodology warnings.

Seeds are a paired axis (seed k has the same split, data order and, where shapes agree, initial
weights at every level), so each level is compared with the base level seed by seed: a paired t
test (or Wilcoxon signed-rank) from scipy, Holm-corrected across the levels of one comparison, and
the paired effect size d_z = mean(difference) / sd(difference).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from ablations import is_range

TESTS = ("t", "wilcoxon")
ALPHA = 0.05
DIVERGED_WARNING = 0.10  # share of diverged trials above which results are suspect
BOUNDARY = 0.05  # a tuned value within 5% of a range end (on its scale) is "on the boundary"


def mean_ci(values, confidence=0.95):
    """Mean and Student-t confidence interval (the interval is the mean itself with one value)."""
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    if len(values) < 2 or np.allclose(values, mean):
        return mean, mean, mean
    low, high = stats.t.interval(confidence, len(values) - 1, loc=mean, scale=stats.sem(values))
    return mean, float(low), float(high)


def paired_test(level, base, test: str = "t") -> tuple[float, float, int]:
    """(p-value, effect size d_z, pairs) of ``level - base`` over the seeds both have."""
    if test not in TESTS:
        raise ValueError(f"test={test!r} is not known; choose one of: {', '.join(TESTS)}")
    pairs = pd.concat({"level": pd.Series(level, dtype=float), "base": pd.Series(base, dtype=float)},
                      axis=1, join="inner").dropna()
    diff = (pairs["level"] - pairs["base"]).to_numpy()
    if len(diff) < 2:
        return math.nan, math.nan, len(diff)
    spread = diff.std(ddof=1)
    effect = float(diff.mean() / spread) if spread > 0 else math.nan
    if np.allclose(diff, 0):
        return 1.0, effect, len(diff)  # identical results: no evidence of a difference
    if spread == 0:
        return math.nan, effect, len(diff)  # a constant non-zero shift: the t test is undefined
    if test == "t":
        p = stats.ttest_rel(pairs["level"], pairs["base"]).pvalue
    else:
        p = stats.wilcoxon(pairs["level"], pairs["base"]).pvalue
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


def compare_levels(rows: pd.DataFrame, levels: list[str], base: str, metric: str = "test_accuracy",
                   test: str = "t") -> pd.DataFrame:
    """Per level: seeds, mean with 95% CI, delta vs base, paired p (raw and Holm), effect size, and the
    number of seeds paired with the base.

    ``rows`` has one row per finished trial with columns "level", "seed" and ``metric``.
    """
    by_level = {level: rows[rows["level"] == level].set_index("seed")[metric].astype(float) for level in levels}
    table = []
    for level in levels:
        values = by_level[level].dropna()
        if values.empty:
            continue
        mean, low, high = mean_ci(values)
        p, effect, pairs = paired_test(values, by_level[base], test) if level != base else (math.nan, math.nan, 0)
        table.append(dict(level=level, seeds=len(values), mean=mean, ci_low=low, ci_high=high,
                          delta_vs_base=mean - by_level[base].mean() if not by_level[base].empty else math.nan,
                          p_value=p, effect_size=effect, pairs=pairs))
    table = pd.DataFrame(table, columns=["level", "seeds", "mean", "ci_low", "ci_high", "delta_vs_base",
                                         "p_value", "effect_size", "pairs"])
    table.insert(7, "p_holm", holm(table["p_value"]) if len(table) else [])
    table["significant"] = table["p_holm"] < ALPHA
    return table


def seeds_needed(effect_size: float, power: float = 0.8, alpha: float = ALPHA) -> int:
    """Pairs a two-sided paired t test needs to detect ``effect_size`` (d_z) with ``power``."""
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return math.ceil((z / abs(effect_size)) ** 2 + 2)  # +2: the t distribution's small-sample correction


def methodology_warnings(frame: pd.DataFrame, spec: dict, comparisons: list[tuple[str, pd.DataFrame]]) -> list[str]:
    """Plain-language warnings about how far the results can be trusted.

    ``frame`` is the study's trials table, ``comparisons`` the (title, compare_levels table) pairs.
    """
    warnings = []
    done = frame[frame["status"].isin(["done", "diverged"])]
    if len(done) and done["status"].eq("diverged").mean() > DIVERGED_WARNING:
        warnings.append(f"{done['status'].eq('diverged').sum()} of {len(done)} trials diverged (more than "
                        f"{DIVERGED_WARNING:.0%}): lower the learning rate or check the set-up before reading the means")
    for title, table in comparisons:
        for _, row in table.iterrows():
            if row["p_value"] >= ALPHA and math.isfinite(row["effect_size"]) and row["effect_size"] != 0:
                needed = seeds_needed(row["effect_size"])
                if needed > row["seeds"]:
                    warnings.append(
                        f"{title}: {row['level']} differs from the base by {row['delta_vs_base']:+.4f} but "
                        f"{row['seeds']} seeds cannot tell (p={row['p_value']:.2g}); about {needed} seeds would")
            elif math.isnan(row["p_value"]) and row["pairs"] >= 2:
                warnings.append(
                    f"{title}: {row['level']} differs from the base by the same {row['delta_vs_base']:+.4f} on all "
                    f"{row['pairs']} seeds, so the paired test has no spread to judge it by (p is NaN); run more "
                    "seeds (--seeds) to tell whether the shift is real")
    factors, searched = spec.get("factors", {}), spec.get("search_space", {})
    if "batch_size" in factors and "learning_rate" not in searched:
        warnings.append("batch_size is compared at one learning rate: a batch size needs its own learning rate "
                        "(re-tune it per level with a nested design, e.g. the batch_size_lr ablation)")
    warnings += boundary_warnings(done, spec)
    return warnings


def boundary_warnings(done: pd.DataFrame, spec: dict) -> list[str]:
    """A tuned value at the edge of its search range: the optimum may lie outside it."""
    warnings = []
    for name, primitive in spec.get("search_space", {}).items():
        if not is_range(primitive) or name not in done:
            continue
        kind, low, high = primitive
        scale = np.log if kind in ("log", "logint") else (lambda v: v)
        for value in done[name].dropna().unique():
            position = (scale(float(value)) - scale(low)) / (scale(high) - scale(low))
            if position <= BOUNDARY or position >= 1 - BOUNDARY:
                end = "lower" if position <= BOUNDARY else "upper"
                warnings.append(f"tuned {name}={float(value):.3g} lies at the {end} end of its search range "
                                f"[{low:g}, {high:g}]: widen the range")
    return warnings
