"""A register (台账) printed: its columns from the register definition, laid out on the grid.

Headings are the register's column labels (from forms/*.yaml), values are the code words
of ``census.domain.registers.format_cell``; ID numbers and phones are masked unless the
caller has been allowed full numbers. Pages are numbered across the whole register.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from census.domain.registers import RegisterDef, format_cell, group_counts
from census.printing.grid import (
    Column,
    Layout,
    available_cells,
    block_lines,
    fit_columns,
    grid_document,
    header_lines,
    paginate,
    wrap,
)
from census.printing.words import LIST_SEPARATOR, word

# Width in cells (half an em) by field key, then by field kind; text fields get 12.
WIDTHS = {
    "name": 18,
    "operator_name": 18,
    "head_name": 18,
    "landlord_name": 12,
    "contact": 12,
    "sex": 4,
    "age": 4,
    "member_index": 4,
    "ethnicity": 10,
    "operator_ethnicity": 10,
    "head_ethnicity": 10,
    "relation": 10,
    "residence_type": 8,
    "political": 10,
    "education": 10,
    "marital": 8,
    "employment": 8,
    "conditions": 16,
    "hardship": 12,
    "housing": 6,
    "address": 16,
    "hukou_address": 22,
    "building": 10,
    "unit": 4,
    "room": 8,
    "grid": 10,
    "household_no": 8,
    "household_nos": 14,
    "tenants": 24,
    "member_names": 24,
    "notes": 24,
    "status": 6,
}
KIND_WIDTHS = {
    "id_number": 18,
    "uscc": 18,
    "phone": 11,
    "date": 10,
    "integer": 6,
    "yes_no": 4,
    "select_one": 10,
    "select_many": 14,
}
RIGHT = ("integer",)
CHUNK_SHEETS = 25  # a part of a long register: rendered in parallel, cached alone


def column_width(reg: RegisterDef, key: str) -> int:
    """How many cells a register column gets."""
    if key in WIDTHS:
        return WIDTHS[key]
    info = reg.info.get(key)
    return KIND_WIDTHS.get(info.kind if info else "", 12)


def cell_text(reg: RegisterDef, row: dict[str, Any], key: str, lang: str, full_ids: bool) -> str:
    """A printed value: code words, masked IDs and, unlike a page, masked phones."""
    return format_cell(reg, row, key, lang, full_ids, mask_phones=not full_ids)


def register_layout(reg: RegisterDef, lang: str = "zh", intro_lines: int = 0) -> Layout:
    """The register's columns, fitted to portrait or landscape A4."""
    columns = [Column("no", word("col_no", lang), 5, "right")] + [
        Column(
            key,
            reg.column_label(key, lang),
            column_width(reg, key),
            "right" if reg.info.get(key) and reg.info[key].kind in RIGHT else "left",
        )
        for key in reg.columns
    ]
    orientation, font, fitted = fit_columns(columns)
    return Layout(orientation, font, fitted, header_lines(fitted), intro_lines)


def register_context(
    reg: RegisterDef,
    rows: list[dict[str, Any]],
    *,
    community: str,
    scope: str,
    as_of: date,
    printed_at: datetime | date,
    lang: str = "zh",
    full_ids: bool = False,
    gate: str = "",
) -> dict[str, Any]:
    """The grid document of one register on a date: heading, counts, pages.

    ``gate`` is the review gate's line (which records it counts, how many wait for review),
    the first line under the heading, before the group counts.
    """
    probe = register_layout(reg, lang)
    width = min(probe.grid_cells, available_cells(probe.orientation, probe.font_pt))
    intro: list[str] = wrap(gate, width) if gate else []
    groups = group_counts(reg, rows)
    if groups:
        info = reg.info.get(reg.group_by or "")
        text = word("group_counts", lang) + LIST_SEPARATOR.get(lang, "、").join(
            f"{format_cell(reg, {info.key: g} if info else {}, info.key if info else '', lang)} {n}"
            for g, n in groups
        )
        intro += wrap(text, width)
    layout = register_layout(reg, lang, len(intro))
    blocks = [
        block_lines(
            layout.columns,
            [
                {"no": str(n)}
                | {key: cell_text(reg, row, key, lang, full_ids) for key in reg.columns}
            ],
        )
        for n, row in enumerate(rows, start=1)
    ]
    count = "persons_total" if reg.record == "person" else "rows_total"
    heading = " ".join(part for part in (community, scope, reg.title(lang)) if part)
    return grid_document(
        layout,
        paginate(layout, blocks),
        heading=heading,
        meta=[
            word("as_of", lang) + as_of.isoformat(),
            word("printed_on", lang) + printed_at.strftime("%Y-%m-%d"),
            word(count, lang, rows=len(rows)),
        ],
        intro=intro,
        lang=lang,
        empty=word("no_rows", lang),
    )
