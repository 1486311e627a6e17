"""What the seed reports state, value by value, transcribed from their own words: not an ablation itself.

One ``Row`` per value a report states (``../shared/seeds/00N_*.txt``): the report, the line(s) and a short
verbatim quote (" ... " joins pieces of those lines, in their order), the experiment(s) it belongs to (as the
"Reproducing the seed reports" table of the docs labels them), which cells of their ablations it speaks of
(``where``), the Config field (or a fact of the built network, ``MEASURES``) and the value stated. ``differs`` is
None where the suite runs what the report says, else the one sentence that states the difference and its
reason: the docs print it, and tests/ablations/test_seed_reports.py expects that row to fail (a strict xfail,
so a difference fixed is a row to update). Where a report is silent there is no row: the ablation's ``notes``
say what was chosen.

The rows of each report are in ``_reported_00N.py``, the columns (values, cell selectors, Row, Experiment and the
experiments in the docs' order) in ``_reported_table.py``; this module gathers them into ``ROWS``, and
``python -m ablation_suite.ablations._reported`` prints the docs' table (``render()``). Pure data: nothing here
imports TensorFlow.
"""

from __future__ import annotations

from ablation_suite.ablations import _reported_000, _reported_001, _reported_002, _reported_003, _reported_004
from ablation_suite.ablations._reported_table import (  # noqa: F401 (the table's columns, read through this module)
    DERIVED,
    EXPERIMENTS,
    MEASURES,
    RESOLVED,
    Above,
    Approx,
    Distinct,
    Exactly,
    Experiment,
    Includes,
    NoneOf,
    OneOf,
    Row,
    ShareOf,
    clauses,
    holds,
    run_of,
    same,
    selects,
)

ROWS: list[Row] = [
    *_reported_000.ROWS,
    *_reported_001.ROWS,
    *_reported_002.ROWS,
    *_reported_003.ROWS,
    *_reported_004.ROWS,
]


# --- the docs' table ------------------------------------------------------------------------------------------------


def differences() -> int:
    return sum(r.differs is not None for r in ROWS)


def render() -> str:
    """The docs' table (docs/reference/seed-reports.md): per report and experiment, the ablation(s), how many
    stated values are checked, the remaining differences (each once, in the rows' order) and what was chosen where
    the report is silent, then the counts."""
    lines = [
        "| report | experiment | ablation | values checked | remaining differences (reason) | chosen where the "
        "report is silent |",
        "|---|---|---|---|---|---|",
    ]
    for label, experiment in EXPERIMENTS.items():
        mine = [r for r in ROWS if label in r.experiments]
        sentences = " ".join(dict.fromkeys(r.differs for r in mine if r.differs)) or "none"
        lines.append(
            f"| {experiment.reports} | {label} | {experiment.shown} | {len(mine)} | {sentences} | {experiment.chosen} |"
        )
    lines += [
        "",
        f"{len(ROWS)} stated values, {differences()} differences: each difference is one strict xfail of "
        "`tests/ablations/test_seed_reports.py`, whose reason is its sentence above.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(render())
