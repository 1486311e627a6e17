"""The comparison model: which finished trials each figure and table of a study compares.

``groups(frame, spec)`` splits a study's trials table into ``Group``s (one per factor of an ofat
design, one for a grid, one per stage of a chained design) with a label per level. Pure pandas:
no plotting, so text commands (``study.py status``) can use it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ablations import grid_levels


@dataclass
class Group:
    """A set of levels compared in one figure: one factor (ofat) or the whole grid."""

    title: str
    rows: pd.DataFrame  # finished trials with a "level" column (str)
    levels: list  # level labels in the ablation's order, base first
    base: str
    tuned: tuple = ()  # searched fields whose per-level tuned values the summary shows
    note: str = ""  # e.g. a chained stage's winner and its margin


def finished(frame: pd.DataFrame) -> pd.DataFrame:
    """Trials that produced a result (diverged ones included: they are results)."""
    return frame[frame["status"].isin(["done", "diverged"])].copy()


def groups(frame: pd.DataFrame, spec: dict) -> list[Group]:
    """Split finished trials into the comparisons the design makes."""
    tuned = tuple(spec.get("search_space", {}))
    return [replace(group, tuned=tuned) for group in _groups(frame, spec)]


def _groups(frame: pd.DataFrame, spec: dict) -> list[Group]:
    done = finished(frame)
    factors = spec["factors"]
    if spec.get("stages"):
        return _stage_groups(done, spec)
    if not factors:  # a plain search: its best configuration re-run with every seed
        return [Group("best configuration", done.assign(level="best"), ["best"], "best")]
    if spec["design"] in ("grid", "nested"):
        combos = pd.MultiIndex.from_product(list(factors.values())).tolist()
        labels = [_label(dict(zip(factors, combo))) for combo in combos]
        rows = done.assign(level=[_label({f: r[f] for f in factors}) for _, r in done.iterrows()])
        return [Group(" x ".join(factors), rows, labels, labels[0])]
    result = []
    base = {name: levels[0] for name, levels in factors.items()}
    for name, levels in factors.items():
        others = [f for f in factors if f != name]
        mask = np.ones(len(done), dtype=bool)
        for other in others:
            mask &= done[other].map(lambda v, o=other: _same(v, base[o])).to_numpy()
        rows = done[mask].assign(level=done[mask][name].map(level_label))
        result.append(Group(name, rows, [level_label(v) for v in levels], level_label(levels[0])))
    return result


def _stage_groups(done: pd.DataFrame, spec: dict) -> list[Group]:
    """One comparison per stage of a chained design, at the winners of the stages before it.

    ``spec["winners"]`` holds the recorded stage winners (driver.chain.winners).
    """
    factors, winners = spec["factors"], spec.get("winners", [])
    current = {name: levels[0] for name, levels in factors.items()}
    result = []
    for index, stage in enumerate(spec["stages"]):
        mask = np.ones(len(done), dtype=bool)
        for name in factors:
            allowed = stage[name] if name in stage else [current[name]]
            mask &= done[name].map(lambda v, a=allowed: any(_same(v, x) for x in a)).to_numpy()
        label = _stage_label(stage)
        rows = done[mask].assign(level=[label({n: r[n] for n in stage}) for _, r in done[mask].iterrows()])
        labels = [label(combo) for combo in grid_levels(stage)]
        start = label({n: current[n] for n in stage})
        note = ""
        if index < len(winners):
            won = winners[index]
            note = (f"Winner (best mean validation accuracy): {label(won['levels'])}, {won['margin']:+.4f} over "
                    f"{label(won['runner_up'])}; carried into the next stages.")
            current = {**current, **won["levels"]}
        result.append(Group(f"stage {index + 1}: {' x '.join(stage)}", rows, labels,
                            start if start in labels else labels[0], note=note))
        if not note:
            break  # later stages start from a winner not known yet
    return result


def _stage_label(stage: dict):
    """A stage's level labels: the bare value for a one-factor stage, "a=x, b=y" otherwise."""
    if len(stage) == 1:
        return lambda values: level_label(values[next(iter(stage))])
    return _label


def level_label(value) -> str:
    """One label per level, whatever type the table gave it back as (0, 0.0 and 0.0 -> "0")."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        return f"{float(value):g}"
    return str(value)


def _same(a, b) -> bool:
    return level_label(a) == level_label(b)


def _label(levels: dict) -> str:
    return ", ".join(f"{k}={level_label(v)}" for k, v in levels.items())
