"""The report's methodology warnings: plain-language lines on how far the results can be trusted (too many
diverged trials, too few paired seeds, a difference too small for the seeds, no spread to judge by, a tuned
value at the edge of its range, batch sizes compared at one learning rate, a level that fits its training data but
tests near chance, a level whose validation accuracy collapsed while it kept fitting its training data). The numbers
they quote come from the statistics leaf (``stats``) and the trials' recorded per-epoch history; these functions only
word them."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

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
# A run's validation accuracy collapsed when its last epoch's is more than this below the run's own best while its
# training accuracy at the last epoch is no lower than at that best epoch. 20 points is 6.5 binomial standard
# deviations (3 points at 50%) of digits' 269 validation images and 5 of a 160-image set: the best epoch's luck (the
# maximum of a run's noisy epochs, about 2 standard deviations above their mean over 10-30 epochs) cannot reach it,
# healthy training does not lose it, and a fall of 20 points moves any answer a study compares.
COLLAPSE = 0.20
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
        warnings += _collapse_warnings(title, table)
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


@dataclass(frozen=True)
class Collapse:
    """One run whose validation accuracy collapsed: its best and last epoch's validation accuracy, its last epoch's
    training accuracy and the validation accuracy of the weights it was tested with (the last epoch's, unless
    restore_best_weights or a checkpoint kept an earlier epoch's)."""

    best: float
    last: float
    train: float
    tested: float


def collapse_of(history: dict | None, tested: float | None) -> Collapse | None:
    """The collapse of one trial's validation accuracy (``history``: its recorded per-epoch history, ``tested``: its
    recorded val_accuracy, of the weights tested; unknown, the last epoch's), or None: a run whose last epoch's
    validation accuracy is more than COLLAPSE below its best, at a training accuracy no lower than at that best epoch.
    A run with a non-finite value in its history (diverged: a warning of its own) has none."""
    history = history if isinstance(history, dict) else {}  # none recorded (NaN in a trials table)
    val, train = history.get("val_accuracy") or [], history.get("accuracy") or []
    if not val or len(val) != len(train) or not all(map(_finite, val + train)):
        return None
    best = int(np.argmax(val))
    if val[best] - val[-1] <= COLLAPSE or train[-1] < train[best]:
        return None
    return Collapse(val[best], val[-1], train[-1], float(tested) if _finite(tested) else val[-1])


def _finite(value) -> bool:
    return isinstance(value, float | int) and math.isfinite(value)


COLLAPSE_COLUMNS = [f"collapse_{f.name}" for f in fields(Collapse)]


def with_collapses(table: pd.DataFrame, trials: pd.DataFrame) -> pd.DataFrame:
    """The summary table with, per level, ``collapsed_seeds`` (its trials whose validation accuracy collapsed) and
    the means over those trials of Collapse's numbers (``collapse_best``, ..., NaN where none collapsed)."""
    found = [
        dict(level=row["level"], **asdict(c))
        for _, row in trials.iterrows()
        if (c := collapse_of(row["history"], row.get("val_accuracy")))
    ]
    found = pd.DataFrame(found, columns=["level", *(f.name for f in fields(Collapse))])
    means = found.groupby("level").mean().add_prefix("collapse_")
    counted = table["level"].map(found.groupby("level").size()).fillna(0).astype(int)
    return table.assign(collapsed_seeds=counted, **{c: table["level"].map(means[c]) for c in COLLAPSE_COLUMNS})


def collapsed(row) -> bool:
    """Whether a level (a summary-table row, with_collapses) collapsed on at least half of its seeds: then its mean
    is the collapsed runs' (a minority of collapsed seeds shows as spread, which the level's interval carries)."""
    count = row.get("collapsed_seeds", 0)
    return count > 0 and 2 * count >= row.get("seeds", math.inf)


def tested_collapsed(row) -> bool:
    """Whether the weights a collapsed level was tested with were the collapsed ones (not an earlier epoch's)."""
    return collapsed(row) and row["collapse_best"] - row["collapse_tested"] > COLLAPSE


def _collapse_warnings(title: str, table: pd.DataFrame) -> list[str]:
    """A level whose validation accuracy collapsed while it kept fitting its training data: tested with the collapsed
    weights its answer is an artefact of the protocol (e.g. 50% noisy labels on 300 digits images for 30 epochs:
    validation 80% at epoch 9, 54% at the last, training 98%); tested with an earlier epoch's, its test accuracy stands
    but the protocol still trains it into a collapse."""
    return [_collapse_warning(title, row) for _, row in table.iterrows() if collapsed(row)]


def _collapse_warning(title: str, row) -> str:
    seen = (
        f"{title}: {row['level']} collapsed on validation while it kept fitting its training data, on "
        f"{row['collapsed_seeds']} of {int(row['seeds'])} seeds: validation accuracy from its best "
        f"{100 * row['collapse_best']:.0f}% to {100 * row['collapse_last']:.0f}% at the last epoch, with "
        f"{100 * row['collapse_train']:.0f}% training accuracy there (means over those seeds)"
    )
    if tested_collapsed(row):
        return (
            f"{seen}; it was tested with the collapsed weights (validation {100 * row['collapse_tested']:.0f}%), so "
            "its result is likely an artefact of the protocol, not of the level (training unstable at its learning "
            "rate, batch norm's moving statistics lagging the weights, or memorising noisy or too few training "
            "images): lower learning_rate or bn_momentum, or test the best epoch's weights (--set "
            "checkpoint=val_accuracy, or restore_best_weights with early stopping, which otherwise ends on the last "
            "epoch's weights)"
        )
    return (
        f"{seen}; it was tested with an earlier epoch's weights (validation {100 * row['collapse_tested']:.0f}%, "
        "restored by restore_best_weights or a checkpoint), so its test accuracy is not the collapsed state's; but "
        "the protocol trains it into a collapse, which a run ending on the last epoch's weights would be tested in: "
        "lower learning_rate or bn_momentum"
    )


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
                f"{title}: {row['level']} differs from the base by {100 * row['delta_vs_base']:+.2f} pp but "
                f"{row['pairs']} paired seeds cannot tell (p={row['p_value']:.2g}); "
                f"{seeds_would(row['seeds_needed'])} seeds would"
            )
        elif math.isnan(row["p_value"]):
            warnings.append(
                f"{title}: {row['level']} differs from the base by the same {100 * row['delta_vs_base']:+.2f} pp "
                f"on all {row['pairs']} seeds, so the paired test has no spread to judge it by (p is NaN); run more "
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
