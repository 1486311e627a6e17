"""Deciding a comparison with the fewest seeds: the decision rule of ``seeds="auto"`` and of racing.

Each level is compared seed by seed with a reference level (its base, or in a race the current best)
through the paired difference ``level - reference`` of test accuracy. After every round the paired
differences get a two-sided Student-t interval, and the level is

- **better** when the whole interval lies above ``+rope`` (it beats the reference by more than the
  margin of practical equivalence), **worse** when it lies below ``-rope``,
- **equivalent** when the whole interval lies inside ``[-rope, +rope]`` at the cap (``max_seeds`` pairs: never
  earlier, see below),
- **undecided** otherwise, or with fewer than ``min_seeds`` pairs; an undecided level gets one more
  seed per round until ``max_seeds``, unless even ``max_seeds`` could not decide it (futility: judged
  optimistically from its spread and mean so far, ``_hopeless``), when it stops undecided (and says so).

Seeds that disagree (stats.outliers: a paired difference, or a run of the level or of its reference, far from the
others of its level) are named beside the decision and block "equivalent" for good; such a level keeps getting
seeds only while its cap could still call it better or worse. The quantity decided about is the mean paired
difference over seeds, collapsed seeds included.

Why "equivalent" waits for the cap: a level that collapses now and then (5-10% of its runs lose 5-20 points) has a
mean 0.6-1.3 points below its ordinary runs, so a tie in its ordinary runs is not a tie of its mean; only a collapse
among the seeds drawn can show that (it blocks "equivalent", above), and seeds that did not collapse cannot rule it
out. With a collapse rate p, n seeds miss every collapse with chance (1 - p)^n: at p = 0.075, 79% at 3 seeds, 68% at
5, 46% at 10; no n <= 10 makes that small, so no earlier look can be justified on its own. At the cap the rule
looks at the same seeds as a fixed ``max_seeds`` design, with the same far-seed check and an interval at least as
wide, so a level ``seeds="auto"`` calls equivalent to its base is one the fixed design calls equivalent too: its
false equivalences are a subset of the fixed design's, under any noise. An early "equivalent" (before this rule) is what
made ``seeds="auto"`` wrong more often than the fixed design under collapses (benchmarks/adaptive_seeds: 11.65% of
comparisons against 11.53%; 10.42% with equivalence at the cap). The cost is trainings at ties the rule could have
called early (at 0.2-0.5 pp spreads and a true difference of 0, 6.6% of trainings saved instead of 15.9%); levels
that cannot be decided still stop for futility, and better/worse still stop as soon as the interval allows.

Why the error rate holds although the data decide when to stop: every interval a study can ever look
at is fixed in advance. A level is looked at with ``min_seeds, min_seeds + 1, ..., max_seeds`` pairs
(``looks`` = max - min + 1 of them), and the family alpha covers has ``m`` such levels: every level of
the study against its reference (``Rule.family`` "study", the default), or of one comparison
("comparison"); a race counts every pair of its levels, as its reference is chosen by the data. alpha
is split over the m levels (the union bound: their intervals share seeds of the base), and for one
level over its looks *exactly*: repeated confidence intervals (Jennison & Turnbull 2000, ch. 9) whose
critical values ``boundaries`` calibrates once per rule by simulating the paired t pivot over the
nested looks. For normal paired differences that pivot's joint law at n = min..max does not depend on
the true mean or spread, so one simulation serves every level and every study. Half of a level's
share goes to the last look (so a level that needs every seed keeps much of a fixed ``max_seeds``
design's power: benchmarks/adaptive_seeds measures what it loses), the other half to the earlier looks
at one common nominal level, chosen so that the chance that *any* of the level's intervals misses is its
share. The guarantee holds whatever chose when to stop (optional stopping): a wrong decision needs a
missed interval; it assumes near-normal differences, which runs that collapse break (stats.outliers). (The
asymptotic spending-function boundaries of group-sequential libraries and the bounded-range confidence
sequences of ``confseq`` are far too wide or not valid at 3-10 seeds.)

Accuracy moves in steps of one test example, so paired differences that happen to be identical on
every seed would give a zero-width interval: the spread is floored at that step (``resolution``).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
from scipy import stats

from ablation_suite.stats import ALPHA, MIN_PAIRS, outliers
from ablation_suite.stats.intervals import paired_differences, paired_interval, t_quantile

VERDICTS = ("better", "worse", "equivalent", "undecided")
FUTILITY_SLACK = 0.10  # a level is hopeless only if its spread's 90% lower bound still cannot be decided
FAMILIES = ("study", "comparison")  # what alpha covers: every decision of the study, or of each comparison
# The simulation that calibrates the boundaries: enough draws that the chance of a miss is known to ~2% of itself
# at alpha 0.05 / 16 levels, from a fixed generator so that every process of a study gets the same boundaries.
SIMULATIONS = 400_000
SIMULATION_SEED = 20261206


@dataclass(frozen=True)
class Rule:
    """When a level is decided: ``rope`` in accuracy points (0.5 = half a percentage point). Validated where
    an ablation states it (rule_problems)."""

    rope: float = 0.5  # accuracy points
    alpha: float = ALPHA  # the chance of any false decision in one comparison
    min_seeds: int = 3  # every level's first round (at least stats.MIN_PAIRS: fewer pairs are no evidence)
    max_seeds: int = 10  # the cap, where an undecided level stops
    family: str = "study"  # what alpha covers (FAMILIES): every decision of the study, or of each comparison

    @classmethod
    def of(cls, spec: dict) -> Rule:
        """The rule an ablation's spec (or ``Ablation.rule()``) states; a field it leaves out has its default."""
        return cls(**{name: spec[name] for name in RULE_FIELDS if name in spec})

    @property
    def margin(self) -> float:
        """The margin as a difference of accuracy fractions (accuracy is stored in [0, 1])."""
        return self.rope / 100

    @property
    def looks(self) -> int:
        return self.max_seeds - self.min_seeds + 1

    def confidence(self, comparisons: int, pairs: int) -> float:
        """Nominal confidence of the interval of one of ``comparisons`` levels looked at with ``pairs`` paired seeds:
        the level's share of alpha spent exactly over its nested looks (``boundaries``). Outside min..max seeds
        (no decision is made there) the level's whole share."""
        return _confidence(self, comparisons, pairs)


@functools.cache
def _confidence(rule: Rule, comparisons: int, pairs: int) -> float:
    """Rule.confidence, cached: a study asks for the same few many times."""
    share = rule.alpha / max(comparisons, 1)
    if not rule.min_seeds <= pairs <= rule.max_seeds:
        return 1 - share
    critical = boundaries(share, rule.min_seeds, rule.max_seeds)[pairs - rule.min_seeds]
    return 1 - 2 * float(stats.t.sf(critical, pairs - 1))


RULE_FIELDS = tuple(field.name for field in fields(Rule))  # what an ablation may state of its rule
RULE_DEFAULTS = {field.name: field.default for field in fields(Rule)}


def rule_problems(rule: dict) -> list[str]:
    """What is wrong with a seeds="auto" rule stated as a dict of RULE_FIELDS (the ablation that states it
    reports the problems)."""
    wrong = []
    rope, alpha = rule["rope"], rule["alpha"]
    if isinstance(rope, bool) or not isinstance(rope, (int, float)) or not 0 <= rope < 100:
        wrong.append(f"rope={rope!r} must be a margin in accuracy points, 0 <= rope < 100 (e.g. 0.5)")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha <= 0.5:
        wrong.append(f"alpha={alpha!r} must be an error rate in (0, 0.5] (e.g. 0.05)")
    for name in ("min_seeds", "max_seeds"):
        value = rule[name]
        if not isinstance(value, int) or isinstance(value, bool) or value < MIN_PAIRS:
            wrong.append(f"{name}={value!r} must be an integer >= {MIN_PAIRS}: fewer paired seeds are no evidence")
    if rule.get("family", "study") not in FAMILIES:
        wrong.append(f"family={rule['family']!r} is not known; choose one of: {', '.join(FAMILIES)}")
    if not wrong and rule["max_seeds"] < rule["min_seeds"]:
        wrong.append(f"max_seeds={rule['max_seeds']} is below min_seeds={rule['min_seeds']}; raise max_seeds")
    return wrong


@dataclass(frozen=True)
class Decision:
    """One level against its reference: the paired difference's mean and simultaneous interval."""

    level: str
    reference: str
    pairs: int
    mean: float
    low: float
    high: float
    verdict: str
    hopeless: bool = False  # undecided, and the cap cannot decide it either: it gets no more seeds
    far_seeds: int = 0  # its paired seeds far from the others (stats.outliers)
    disagreeing: str = ""  # those seeds in words (stats.outliers.describe), "" when none

    @property
    def decided(self) -> bool:
        return self.verdict != "undecided"


@functools.cache
def boundaries(alpha: float, min_seeds: int, max_seeds: int) -> tuple[float, ...]:
    """Critical values of |t| at n = min_seeds..max_seeds pairs such that one level's intervals miss its true
    paired difference at any of those looks with chance ``alpha`` (normal differences; exact up to the simulation's
    error, which is taken off alpha twice over). Half of alpha is spent at the last look on its own; the earlier
    looks share one nominal level, found by bisection on simulated pivots. Cached: one simulation per rule."""
    last = float(stats.t.ppf(1 - alpha / 4, max_seeds - 1))
    if min_seeds == max_seeds:
        return (float(stats.t.ppf(1 - alpha / 2, max_seeds - 1)),)
    pivots = _pivots(min_seeds, max_seeds)
    target = alpha - 2 * math.sqrt(alpha * (1 - alpha) / len(pivots))
    missed_last = pivots[:, -1] > last
    early_df = np.arange(min_seeds, max_seeds) - 1

    def early(nominal: float) -> np.ndarray:
        return stats.t.ppf(1 - nominal / 2, early_df)

    def missed(nominal: float) -> float:
        return float((missed_last | (pivots[:, :-1] > early(nominal)).any(axis=1)).mean())

    low, high = alpha / 2 / len(early_df), alpha / 2  # the union bound's share (missed <= alpha), and all of it
    if missed(high) <= target:
        low = high
    for _ in range(40):
        middle = (low + high) / 2
        low, high = (middle, high) if missed(middle) <= target else (low, middle)
    return (*map(float, early(low)), last)


@functools.cache
def _pivots(min_seeds: int, max_seeds: int) -> np.ndarray:
    """|t| of the mean of n standard normal paired differences at n = min..max, nested (one row per simulated
    level): the pivot (mean - true) / (sd / sqrt(n)) whose law does not depend on the true mean or spread."""
    draws = np.random.default_rng(SIMULATION_SEED).standard_normal((SIMULATIONS, max_seeds))
    n = np.arange(1, max_seeds + 1)
    sums, squares = np.cumsum(draws, axis=1), np.cumsum(draws**2, axis=1)
    means = sums / n
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = np.sqrt((squares - n * means**2) / (n - 1))
        pivots = np.abs(means) * np.sqrt(n) / spread
    return pivots[:, min_seeds - 1 :]


@functools.cache
def _t_quantile(confidence: float, df: int) -> float:
    """The two-sided Student-t critical value (cached: a study asks for the same few many times)."""
    return t_quantile(confidence, df)


@functools.cache
def _chi2_quantile(q: float, df: int) -> float:
    return float(stats.chi2.ppf(q, df))


def verdict(low: float, high: float, pairs: int, rule: Rule, far_seeds: int = 0) -> str:
    """better / worse / equivalent / undecided from the interval; equivalent only at the cap (``max_seeds`` pairs:
    seeds that did not collapse cannot rule out a collapse among the next ones, module docstring) and never while a
    seed lies far from the others (stats.outliers)."""
    if pairs < rule.min_seeds:
        return "undecided"
    if low > rule.margin:
        return "better"
    if high < -rule.margin:
        return "worse"
    if -rule.margin <= low and high <= rule.margin and not far_seeds and pairs >= rule.max_seeds:
        return "equivalent"
    return "undecided"


def intervals(levels: int, race: bool) -> int:
    """How many intervals a comparison of ``levels`` levels (its base or best included) adds to the family: every
    level against the base, or in a race every pair of levels (the best is chosen by the data)."""
    return levels * (levels - 1) // 2 if race else levels - 1


def family_size(rule: Rule, comparisons: list[int], race: bool) -> int | None:
    """The intervals alpha is split over when it covers the whole study (family "study"): every level of each of
    the ``comparisons`` (their numbers of levels) against its reference; None when each comparison is its own."""
    if rule.family != "study":
        return None
    return sum(intervals(levels, race) for levels in comparisons) or None


def against_base(
    values: dict, base: str, rule: Rule, resolution: float = 0.0, family: int | None = None
) -> list[Decision]:
    """Every level of ``values`` (level -> {seed: accuracy}) but ``base`` decided against ``base``; ``family``:
    the intervals alpha is split over (the study's; default this comparison's)."""
    others = [level for level in values if level != base]
    family = family or intervals(len(values), race=False)
    return [_decide(level, base, values, family, rule, resolution) for level in others]


def against_best(
    values: dict, rule: Rule, resolution: float = 0.0, family: int | None = None
) -> tuple[str | None, list[Decision]]:
    """A race: the current best level (highest mean) and every other level decided against it.

    The best is chosen by the data, so the intervals are corrected for every pair of levels."""
    means = {level: float(np.mean(list(seeds.values()))) for level, seeds in values.items() if seeds}
    if not means:
        return None, []
    best = max(means, key=lambda level: means[level])
    family = family or intervals(len(values), race=True)
    return best, [_decide(level, best, values, family, rule, resolution) for level in values if level != best]


def _decide(level, reference, values, comparisons: int, rule, resolution) -> Decision:
    diffs = paired_differences(values.get(level, {}), values.get(reference, {}))
    runs, reference_runs = (
        pd.Series(values.get(name, {}), dtype=float).reindex(diffs.index).to_numpy() for name in (level, reference)
    )
    return decide_pairs(level, reference, diffs.index, runs, reference_runs, comparisons, rule, resolution)


def decide_pairs(
    level: str, reference: str, seeds, level_runs, reference_runs, comparisons: int, rule: Rule, resolution: float
) -> Decision:
    """One level against its reference from their runs of the same ``seeds`` (numpy arrays aligned seed by seed).

    A level whose seeds disagree (stats.outliers) is never equivalent, so it gets more seeds only while its cap could
    still show it better or worse; otherwise it stops undecided with the far seeds named (futility: the seeds that
    collapsed stay in its data, so no cap could call it equivalent)."""
    diffs = np.asarray(level_runs, dtype=float) - np.asarray(reference_runs, dtype=float)
    pairs = len(diffs)
    mean, low, high = paired_interval(diffs, rule.confidence(comparisons, pairs), resolution)
    far = outliers.disagreeing(diffs, level_runs, reference_runs)
    decision = verdict(low, high, pairs, rule, int(far.sum()))
    confidence = rule.confidence(comparisons, rule.max_seeds)
    hopeless = decision == "undecided" and _hopeless(diffs, confidence, rule, resolution, not far.any())
    named = outliers.describe(pd.Series(diffs[far], index=np.asarray(seeds)[far]), pairs) if far.any() else ""
    return Decision(level, reference, pairs, mean, low, high, decision, hopeless, int(far.sum()), named)


def _hopeless(diffs, confidence: float, rule: Rule, resolution: float, equivalence: bool = True) -> bool:
    """Whether even ``max_seeds`` pairs (whose interval has ``confidence``) could not decide the level (stopping
    for futility); ``equivalence``: whether "equivalent" is still open to it (not while a seed lies far from the
    others).

    Judged optimistically: the spread at its 90% lower bound (chi-square) and the mean anywhere within one
    standard error of its estimate. Stopping such a level early can never make a false decision (it ends
    undecided, as it would at the cap); it only saves the seeds that could not have decided it.
    """
    n = len(diffs)
    if n < rule.min_seeds or n >= rule.max_seeds:
        return False
    spread = max(float(np.std(diffs, ddof=1)), resolution)
    optimistic = spread * math.sqrt((n - 1) / _chi2_quantile(1 - FUTILITY_SLACK, n - 1))
    half = _t_quantile(confidence, rule.max_seeds - 1) * optimistic / math.sqrt(rule.max_seeds)
    mean, error = float(np.mean(diffs)), spread / math.sqrt(n)
    could_differ = abs(mean) + error - half > rule.margin
    room = rule.margin - half  # how far from zero the mean may be for the cap's interval to fit the margin
    could_be_equivalent = equivalence and room >= 0 and abs(mean) - error <= room
    return not (could_differ or could_be_equivalent)


def best_set(best: str, verdicts: dict) -> list[str]:
    """What a race can say: the best and every level not shown worse than it by more than the margin (equivalent,
    undecided, or ahead on its paired seeds), ``verdicts`` being level -> verdict against the best. A race names a
    single winner only when every other level is worse: otherwise the data cannot tell the set apart."""
    return [best, *(level for level, verdict in verdicts.items() if level != best and verdict != "worse")]


def best_set_sentence(name: str, best: str, verdicts: dict) -> str:
    """e.g. "lr: best set 0.01, 0.003 (the data cannot tell them apart within the margin); 0.1, 1e-4 worse"."""
    members = best_set(best, verdicts)
    worse = [level for level, verdict in verdicts.items() if verdict == "worse"]
    if len(members) == 1:
        return f"{name}: {best} wins: every other level is worse by more than the margin"
    return (
        f"{name}: best set {', '.join(members)} (the data cannot tell them apart from the best within the margin)"
        + (f"; {', '.join(worse)} worse" if worse else "")
    )


def race_finished(decisions: list[Decision]) -> bool:
    """A race ends when no contender is still undecided against the best (worse ones are out; equivalent ones
    tie with it; "better" than the best by its paired seeds means the lead is not settled yet)."""
    return all(d.verdict in ("worse", "equivalent") for d in decisions)


def seeds_wanted(decisions: list[Decision], counts: dict, rule: Rule, race: bool = False) -> dict:
    """Level -> how many seeds it should have after the next round (only levels that need more).

    Every level first gets ``min_seeds``; then an undecided level gets one more, up to ``max_seeds``; its
    reference gets every seed a level pairs with. In a race the best keeps pace with its contenders."""
    wanted = {level: rule.min_seeds for level, n in counts.items() if n < rule.min_seeds}
    if wanted:
        return wanted
    for decision in decisions:
        undecided = (decision.verdict == "undecided" and not decision.hopeless) or (
            race and decision.verdict == "better"
        )
        if undecided and counts.get(decision.level, 0) < rule.max_seeds:
            target = counts.get(decision.level, 0) + 1
            wanted[decision.level] = max(wanted.get(decision.level, 0), target)
            if counts.get(decision.reference, 0) < target:
                wanted[decision.reference] = max(wanted.get(decision.reference, 0), target)
    return wanted


def summary(verdicts: list[str], trainings: int, variants: int, rule: Rule) -> str:
    """One line: how many levels were decided with how many trainings, against a fixed design at the cap."""
    decided = sum(verdict in ("better", "worse", "equivalent") for verdict in verdicts)
    fixed = variants * rule.max_seeds
    return (
        f"decided {decided} of {len(verdicts)} level(s) with {trainings} training(s); a fixed "
        f"{rule.max_seeds}-seed design would have used {fixed}"
    )
