"""The decision rule of seeds="auto" and races (stats.sequential) on constructed paired differences."""

import math

import numpy as np
import pytest

from ablation_suite.ablations import Ablation, AblationError
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
    # half of alpha at the cap, the other half over the 7 earlier looks: the shares add up to alpha
    assert 1 - RULE.confidence(1, 10) == pytest.approx(0.05 / 2)
    spent = sum(1 - RULE.confidence(3, n) for n in range(3, 11)) * 3
    assert spent == pytest.approx(0.05)
    assert decide.Rule(min_seeds=5, max_seeds=5).confidence(2, 5) == pytest.approx(1 - 0.05 / 2)  # one look: fixed


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
    wanted = decide.seeds_wanted(decisions, dict.fromkeys(values, 3), RULE, race=True)
    assert wanted == {"open": 4, leader: 4}  # the worse level is out; the best keeps pace with its contender


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
    assert back.adaptive and back.rule() == ablation.rule() == dict(rope=1.0, alpha=0.05, min_seeds=3, max_seeds=6)
    assert back.seed_cap == 6


def test_the_benchmark_simulation_saves_trainings_without_false_decisions():
    """The simulation of `make bench` (adaptive_seeds): its counts follow the rule's own rounds."""
    from benchmarks.adaptive_seeds import simulate

    result = simulate([0.004, 0.01], ablations=60)
    assert result["trainings"]["adaptive"] < result["trainings"]["fixed"] == 60 * 5 * RULE.max_seeds
    assert result["comparisons_with_a_false_decision"] <= RULE.alpha
    assert result["by_truth"]["large"]["mean_seeds"] < RULE.max_seeds  # large effects stop early
    assert result["by_truth"]["large"]["decided"] > 0.8
