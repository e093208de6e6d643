"""A register (台账) printed: its columns from the register definition, laid out on the grid.

Headings are the register's column labels (from forms/*.yaml), values are the code words
of ``census.domain.registers.format_cell``; ID numbers and phones are masked unless the
caller has been allowed full numbers. Pages are numbered across the whole register.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from census.domain.registers import RegisterDef, format_cell, group_counts
from census.printing.grid import (
    SIGNOFF_LINES,
    Column,
    Layout,
    available_cells,
    block_lines,
    cells,
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


# Values that must never break over two lines: the column is as wide as its longest value.
NOWRAP_KINDS = ("id_number", "uscc", "phone", "date")
NOWRAP_KEYS = ("household_no", "room", "unit", "birth_date", "status_date", "move_in_date")
MIN_CELLS = 4  # the narrowest column: two Chinese characters
MAX_CELLS = 30  # the widest column a free text gets before it wraps (an address, notes)
HEADING_CELLS = {"zh": 10, "en": 10}  # a heading wraps inside its column beyond this


def column_width(reg: RegisterDef, key: str) -> int:
    """How many cells a register column gets when nothing is known of its values."""
    if key in WIDTHS:
        return WIDTHS[key]
    info = reg.info.get(key)
    return KIND_WIDTHS.get(info.kind if info else "", 12)


def keeps_whole(reg: RegisterDef, key: str) -> bool:
    """Is this a column of numbers and dates, whose values must stay on one line?"""
    info = reg.info.get(key)
    return key in NOWRAP_KEYS or bool(info and info.kind in NOWRAP_KINDS)


def _heading_cells(title: str, lang: str) -> int:
    """The room a heading asks for: its longest word, up to a few characters."""
    longest = max((cells(w) for w in title.split()), default=0) if lang != "zh" else cells(title)
    return min(longest, HEADING_CELLS.get(lang, 10))


def fitted_width(title: str, values: Sequence[str], lang: str, whole: bool) -> tuple[int, int]:
    """A column's width from its content, and the width it may not be narrowed below.

    The longest value, within MIN_CELLS and MAX_CELLS, and no narrower than the heading's
    first word; numbers and dates (``whole``) as wide as the longest of them, always.
    """
    longest = max((cells(v) for v in values), default=0)
    heading = _heading_cells(title, lang)
    if whole:
        width = max(longest, heading, MIN_CELLS)
        return width, max(longest, MIN_CELLS)
    return max(min(longest, MAX_CELLS), heading, MIN_CELLS), 0


def cell_text(reg: RegisterDef, row: dict[str, Any], key: str, lang: str, full_ids: bool) -> str:
    """A printed value: code words, masked IDs and, unlike a page, masked phones."""
    return format_cell(reg, row, key, lang, full_ids, mask_phones=not full_ids)


def register_layout(
    reg: RegisterDef,
    lang: str = "zh",
    intro_lines: int = 0,
    texts: Sequence[dict[str, str]] | None = None,
) -> Layout:
    """The register's columns, fitted to portrait or landscape A4.

    With the printed ``texts`` of its rows, each column is as wide as its content asks
    (a 2-character column no longer takes what the address takes) and numbers keep a
    floor, so narrowing to fit the page never breaks them; without, the fixed widths.
    """
    if texts is None:
        columns = [Column("no", word("col_no", lang), 5, "right")] + [
            Column(key, reg.column_label(key, lang), column_width(reg, key), _align(reg, key))
            for key in reg.columns
        ]
    else:
        digits = max(2, len(str(len(texts))))
        columns = [
            Column(
                "no",
                word("col_no", lang),
                max(digits, _heading_cells(word("col_no", lang), lang)),
                "right",
                floor=digits,
            )
        ]
        longest = {"no": digits}
        for key in reg.columns:
            title = reg.column_label(key, lang)
            values = [t.get(key, "") for t in texts]
            width, floor = fitted_width(title, values, lang, keeps_whole(reg, key))
            longest[key] = max((cells(v) for v in values), default=0)
            columns.append(Column(key, title, width, _align(reg, key), floor=floor))
        orientation, font, fitted = fit_columns(columns)
        fitted = _share_spare(columns, fitted, longest, orientation, font)
        return Layout(orientation, font, fitted, header_lines(fitted), intro_lines)
    orientation, font, fitted = fit_columns(columns)
    return Layout(orientation, font, fitted, header_lines(fitted), intro_lines)


def _share_spare(
    wanted: Sequence[Column],
    fitted: tuple[Column, ...],
    longest: dict[str, int],
    orientation: str,
    font: float,
) -> tuple[Column, ...]:
    """A page's spare width to the columns whose text still wraps, not to the last one.

    ``fit_columns`` widens the last column of a landscape page to its edge; here the spare
    goes first to the columns that wrap (in proportion to what they lack), then, on a
    landscape page, evenly to every column.
    """
    cols = list(fitted)
    cols[-1] = replace(cols[-1], width=min(cols[-1].width, wanted[-1].width))
    spare = available_cells(orientation, font) - (sum(c.width for c in cols) + len(cols) + 1)
    lacking = {i: longest.get(c.key, 0) - c.width for i, c in enumerate(cols)}
    lacking = {i: n for i, n in lacking.items() if n > 0}
    need = sum(lacking.values())
    if spare > 0 and need:
        given = min(spare, need)
        shares = {i: given * n // need for i, n in lacking.items()}
        for i, n in shares.items():
            cols[i] = replace(cols[i], width=cols[i].width + n)
        spare -= sum(shares.values())
    if spare > 0 and orientation == "landscape":
        each, extra = divmod(spare, len(cols))
        cols = [replace(c, width=c.width + each + (i < extra)) for i, c in enumerate(cols)]
    return tuple(cols)


def _align(reg: RegisterDef, key: str) -> str:
    info = reg.info.get(key)
    return "right" if info and info.kind in RIGHT else "left"


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
    signoff: str = "",
) -> dict[str, Any]:
    """The grid document of one register on a date: heading, counts, pages.

    ``gate`` is the review gate's line (which records it counts, how many wait for review),
    the first line under the heading, before the group counts; ``signoff`` (制表人、审核人、
    日期) the line under the register's last row.
    """
    texts = [
        {"no": str(n)} | {key: cell_text(reg, row, key, lang, full_ids) for key in reg.columns}
        for n, row in enumerate(rows, start=1)
    ]
    probe = register_layout(reg, lang, texts=texts)
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
    layout = replace(probe, intro_lines=len(intro))
    blocks = [block_lines(layout.columns, [text]) for text in texts]
    count = "persons_total" if reg.record == "person" else "rows_total"
    heading = " ".join(part for part in (community, scope, reg.title(lang)) if part)
    return grid_document(
        layout,
        paginate(layout, blocks, reserve=SIGNOFF_LINES if signoff else 0),
        heading=heading,
        meta=[
            word("as_of", lang) + as_of.isoformat(),
            word("printed_on", lang) + printed_at.strftime("%Y-%m-%d"),
            word(count, lang, rows=len(rows)),
        ],
        intro=intro,
        lang=lang,
        empty=word("no_rows", lang),
        signoff=signoff,
    )
