"""Statistics against scipy on hand-made tables, and the methodology warnings (no training)."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from reports.stats import compare_levels, holm, methodology_warnings, paired_test, seeds_needed

# Test accuracy per seed: "b" is consistently better than the base "a", "c" is noise around it.
TABLE = {
    "a": [0.80, 0.82, 0.79, 0.81, 0.80],
    "b": [0.84, 0.85, 0.83, 0.86, 0.84],
    "c": [0.81, 0.80, 0.80, 0.82, 0.80],
}


def rows(table=TABLE):
    return pd.DataFrame([dict(level=level, seed=seed, test_accuracy=value)
                         for level, values in table.items() for seed, value in enumerate(values)])


@pytest.mark.parametrize("test, scipy_test", [("t", stats.ttest_rel), ("wilcoxon", stats.wilcoxon)])
def test_paired_tests_match_scipy(test, scipy_test):
    result = compare_levels(rows(), ["a", "b", "c"], "a", test=test).set_index("level")
    for level in ("b", "c"):
        assert result.loc[level, "p_value"] == pytest.approx(scipy_test(TABLE[level], TABLE["a"]).pvalue)
        diff = np.subtract(TABLE[level], TABLE["a"])
        assert result.loc[level, "effect_size"] == pytest.approx(diff.mean() / diff.std(ddof=1))
        assert result.loc[level, "delta_vs_base"] == pytest.approx(np.mean(TABLE[level]) - np.mean(TABLE["a"]))
        low, high = stats.t.interval(0.95, 4, loc=np.mean(TABLE[level]), scale=stats.sem(TABLE[level]))
        assert (result.loc[level, "ci_low"], result.loc[level, "ci_high"]) == pytest.approx((low, high))
    assert math.isnan(result.loc["a", "p_value"]) and not bool(result.loc["c", "significant"])
    # five pairs: the t test finds b's shift; the signed-rank test cannot go below p = 1/16 with n = 5
    assert bool(result.loc["b", "significant"]) == (test == "t")


def test_pairs_are_matched_by_seed_not_by_position():
    shuffled = rows().sample(frac=1.0, random_state=0)  # row order must not matter
    missing = shuffled[~((shuffled["level"] == "b") & (shuffled["seed"] == 2))]  # seed 2 of "b" not run
    result = compare_levels(missing, ["a", "b", "c"], "a").set_index("level")
    kept = [i for i in range(5) if i != 2]
    expected = stats.ttest_rel([TABLE["b"][i] for i in kept], [TABLE["a"][i] for i in kept]).pvalue
    assert result.loc["b", "p_value"] == pytest.approx(expected) and result.loc["b", "seeds"] == 4


def test_holm_matches_a_hand_computed_example():
    # sorted p: 0.01 (x3 = 0.03), 0.03 (x2 = 0.06), 0.04 (x1 = 0.04 -> monotone 0.06); NaN untouched
    assert holm([0.04, 0.01, math.nan, 0.03]) == pytest.approx([0.06, 0.03, math.nan, 0.06], nan_ok=True)


def test_degenerate_pairs():
    assert paired_test([0.5, 0.6], [0.5, 0.6])[0] == 1.0  # identical: no evidence of a difference
    assert math.isnan(paired_test([0.5], [0.4])[0])  # one pair: no test
    with pytest.raises(ValueError, match="test='z' is not known; choose one of: t, wilcoxon"):
        paired_test([0.5, 0.6], [0.4, 0.5], test="z")


def test_seeds_needed_follows_the_normal_approximation():
    assert seeds_needed(1.0) == math.ceil((stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) ** 2 + 2) == 10
    assert seeds_needed(0.2) > seeds_needed(0.5) > seeds_needed(2.0)


def frame(statuses=None, **columns):
    table = rows().assign(status="done", **columns)
    if statuses:
        table["status"] = statuses
    return table


def test_methodology_warnings():
    spec = dict(factors=dict(batch_size=[32, 256]), search_space={})
    comparisons = [("batch_size", compare_levels(rows(), ["a", "b", "c"], "a"))]
    statuses = ["diverged"] * 3 + ["done"] * 12
    warnings = methodology_warnings(frame(statuses), spec, comparisons)
    assert any("3 of 15 trials diverged" in w for w in warnings)
    assert any("batch_size is compared at one learning rate" in w for w in warnings)
    assert any(w.startswith("batch_size: c differs from the base") and "seeds cannot tell" in w for w in warnings)
    assert not any(w.startswith("batch_size: b differs") for w in warnings)  # b is significant

    nested = dict(factors=dict(batch_size=[32, 256]), search_space=dict(learning_rate=["log", 1e-4, 1e-1]))
    tuned = frame(learning_rate=[0.099] * 5 + [1e-2] * 10)
    warnings = methodology_warnings(tuned, nested, [])
    assert warnings == ["tuned learning_rate=0.099 lies at the upper end of its search range [0.0001, 0.1]: "
                        "widen the range"]


def test_a_constant_shift_on_every_seed_is_explained_not_left_as_nan():
    # 0.5 + 1/64 is exact in binary, so every seed's difference is the same +0.015625
    shifted = rows({"a": [0.5, 0.75], "b": [0.515625, 0.765625]})
    table = compare_levels(shifted, ["a", "b"], "a")
    assert math.isnan(table.set_index("level").loc["b", "p_value"])
    warnings = methodology_warnings(shifted.assign(status="done"), dict(factors={}, search_space={}),
                                    [("optimizer", table)])
    assert warnings == ["optimizer: b differs from the base by the same +0.0156 on all 2 seeds, so the paired "
                        "test has no spread to judge it by (p is NaN); run more seeds (--seeds) to tell whether "
                        "the shift is real"]
