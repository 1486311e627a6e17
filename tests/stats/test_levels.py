"""Statistics against scipy on hand-made tables, and the methodology warnings (no training)."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import expit, logit

from ablation_suite.reports.answers import lead_sentences
from ablation_suite.reports.warnings import methodology_warnings
from ablation_suite.stats.intervals import accuracy_ci
from ablation_suite.stats.levels import NEEDS_PAIRS, compare_levels
from ablation_suite.stats.tests import holm, paired_test, seeds_needed

# Test accuracy per seed: "b" is consistently better than the base "a", "c" is noise around it.
TABLE = {
    "a": [0.80, 0.82, 0.79, 0.81, 0.80],
    "b": [0.84, 0.85, 0.83, 0.86, 0.84],
    "c": [0.81, 0.80, 0.80, 0.82, 0.80],
}


def rows(table=TABLE):
    return pd.DataFrame(
        [
            dict(level=level, seed=seed, test_accuracy=value)
            for level, values in table.items()
            for seed, value in enumerate(values)
        ]
    )


@pytest.mark.parametrize("test, scipy_test", [("t", stats.ttest_rel), ("wilcoxon", stats.wilcoxon)])
@pytest.mark.unit
def test_paired_tests_match_scipy(test, scipy_test):
    result = compare_levels(rows(), ["a", "b", "c"], "a", test=test).set_index("level")
    for level in ("b", "c"):
        assert result.loc[level, "p_value"] == pytest.approx(scipy_test(TABLE[level], TABLE["a"]).pvalue)
        diff = np.subtract(TABLE[level], TABLE["a"])
        assert result.loc[level, "effect_size"] == pytest.approx(diff.mean() / diff.std(ddof=1))
        assert result.loc[level, "delta_vs_base"] == pytest.approx(np.mean(TABLE[level]) - np.mean(TABLE["a"]))
        logits = logit(TABLE[level])  # the level's interval: a t interval on the logit scale, back-transformed
        low, high = expit(stats.t.interval(0.95, 4, loc=np.mean(logits), scale=stats.sem(logits)))
        assert (result.loc[level, "ci_low"], result.loc[level, "ci_high"]) == pytest.approx((low, high))
        # the difference's own interval: the paired t interval of level - base
        low, high = stats.t.interval(0.95, 4, loc=diff.mean(), scale=stats.sem(diff))
        assert (result.loc[level, "diff_low"], result.loc[level, "diff_high"]) == pytest.approx((low, high))
    assert math.isnan(result.loc["a", "p_value"]) and not bool(result.loc["c", "significant"])
    # five pairs: the t test finds b's shift; the signed-rank test cannot go below p = 1/16 with n = 5
    assert bool(result.loc["b", "significant"]) == (test == "t")


@pytest.mark.unit
def test_pairs_are_matched_by_seed_not_by_position():
    shuffled = rows().sample(frac=1.0, random_state=0)  # row order must not matter
    missing = shuffled[~((shuffled["level"] == "b") & (shuffled["seed"] == 2))]  # seed 2 of "b" not run
    result = compare_levels(missing, ["a", "b", "c"], "a").set_index("level")
    kept = [i for i in range(5) if i != 2]
    expected = stats.ttest_rel([TABLE["b"][i] for i in kept], [TABLE["a"][i] for i in kept]).pvalue
    assert result.loc["b", "p_value"] == pytest.approx(expected) and result.loc["b", "seeds"] == 4


@pytest.mark.unit
def test_holm_matches_a_hand_computed_example():
    # sorted p: 0.01 (x3 = 0.03), 0.03 (x2 = 0.06), 0.04 (x1 = 0.04 -> monotone 0.06); NaN untouched
    assert holm([0.04, 0.01, math.nan, 0.03]) == pytest.approx([0.06, 0.03, math.nan, 0.06], nan_ok=True)


@pytest.mark.unit
def test_degenerate_pairs():
    assert paired_test([0.5, 0.6, 0.7], [0.5, 0.6, 0.7])[0] == 1.0  # identical: no evidence of a difference
    assert math.isnan(paired_test([0.5], [0.4])[0])  # one pair: no test
    with pytest.raises(ValueError, match="test='z' is not known; choose one of: t, wilcoxon"):
        paired_test([0.5, 0.6], [0.4, 0.5], test="z")


@pytest.mark.unit
def test_seeds_needed_follows_the_normal_approximation():
    assert seeds_needed(1.0) == math.ceil((stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) ** 2 + 2) == 10
    assert seeds_needed(0.2) > seeds_needed(0.5) > seeds_needed(2.0)


def frame(statuses=None, **columns):
    table = rows().assign(status="done", **columns)
    if statuses:
        table["status"] = statuses
    return table


@pytest.mark.unit
def test_methodology_warnings():
    spec = dict(factors=dict(batch_size=[32, 256]), search_space={})
    comparisons = [("batch_size", compare_levels(rows(), ["a", "b", "c"], "a"))]
    statuses = ["diverged"] * 3 + ["done"] * 12
    warnings = methodology_warnings(frame(statuses), spec, comparisons)
    assert any("3 of 15 trials diverged" in w for w in warnings)
    assert any("batch_size is compared at one learning rate" in w for w in warnings)
    assert any(
        w.startswith("batch_size: c differs from the base") and "5 paired seeds cannot tell" in w for w in warnings
    )
    assert not any(w.startswith("batch_size: b differs") for w in warnings)  # b is significant

    nested = dict(factors=dict(batch_size=[32, 256]), search_space=dict(learning_rate=["log", 1e-4, 1e-1]))
    tuned = frame(learning_rate=[0.099] * 5 + [1e-2] * 10)
    warnings = methodology_warnings(tuned, nested, [])
    assert warnings == [
        "tuned learning_rate=0.099 lies at the upper end of its search range [0.0001, 0.1]: widen the range"
    ]


@pytest.mark.unit
def test_a_constant_shift_on_every_seed_is_explained_not_left_as_nan():
    # 0.5 + 1/64 is exact in binary, so every seed's difference is the same +0.015625
    shifted = rows({"a": [0.5, 0.75, 0.625], "b": [0.515625, 0.765625, 0.640625]})
    table = compare_levels(shifted, ["a", "b"], "a")
    assert math.isnan(table.set_index("level").loc["b", "p_value"])
    warnings = methodology_warnings(
        shifted.assign(status="done"), dict(factors={}, search_space={}), [("optimizer", table)]
    )
    assert math.isnan(table.set_index("level").loc["b", "diff_low"])  # no zero-width interval from no spread
    assert warnings == [
        "optimizer: b differs from the base by the same +1.56 pp on all 3 seeds, so the paired "
        "test has no spread to judge it by (p is NaN); run more seeds (--seeds) to tell whether "
        "the shift is real"
    ]


@pytest.mark.unit
def test_fewer_than_three_pairs_give_no_p_value_or_effect_size_but_the_interval_of_the_difference():
    two = rows({"a": [0.80, 0.82], "b": [0.84, 0.85], "c": [0.81, 0.79]})
    table = compare_levels(two, ["a", "b", "c"], "a").set_index("level")
    for level in ("b", "c"):
        assert math.isnan(table.loc[level, "p_value"]) and math.isnan(table.loc[level, "p_holm"])
        assert math.isnan(table.loc[level, "effect_size"]) and table.loc[level, "note"] == NEEDS_PAIRS
        assert not bool(table.loc[level, "significant"])
    diff = np.subtract([0.84, 0.85], [0.80, 0.82])  # df = 1: t = 12.7, a wide but honest interval
    low, high = stats.t.interval(0.95, 1, loc=diff.mean(), scale=stats.sem(diff))
    assert (table.loc["b", "diff_low"], table.loc["b", "diff_high"]) == pytest.approx((low, high))
    assert table.loc["b", "diff_low"] < 0 < table.loc["b", "diff_high"]  # 2 seeds cannot tell
    warnings = methodology_warnings(
        two.assign(status="done"),
        dict(factors={}, search_space={}),
        [("optimizer", compare_levels(two, ["a", "b", "c"], "a"))],
    )
    assert warnings == [
        "optimizer: b; c have fewer than 3 seeds paired with the base (2), so no p-value or effect "
        "size is given; read the interval of the difference, or run more seeds (--seeds)"
    ]


@pytest.mark.parametrize("values", [[0.99, 1.0], [0.995, 0.97], [0.01, 0.0, 0.02], [0.5, 0.9]])
@pytest.mark.unit
def test_accuracy_intervals_stay_inside_zero_and_one_where_a_t_interval_would_not(values):
    mean, low, high = accuracy_ci(values, test_size=360)
    assert 0.0 < low < mean < high < 1.0
    t_low, t_high = stats.t.interval(0.95, len(values) - 1, loc=np.mean(values), scale=stats.sem(values))
    assert t_low < 0.0 or t_high > 1.0 or values == [0.5, 0.9]  # the raw t interval leaves [0, 1]
    for agreeing in ([0.9], [0.9, 0.9, 0.9]):  # one seed, or seeds that all agree: no spread to show
        mean, low, high = accuracy_ci(agreeing)
        assert mean == 0.9 and math.isnan(low) and math.isnan(high)


@pytest.mark.unit
def test_the_lead_sentence_states_difference_interval_decision_and_seeds():
    two = rows({"none": [0.80, 0.82], "before": [0.816, 0.828]})
    table = compare_levels(two, ["none", "before"], "none")
    (sentence,) = lead_sentences(table, "bn", "none")
    row = table.set_index("level").loc["before"]
    assert sentence == (
        f"bn=before: +1.2 pp [{100 * row['diff_low']:+.1f}, {100 * row['diff_high']:+.1f}] vs none, "
        f"not decided with 2 seeds; about {int(row['seeds_needed'])} would"
    )
    five = compare_levels(rows(), ["a", "b", "c"], "a")
    assert [s.split(", ")[-1] for s in lead_sentences(five, "lr", "a")] == [
        "better with 5 seeds",
        "not decided with 5 seeds; more than 100 would",
    ]
    # an adaptive design's decisions win over the fixed-design rule; equivalence names its margin
    decided = five.assign(decision=["", "undecided", "equivalent"])
    assert lead_sentences(decided, "lr", "a", rope=0.02)[1].endswith("equivalent within +-2.0 pp with 5 seeds")


@pytest.mark.unit
def test_an_adaptive_designs_table_with_its_own_decisions_and_seeds_reads_the_same_way():
    """The columns an adaptive design hands over: level, delta_vs_base, diff_low, diff_high, seeds, decision."""
    table = pd.DataFrame(
        dict(
            level=["none", "before", "after"],
            delta_vs_base=[0.0, 0.011, -0.001],
            diff_low=[math.nan, -0.003, -0.004],
            diff_high=[math.nan, 0.025, 0.003],
            seeds=[2, 2, 6],
            decision=["", "undecided", "equivalent"],
            seeds_needed=[math.nan, 8, 40],
        )
    )
    assert lead_sentences(table, "bn", "none", rope=0.005) == [
        "bn=before: +1.1 pp [-0.3, +2.5] vs none, not decided with 2 seeds; about 8 would",
        "bn=after: -0.1 pp [-0.4, +0.3] vs none, equivalent within +-0.5 pp with 6 seeds",
    ]
