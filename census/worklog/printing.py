"""Work-record registers and the completion-rate table printed, and the work report's PDF.

A register prints on the same fixed grid as the census registers (``census.printing``):
the column widths and the orientation come from ``register_list``, the cells are the
register's own words, phones are masked unless full numbers are allowed, pages are
numbered "第 x 页 / 共 y 页". The rate table and the report are short documents of their own
(templates/print/worklog_rates.html, worklog_report.html).
"""

from __future__ import annotations

import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

from census.printing.grid import (
    SIGNOFF_LINES,
    Column,
    Layout,
    available_cells,
    block_lines,
    fit_columns,
    grid_document,
    header_lines,
    paginate,
    split_document,
    wrap,
)
from census.printing.household_list import TEMPLATE as GRID_TEMPLATE
from census.printing.masking import shown_phone
from census.printing.pipeline import Part, cache_dir, print_parts
from census.printing.register_list import CHUNK_SHEETS
from census.printing.render import render_pdf
from census.printing.words import LIST_SEPARATOR, css_string, page_counter_css
from census.printing.words import word as print_word
from census.util.i18n import gettext
from census.worklog.figures import CaseCounts
from census.worklog.periods import Bucket, Period
from census.worklog.registers import Row, WorkRegister, group_counts
from census.worklog.report import TEMPLATE as REPORT_TEMPLATE
from census.worklog.report import WorkReport, rate_text, report_context, word

RATES_TEMPLATE = "print/worklog_rates.html"
# Width in grid cells (half an em) by field type; a repeat or a link says more than a word.
WIDTHS = {
    "repeat": 28, "textarea": 24, "ref": 20, "id_number": 18, "select_many": 14, "phone": 11,
    "date": 10, "select_one": 10, "integer": 8, "yes_no": 4,
}  # fmt: skip


def register_layout(reg: WorkRegister, lang: str = "zh", intro_lines: int = 0) -> Layout:
    """The register's columns (a number column first), fitted to portrait or landscape A4."""
    columns = [Column("no", print_word("col_no", lang), 5, "right")]
    for key in reg.columns:
        f = reg.fields[key]
        width = WIDTHS.get("ref" if f.ref else f.type, 12)
        columns.append(Column(key, reg.column_label(key, lang), width,
                              "right" if f.type == "integer" else "left"))  # fmt: skip
    orientation, font, fitted = fit_columns(columns)
    return Layout(orientation, font, fitted, header_lines(fitted), intro_lines)


def register_document(
    reg: WorkRegister,
    rows: list[Row],
    *,
    community: str,
    period: Period | None,
    printed_at: datetime | date,
    lang: str = "zh",
    full: bool = False,
    intro_text: str = "",
    signoff: str = "",
) -> dict[str, Any]:
    """The grid document of a register: heading, period, group counts, numbered pages;
    ``signoff`` (制表人、审核人、日期) under its last row."""
    groups = group_counts(reg, rows, lang)
    parts = [intro_text] if intro_text else []
    if groups:
        joined = LIST_SEPARATOR.get(lang, "、").join(f"{name} {n}" for name, n in groups)
        parts.append(word("group_counts", lang) + joined)
    probe = register_layout(reg, lang)
    width = min(probe.grid_cells, available_cells(probe.orientation, probe.font_pt))
    intro = [line for part in parts for line in wrap(part, width)]
    layout = register_layout(reg, lang, len(intro))
    phones = {k for k in reg.columns if reg.fields[k].type == "phone"}
    blocks = [
        block_lines(
            layout.columns,
            [
                {"no": str(n)}
                | {
                    k: shown_phone(row.cells[k], full) if k in phones else row.cells[k]
                    for k in reg.columns
                }
            ],
        )
        for n, row in enumerate(rows, start=1)
    ]
    meta = [print_word("rows_total", lang, rows=len(rows))]
    if period is not None:
        meta.insert(0, word("period", lang) + period.label(lang))
    meta.insert(-1, print_word("printed_on", lang) + printed_at.strftime("%Y-%m-%d"))
    return grid_document(
        layout,
        paginate(layout, blocks, reserve=SIGNOFF_LINES if signoff else 0),
        heading=" ".join(x for x in (community, reg.title(lang)) if x),
        meta=meta,
        intro=intro,
        lang=lang,
        empty=word("no_rows", lang),
        signoff=signoff,
    )


def register_parts(reg: WorkRegister, rows: list[Row], **kwargs: Any) -> tuple[list[Part], str]:
    """A register cut into print parts (each cached alone), and the printout's title.

    A long register (a year of service cases) has several parts: the web app prints it as
    a background job (census.printing.jobs); a short one is printed while the user waits.
    """
    lang = kwargs.get("lang", "zh")
    context = register_document(reg, rows, **kwargs)
    parts = [
        Part(GRID_TEMPLATE, piece, lang, reg.title(lang))
        for piece in split_document(context, CHUNK_SHEETS)
    ]
    return parts, context["heading"]


def parts_pdf(parts: list[Part], title: str, data_dir: str | Path) -> bytes:
    """Render (or take from the print cache) some parts here and now, merged into one PDF."""
    with tempfile.TemporaryDirectory(dir=cache_dir(data_dir)) as tmp:
        target = Path(tmp) / "register.pdf"
        print_parts(parts, target, data_dir, title=title, workers=0)
        return target.read_bytes()


def rates_context(
    table: list[tuple[Bucket, dict[str, CaseCounts]]],
    channels: dict[str, str],
    *,
    heading: str,
    period: Period,
    printed_at: datetime,
    lang: str = "zh",
) -> dict[str, Any]:
    """The completion-rate table: one line per month/quarter/year, four numbers per channel."""
    codes = [*channels, "all"]
    names = [*channels.values(), word("all", lang)]
    lines = []
    for bucket, counts in table:
        cells = []
        for code in codes:
            c = counts.get(code, CaseCounts())
            cells.append((c.consulted, c.accepted, c.handled, rate_text(c.rate)))
        lines.append((bucket.label(lang), cells))
    keys = "consulted accepted handled rate".split()
    return {
        "heading": heading,
        "period": word("period", lang) + period.label(lang),
        "printed_at": word("printed_at", lang) + printed_at.strftime("%Y-%m-%d %H:%M"),
        "channels": names,
        "lines": lines,
        "words": {k: word(k, lang) for k in keys} | {"when": gettext("期间", lang)},
        "css_page_counter": page_counter_css(lang),
        "css_confidential": css_string(word("confidential", lang)),
    }


def rates_pdf(context: dict[str, Any], lang: str = "zh") -> bytes:
    """The completion-rate table as PDF bytes."""
    return render_pdf(RATES_TEMPLATE, context, lang=lang)


def report_pdf(
    report: WorkReport, printed_at: datetime, lang: str = "zh", prepared_by: str = ""
) -> bytes:
    """The work report as PDF bytes, signed off by ``prepared_by`` (blank: by hand)."""
    context = report_context(report, printed_at, lang, prepared_by)
    return render_pdf(REPORT_TEMPLATE, context, lang=lang)
