"""The decision rule of seeds="auto" and races (stats.sequential) on constructed paired differences."""

import math

import numpy as np
import pandas as pd
import pytest

from ablation_suite.ablations import Ablation, AblationError
from ablation_suite.stats import outliers
from ablation_suite.stats import sequential as decide
from ablation_suite.stats.intervals import paired_interval

RULE = decide.Rule(rope=0.5, alpha=0.05, min_seeds=3, max_seeds=10)


def seeds(values):
    return dict(enumerate(values))


@pytest.mark.unit
def test_a_large_effect_is_decided_with_the_minimum_seeds():
    base = seeds([0.80, 0.81, 0.79])
    level = seeds([0.85, 0.862, 0.838])  # +5 pp on every seed, spread 1 pp
    [decision] = decide.against_base({"base": base, "big": level}, "base", RULE)
    assert decision.verdict == "better" and decision.pairs == 3
    assert decision.low > RULE.margin
    assert decide.seeds_wanted([decision], {"base": 3, "big": 3}, RULE) == {}


@pytest.mark.unit
def test_worse_is_the_mirror_of_better():
    base = seeds([0.85, 0.862, 0.838])
    level = seeds([0.80, 0.81, 0.79])
    [decision] = decide.against_base({"base": base, "small": level}, "base", RULE)
    assert decision.verdict == "worse" and decision.high < -RULE.margin


@pytest.mark.unit
def test_equivalence_needs_the_whole_interval_inside_the_margin():
    rng = np.random.default_rng(0)
    base = rng.normal(0.9, 0.01, 10)
    close = base + rng.normal(0.0, 0.0005, 10)  # differences of about 0.05 pp
    noisy = base + rng.normal(0.0, 0.01, 10)  # the same mean difference, but a 1 pp spread
    values = {"base": seeds(base), "close": seeds(close), "noisy": seeds(noisy)}
    close_d, noisy_d = decide.against_base(values, "base", RULE)
    assert close_d.verdict == "equivalent"
    assert -RULE.margin <= close_d.low and close_d.high <= RULE.margin
    assert noisy_d.verdict == "undecided"  # its mean is near 0, but its interval reaches past the margin
    assert not (-RULE.margin <= noisy_d.low and noisy_d.high <= RULE.margin)


@pytest.mark.unit
def test_an_undecided_level_gets_one_more_seed_until_the_cap():
    rng = np.random.default_rng(4)
    base = rng.normal(0.9, 0.01, 10)
    level = base + rng.normal(0.009, 0.005, 10)  # +0.9 pp: maybe beyond the margin, it takes many seeds to tell
    for n in (3, 6, 9):
        values = {"base": seeds(base[:n]), "level": seeds(level[:n])}
        decisions = decide.against_base(values, "base", RULE)
        assert decisions[0].verdict == "undecided"
        assert decide.seeds_wanted(decisions, {"base": n, "level": n}, RULE) == {"level": n + 1, "base": n + 1}
    values = {"base": seeds(base), "level": seeds(level)}
    decisions = decide.against_base(values, "base", RULE)
    assert decisions[0].verdict == "undecided"  # still open at the cap ...
    assert decide.seeds_wanted(decisions, {"base": 10, "level": 10}, RULE) == {}  # ... and it stays there


@pytest.mark.unit
def test_a_level_the_cap_could_not_decide_stops_early_undecided():
    """A zero difference with a 1 pp spread: 10 seeds could neither fit the 0.5 pp margin nor leave it."""
    rng = np.random.default_rng(3)
    base = rng.normal(0.9, 0.01, 4)
    values = {"base": seeds(base), "tie": seeds(base + np.array([0.01, -0.012, 0.004, -0.002]))}
    [decision] = decide.against_base(values, "base", RULE)
    assert decision.verdict == "undecided" and decision.hopeless
    assert decide.seeds_wanted([decision], {"base": 4, "tie": 4}, RULE) == {}
    from ablation_suite.loops.adaptive import describe

    assert describe(decision).endswith("stopped: its cap of seeds could not decide it")  # status says why
    wide = decide.Rule(rope=2.0)  # with a 2 pp margin the same data could still become "equivalent"
    [promising] = decide.against_base(values, "base", wide)
    assert promising.verdict == "undecided" and not promising.hopeless


@pytest.mark.unit
def test_every_level_starts_with_the_minimum():
    assert decide.seeds_wanted([], {"base": 0, "a": 2, "b": 3}, RULE) == {"base": 3, "a": 3}


@pytest.mark.unit
def test_fewer_than_two_pairs_give_no_interval_and_no_decision():
    """The same edge as the fixed-seed tables' interval (stats.intervals.paired_interval): no interval, not a
    made-up one."""
    [decision] = decide.against_base({"base": seeds([0.5]), "level": seeds([0.9])}, "base", RULE)
    assert math.isnan(decision.low) and math.isnan(decision.high) and decision.verdict == "undecided"
    _, low, high = paired_interval([0.4])
    assert math.isnan(low) and math.isnan(high)


@pytest.mark.unit
def test_intervals_stay_inside_the_range_of_accuracy_differences():
    [decision] = decide.against_base({"base": seeds([0.9, 0.1, 0.9]), "level": seeds([0.1, 0.9, 0.2])}, "base", RULE)
    assert -1.0 <= decision.low <= decision.high <= 1.0


@pytest.mark.unit
def test_identical_differences_are_not_certainty():
    """The same +1 test example on every seed: the spread is floored at one example, not zero."""
    step = 1 / 360
    values = {"base": seeds([0.9, 0.8, 0.85]), "level": seeds([0.9 + step, 0.8 + step, 0.85 + step])}
    [exact] = decide.against_base(values, "base", RULE)
    [floored] = decide.against_base(values, "base", RULE, resolution=step)
    # unfloored, the shift is the same on every seed (up to float rounding): no interval worth the name
    assert math.isnan(exact.low) or exact.high - exact.low < 1e-9
    assert exact.verdict == "undecided" and floored.verdict == "undecided"
    assert floored.high - floored.low > 5 * step


@pytest.mark.unit
def test_more_levels_and_more_looks_widen_each_interval():
    assert RULE.confidence(4, 5) > RULE.confidence(1, 5)
    assert decide.Rule(max_seeds=20).confidence(1, 5) > RULE.confidence(1, 5)
    assert 1 - RULE.confidence(1, 10) == pytest.approx(0.05 / 2)  # half of alpha at the cap, on its own
    early = [1 - RULE.confidence(1, n) for n in range(3, 10)]  # one nominal level shared by the earlier looks...
    assert max(early) == pytest.approx(min(early))
    assert early[0] > 0.025 / 7  # ...wider than the union bound's share: the looks are nested, so misses overlap
    assert decide.Rule(min_seeds=5, max_seeds=5).confidence(2, 5) == pytest.approx(1 - 0.05 / 2)  # one look: fixed


def misses(draws: np.ndarray, truth: float, rule: decide.Rule, shrink: float = 1.0) -> np.ndarray:
    """Per simulated level, whether any of its intervals at min..max seeds (the rule's, as ``paired_interval``
    builds them; ``shrink`` narrows them) misses the true difference."""
    missed = np.zeros(len(draws), dtype=bool)
    for n in range(rule.min_seeds, rule.max_seeds + 1):
        sample = draws[:, :n]
        half = decide.t_quantile(rule.confidence(1, n), n - 1) * sample.std(axis=1, ddof=1) / math.sqrt(n)
        missed |= np.abs(sample.mean(axis=1) - truth) > shrink * half
    return missed


@pytest.mark.unit
@pytest.mark.parametrize("alpha", [0.05, 0.05 / 8])
def test_the_boundaries_spend_alpha_exactly_over_the_nested_looks_in_an_independent_simulation(alpha):
    """Repeated confidence intervals: the chance that any look misses is alpha, checked with another generator, another
    mean and spread than the calibration's, and the rule's own intervals. Narrowed by a tenth they miss more often
    than alpha allows, and the old Bonferroni spending over the looks would miss far less (it wasted alpha)."""
    rule = decide.Rule(alpha=alpha)
    truth, count = 0.013, 200_000
    draws = np.random.default_rng(7).normal(truth, 0.021, (count, rule.max_seeds))
    error = math.sqrt(alpha * (1 - alpha) / count)
    rate = misses(draws, truth, rule).mean()
    assert abs(rate - alpha) < 4 * error, (rate, alpha)
    assert misses(draws, truth, rule, shrink=0.9).mean() > alpha + 4 * error
    bonferroni = np.zeros(count, dtype=bool)
    for n in range(rule.min_seeds, rule.max_seeds + 1):
        share = 0.5 if n == rule.max_seeds else 0.5 / (rule.looks - 1)
        half = decide.t_quantile(1 - alpha * share, n - 1) * draws[:, :n].std(axis=1, ddof=1) / math.sqrt(n)
        bonferroni |= np.abs(draws[:, :n].mean(axis=1) - truth) > half
    assert bonferroni.mean() < 0.85 * alpha


def test_a_level_at_the_margin_is_falsely_decided_at_most_alpha_of_the_time_under_optional_stopping():
    """The real rule, round by round as loops.adaptive runs it, on a level whose true difference is exactly the
    margin (where "better" and "equivalent" are both false): it stops when it decides, and is wrong at most alpha
    of the time."""
    rule, studies = decide.Rule(rope=0.5), 1500
    rng = np.random.default_rng(11)
    wrong = 0
    for _ in range(studies):
        base = rng.normal(0.9, 0.01, rule.max_seeds)
        level = base + rng.normal(rule.margin, 0.004, rule.max_seeds)
        for n in range(rule.min_seeds, rule.max_seeds + 1):
            [decision] = decide.against_base({"base": seeds(base[:n]), "level": seeds(level[:n])}, "base", rule)
            if decision.decided or decision.hopeless:
                break
        wrong += decision.verdict in ("better", "equivalent")
    assert wrong / studies <= rule.alpha + 3 * math.sqrt(rule.alpha * (1 - rule.alpha) / studies)


@pytest.mark.unit
def test_alpha_covers_the_study_unless_each_comparison_is_its_own_family():
    factors = dict(bn=["none", "before", "after"], learning_rate=[1e-3, 1e-2, 1e-1])
    two_factors = Ablation(question="q", base={}, factors=factors, seeds="auto")
    assert two_factors.family_size() == 4  # two levels against the base in each factor
    per_factor = Ablation(question="q", base={}, factors=factors, seeds="auto", family="comparison")
    assert per_factor.family_size() is None
    race = Ablation(
        question="q", base={}, factors=dict(learning_rate=[1e-3, 1e-2, 1e-1, 1.0]), design="race", seeds="auto"
    )
    assert race.family_size() == 6  # every pair: the best is chosen by the data
    values = {"base": seeds([0.90, 0.91, 0.92]), "level": seeds([0.95, 0.961, 0.972])}
    [alone] = decide.against_base(values, "base", RULE)
    [in_study] = decide.against_base(values, "base", RULE, family=4)
    assert in_study.high - in_study.low > alone.high - alone.low
    with pytest.raises(AblationError, match="family='factor' is not known; choose one of: study, comparison"):
        Ablation(question="q", base={}, factors=dict(bn=["none", "before"]), seeds="auto", family="factor")


@pytest.mark.unit
def test_a_seed_far_from_the_others_is_named_blocks_equivalence_and_stops_a_level_that_can_only_end_undecided():
    """Seven seeds that agree to a tenth of a point but one, which collapsed: -14 points. Without it the level is
    equivalent; with it the rule names the seed and calls nothing equivalent. The collapsed seed stays in its data,
    so no cap could call it equivalent, and its spread leaves no room for "better" or "worse" at the cap either: it
    stops undecided (futility) instead of training three seeds that could not decide it."""
    base = np.array([0.90, 0.91, 0.92, 0.905, 0.915, 0.925, 0.93])
    calm = base + np.array([0.001, -0.001, 0.0005, -0.0005, 0.0, 0.001, -0.001])
    collapsed = calm.copy()
    collapsed[4] -= 0.142
    at_cap = decide.Rule(rope=2.0, max_seeds=7)  # "equivalent" waits for the cap
    [equivalent] = decide.against_base({"base": seeds(base), "level": seeds(calm)}, "base", at_cap)
    assert equivalent.verdict == "equivalent" and equivalent.far_seeds == 0 and equivalent.disagreeing == ""
    [flagged] = decide.against_base({"base": seeds(base), "level": seeds(collapsed)}, "base", at_cap)
    assert flagged.far_seeds == 1 and flagged.verdict == "undecided"
    [flagged] = decide.against_base({"base": seeds(base), "level": seeds(collapsed)}, "base", decide.Rule(rope=2.0))
    assert flagged.far_seeds == 1 and flagged.disagreeing == "1 of 7 seeds far from the others: -14.2 pp (seed 4)"
    assert flagged.verdict == "undecided" and flagged.hopeless
    assert decide.seeds_wanted([flagged], {"base": 7, "level": 7}, decide.Rule(rope=2.0)) == {}


@pytest.mark.unit
def test_a_flagged_level_that_could_still_be_shown_better_keeps_getting_seeds():
    """+8 points on six seeds, one of which collapsed (to -2 points): not decided yet, and its cap could still show it
    better than the 0.5 point margin, so it gets the next seed."""
    base = np.array([0.90, 0.91, 0.92, 0.905, 0.915, 0.925])
    level = base + np.array([0.08, 0.082, 0.078, -0.02, 0.081, 0.079])
    [decision] = decide.against_base({"base": seeds(base), "level": seeds(level)}, "base", RULE)
    assert decision.far_seeds == 1 and decision.verdict == "undecided" and not decision.hopeless
    assert decide.seeds_wanted([decision], {"base": 6, "level": 6}, RULE) == {"level": 7, "base": 7}


@pytest.mark.unit
def test_equivalence_waits_for_the_cap():
    """A tie whose interval already lies inside the margin at 5 pairs: not equivalent yet (seeds that did not
    collapse cannot rule out a collapse among the next ones), not hopeless, so it gets the next seed; equivalent at
    the cap."""
    rng = np.random.default_rng(3)
    base = 0.9 + rng.normal(0, 0.01, 10)
    level = base + rng.normal(0, 0.0005, 10)
    early_rule = decide.Rule(rope=0.5, max_seeds=5)  # the same interval at 5 pairs, where 5 is the cap
    [early] = decide.against_base({"base": seeds(base[:5]), "level": seeds(level[:5])}, "base", RULE)
    assert -RULE.margin <= early.low and early.high <= RULE.margin
    assert early.verdict == "undecided" and not early.hopeless
    assert decide.seeds_wanted([early], {"base": 5, "level": 5}, RULE) == {"level": 6, "base": 6}
    [capped] = decide.against_base({"base": seeds(base[:5]), "level": seeds(level[:5])}, "base", early_rule)
    assert capped.verdict == "equivalent"
    [last] = decide.against_base({"base": seeds(base), "level": seeds(level)}, "base", RULE)
    assert last.verdict == "equivalent" and last.pairs == RULE.max_seeds


@pytest.mark.unit
def test_under_collapses_seeds_auto_calls_equivalent_only_what_the_fixed_design_calls_equivalent():
    """Ties (true paired difference of ordinary runs 0 or +-0.4 pp, spread 0.2-0.5 pp) whose level or base loses
    5-20 points on 5-10% of its runs, so that the mean over seeds lies outside the margin in most of them: every
    level --seeds auto (round by round, the real rule) calls equivalent the fixed 10-seed design also calls
    equivalent on the same seeds, so its false equivalences are a subset of the fixed design's. Not vacuous: in
    the same draws an interval inside the margin with no seed far from the others before the cap (where the rule
    used to stop) is often followed by a collapse that the fixed design sees."""
    rng = np.random.default_rng(28)
    fixed_rule = decide.Rule(rope=0.5, min_seeds=10, max_seeds=10)
    auto_equivalent = early_then_collapse = 0
    for _ in range(120):
        spread = rng.uniform(0.002, 0.005)
        base = 0.9 + rng.normal(0, 0.01, 10)
        level = base + rng.choice([-0.004, 0.0, 0.004]) + rng.normal(0, spread, 10)
        share = rng.uniform(0.05, 0.10)
        hit = rng.random(10) < share
        target = level if rng.random() < 0.5 else base
        target -= np.where(hit, rng.uniform(0.05, 0.20, 10), 0.0)
        [auto], counts = _rounds({"base": base, "level": level}, RULE)
        [fixed] = decide.against_base({"base": seeds(base), "level": seeds(level)}, "base", fixed_rule)
        if auto.verdict == "equivalent":
            auto_equivalent += 1
            assert fixed.verdict == "equivalent"
        for n in range(RULE.min_seeds, RULE.max_seeds):
            diffs = level[:n] - base[:n]
            _, low, high = paired_interval(diffs, RULE.confidence(1, n))
            clean = not outliers.disagreeing(diffs, level[:n], base[:n]).any()
            if -RULE.margin <= low and high <= RULE.margin and clean:
                early_then_collapse += fixed.verdict != "equivalent" and bool(hit[n:].any())
                break
    assert auto_equivalent >= 10
    assert early_then_collapse >= 3


def _rounds(values: dict, rule: decide.Rule) -> tuple[list, dict]:
    """seeds="auto" round by round on recorded seeds (level -> array of accuracies of seeds 0, 1, ...)."""
    counts = dict.fromkeys(values, 0)
    while True:
        have = {level: seeds(runs[: counts[level]]) for level, runs in values.items()}
        decisions = decide.against_base(have, "base", rule) if min(counts.values()) >= rule.min_seeds else []
        wanted = decide.seeds_wanted(decisions, counts, rule)
        if not wanted:
            return decisions, counts
        counts.update(wanted)


@pytest.mark.unit
def test_a_simulated_collapse_is_flagged_and_changes_the_decision():
    """A tie at 0.2 pp of paired spread: without collapses --seeds auto calls it equivalent. The same seeds with one
    collapse of the level (seed 2 loses 6 points), of the base (seed 1 loses 12 points), or of both on one seed
    (which cancels in the paired difference) are each flagged, never called equivalent, and end undecided with the
    seed named: "equivalent" would say the level's seeds land within the margin of the base's, and one did not."""
    rng = np.random.default_rng(11)
    base = 0.9 + rng.normal(0, 0.01, 10)
    level = base + rng.normal(0, 0.002, 10)
    [calm], _ = _rounds({"base": base, "level": level}, RULE)
    assert calm.verdict == "equivalent" and calm.far_seeds == 0
    for name, (base_loss, level_loss, seed) in {
        "level": (0.0, 0.06, 2),
        "base": (0.12, 0.0, 1),
        "both on one seed": (0.10, 0.105, 0),
    }.items():
        hit_base, hit_level = base.copy(), level.copy()
        hit_base[seed] -= base_loss
        hit_level[seed] -= level_loss
        [decision], counts = _rounds({"base": hit_base, "level": hit_level}, RULE)
        assert decision.far_seeds >= 1 and f"(seed {seed})" in decision.disagreeing, name
        assert decision.verdict == "undecided" and decision.hopeless, name
        assert counts["level"] <= RULE.max_seeds


@pytest.mark.unit
def test_a_collapse_among_three_seeds_is_flagged_although_two_ordinary_seeds_disagree():
    """Three seeds, the two ordinary ones 3 points apart, the third 10 points below: the median absolute deviation
    of three values is the gap of the two (3 points), which would hide the collapse from a modified z-score of 3.5
    alone; more than 5 points from the median (the smallest collapse) is always far."""
    differences = pd.Series([0.015, -0.015, -0.10])
    assert list(outliers.far_seeds(differences)) == [-0.10]
    assert outliers.far_seeds(pd.Series([0.015, -0.015, -0.045])).empty  # 3 points below the median: ordinary


@pytest.mark.unit
def test_a_race_in_a_near_tie_ends_with_a_set_not_a_winner():
    rng = np.random.default_rng(5)
    best = rng.normal(0.9, 0.01, 10)
    values = {
        "a": seeds(best),
        "b": seeds(best - 0.001 + rng.normal(0, 0.004, 10)),
        "c": seeds(best - 0.0012 + rng.normal(0, 0.004, 10)),
        "far": seeds(best - 0.2 + rng.normal(0, 0.004, 10)),
    }
    leader, decisions = decide.against_best(values, RULE)
    verdicts = {d.level: d.verdict for d in decisions}
    assert verdicts["far"] == "worse" and "far" not in decide.best_set(leader, verdicts)
    assert set(decide.best_set(leader, verdicts)) == {"a", "b", "c"}
    sentence = decide.best_set_sentence("model", leader, verdicts)
    assert sentence.startswith(f"model: best set {leader}, ") and "cannot tell them apart" in sentence
    assert sentence.endswith("; far worse")
    alone = decide.best_set_sentence("model", "a", {"b": "worse", "c": "worse"})
    assert alone == "model: a wins: every other level is worse by more than the margin"


@pytest.mark.unit
def test_a_race_drops_levels_confidently_worse_than_the_best_and_ties_equivalents():
    rng = np.random.default_rng(2)
    best = rng.normal(0.9, 0.01, 3)
    values = {
        "a": seeds(best),
        "tie": seeds(best + [0.00003, -0.00003, 0.0]),
        "bad": seeds(best - 0.3 + rng.normal(0, 0.002, 3)),
        "open": seeds(best - 0.012 + [0.004, -0.004, 0.0]),
    }
    leader, decisions = decide.against_best(values, RULE)
    verdicts = {d.level: d.verdict for d in decisions}
    assert leader in ("a", "tie")
    assert verdicts["bad"] == "worse"
    assert verdicts["open"] == "undecided"
    assert not decide.race_finished(decisions)
    other = "tie" if leader == "a" else "a"
    assert verdicts[other] == "undecided"  # a tie, but "equivalent" waits for the cap
    wanted = decide.seeds_wanted(decisions, dict.fromkeys(values, 3), RULE, race=True)
    assert wanted == {"open": 4, other: 4, leader: 4}  # the worse level is out; the best keeps pace
    _, at_cap = decide.against_best(values, decide.Rule(min_seeds=3, max_seeds=3))
    assert {d.level: d.verdict for d in at_cap}[other] == "equivalent"  # at the cap the tie is equivalent


def simulate(true_diff, spread, rule, trials=3000, seed=0):
    """Sequential runs of the rule on normal paired differences: the share of each final verdict."""
    rng = np.random.default_rng(seed)
    verdicts = []
    for _ in range(trials):
        diffs = rng.normal(true_diff, spread, rule.max_seeds)
        n = rule.min_seeds
        while True:
            values = {"base": seeds(np.zeros(n)), "level": seeds(diffs[:n])}
            [decision] = decide.against_base(values, "base", rule)
            if decision.decided or n == rule.max_seeds:
                verdicts.append(decision.verdict)
                break
            n += 1
    return {v: verdicts.count(v) / trials for v in decide.VERDICTS}


def test_optional_stopping_keeps_false_decisions_under_alpha():
    """Truth inside the margin (+0.3 pp): "better" or "worse" is a false decision, at most alpha of runs,
    although each run stopped as soon as its data allowed."""
    shares = simulate(0.003, 0.004, RULE)
    assert shares["better"] + shares["worse"] <= RULE.alpha
    truth_outside = simulate(0.008, 0.004, RULE, trials=1000)  # just outside: "equivalent" is the false one
    assert truth_outside["equivalent"] + truth_outside["worse"] <= RULE.alpha


@pytest.mark.parametrize(
    "changes, message",
    [
        (
            dict(seeds="auto", design="nested", search_space={"learning_rate": ("log", 1e-4, 1e-1)}),
            "seeds='auto' is not available with design='nested'",
        ),
        (dict(rope=1.0), "rope=1.0 only act with seeds='auto'"),
        (dict(design="race"), "design='race' decides how many seeds"),
        (dict(seeds="auto", max_seeds=2), "max_seeds=2 must be an integer >= 3"),
        (dict(seeds="auto", min_seeds=5, max_seeds=4), "max_seeds=4 is below min_seeds=5"),
        (dict(seeds="auto", alpha=0.9), "alpha=0.9 must be an error rate"),
        (dict(seeds="auto", rope=-1), "rope=-1 must be a margin"),
        (dict(seeds="many"), "seeds='many' must be an integer >= 1 or 'auto'"),
    ],
)
@pytest.mark.unit
def test_an_impossible_rule_is_refused(changes, message):
    with pytest.raises(AblationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Ablation(question="q", base={}, factors={"bn": ["none", "before"]}, **changes)


@pytest.mark.unit
def test_the_rule_is_stored_with_the_study_and_read_back():
    ablation = Ablation(question="q", base={}, factors={"bn": ["none", "before"]}, seeds="auto", rope=1.0, max_seeds=6)
    back = Ablation.from_spec(ablation.spec())
    assert back.adaptive and back.rule() == ablation.rule() == dict(
        rope=1.0, alpha=0.05, min_seeds=3, max_seeds=6, family="study"
    )
    assert back.seed_cap == 6


def test_the_benchmark_simulation_saves_trainings_without_false_decisions():
    """The simulation of `make bench` (adaptive_seeds): its counts follow the rule's own rounds."""
    from benchmarks.adaptive_seeds import simulate

    result = simulate([0.002, 0.004], ablations=60)  # spreads where the rule can decide
    assert result["trainings"]["adaptive"] < result["trainings"]["fixed"] == 60 * 5 * RULE.max_seeds
    assert result["comparisons_with_a_false_decision"] <= RULE.alpha
    assert result["by_truth"]["large"]["mean_seeds"] < RULE.max_seeds  # large effects stop early
    assert result["by_truth"]["large"]["decided"] > 0.8


def _race(values: dict, rule: decide.Rule) -> tuple[str, list, dict]:
    """A race round by round on recorded seeds (level -> array of accuracies of seeds 0, 1, ...), as loops.adaptive
    runs it: the final best, its decisions and the seeds each level trained."""
    counts = dict.fromkeys(values, 0)
    while True:
        have = {level: seeds(runs[: counts[level]]) for level, runs in values.items()}
        best, decisions = decide.against_best(have, rule) if min(counts.values()) >= rule.min_seeds else (None, [])
        wanted = decide.seeds_wanted(decisions, counts, rule, race=True)
        if not wanted:
            return best, decisions, counts
        counts.update(wanted)


@pytest.mark.unit
def test_a_race_run_to_its_end_in_a_near_tie_keeps_its_futility_stops_in_the_best_set():
    """Five levels within 0.6 pp of each other at a paired spread of 1 pp (in steps of one of 450 test images), and
    one 6 pp below: the race stops the near ties undecided for futility (no cap could tell them apart) and the far one
    as worse; it ends with the five as its best set, never naming a single winner the data do not support."""
    rng = np.random.default_rng(9)
    seed_effect = rng.normal(0, 0.01, RULE.max_seeds)
    means = {"a": 0.0, "b": -0.005, "c": -0.005, "d": -0.006, "e": -0.003, "far": -0.06}
    values = {
        level: np.round((0.9 + mean + seed_effect + rng.normal(0, 0.01 / math.sqrt(2), RULE.max_seeds)) * 450) / 450
        for level, mean in means.items()
    }
    best, decisions, counts = _race(values, RULE)
    verdicts = {d.level: d.verdict for d in decisions}
    assert verdicts["far"] == "worse"
    assert any(d.hopeless for d in decisions) and max(counts.values()) < RULE.max_seeds  # stopped early
    assert set(decide.best_set(best, verdicts)) == {"a", "b", "c", "d", "e"}
    assert decide.best_set_sentence("lr", best, verdicts).startswith(f"lr: best set {best}, ")


def test_the_benchmark_lists_every_collapse_it_did_not_flag_with_where_it_landed(monkeypatch):
    """benchmarks.adaptive_seeds' ``collapse_missed``: one entry per level with a collapse among its used seeds and no
    far seed named, with the collapsed seeds' distances from the median of the other seeds (leave one out). With the
    rule's limits raised past any collapse nothing is flagged, so every such level is listed."""
    from benchmarks import adaptive_seeds as bench

    rng = np.random.default_rng(2)
    for n in range(3, 11):
        values = np.round(rng.normal(0, 1, n) * 4) / 4  # ties included
        others = [values[s] - np.median(np.delete(values, s)) for s in range(n)]
        assert np.allclose(bench._from_others(values), others)
    scenario = bench.Scenario("measured, collapse level, mix", collapse="level")

    def run():
        return bench.run_scenario(scenario, [0.0112, 0.0119], 100, np.random.default_rng(0), 0.47, 450, checked=0)

    found = run()
    assert len(found["collapse"]["missed"]) == found["counts"]["collapse_used"] - found["counts"]["collapse_flagged"]
    monkeypatch.setattr(outliers, "FLOOR", 1.0)
    monkeypatch.setattr(outliers, "CEILING", 1.0)
    blind = run()
    counts, missed = blind["counts"], blind["collapse"]["missed"]
    assert counts["collapse_flagged"] == 0 and len(missed) == counts["collapse_used"] > 20
    for level in missed:
        assert level["collapses"] and all(c["level_loss_pp"] >= 5 for c in level["collapses"])
        largest = max(abs(v) for c in level["collapses"] for k, v in c.items() if k.endswith("median pp"))
        assert largest <= level["farthest_pp"]
    assert counts["collapse_beyond"]["5"] <= counts["collapse_beyond"]["3"] <= counts["collapse_used"]
