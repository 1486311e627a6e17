"""Writers: report Sections out to files, one offline HTML page (with PNG/SVG figures) or one multi-page PDF.

The only code that writes report files. A ``Section`` is what every part of the report is made into
(``reports.sections`` for comparisons, ``reports.search_plots`` for the search studies).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

import reports.figures  # noqa: F401  the Agg backend and the theme, before any figure or text page is drawn


@dataclass
class Section:
    """One part of the report: a heading, text, tables and figures (name without extension, figure, caption)."""

    title: str
    paragraphs: list = field(default_factory=list)
    tables: list = field(default_factory=list)
    figures: list = field(default_factory=list)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


FORMATS = ("html", "pdf")


def _write_html(header: dict, sections: list[Section], path: Path, svg: bool) -> Path:
    """index.html next to its figures: relative links only, no scripts or fonts from the network."""
    parts = []
    for section in sections:
        parts.append(f"<h2>{html.escape(section.title)}</h2>")
        parts += [f"<p>{html.escape(text)}</p>" for text in section.paragraphs]
        parts += [_table_html(table) for table in section.tables]
        for name, fig, caption in section.figures:
            fig.savefig(path.parent / f"{name}.png", dpi=110, bbox_inches="tight")
            links = ""
            if svg:
                fig.savefig(path.parent / f"{name}.svg", bbox_inches="tight")
                links = f' <a href="{name}.svg">SVG</a>'
            plt.close(fig)
            parts.append(f'<figure><img src="{name}.png" alt="{html.escape(caption)}">'
                         f"<figcaption>{html.escape(caption)}{links}</figcaption></figure>")
    best = header["best"]
    page = PAGE.format(
        title=html.escape(header["title"]), question=html.escape(header["question"]),
        source=html.escape(header["source"]), notes=html.escape(header["notes"]), counts=html.escape(header["trials"]),
        warnings="".join(f"<li>{html.escape(w)}</li>" for w in header["warnings"]) or "<li>none</li>",
        best=_table_html(best) if not best.empty else "<p>No finished configuration yet.</p>",
        sections="\n".join(parts), provenance=header["provenance"].to_html(border=0))
    path.write_text(page, encoding="utf-8")
    return path


def _table_html(table: pd.DataFrame) -> str:
    return table.to_html(index=False, float_format=lambda v: f"{v:.4g}", border=0)


def _write_pdf(header: dict, sections: list[Section], path: Path) -> Path:
    """A multi-page PDF for print: the summary as text pages, then every section's tables and figures."""
    from matplotlib.backends.backend_pdf import PdfPages

    summary = [f"Question: {header['question']}", f"Source: {header['source']}", header["notes"],
               f"Trials: {header['trials']}", "", "Methodology warnings:",
               *[f"  - {w}" for w in header["warnings"] or ["none"]], "", "Best configuration (mean validation):",
               *(_table_text(header["best"]) if not header["best"].empty else ["  none finished yet"]), "",
               "Provenance:", *header["provenance"]["value"].astype(str).radd(
                   header["provenance"].index.astype(str) + ": ").tolist()]
    with PdfPages(path) as pdf:
        _text_pages(pdf, header["title"], summary)
        for section in sections:
            lines = [*section.paragraphs]
            for table in section.tables:
                lines += ["", *_table_text(table)]
            _text_pages(pdf, section.title, lines)
            for _, fig, _ in section.figures:
                pdf.savefig(fig, bbox_inches="tight")
                plt.close(fig)
        pdf.infodict()["Title"] = header["title"]
    return path


def _table_text(table: pd.DataFrame) -> list[str]:
    return table.to_string(index=False, float_format=lambda v: f"{v:.4g}").splitlines()


LINES_PER_PAGE = 60


def _text_pages(pdf, title: str, lines: list[str]) -> None:
    """Monospaced text on A4 landscape pages, long lines wrapped and long texts split over pages."""
    import textwrap

    wrapped = [piece for line in lines for piece in (textwrap.wrap(line, 150, subsequent_indent="    ") or [""])]
    for start in range(0, max(len(wrapped), 1), LINES_PER_PAGE):
        fig = plt.figure(figsize=(11.69, 8.27))
        fig.text(0.04, 0.95, title, fontsize=14, fontweight="bold", va="top")
        fig.text(0.04, 0.90, "\n".join(wrapped[start:start + LINES_PER_PAGE]), family="monospace", fontsize=7,
                 va="top")
        pdf.savefig(fig)
        plt.close(fig)


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }}
th, td {{ padding: 0.25em 0.7em; border-bottom: 1px solid #ddd; text-align: right; }}
img {{ max-width: 100%; }} figure {{ margin: 1em 0; }} figcaption {{ color: #666; font-size: 0.9em; }}
</style></head><body>
<h1>{title}</h1>
<p><b>Question.</b> {question}</p><p><b>Source.</b> {source}</p><p>{notes}</p>
<p><b>Trials.</b> {counts}</p>
<h2>Methodology warnings</h2><ul>{warnings}</ul>
<h2>Best configuration</h2>{best}
{sections}
<h2>Provenance</h2>{provenance}
</body></html>
"""
