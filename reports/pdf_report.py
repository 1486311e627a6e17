"""The PDF report, laid out like a paper's appendix: A4 pages in the HTML page's order (question, answers,
warnings, each comparison's figures with numbered captions and its tables typeset as tables, the best
configurations, provenance as a compact two-column table at the end).

Text flows down the page and moves to a new page when a block does not fit. A figure's place is kept free
on the page; once the pages are written, pypdf stamps the figure's own vector PDF (``figures/NAME.pdf``,
reports.exports) into it, scaled to the text width (matplotlib cannot nest one figure in another), so the
appendix stays vector throughout.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.backends.backend_pdf import PdfPages
from pypdf import PdfReader, PdfWriter, Transformation

from ablation_suite.reports.exports import Table, save_figure, save_table

PAGE_W, PAGE_H = 8.27, 11.69  # A4 portrait, inches
MARGIN = 0.75
TEXT_W = PAGE_W - 2 * MARGIN
POINTS = 72  # PDF units per inch
CHARS_PER_INCH = {11: 11.5, 9: 15.0, 8: 17.0}  # sans-serif at these point sizes, for wrapping


class Flow:
    """A cursor going down A4 pages: blocks are placed at the cursor, a new page starts when one does not fit."""

    def __init__(self, pdf: PdfPages):
        self.pdf, self.page, self.y = pdf, None, 0.0
        self.pages = 0
        self.placed = []  # (page index, left and bottom in inches, scale, the figure's vector PDF)

    def _new_page(self):
        self.close_page()
        self.page = plt.figure(figsize=(PAGE_W, PAGE_H))
        self.pages += 1
        self.y = MARGIN

    def close_page(self):
        if self.page is not None:
            self.pdf.savefig(self.page)
            plt.close(self.page)
            self.page = None

    def room(self, height: float):
        if self.page is None or self.y + height > PAGE_H - MARGIN:
            self._new_page()

    def _at(self, x: float, y: float) -> tuple[float, float]:
        return x / PAGE_W, 1 - y / PAGE_H

    def text(self, text: str, size: int = 9, bold: bool = False, indent: float = 0.0, gap: float = 0.08):
        lines = textwrap.wrap(text, int((TEXT_W - indent) * CHARS_PER_INCH.get(size, 15.0))) or [""]
        line_h = size * 1.35 / 72
        for start in range(0, len(lines), 40):
            chunk = lines[start : start + 40]
            self.room(line_h * len(chunk))
            self.page.text(
                *self._at(MARGIN + indent, self.y),
                "\n".join(chunk),
                fontsize=size,
                va="top",
                fontweight="bold" if bold else "normal",
                linespacing=1.35,
            )
            self.y += line_h * len(chunk)
        self.y += gap

    def heading(self, text: str, size: int = 11):
        self.room(0.9)  # a heading never ends a page alone
        self.y += 0.12
        self.text(text, size=size, bold=True, gap=0.06)

    def bullets(self, items: list[str], size: int = 9):
        for item in items:
            self.text("- " + item, size=size, indent=0.15, gap=0.03)
        self.y += 0.06

    def figure(self, vector: Path, number: int, caption: str):
        """Keep room for the figure whose vector PDF is ``vector`` (stamped in by ``stamp_figures``)."""
        box = PdfReader(vector).pages[0].mediabox
        width, height = float(box.width) / POINTS, float(box.height) / POINTS
        scale = min(1.0, TEXT_W / width, (PAGE_H - 2 * MARGIN - 1.0) / height)
        width, height = width * scale, height * scale
        caption_lines = len(textwrap.wrap(f"Figure {number}. {caption}", int(TEXT_W * CHARS_PER_INCH[8])))
        self.room(height + caption_lines * 8 * 1.35 / 72 + 0.2)
        left = MARGIN + (TEXT_W - width) / 2
        self.placed.append((self.pages - 1, left, PAGE_H - self.y - height, scale, vector))
        self.y += height + 0.08
        self.text(f"Figure {number}. {caption}", size=8, gap=0.22)

    def pairs(self, items: list[tuple[str, str]], size: float = 7.0, key_width: float = 1.7):
        """A compact two-column table (key, wrapped value), thin rules between rows."""
        line_h = size * 1.3 / 72
        for key, value in items:
            lines = textwrap.wrap(str(value), int((TEXT_W - key_width) * 72 / (0.5 * size))) or [""]
            for start in range(0, len(lines), 60):
                chunk = lines[start : start + 60]
                self.room(line_h * len(chunk) + 0.06)
                self.page.text(*self._at(MARGIN, self.y), str(key), fontsize=size, va="top", fontweight="bold")
                self.page.text(
                    *self._at(MARGIN + key_width, self.y), "\n".join(chunk), fontsize=size, va="top", linespacing=1.3
                )
                self.y += line_h * len(chunk) + 0.04
                self.page.add_artist(
                    plt.Line2D(
                        [MARGIN / PAGE_W, 1 - MARGIN / PAGE_W],
                        [1 - self.y / PAGE_H] * 2,
                        color="0.85",
                        linewidth=0.4,
                        transform=self.page.transFigure,
                    )
                )
                self.y += 0.03

    def table(self, table: Table, number: int, font: float = 7.0, row_h: float = 0.2):
        shown = table.display().astype(str)
        widths = [max([1.15 * len(str(c))] + [len(v) for v in shown[c]]) + 2 for c in shown.columns]  # bold headers
        font = min(font, TEXT_W * 72 / (0.55 * sum(widths)))  # shrink a wide table to the text width
        per_page = int((PAGE_H - 2 * MARGIN - 0.8) / row_h) - 1
        for start in range(0, max(len(shown), 1), per_page):
            rows = shown.iloc[start : start + per_page]
            caption = f"Table {number}. {table.caption}" + (" (continued)" if start else "")
            self.room(0.45 + row_h * (len(rows) + 1))
            self.text(caption, size=8, gap=0.04)
            height = row_h * (len(rows) + 1)
            ax = self.page.add_axes([MARGIN / PAGE_W, 1 - (self.y + height) / PAGE_H, TEXT_W / PAGE_W, height / PAGE_H])
            ax.axis("off")
            cells = ax.table(
                cellText=rows.to_numpy().tolist() or [[""] * len(shown.columns)],
                colLabels=list(shown.columns),
                colWidths=[w / sum(widths) for w in widths],
                loc="upper center",
                cellLoc="right",
                colLoc="right",
                edges="horizontal",
                bbox=[0, 0, 1, 1],
            )
            cells.auto_set_font_size(False)
            cells.set_fontsize(font)
            for (row, col), cell in cells.get_celld().items():
                cell.set_linewidth(0.8 if row == 0 else 0.3)
                cell.set_edgecolor("0.4" if row == 0 else "0.8")
                if col == 0:
                    cell.get_text().set_horizontalalignment("left")
                if row == 0:
                    cell.get_text().set_fontweight("bold")
            self.y += height + 0.25


def write_appendix(header: dict, sections: list, path: Path, svg: bool = False) -> Path:
    """report.pdf in the page's order; each figure's vector PDF (and SVG) and each table's CSV/LaTeX beside it."""
    from ablation_suite.reports.writers import header_tables, tables_of

    out, figure_number, table_number = path.parent, 0, 0
    with PdfPages(path) as pdf:
        flow = Flow(pdf)
        flow.heading(header["title"], size=11)
        for label, key in (("Question", "question"), ("Source", "source"), ("", "notes"), ("Trials", "trials")):
            if header[key]:
                flow.text(f"{label}: {header[key]}" if label else header[key])
        answers = [sentence for section in sections for sentence in section.lead]
        if answers:
            flow.heading("Answers")
            flow.bullets(answers)
        flow.heading("Methodology warnings")
        flow.bullets(header["warnings"] or ["none"])
        for section in sections:
            flow.heading(section.title)
            flow.bullets(section.lead)
            for paragraph in section.paragraphs:
                flow.text(paragraph)
            for name, draw, caption in section.figures:
                figure_number += 1
                fig = draw()
                files = save_figure(fig, out, name, png=False, svg=svg)
                plt.close(fig)
                flow.figure(out / files["pdf"], figure_number, caption)
            for table in tables_of(section):
                table_number += 1
                save_table(table, out)
                flow.table(table, table_number)
        for table in header_tables(header):
            table_number += 1
            flow.heading("Best configuration")
            save_table(table, out)
            flow.table(table, table_number)
        provenance = header["provenance"]
        if len(provenance):
            flow.heading("Provenance")
            flow.pairs(list(provenance["value"].items()))
        flow.close_page()
        pdf.infodict()["Title"] = header["title"]
    stamp_figures(path, flow.placed)
    return path


def stamp_figures(path: Path, placed: list) -> None:
    """Draw each figure's vector PDF into the room its page kept for it."""
    writer = PdfWriter(clone_from=PdfReader(path))
    for page, left, bottom, scale, vector in placed:
        figure = PdfReader(vector).pages[0]
        box = figure.mediabox
        move = Transformation().translate(-float(box.left), -float(box.bottom)).scale(scale, scale)
        writer.pages[page].merge_transformed_page(figure, move.translate(left * POINTS, bottom * POINTS))
    with open(path, "wb") as file:
        writer.write(file)
