"""Seeds that disagree: a seed whose run lies far from the other seeds of its level (a run that collapsed or
diverged, on the level or on its reference) is an outcome, not noise to average away.

A value (a paired difference ``level - reference``, or one level's own accuracy) is far from the others of its
level when it lies more than ``limit`` from the median of its level's values (itself included: of three values, the
middle one), where the limit is

- ``CEILING`` (5 points) at most: the smallest loss the issue's collapses are defined by (runs that lose 5-20
  points). Any seed that far from the median is named, whatever the spread of the others; this keeps a collapse
  from hiding behind the spread of two or three other seeds (the median absolute deviation of 3-5 values swings
  by a factor of several, and a collapse among them inflates it further);
- below that, Iglewicz & Hoaglin's (1993) modified z-score: more than 3.5 robust standard deviations (1.4826 x
  the median absolute deviation) from the median, so that a level whose seeds vary widely is not flagged for
  ordinary spread between ``FLOOR`` and ``CEILING``;
- ``FLOOR`` (4 points) at least: seeds that happen to agree exactly (a median absolute deviation of zero, common
  with a few seeds on a small test set) never make an ordinary seed "far". 4 points is three times the largest
  paired spread of the near-tie levels measured on digits (0.5-1.2 points).

A seed is checked three ways (``disagreeing``): its paired difference, the level's own run and the reference's
own run, each against the others of the same kind. A collapse of both runs of one seed cancels in the paired
difference but not in the runs; a reference's collapsed run shows in every level paired with it.

Measured in benchmarks/adaptive_seeds (5-10% of the runs of the base, the levels or both lose 5-20 points; 1000
comparisons per scenario): 99.6-100% of levels with a collapse among the seeds their decision used are flagged (9951
of 9962 pooled, 99.89%); of levels without one, 0.4-0.9% are flagged at the digits spreads with normal noise,
2.5-2.9% with t3 noise, 7.1% when a level's spread is up to 3 x the base's, and at most 0.2% at spreads of 0.2-0.5
points. No rule that compares a level's seeds with each other can flag them all (one that flags a level for lying
far from its base would flag every large effect). Of the 11 levels it misses, one had every seed it used collapse
(its three runs lost 17.2-18.2 points, at a 0.3 point spread: decided "worse" at 3 seeds, correctly, with no seed
apart from the others). In the other ten a loss of 5.1-6.3 points (one of 8.1) met ordinary noise of the other sign
at paired spreads of 0.5-1.2 points, so the collapsed seed's paired difference landed only 3.6-5.8 points from the
median of the other seeds' (its farthest value, run or difference, 4.0-5.9 points; the two beyond 5 are among three
seeds, less far from the median of all three, which the rule uses), where ordinary seeds land too: a 3.5 point floor
instead of 4 still misses 8 and flags 1.3% of levels without a collapse (8.6% at unequal spreads); also naming a
seed more than 3.5 points and 3 standard deviations of the others from their median misses 2 of 9961 (the one above
among them) but flags 2.5% (4-5% at the digits spreads, 14.6% at unequal spreads), each of them then barred from
"equivalent" (the other goals of the benchmark unchanged either way). All the ten, but also 3.1% of levels without a
collapse (20% at unequal spreads), have a value more than 3.5 points from the median of the other seeds'
(``collapse_separation_pp``, ``collapse_missed``).

It needs three values: with two, neither is "the others".

What it changes: a level with such a seed is never called equivalent to its reference (equivalence says its seeds
land within the margin of the reference's; one that fell far outside is evidence against that), in a fixed-seed
design as in ``seeds="auto"`` (which calls nothing equivalent before its cap either: a collapse that no seed showed
cannot be flagged, stats.sequential). A "better" or "worse" stands: the far seed is in the spread its interval is built
from. Either way the seed is named beside the decision.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MODIFIED_Z = 3.5  # Iglewicz & Hoaglin's cut for an outlier
CONSISTENCY = 1.4826  # the median absolute deviation of normal data times this is its standard deviation
FLOOR = 0.04  # accuracy (4 points): a seed this close to the others' median is never far from them
CEILING = 0.05  # accuracy (5 points, the smallest collapse): a seed farther than this from the median always is
MIN_VALUES = 3  # with two values neither is "the others"


def far_mask(values) -> np.ndarray:
    """Which of ``values`` (one level's, any order) lie far from the others (all False with fewer than 3)."""
    values = np.asarray(values, dtype=float)
    if len(values) < MIN_VALUES:
        return np.zeros(len(values), dtype=bool)
    distance = np.abs(values - np.median(values))
    spread = CONSISTENCY * float(np.median(distance))
    return distance > max(min(MODIFIED_Z * spread, CEILING), FLOOR)


def far_seeds(differences: pd.Series) -> pd.Series:
    """The paired differences (indexed by seed) that lie far from the others' (empty with fewer than 3)."""
    return differences[far_mask(differences.to_numpy())]


def disagreeing(differences, level_runs, reference_runs) -> np.ndarray:
    """Which paired seeds disagree (arrays aligned seed by seed): far by their paired difference, by the level's
    own run or by the reference's own run."""
    level, reference = far_runs(differences, level_runs, reference_runs)
    return level | reference


def far_runs(differences, level_runs, reference_runs) -> tuple[np.ndarray, np.ndarray]:
    """Whose run makes each disagreeing seed (``disagreeing``): the level's (its paired difference or its own run is
    far) and the reference's (its own run is far); what ``export`` marks on each trial."""
    return far_mask(differences) | far_mask(level_runs), far_mask(reference_runs)


def describe(far: pd.Series, pairs: int) -> str:
    """e.g. "1 of 7 seeds far from the others: -14.2 pp (seed 4)"; "" when none. ``far``: the paired differences
    of the far seeds, indexed by seed."""
    if far.empty:
        return ""
    listed = ", ".join(f"{100 * value:+.1f} pp (seed {seed})" for seed, value in far.items())
    return f"{len(far)} of {pairs} seeds far from the others: {listed}"
