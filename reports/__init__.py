"""Figure report: trials DataFrame in, figures and one offline HTML page (or one PDF) out.

One concern a module: ``comparisons`` (which trials each comparison holds: ``Group``, ``groups``),
``tables`` (summary, networks, confused-pairs and best-configuration tables; no plotting), ``stats``
(intervals, the paired difference, paired tests, methodology warnings), ``answers`` (per level a
decision and the sentence the report leads with), ``figures`` and ``grid_figures`` (the ``plot_*``
functions, pure: Group or table -> Figure), ``formatting`` (tables as shown), ``sections`` (a
comparison's answer, charts and tables as a report ``Section``), ``writers`` (the HTML page),
``pdf_report`` (the PDF as a paper appendix), ``exports`` (vector figures, CSV and LaTeX tables) and
``search_plots`` (the search studies' figures, the one module that needs Optuna).
This file holds ``render`` alone, which writes the report, and imports no plotting at import time:
``import reports.tables`` runs it first, and text commands must not load matplotlib. Nothing here
imports TensorFlow; the report is made from the study's table.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from ablation_suite.reports.writers import Section


def render(
    frame: pd.DataFrame,
    spec: dict,
    out_dir,
    study_name: str,
    provenance: dict | None = None,
    searches: list[Section] = (),
    fmt: str = "html",
    svg: bool = False,
) -> Path:
    """Write the report to ``out_dir``: index.html with PNG figures, or one report.pdf laid out like a paper's
    appendix (``fmt="pdf"``); either way every figure also as vector PDF (and, with ``svg``, SVG) under
    ``figures/`` and every table as CSV and LaTeX under ``tables/``. ``searches`` are the search studies'
    sections (reports.search_plots); a seeds="auto" study's levels are decided by its own rule (``spec``'s rope, alpha,
    min_seeds, max_seeds; reports.answers.answered).
    Returns the written page's path."""
    # Here, not at the top: importing any reports module runs this file first, and the text commands
    # (ablation-suite status, best) must not load matplotlib and seaborn.
    from ablation_suite.ablations import AUTO
    from ablation_suite.reports.answers import adaptive_summary
    from ablation_suite.reports.comparisons import groups
    from ablation_suite.reports.exports import Table
    from ablation_suite.reports.figures import plot_accuracy_vs_parameters, plot_per_class_accuracy, plot_train_vs_test
    from ablation_suite.reports.sections import comparison_section
    from ablation_suite.reports.tables import best_configuration, networks_table
    from ablation_suite.reports.warnings import methodology_warnings
    from ablation_suite.reports.writers import FORMATS, Section, _write_html, _write_pdf

    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} is not known; choose one of: {', '.join(FORMATS)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sections, comparisons = [], []
    for group in groups(frame, spec):
        section, table = comparison_section(group, spec)
        sections.append(section)
        if table is not None:
            comparisons.append((group.title, table))
    networks = networks_table(frame, spec) if "model" in spec["factors"] else pd.DataFrame()
    if not networks.empty:
        figures = [
            ("networks_train_vs_test", partial(plot_train_vs_test, networks), "train vs test accuracy per network"),
            (
                "networks_accuracy_vs_parameters",
                partial(plot_accuracy_vs_parameters, networks),
                "test accuracy vs log10 parameters",
            ),
            ("networks_per_class", partial(plot_per_class_accuracy, networks), "per-class test accuracy"),
        ]
        table = Table(
            "networks",
            networks.drop(columns=["per_class_accuracy", "class_names"]),
            "Per network: seeds, mean final training and test accuracy, trainable parameters.",
        )
        sections.append(Section("networks", [], [table], figures))
    sections += list(searches)
    counts = frame["status"].value_counts().to_dict() if not frame.empty else {}
    trials = ", ".join(f"{v} {k}" for k, v in counts.items()) or "no trials yet"
    if spec.get("seeds") == AUTO and comparisons:  # what deciding as it trained saved
        trials += "; " + adaptive_summary(frame, spec, [table for _, table in comparisons])
    header = dict(
        title=f"{study_name}: ablation report",
        question=spec.get("question", ""),
        source=spec.get("source", ""),
        notes=spec.get("notes", ""),
        trials=trials,
        warnings=methodology_warnings(frame, spec, comparisons) if not frame.empty else [],
        best=best_configuration(frame, spec).head(5),
        provenance=pd.Series(provenance or {}, dtype=object).to_frame("value"),
    )
    if fmt == "pdf":
        return _write_pdf(header, sections, out / "report.pdf", svg)
    return _write_html(header, sections, out / "index.html", svg)
