"""The comparison model: which finished trials each figure and table of a study compares.

``groups(frame, spec)`` rebuilds the study's Ablation from its stored spec and asks its design
(``ablations.designs``) which comparisons it makes (one per factor of an ofat design, one for a
grid, one per stage of a chained design, ...), then takes each comparison's finished trials from the
trials table with a label per level. Pure pandas: no plotting, so text commands (``ablation-suite
status``) can use it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ablation_suite.ablations import Ablation
from ablation_suite.ablations.designs import Comparison, level_label

__all__ = ["Group", "finished", "groups", "level_label"]


@dataclass
class Group:
    """A set of levels compared in one figure: one factor (ofat), the whole grid or a chain's stage."""

    title: str
    rows: pd.DataFrame  # finished trials with a "level" column (str)
    levels: list  # level labels in the ablation's order, base first
    base: str
    tuned: tuple = ()  # searched fields whose per-level tuned values the summary shows
    note: str = ""  # e.g. a chained stage's winner and its margin
    fields: tuple = ()  # the factors whose values make a level (two for a two-factor grid)


def finished(frame: pd.DataFrame) -> pd.DataFrame:
    """Trials that produced a result (diverged ones included: they are results)."""
    return frame[frame["status"].isin(["done", "diverged"])].copy()


def groups(frame: pd.DataFrame, spec: dict) -> list[Group]:
    """Split finished trials into the comparisons the design makes (``spec["winners"]``: a chain's recorded
    stage winners, store.record.winners)."""
    done, tuned = finished(frame), tuple(spec.get("search_space", {}))
    return [
        _group(done, comparison, tuned) for comparison in Ablation.from_spec(spec).comparisons(spec.get("winners", []))
    ]


def _group(done: pd.DataFrame, comparison: Comparison, tuned: tuple) -> Group:
    """The trials of one comparison: its fixed fields at their values, its fields at one of its levels."""
    mask = np.ones(len(done), dtype=bool)
    allowed = {
        **{name: [value] for name, value in comparison.fixed.items()},
        **{name: [level[name] for level in comparison.levels] for name in comparison.fields},
    }
    for name, values in allowed.items():
        labels = {level_label(value) for value in values}
        mask &= done[name].map(lambda value, labels=labels: level_label(value) in labels).to_numpy(dtype=bool)
    rows = done[mask]
    rows = rows.assign(
        level=[comparison.label({name: row[name] for name in comparison.fields}) for _, row in rows.iterrows()]
    )
    return Group(
        comparison.title,
        rows,
        [comparison.label(level) for level in comparison.levels],
        comparison.label(comparison.base),
        tuned,
        comparison.note,
        tuple(comparison.fields),
    )
