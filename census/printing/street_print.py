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
# The table's type size by its number of columns: the summary's 25 columns still fit the
# width of a landscape page, its heads wrapped, its largest counts (a street of 150,000
# households) on one line.
FONT_PT = ((14, 9.0), (20, 8.0), (26, 7.0))
SMALLEST_PT = 6.5


def font_size(columns: int) -> float:
    """The largest type size that fits ``columns`` columns across a landscape page."""
    return next((pt for most, pt in FONT_PT if columns <= most), SMALLEST_PT)


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
        "font_pt": font_size(len(table.heads) + 1),
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
