"""Seeds that disagree (stats.outliers): the robust rule, and what it changes in a fixed-seed design's decision."""

import numpy as np
import pandas as pd
import pytest

from ablation_suite.stats import outliers
from ablation_suite.stats.levels import compare_levels, fixed_design_decision


@pytest.mark.unit
def test_a_collapsed_seed_is_far_and_ordinary_noise_is_not():
    collapsed = pd.Series([0.004, -0.002, 0.001, -0.15, 0.003], index=[0, 1, 2, 3, 4])
    assert outliers.far_seeds(collapsed).to_dict() == {3: -0.15}
    assert outliers.describe(outliers.far_seeds(collapsed), 5) == "1 of 5 seeds far from the others: -15.0 pp (seed 3)"
    # seeds that agree exactly but one 3 points off: inside the floor (a median absolute deviation of 0 is no scale)
    assert outliers.far_seeds(pd.Series([0.01, -0.02, 0.01, 0.01, 0.0])).empty
    assert outliers.far_seeds(pd.Series([0.0, -0.3])).empty  # two pairs: neither is "the others"
    # a collapse of the reference shows as a level far above its other pairs
    assert list(outliers.far_seeds(pd.Series([0.01, 0.0, 0.012, 0.11]))) == [0.11]


@pytest.mark.unit
def test_normal_seeds_are_rarely_called_far():
    rng = np.random.default_rng(3)
    flagged = [not outliers.far_seeds(pd.Series(rng.normal(0, 0.01, 7))).empty for _ in range(2000)]
    assert np.mean(flagged) < 0.01  # paired spread 1 point, 7 seeds: under 1% of levels get a false flag


@pytest.mark.unit
def test_a_fixed_design_never_calls_a_level_with_a_far_seed_equivalent():
    base = [0.90, 0.91, 0.92, 0.905, 0.915, 0.925]
    level = [value + shift for value, shift in zip(base, [0.001, -0.001, 0.002, 0.0, 0.001, -0.0005])]
    rows = pd.DataFrame(
        [
            dict(level=name, seed=seed, test_accuracy=value)
            for name, values in (("a", base), ("b", level), ("c", [*level[:5], level[5] - 0.2]))
            for seed, value in enumerate(values)
        ]
    )
    table = compare_levels(rows, ["a", "b", "c"], "a").set_index("level")
    assert fixed_design_decision(table.loc["b"], rope=0.05) == "equivalent"
    assert table.loc["c", "far_seeds"] == 1 and "seed 5" in table.loc["c", "disagreeing"]
    assert table.loc["c", "diff_low"] > -0.2  # its interval alone would fit a wide enough margin...
    assert fixed_design_decision(table.loc["c"], rope=0.2) == "undecided"  # ...but the far seed blocks it


@pytest.mark.unit
def test_far_runs_say_whose_run_makes_a_seed_disagree():
    """A collapse of the reference's run on seed 2 marks the reference's run (the level's difference is far too, but
    its own run is ordinary); the export marks each trial by this."""
    level = np.array([0.90, 0.91, 0.90, 0.905, 0.91])
    reference = np.array([0.90, 0.90, 0.75, 0.90, 0.905])
    level_far, reference_far = outliers.far_runs(level - reference, level, reference)
    assert list(reference_far) == [False, False, True, False, False]
    assert list(level_far) == [False, False, True, False, False]  # by its difference (+15 pp)
    assert list(outliers.far_runs(level - reference, level, level)[1]) == [False] * 5
    assert list(outliers.disagreeing(level - reference, level, reference)) == list(level_far | reference_far)


@pytest.mark.unit
def test_between_the_floor_and_the_ceiling_the_spread_of_the_others_decides():
    """A seed 4.75-4.8 points from the median: far when the others agree to a tenth of a point (3.5 robust standard
    deviations are far below the 4 point floor), ordinary when they spread over 4 points (3.5 robust standard
    deviations reach past the 5 point ceiling). A limit fixed at the floor, or at the ceiling, fails one of the two."""
    tight = np.array([0.001, -0.001, 0.0005, 0.0, -0.0005, 0.001, 0.048])
    spread = np.array([0.02, -0.02, 0.015, -0.015, 0.01, -0.01, 0.058])
    assert list(outliers.far_mask(tight)) == [False] * 6 + [True]
    assert not outliers.far_mask(spread).any()
    assert outliers.FLOOR < abs(spread[-1] - np.median(spread)) < outliers.CEILING
    assert outliers.FLOOR < abs(tight[-1] - np.median(tight)) < outliers.CEILING
