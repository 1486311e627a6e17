"""Files for the paper: every figure as vector PDF (and SVG on request) under ``figures/``, every table as
CSV (raw numbers) and LaTeX (as shown, booktabs rules) under ``tables/``, named by comparison and kind
(``lr_forest.pdf``, ``lr_summary.tex``). The page's PNG stays beside index.html.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from ablation_suite.reports.formatting import shown_generic

FIGURES, TABLES = "figures", "tables"


@dataclass
class Table:
    """A table of the report: file stem, raw numbers (CSV), caption, and the table as shown (page, LaTeX)."""

    name: str
    frame: pd.DataFrame
    caption: str = ""
    shown: pd.DataFrame | None = None

    def display(self) -> pd.DataFrame:
        return self.shown if self.shown is not None else shown_generic(self.frame)


def as_table(table, name: str) -> Table:
    """A Section's table: a Table as it is, a bare DataFrame named ``name``."""
    return table if isinstance(table, Table) else Table(name, table)


def save_figure(fig: plt.Figure, out: Path, name: str, png: bool = True, svg: bool = False) -> dict:
    """Write the figure's files and return {kind: path relative to ``out``}; the figure stays open."""
    written = {}
    (out / FIGURES).mkdir(exist_ok=True)
    if png:
        fig.savefig(out / f"{name}.png", dpi=110, bbox_inches="tight")
        written["png"] = f"{name}.png"
    fig.savefig(out / FIGURES / f"{name}.pdf", bbox_inches="tight")
    written["pdf"] = f"{FIGURES}/{name}.pdf"
    if svg:
        fig.savefig(out / FIGURES / f"{name}.svg", bbox_inches="tight")
        written["svg"] = f"{FIGURES}/{name}.svg"
    return written


LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def latex_escape(text: str) -> str:
    """Text for LaTeX (pandas escapes the cells, not the caption)."""
    return "".join(LATEX_SPECIAL.get(char, char) for char in text)


def save_table(table: Table, out: Path) -> dict:
    """Write the table as CSV (raw numbers, lists as JSON-like text) and LaTeX (as shown); {kind: relative path}."""
    (out / TABLES).mkdir(exist_ok=True)
    table.frame.to_csv(out / TABLES / f"{table.name}.csv", index=False)
    latex = table.display().to_latex(
        index=False,
        escape=True,
        caption=latex_escape(table.caption) or None,
        label=f"tab:{table.name}",
        position="htbp",
    )
    (out / TABLES / f"{table.name}.tex").write_text(latex, encoding="utf-8")
    return {"csv": f"{TABLES}/{table.name}.csv", "tex": f"{TABLES}/{table.name}.tex"}
