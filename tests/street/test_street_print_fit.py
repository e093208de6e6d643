"""A street table printed for a large street fits the landscape page's width.

Twelve communities with six-digit figures (a street of 150,000 households has such
totals, seven digits in the 合计 row), in Chinese and English: the summary's 25 columns
are laid out by WeasyPrint as the print is, and the table must end inside the page's
margins — a table too wide for the page runs past its edge and is cut off on paper, and
no text read back from the PDF shows that. WeasyPrint's box tree (``Page._page_box``) is
the one place the layout's widths can be read.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from census.domain.rollup import registers_table, summary_table
from census.domain.summary import FIGURES
from census.printing.render import html_to_document, render_html
from census.printing.street_print import SMALLEST_PT, TEMPLATE, font_size, table_context


def wide_street(figure: int) -> list[tuple[str, dict]]:
    figures = {key: figure for key in FIGURES} | {
        "minority_share": 0.1234,
        "by_ethnicity": {"汉族": figure},
        "age_bands": {},
    }
    return [(f"第{n + 1}社区居委会", figures) for n in range(12)]


def boxes(box, kind: str) -> list:
    found = [box] if type(box).__name__ == kind else []
    for child in getattr(box, "children", []):
        found += boxes(child, kind)
    return found


def laid_out(table, lang: str):
    html = render_html(TEMPLATE, table_context(table, datetime(2025, 7, 1, 9, 0), lang), lang=lang)
    return html_to_document(html).pages


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_summary_of_twelve_large_communities_fits_the_page(lang):
    table = summary_table(wide_street(123456), date(2025, 6, 30), "", lang)
    assert font_size(table) == SMALLEST_PT  # seven-digit totals: the smallest type
    pages = laid_out(table, lang)
    assert len(pages) == 1
    page = pages[0]._page_box
    html = page.children[0]
    right = html.content_box_x() + html.width
    (grid,) = boxes(page, "TableBox")
    assert grid.position_x + grid.margin_width() <= right + 0.5, (grid.margin_width(), html.width)
    rows = boxes(grid, "TableRowBox")
    assert len(rows) == 1 + 13  # the heads, 12 communities, 合计
    for row in rows:
        for cell in row.children:
            assert cell.position_x + cell.margin_width() <= right + 0.5


def test_a_small_street_prints_large():
    table = summary_table(wide_street(12), date(2025, 6, 30))
    assert font_size(table) == 9.0
    registers = registers_table(
        ["东区", "西区"], [{"a": 5}, {"a": 7}], [("a", "户籍人口")], date.today()
    )
    assert font_size(registers) == 9.0
