"""Statistics of a comparison: per-level mean and interval, the paired difference from the base with its
own interval, paired tests, and the methodology warnings.

Seeds are a paired axis (seed k has the same split, data order and, where shapes agree, initial
weights at every level), so each level is compared with the base level seed by seed: the paired
difference ``level - base`` over the seeds both have, its 95% paired t interval (``diff_low``,
``diff_high``), a paired t test (or Wilcoxon signed-rank) from scipy, Holm-corrected across the
levels of one comparison, and the paired effect size d_z = mean(difference) / sd(difference).

Small samples are reported honestly: with fewer than ``MIN_PAIRS`` paired seeds no p-value or effect
size is given (NaN, with a note), since a test on two pairs has one degree of freedom and its d_z is
a ratio of two numbers; the interval of the difference, which says exactly how little is known, is.
A level's accuracy interval is a t interval of the seeds' accuracies on the logit scale, transformed
back, so it stays inside [0, 1] and widens towards the open side near 0 or 1 (a t interval of raw
accuracies reaches 1.05 at n = 2, and clipping it would hide how uncertain it is).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit, logit

from ablation_suite.ablations import MIN_PAIRS, is_range  # MIN_PAIRS: fewer paired seeds: no p-value, effect size or decision

TESTS = ("t", "wilcoxon")
ALPHA = 0.05
CONFIDENCE = 0.95
NEEDS_PAIRS = f"needs >= {MIN_PAIRS} paired seeds"
DIVERGED_WARNING = 0.10  # share of diverged trials above which results are suspect
BOUNDARY = 0.05  # a tuned value within 5% of a range end (on its scale) is "on the boundary"
COLUMNS = ["level", "seeds", "mean", "ci_low", "ci_high", "delta_vs_base", "diff_low", "diff_high", "p_value",
           "p_holm", "effect_size", "pairs", "seeds_needed", "note"]


def mean_ci(values, confidence=CONFIDENCE):
    """Mean and Student-t confidence interval of unbounded values (NaN bounds with one value or no spread)."""
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    if len(values) < 2 or np.allclose(values, mean):
        return mean, math.nan, math.nan
    low, high = stats.t.interval(confidence, len(values) - 1, loc=mean, scale=stats.sem(values))
    return mean, float(low), float(high)


def accuracy_ci(values, test_size: int | None = None, confidence=CONFIDENCE):
    """Mean accuracy and a 95% interval inside [0, 1]: a t interval of the seeds' logits, transformed back.

    An accuracy of exactly 0 or 1 has no finite logit; it is moved half an image inwards (``test_size``
    images, from the stored confusion matrix; 10,000 when unknown). NaN bounds with one seed, or seeds
    that all agree: neither says how far another seed could land, and a zero-width interval would claim it.
    """
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    if len(values) < 2 or np.allclose(values, mean):
        return mean, math.nan, math.nan
    half_image = 0.5 / (test_size or 10_000)
    logits = logit(np.clip(values, half_image, 1 - half_image))
    low, high = stats.t.interval(confidence, len(values) - 1, loc=logits.mean(), scale=stats.sem(logits))
    return mean, float(expit(low)), float(expit(high))


def paired_differences(level, base) -> np.ndarray:
    """``level - base`` over the seeds both have (two Series indexed by seed), in seed order."""
    pairs = pd.concat({"level": pd.Series(level, dtype=float), "base": pd.Series(base, dtype=float)},
                      axis=1, join="inner").dropna().sort_index()
    return (pairs["level"] - pairs["base"]).to_numpy()


def difference_ci(diff, confidence=CONFIDENCE, bounded: bool = True) -> tuple[float, float]:
    """95% paired t interval of the mean difference (within [-1, 1] when ``bounded``: accuracies); NaN with fewer than 2 pairs or no spread
    (a zero-width
    interval from a few seeds that happened to shift alike would claim a certainty nobody has)."""
    diff = np.asarray(diff, dtype=float)
    if len(diff) < 2 or diff.std(ddof=1) == 0:
        return math.nan, math.nan
    low, high = stats.t.interval(confidence, len(diff) - 1, loc=diff.mean(), scale=stats.sem(diff))
    # a difference of accuracies lies in [-1, 1]: cutting the interval to it keeps its coverage exactly
    return (float(max(low, -1.0)), float(min(high, 1.0))) if bounded else (float(low), float(high))


def paired_test(level, base, test: str = "t") -> tuple[float, float, int]:
    """(p-value, effect size d_z, pairs) of ``level - base`` over the seeds both have; NaN p and d_z with
    fewer than MIN_PAIRS pairs."""
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


def test_size(rows: pd.DataFrame) -> int | None:
    """Images in the test set, from the first stored confusion matrix (None when none is stored)."""
    if "confusion_matrix" not in rows:
        return None
    matrices = [m for m in rows["confusion_matrix"] if m is not None]
    return int(np.sum(matrices[0])) if matrices else None


def compare_levels(rows: pd.DataFrame, levels: list[str], base: str, metric: str = "test_accuracy",
                   test: str = "t") -> pd.DataFrame:
    """Per level: seeds, mean with 95% interval (inside [0, 1] for an accuracy), difference from the base
    with the paired difference's own 95% interval, paired p (raw and Holm) and effect size (NaN with fewer
    than MIN_PAIRS pairs, said in ``note``), the seeds paired with the base, and ``seeds_needed``: about how
    many pairs a paired t test would need for 80% power at the observed difference and spread (a planning
    guess, NaN where there is nothing to plan from).

    ``rows`` has one row per finished trial with columns "level", "seed" and ``metric``.
    """
    by_level = {level: rows[rows["level"] == level].set_index("seed")[metric].astype(float) for level in levels}
    images = test_size(rows)
    table = []
    for level in levels:
        values = by_level[level].dropna()
        if values.empty:
            continue
        mean, low, high = accuracy_ci(values, images) if metric.endswith("accuracy") else mean_ci(values)
        row = dict(level=level, seeds=len(values), mean=mean, ci_low=low, ci_high=high,
                   delta_vs_base=mean - by_level[base].mean() if not by_level[base].empty else math.nan,
                   **_versus_base(values, by_level[base], test, metric.endswith("accuracy")) if level != base
                   else _BASE_ROW)
        table.append(row)
    table = pd.DataFrame(table, columns=[c for c in COLUMNS if c != "p_holm"])
    table.insert(COLUMNS.index("p_holm"), "p_holm", holm(table["p_value"]) if len(table) else [])
    table["significant"] = table["p_holm"] < ALPHA
    return table


_BASE_ROW = dict(diff_low=math.nan, diff_high=math.nan, p_value=math.nan, effect_size=math.nan, pairs=0,
                 seeds_needed=math.nan, note="base")


def _versus_base(values: pd.Series, base: pd.Series, test: str, bounded: bool) -> dict:
    """The paired columns of one level against the base."""
    diff = paired_differences(values, base)
    p, effect, pairs = paired_test(values, base, test)
    low, high = difference_ci(diff, bounded=bounded)
    spread = diff.std(ddof=1) if len(diff) >= 2 else 0.0
    needed = seeds_needed(diff.mean() / spread) if spread > 0 and diff.mean() != 0 else math.nan
    note = "no seed paired with the base" if pairs == 0 else NEEDS_PAIRS if pairs < MIN_PAIRS else ""
    return dict(diff_low=low, diff_high=high, p_value=p, effect_size=effect, pairs=pairs, seeds_needed=needed,
                note=note)


def seeds_needed(effect_size: float, power: float = 0.8, alpha: float = ALPHA) -> int:
    """Pairs a two-sided paired t test needs to detect ``effect_size`` (d_z) with ``power``."""
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return math.ceil((z / abs(effect_size)) ** 2 + 2)  # +2: the t distribution's small-sample correction


MANY_SEEDS = 100  # beyond this a planning guess from a few seeds means only "a great many"


def seeds_would(needed: float) -> str:
    """How many seeds would likely tell, in words: "about 8" or "more than 100"."""
    return f"about {int(needed)}" if needed <= MANY_SEEDS else f"more than {MANY_SEEDS}"


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
        warnings += _comparison_warnings(title, table)
    factors, searched = spec.get("factors", {}), spec.get("search_space", {})
    if "batch_size" in factors and "learning_rate" not in searched:
        warnings.append("batch_size is compared at one learning rate: a batch size needs its own learning rate "
                        "(re-tune it per level with a nested design, e.g. the batch_size_lr ablation)")
    warnings += boundary_warnings(done, spec)
    return warnings


def _comparison_warnings(title: str, table: pd.DataFrame) -> list[str]:
    """Too few pairs to test (one line for the comparison), too few seeds to tell, no spread to judge by."""
    warnings = []
    others = table[table["note"] != "base"]
    few = others[others["pairs"] < MIN_PAIRS]
    if len(few):
        warnings.append(f"{title}: {'; '.join(map(str, few['level']))} "
                        f"{'has' if len(few) == 1 else 'have'} fewer than {MIN_PAIRS} seeds paired with the base "
                        f"({', '.join(str(n) for n in dict.fromkeys(few['pairs']))}), so no p-value or effect size "
                        "is given; read the interval of the difference, or run more seeds (--seeds)")
    for _, row in others[others["pairs"] >= MIN_PAIRS].iterrows():
        if row["p_value"] >= ALPHA and math.isfinite(row["seeds_needed"]) and row["seeds_needed"] > row["pairs"]:
            warnings.append(
                f"{title}: {row['level']} differs from the base by {row['delta_vs_base']:+.4f} but "
                f"{row['pairs']} paired seeds cannot tell (p={row['p_value']:.2g}); "
                f"{seeds_would(row['seeds_needed'])} seeds would")
        elif math.isnan(row["p_value"]):
            warnings.append(
                f"{title}: {row['level']} differs from the base by the same {row['delta_vs_base']:+.4f} on all "
                f"{row['pairs']} seeds, so the paired test has no spread to judge it by (p is NaN); run more "
                "seeds (--seeds) to tell whether the shift is real")
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
