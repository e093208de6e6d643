"""The street's tables printed: 街道基本情况, 街道台账 and 街道工作报告 on A4 landscape.

Each is a ``census.domain.rollup.StreetTable`` — the same rows as its page, spreadsheet and
command line — drawn by one template (templates/print/street_table.html) with the review
gate's line under the title and the sign-off block (制表人、审核人、日期) under the table, as
a community's summary and registers end. Nothing is masked: a street table holds counts.
A street table is a page or two, so it is rendered while the user waits, as a community's
summary print is.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from census.domain.rollup import StreetTable
from census.printing.render import render_pdf
from census.printing.signoff import signoff_line
from census.printing.words import css_string, page_counter_css, word

TEMPLATE = "print/street_table.html"
# The type size is the largest that fits the widest cell of every column across the page:
# a street of 150,000 households has six-digit totals in the summary's 25 columns.
ACROSS_PT = (297 - 2 * 10) / 25.4 * 72  # A4 landscape inside the template's side margins
CELL_PT = 5.0  # a cell's side paddings and its border
WIDER = 1.1  # the 合计 row is bold, and a digit of the CJK font is a little wider than 0.6 em
LARGEST_PT, SMALLEST_PT = 9.0, 5.5


def _ems(text: str) -> float:
    """How wide a text is, in em: an ideograph (or full-width sign) 1, anything else 0.6."""
    return sum(1.0 if ord(ch) >= 0x2E80 else 0.6 for ch in text)


def font_size(table: StreetTable) -> float:
    """The largest type size (pt, in steps of 0.5) at which the table fits the page's width.

    The heads may break inside a word (the template lets them), the cells do not."""
    lines = [[str(cell) for cell in line] for line in table.lines()]
    widths = [max(1.0, *map(_ems, column)) for column in zip(*lines, strict=True)]
    room = ACROSS_PT - CELL_PT * len(widths)
    fitting = room / (sum(widths) * WIDER)
    return max(SMALLEST_PT, min(LARGEST_PT, int(fitting * 2) / 2))


def table_context(
    table: StreetTable, printed_at: datetime | date, lang: str = "zh", prepared_by: str = ""
) -> dict[str, Any]:
    """Everything the template shows; ``prepared_by`` names the 制表人 (blank: by hand)."""
    last = len(table.rows) - 1
    return {
        "heading": table.title,
        "when": table.when,
        "printed_at": word("printed_at", lang) + printed_at.strftime("%Y-%m-%d %H:%M"),
        "gate": table.gate,
        "corner": table.corner,
        "groups": table.groups,
        "heads": table.heads,
        # (name, cells, is the 合计 row); with the 合计 as a column, the last cell of each row
        "rows": [
            (name, cells, not table.total_column and n == last)
            for n, (name, cells) in enumerate(table.rows)
        ],
        "last_total": table.total_column,
        "font_pt": font_size(table),
        "signoff": signoff_line(prepared_by, printed_at, lang),
        # fixed words only, written as CSS strings; no community name reaches the stylesheet
        "css_page_counter": page_counter_css(lang),
        "css_confidential": css_string(word("confidential", lang)),
    }


def street_pdf(
    table: StreetTable, printed_at: datetime | date, lang: str = "zh", prepared_by: str = ""
) -> bytes:
    """A street table as PDF bytes."""
    return render_pdf(TEMPLATE, table_context(table, printed_at, lang, prepared_by), lang=lang)
