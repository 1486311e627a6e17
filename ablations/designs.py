"""The designs: one entry each in ``DESIGNS``, saying how an ablation expands into cells, which
comparisons it yields and how the driver runs it.

- ``ofat``: each factor varied alone around the base; the all-base cell is shared by all factors.
- ``grid``: the full factorial of the factors.
- ``search``: no scientific factor; one Optuna search over ``search_space``, then its best trial is
  re-run with every seed.
- ``nested``: for each level of the factors (their grid), its own search over the nuisance
  ``search_space``; then each level's best trial is re-run with every seed, so levels are compared
  at their best (the Deep Learning Tuning Playbook's recipe).
- ``race``: every level of the factors (their grid) races for "which is best" with ``seeds="auto"``:
  a level confidently worse than the current best by more than the margin stops receiving seeds, as
  in F-Race, so the budget goes to the contenders (stats.sequential).
- ``chained``: ``stages`` run in order, each a grid of its own factors; each stage starts from the
  winners (best mean validation accuracy) of the stages before it, as seed report 001 did. Its
  ``factors`` are derived: every staged field with all its levels, the base value first.

``seeds="auto"`` (adaptive seeds, stats.sequential) is run by a design's ``adaptive`` runner; designs without
one take a fixed number of seeds. Adding a design is one entry here plus its runner, a function
``(loops.runner.Run) -> Outcome``
named by ``runner`` as "module:function" (a name, so that this data package never imports the driver).
The functions take the ``Ablation`` (this module does not import it: the arrow runs from it to here).
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Callable
from dataclasses import dataclass

from ablation_suite.ablations.levels import values


def level_label(value) -> str:
    """One label per level, whatever type a table gave it back as (0, 0.0 and numpy 0.0 -> "0")."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):  # numpy numbers are Reals, np.bool_ not
        return f"{float(value):g}"
    return str(value)


def grid_levels(factors: dict) -> list[dict]:
    """Every combination of factor levels, base first (one empty combination without factors)."""
    return [dict(zip(factors, combo)) for combo in itertools.product(*factors.values())]


@dataclass(frozen=True)
class Comparison:
    """Levels compared in one figure and table: the finished cells whose ``fixed`` fields hold those values,
    each labelled by the values of its ``fields``."""

    title: str
    fields: tuple  # the fields whose values make a level
    levels: list  # every level (a dict of ``fields``) in the ablation's order
    base: dict  # the level the others are compared with
    fixed: dict  # other factors held at these values (ofat: the base; a chain's stage: the winners so far)
    bare: bool = True  # a one-field level is labelled by its value alone, else "field=value, ..."
    note: str = ""  # e.g. a chained stage's winner and its margin

    def label(self, values: dict) -> str:
        if not self.fields:
            return "best"  # a plain search: its best configuration
        if self.bare and len(self.fields) == 1:
            return level_label(values[self.fields[0]])
        return ", ".join(f"{name}={level_label(values[name])}" for name in self.fields)


@dataclass(frozen=True)
class Design:
    """How one design expands, compares and runs (each function takes the Ablation)."""

    variants: Callable  # ablation -> every distinct combination of factor levels it trains, base first
    comparisons: Callable  # (ablation, recorded stage winners) -> [Comparison]
    runner: str  # "module:function" the driver calls to train a worker's share
    factors: bool = True  # takes scientific factors (else it must have none)
    searches: bool = False  # searches a nuisance ``search_space`` per variant before training its seeds
    stages: bool = False  # is made of ``stages``
    trained: Callable | None = None  # ablation -> variants trained per seed, when not every variant is
    adaptive: str = ""  # "module:function" running it with seeds="auto" ("" = fixed seeds only)
    races: bool = False  # levels are decided against the current best, not the base (seeds="auto" only)


def _ofat_variants(ablation) -> list[dict]:
    base = ablation.base_levels()
    return [base] + [{**base, name: level} for name, levels in ablation.level_values().items() for level in levels[1:]]


def _per_factor(ablation, winners) -> list[Comparison]:
    base = ablation.base_levels()
    return [
        Comparison(
            name,
            (name,),
            [{name: level} for level in levels],
            {name: levels[0]},
            {other: value for other, value in base.items() if other != name},
        )
        for name, levels in ablation.level_values().items()
    ]


def _grid_variants(ablation) -> list[dict]:
    return grid_levels(ablation.level_values())


def _whole_grid(ablation, winners) -> list[Comparison]:
    levels = grid_levels(ablation.level_values())
    if not ablation.factors:  # a plain search: its best configuration re-run with every seed
        return [Comparison("best configuration", (), levels, {}, {})]
    return [Comparison(" x ".join(ablation.factors), tuple(ablation.factors), levels, levels[0], {}, bare=False)]


def _chain_variants(ablation) -> list[dict]:
    """Every stage's levels from the start (winners are known only later), each once."""
    variants = [v for index in range(len(ablation.stages)) for v in ablation.stage_variants(index, {})]
    return [dict(v) for v in dict.fromkeys(tuple(v.items()) for v in variants)]


def _chain_trained(ablation) -> int:
    """A stage's starting cell is the previous stage's winner, trained once."""
    return sum(len(grid_levels(values(stage))) for stage in ablation.stages) - len(ablation.stages) + 1


def _stages(ablation, winners) -> list[Comparison]:
    """One comparison per stage, at the winners of the stages before it, up to the first stage without a
    recorded winner (later stages start from a winner not known yet)."""
    current, result = ablation.base_levels(), []
    for index, stage in enumerate(ablation.stages):
        levels = grid_levels(values(stage))
        fixed = {name: value for name, value in current.items() if name not in stage}
        draft = Comparison(f"stage {index + 1}: {' x '.join(stage)}", tuple(stage), levels, levels[0], fixed)
        start = {name: current[name] for name in stage}
        base = start if draft.label(start) in {draft.label(level) for level in levels} else levels[0]
        note = ""
        if index < len(winners):
            won = winners[index]
            note = (
                f"Winner (best mean validation accuracy): {draft.label(won['levels'])}, {won['margin']:+.4f} "
                f"over {draft.label(won['runner_up'])}; carried into the next stages."
            )
            current = {**current, **won["levels"]}
        result.append(Comparison(draft.title, draft.fields, levels, base, fixed, note=note))
        if not note:
            break
    return result


CELLS = "ablation_suite.loops.runner:run_variants"
SEARCH = "ablation_suite.loops.search:run_search_design"
ROUNDS = "ablation_suite.loops.adaptive:run_rounds"
DESIGNS = {
    "ofat": Design(_ofat_variants, _per_factor, CELLS, adaptive=ROUNDS),
    "grid": Design(_grid_variants, _whole_grid, CELLS, adaptive=ROUNDS),
    "race": Design(_grid_variants, _whole_grid, ROUNDS, adaptive=ROUNDS, races=True),
    "search": Design(_grid_variants, _whole_grid, SEARCH, factors=False, searches=True),
    "nested": Design(_grid_variants, _whole_grid, SEARCH, searches=True),
    "chained": Design(
        _chain_variants, _stages, "ablation_suite.loops.chain:run_chained", stages=True, trained=_chain_trained
    ),
}
