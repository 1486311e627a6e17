"""Seeds that disagree: a seed whose paired difference lies far from the other seeds' is an outcome (a run that
collapsed or diverged, on the level or on its reference), not noise to average away.

The rule is the modified z-score of Iglewicz & Hoaglin (1993): a paired difference more than 3.5 robust standard
deviations (1.4826 x the median absolute deviation, which a collapse cannot inflate as it inflates the standard
deviation) from the median of its level's differences, and more than ``FLOOR`` from it. The floor keeps seeds that
happen to agree exactly (a median absolute deviation of zero, common with a few seeds on a small test set) from
making an ordinary seed "far": 4 points is three times the largest paired spread of the levels a rule can decide
(0.2-1.3 points on real runs) and below the smallest collapse it is for (runs that lose 5-20 points). It needs
three pairs: with two, neither is "the others". benchmarks/adaptive_seeds measures what it catches: 92% of
simulated levels with such a collapse among the seeds they used (a collapse within the spread of the others is not
far from them).

What it changes: a level with such a seed is never called equivalent to its reference (equivalence says its seeds
land within the margin of the reference's; one that fell far outside is evidence against that), in a fixed-seed
design as in ``seeds="auto"``, which keeps giving it seeds to its cap instead. A "better" or "worse" stands: the
far seed is in the spread its interval is built from. Either way the seed is named beside the decision.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MODIFIED_Z = 3.5  # Iglewicz & Hoaglin's cut for an outlier
CONSISTENCY = 1.4826  # the median absolute deviation of normal data times this is its standard deviation
FLOOR = 0.04  # accuracy (4 points): a seed this close to the others' median is never far from them


def far_seeds(differences: pd.Series) -> pd.Series:
    """The paired differences (indexed by seed) that lie far from the others' (empty with fewer than 3)."""
    if len(differences) < 3:
        return differences.iloc[:0]
    median = float(np.median(differences))
    spread = CONSISTENCY * float(np.median(np.abs(differences - median)))
    limit = max(MODIFIED_Z * spread, FLOOR)
    return differences[np.abs(differences - median) > limit]


def describe(far: pd.Series, pairs: int) -> str:
    """e.g. "1 of 7 seeds far from the others: -14.2 pp (seed 4)"; "" when none."""
    if far.empty:
        return ""
    listed = ", ".join(f"{100 * value:+.1f} pp (seed {seed})" for seed, value in far.items())
    return f"{len(far)} of {pairs} seeds far from the others: {listed}"
