"""The answer a comparison leads with: per level a decision against the base and one sentence saying it.

Takes a ``compare_levels``-shaped table (level, delta_vs_base, diff_low, diff_high, pairs, p_holm,
seeds_needed) and, optionally, a ``decision`` column (better / worse / equivalent / undecided, from an
adaptive design's decision rule) and a practical-equivalence margin ``rope`` (accuracy as a fraction,
e.g. 0.005 for 0.5 points). Without a ``decision`` column a fixed-seed design is decided from its one
final look by ``stats.levels.fixed_design_decision``. Pure pandas,
so ``ablation-suite status`` prints the same sentences as the report.
"""

from __future__ import annotations

import dataclasses
import math

import pandas as pd

from ablation_suite.ablations import AUTO, Ablation
from ablation_suite.ablations.designs import DESIGNS
from ablation_suite.reports.comparisons import finished
from ablation_suite.reports.tables import summary_table
from ablation_suite.reports.warnings import chance_of, collapsed, near_chance, tested_collapsed, with_collapses
from ablation_suite.stats import sequential as decide
from ablation_suite.stats.levels import fixed_design_decision, test_size
from ablation_suite.stats.tests import seeds_would

DECISIONS = decide.VERDICTS


def margin(spec: dict) -> float | None:
    """A seeds="auto" study's margin of practical equivalence as a difference of accuracies (its ``rope`` is in
    points); None for a fixed-seed study, which states no margin."""
    return decide.Rule.of(spec).margin if spec.get("seeds") == AUTO else None


def answered(group, spec: dict, test: str = "t"):
    """The comparison (a race's against its current best) and its summary table with a decision per level and, per
    level, the seeds whose validation accuracy collapsed (reports.warnings.with_collapses).

    A seeds="auto" study is decided by its own rule (stats.sequential), as it was while it trained: its
    intervals of the difference are the rule's (simultaneous over its looks and levels) and replace the
    plain paired ones. A fixed-seed study is decided here from its one final look."""
    group, table = _decided(group, spec, test)
    return group, with_collapses(table, group.rows)


def answered_groups(frame, spec: dict, test: str = "t") -> list:
    """(group, summary table with decisions and artefact columns) per comparison with finished cells."""
    from ablation_suite.reports.comparisons import groups

    return [answered(group, spec, test=test) for group in groups(frame, spec) if not group.rows.empty]


def _decided(group, spec: dict, test: str):
    if spec.get("seeds") != AUTO or group.rows.empty:
        return group, with_decisions(summary_table(group, test=test), group.base, margin(spec))
    rule = decide.Rule.of(spec)
    values = {
        level: rows.set_index("seed")["test_accuracy"].astype(float).to_dict()
        for level, rows in group.rows.groupby("level")
    }
    images = test_size(group.rows)
    resolution = 1 / images if images else 0.0
    family = Ablation.from_spec(spec).family_size()
    if DESIGNS[spec["design"]].races:
        best, decisions = decide.against_best(values, rule, resolution, family)
        group = dataclasses.replace(group, base=best)
    else:
        decisions = decide.against_base(values, group.base, rule, resolution, family)
    table = summary_table(group, test=test).set_index("level")
    # the rule's difference is the mean over the seeds a level shares with its reference, which its interval is about
    decided = pd.DataFrame(
        [
            dict(
                level=d.level,
                delta_vs_base=d.mean,
                diff_low=d.low,
                diff_high=d.high,
                pairs=d.pairs,
                far_seeds=d.far_seeds,
                disagreeing=d.disagreeing,
                decision=d.verdict,
            )
            for d in decisions
        ],
        columns=["level", "delta_vs_base", "diff_low", "diff_high", "pairs", "far_seeds", "disagreeing", "decision"],
    )
    decided = decided.set_index("level")
    numbers = ["delta_vs_base", "diff_low", "diff_high", "pairs"]
    table.loc[decided.index, numbers] = decided[numbers].to_numpy()
    # the rule's far seeds: paired with the reference it decided against (a race's best, not the base)
    table["far_seeds"] = decided["far_seeds"].reindex(table.index).fillna(0).astype(int)
    table["disagreeing"] = decided["disagreeing"].reindex(table.index).fillna("")
    table["decision"] = decided["decision"].reindex(table.index).fillna("")
    return group, table.reset_index()


def adaptive_summary(frame: pd.DataFrame, spec: dict, tables: list[pd.DataFrame]) -> str:
    """A seeds="auto" study's summary line: levels decided, trainings used, and a fixed design at the cap."""
    rule = decide.Rule.of(spec)
    verdicts = [verdict for table in tables for verdict in table["decision"] if verdict]
    variants = Ablation.from_spec(spec).trained_variants()
    return decide.summary(verdicts, len(finished(frame)), variants, rule)


def with_decisions(table: pd.DataFrame, base: str, rope: float | None = None) -> pd.DataFrame:
    """The table with a ``decision`` per level (the base's is empty); a ``decision`` column already present
    (an adaptive design's) is kept as it is."""
    if "decision" in table:
        return table
    decided = [("" if row["level"] == base else fixed_design_decision(row, rope)) for _, row in table.iterrows()]
    return table.assign(decision=decided)


def points(value: float) -> str:
    """A difference of accuracies (fraction) as signed percentage points, e.g. +1.1."""
    return f"{100 * value:+.1f}"


def level_name(title: str, level: str) -> str:
    """How a level is named in a sentence: "bn=before" for a one-factor comparison, the label itself otherwise."""
    return level if "=" in level else f"{title}={level}"


def lead_sentence(row, title: str, base: str, rope: float | None = None, chance: float | None = None) -> str:
    """e.g. "bn=before: +1.1 pp [-0.3, +2.5] vs none, not decided with 2 seeds; about 8 would", and, next to the
    answer, what makes it likely an artefact of the protocol (artefact_note)."""
    decision = row.get("decision") or fixed_design_decision(row, rope)
    low, high = row["diff_low"], row["diff_high"]
    interval = f" [{points(low)}, {points(high)}]" if math.isfinite(low) and math.isfinite(high) else " (no interval)"
    pairs = int(row["pairs"] if "pairs" in row else row["seeds"])  # an adaptive table may count seeds only
    seeds = f"{pairs} seed{'s' if pairs != 1 else ''}"
    if decision == "equivalent":
        verdict = f"equivalent within +-{100 * rope:.1f} pp with {seeds}" if rope else f"equivalent with {seeds}"
    elif decision in ("better", "worse"):
        verdict = f"{decision} with {seeds}"
    else:
        needed = row.get("seeds_needed", math.nan)
        known = isinstance(needed, (int, float)) and math.isfinite(needed) and needed > pairs
        verdict = f"not decided with {seeds}" + (f"; {seeds_would(needed)} would" if known else "")
    far = row.get("disagreeing")
    return (
        f"{level_name(title, row['level'])}: {points(row['delta_vs_base'])} pp{interval} vs {base}, {verdict}"
        + (f"; {far}" if isinstance(far, str) and far else "")
        + artefact_note(row, chance)
    )


def artefact_note(row, chance: float | None = None) -> str:
    """What the methodology warnings say of a level, in a few words beside its answer: it fits its training data but
    tests near ``chance`` (reports.warnings.near_chance), or its validation accuracy collapsed while it kept fitting
    its training data (reports.warnings.collapsed), tested with the collapsed weights or with an earlier epoch's."""
    reasons = []
    if near_chance(row, chance):
        reasons.append(f"it fits its training data ({100 * row['train_accuracy']:.0f}%) but tests near chance")
    if tested_collapsed(row):
        reasons.append(f"{_fall(row)} while it kept fitting its training data")
    note = f"; likely an artefact: {' and '.join(reasons)}" if reasons else ""
    if collapsed(row) and not tested_collapsed(row):
        note += f"; {_fall(row)} in training, but an earlier epoch's weights were tested"
    return f"{note} (see the methodology warnings)" if note else ""


def _fall(row) -> str:
    return f"its validation accuracy collapsed ({100 * row['collapse_best']:.0f}% to {100 * row['collapse_last']:.0f}%)"


def lead_sentences(
    table: pd.DataFrame, title: str, base: str, rope: float | None = None, chance: float | None = None
) -> list[str]:
    """One sentence per level other than the base, in the table's order."""
    decided = with_decisions(table, base, rope)
    return [lead_sentence(row, title, base, rope, chance) for _, row in decided.iterrows() if row["level"] != base]


def group_sentences(group, table: pd.DataFrame, rope: float | None = None, race: bool = False) -> list[str]:
    """The sentences of one comparison (a reports.comparisons.Group): its levels named by their field
    ("bn=before"), not by the comparison's title (a chain's "stage 1: bn"); a race's first says which set of
    levels the data cannot tell from its best (stats.sequential.best_set_sentence)."""
    name = group.fields[0] if len(group.fields) == 1 else group.title
    sentences = lead_sentences(table, name, group.base, rope, chance_of(group.rows))
    if race and "decision" in table:
        verdicts = {row["level"]: row["decision"] for _, row in table.iterrows() if row["level"] != group.base}
        sentences.insert(0, decide.best_set_sentence(name, group.base, verdicts))
    return sentences
