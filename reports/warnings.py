"""The report's methodology warnings: plain-language lines on how far the results can be trusted (too many
diverged trials, too few paired seeds, a difference too small for the seeds, no spread to judge by, a tuned
value at the edge of its range, batch sizes compared at one learning rate). The numbers they quote come from
the statistics leaf (``stats``); these functions only word them."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ablation_suite.ablations import is_range
from ablation_suite.stats import ALPHA, MIN_PAIRS
from ablation_suite.stats.tests import seeds_would

DIVERGED_WARNING = 0.10  # share of diverged trials above which results are suspect
FITS = 0.8  # a level whose mean final training accuracy reaches this fits its training data
NEAR_CHANCE = (
    0.10  # ... and one whose mean test accuracy is within this of chance (1 / classes) learnt nothing that transfers
)
BOUNDARY = 0.05  # a tuned value within 5% of a range end (on its scale) is "on the boundary"


def methodology_warnings(frame: pd.DataFrame, spec: dict, comparisons: list[tuple[str, pd.DataFrame]]) -> list[str]:
    """Plain-language warnings about how far the results can be trusted.

    ``frame`` is the study's trials table, ``comparisons`` the (title, summary table) pairs. The warnings its
    protocol got before training (``spec["protocol_warnings"]``, workers.preflight) come first.
    """
    warnings = list(spec.get("protocol_warnings", []))
    done = frame[frame["status"].isin(["done", "diverged"])]
    if len(done) and done["status"].eq("diverged").mean() > DIVERGED_WARNING:
        warnings.append(
            f"{done['status'].eq('diverged').sum()} of {len(done)} trials diverged (more than "
            f"{DIVERGED_WARNING:.0%}): lower the learning rate or check the set-up before reading the means"
        )
    chance = chance_of(done)
    for title, table in comparisons:
        warnings += _comparison_warnings(title, table) + _fits_but_tests_at_chance(title, table, chance)
    factors, searched = spec.get("factors", {}), spec.get("search_space", {})
    if "batch_size" in factors and "learning_rate" not in searched:
        warnings.append(
            "batch_size is compared at one learning rate: a batch size needs its own learning rate "
            "(re-tune it per level with a nested design, e.g. the batch_size_lr ablation)"
        )
    warnings += boundary_warnings(done, spec)
    return warnings


def chance_of(trials: pd.DataFrame) -> float | None:
    """The accuracy of guessing: 1 / the number of classes of the trials' data (None when unknown)."""
    names = [n for n in trials.get("class_names", pd.Series(dtype=object)) if isinstance(n, (list, tuple)) and n]
    return 1 / len(names[0]) if names else None


def near_chance(row, chance: float | None) -> bool:
    """Whether a level (a summary-table row) fits its training data but tests near chance."""
    train, test = row.get("train_accuracy", math.nan), row.get("test_accuracy", math.nan)
    return chance is not None and train >= FITS and test <= chance + NEAR_CHANCE


def _fits_but_tests_at_chance(title: str, table: pd.DataFrame, chance: float | None) -> list[str]:
    """A level that fits its training data but tests near chance: its answer is an artefact of the protocol (e.g.
    batch norm on 500 digits images for 2 epochs: 98% training accuracy, test at chance), not of the level."""
    return [
        f"{title}: {row['level']} fits its training data ({100 * row['train_accuracy']:.0f}% training accuracy) but "
        f"tests near chance ({100 * row['test_accuracy']:.0f}%; guessing gives {100 * chance:.0f}%): its result is "
        "likely an artefact of the protocol, not of the level (batch norm's moving statistics that never settled: "
        "lower bn_momentum or train more steps; or test images unlike the training images)"
        for _, row in table.iterrows()
        if near_chance(row, chance)
    ]


def _comparison_warnings(title: str, table: pd.DataFrame) -> list[str]:
    """Too few pairs to test (one line for the comparison), too few seeds to tell, no spread to judge by."""
    warnings = []
    others = table[table["note"] != "base"]
    few = others[others["pairs"] < MIN_PAIRS]
    if len(few):
        warnings.append(
            f"{title}: {'; '.join(map(str, few['level']))} "
            f"{'has' if len(few) == 1 else 'have'} fewer than {MIN_PAIRS} seeds paired with the base "
            f"({', '.join(str(n) for n in dict.fromkeys(few['pairs']))}), so no p-value or effect size "
            "is given; read the interval of the difference, or run more seeds (--seeds)"
        )
    for _, row in others[others["pairs"] >= MIN_PAIRS].iterrows():
        if row["p_value"] >= ALPHA and math.isfinite(row["seeds_needed"]) and row["seeds_needed"] > row["pairs"]:
            warnings.append(
                f"{title}: {row['level']} differs from the base by {row['delta_vs_base']:+.4f} but "
                f"{row['pairs']} paired seeds cannot tell (p={row['p_value']:.2g}); "
                f"{seeds_would(row['seeds_needed'])} seeds would"
            )
        elif math.isnan(row["p_value"]):
            warnings.append(
                f"{title}: {row['level']} differs from the base by the same {row['delta_vs_base']:+.4f} on all "
                f"{row['pairs']} seeds, so the paired test has no spread to judge it by (p is NaN); run more "
                "seeds (--seeds) to tell whether the shift is real"
            )
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
                warnings.append(
                    f"tuned {name}={float(value):.3g} lies at the {end} end of its search range "
                    f"[{low:g}, {high:g}]: widen the range"
                )
    return warnings
