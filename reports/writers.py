"""Writers: report Sections out to files, one offline HTML page (PNG figures, links to each figure's vector
PDF/SVG and each table's CSV/LaTeX) or one PDF that reads like a paper's appendix (reports.pdf_report).

The only code that writes report files (through ``reports.exports``). A ``Section`` is what every part
of the report is made into (``reports.sections`` for comparisons, ``reports.search_plots`` for the
search studies). Figures and tables are numbered in the page's order, the same in HTML and PDF.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt

import ablation_suite.reports.figures  # noqa: F401  the Agg backend and the theme, before any figure or text page is drawn
from ablation_suite.reports.exports import Table, as_table, save_figure, save_table


@dataclass
class Section:
    """One part of the report: a heading, text, tables (``exports.Table`` or DataFrames) and figures (file stem,
    draw, caption); ``lead``: the sentences that answer the comparison, shown first. ``draw`` makes the figure
    (a ``plot_*`` function with its arguments bound): a writer draws, writes and closes one figure at a time, so
    a report of many figures never holds more than one open."""

    title: str
    paragraphs: list = field(default_factory=list)
    tables: list = field(default_factory=list)
    figures: list = field(default_factory=list)
    lead: list = field(default_factory=list)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


FORMATS = ("html", "pdf")


def tables_of(section: Section) -> list[Table]:
    stem = slug(section.title)
    return [
        as_table(table, f"{stem}_table{index + 1}" if index else f"{stem}_table")
        for index, table in enumerate(section.tables)
    ]


def header_tables(header: dict) -> list[Table]:
    """The tables the header holds, in page order: best configurations (at the end, before provenance)."""
    best = header["best"]
    return (
        [
            Table(
                "best_configuration",
                best,
                "Best configurations by mean validation accuracy over seeds, as --set overrides",
            )
        ]
        if not best.empty
        else []
    )


def _write_html(header: dict, sections: list[Section], path: Path, svg: bool) -> Path:
    """index.html next to its figures: relative links only, no scripts or fonts from the network."""
    out, parts, counter = path.parent, [], {"figure": 0, "table": 0}
    for section in sections:
        parts.append(f"<section><h2>{html.escape(section.title)}</h2>")
        if section.lead:
            parts.append('<ul class="lead">' + "".join(f"<li>{html.escape(s)}</li>" for s in section.lead) + "</ul>")
        parts += [f"<p>{html.escape(text)}</p>" for text in section.paragraphs]
        for name, draw, caption in section.figures:
            counter["figure"] += 1
            fig = draw()
            files = save_figure(fig, out, name, svg=svg)
            plt.close(fig)
            links = " ".join(f'<a href="{files[kind]}">{kind.upper()}</a>' for kind in ("pdf", "svg") if kind in files)
            parts.append(
                f'<figure><img src="{files["png"]}" alt="{html.escape(caption)}">'
                f"<figcaption><b>Figure {counter['figure']}.</b> {html.escape(caption)} "
                f'<span class="files">{links}</span></figcaption></figure>'
            )
        parts += [_table_block(table, out, counter) for table in tables_of(section)]
        parts.append("</section>")
    answers = "".join(f"<li>{html.escape(s)}</li>" for section in sections for s in section.lead)
    best = "".join(_table_block(table, out, counter) for table in header_tables(header))
    page = PAGE.format(
        title=html.escape(header["title"]),
        question=html.escape(header["question"]),
        source=html.escape(header["source"]),
        notes=html.escape(header["notes"]),
        counts=html.escape(header["trials"]),
        answers=f'<h2>Answers</h2><ul class="lead">{answers}</ul>' if answers else "",
        warnings="".join(f"<li>{html.escape(w)}</li>" for w in header["warnings"]) or "<li>none</li>",
        best=best or "<p>No finished configuration yet.</p>",
        sections="\n".join(parts),
        provenance=_provenance_html(header["provenance"]),
    )
    path.write_text(page, encoding="utf-8")
    return path


def _table_block(table: Table, out: Path, counter: dict) -> str:
    counter["table"] += 1
    files = save_table(table, out)
    links = " ".join(f'<a href="{files[kind]}">{label}</a>' for kind, label in (("csv", "CSV"), ("tex", "LaTeX")))
    caption = f'<b>Table {counter["table"]}.</b> {html.escape(table.caption)} <span class="files">{links}</span>'
    return (
        f'<div class="table"><div class="caption">{caption}</div>'
        + table.display().to_html(index=False, border=0, na_rep="-", escape=True)
        + "</div>"
    )


def _provenance_html(provenance) -> str:
    rows = "".join(
        f"<tr><th>{html.escape(str(key))}</th><td>{html.escape(str(value))}</td></tr>"
        for key, value in provenance["value"].items()
    )
    return f'<table class="provenance">{rows}</table>' if rows else "<p>none recorded</p>"


def _write_pdf(header: dict, sections: list[Section], path: Path, svg: bool = False) -> Path:
    from ablation_suite.reports.pdf_report import write_appendix

    return write_appendix(header, sections, path, svg)


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; max-width: 1200px; margin: 1.5em auto; padding: 0 1em; color: #222;
       line-height: 1.4; }}
h2 {{ border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 1.8em; }}
.lead {{ background: #f3f6fb; border-left: 4px solid #4a78b5; padding: 0.6em 1em 0.6em 2em; font-size: 1.02em; }}
.table {{ max-width: 100%; overflow-x: auto; margin: 1em 0; }}
table {{ border-collapse: collapse; font-size: 0.82em; font-variant-numeric: tabular-nums; }}
th, td {{ padding: 0.2em 0.55em; border-bottom: 1px solid #ddd; text-align: right; }}
th {{ border-bottom: 2px solid #888; }} td:first-child, th:first-child {{ text-align: left; }}
table.provenance td, table.provenance th {{ text-align: left; vertical-align: top; overflow-wrap: anywhere; }}
table.provenance {{ table-layout: fixed; width: 100%; }} table.provenance th {{ width: 14em; }}
img {{ max-width: 100%; height: auto; display: block; }} figure {{ margin: 1.2em 0; }}
figcaption, .caption {{ color: #444; font-size: 0.9em; margin: 0.3em 0; }} .files a {{ margin-left: 0.4em; }}
</style></head><body>
<h1>{title}</h1>
<p><b>Question.</b> {question}</p><p><b>Source.</b> {source}</p><p>{notes}</p>
<p><b>Trials.</b> {counts}</p>
{answers}
<h2>Methodology warnings</h2><ul>{warnings}</ul>
{sections}
<h2>Best configuration</h2>{best}
<h2>Provenance</h2>{provenance}
</body></html>
"""
