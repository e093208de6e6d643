"""Reading a sheet's rows below its header: data rows become ``SourceRow``s, the rest issues.

Every cell of a mapped column is read for its target (``cells.read_cell``). The same few
values fill whole columns (男, 汉族, 户主, a building's name), so each distinct value of a
column is read once and remembered for the sheet.
"""

from __future__ import annotations

from typing import Any

from census.sheets.cells import Cell, read_cell
from census.sheets.issues import ERROR, INFO, WARNING, Issue
from census.sheets.layout import (
    DATA,
    DUPLICATE,
    HEADER_AGAIN,
    NOTE,
    UNKNOWN,
    Layout,
    cell_text,
    classify,
)
from census.sheets.model import SourceRow
from census.sheets.reader import Sheet
from census.sheets.vocabulary import Vocabulary

# Columns whose values repeat: codes, yes/no and the household's address keys.
REPEATING = {"select_one", "select_many", "yes_no"}
REPEATING_KEYS = {"household_no", "building", "unit", "room", "grid", "housing", "landlord_name"}
MEMO_MAX = 200_000


def column_issues(layout: Layout, vocab: Vocabulary) -> list[Issue]:
    found = []
    for column in layout.columns:
        where = {
            "sheet": layout.sheet,
            "row": layout.header_row,
            "column": column.letter,
            "header": column.header,
        }
        if column.status == UNKNOWN:
            params = {"header": column.header or column.letter}
            found.append(Issue("unknown_column", WARNING, params=params, **where))
        elif column.status == DUPLICATE:
            title = vocab.targets[vocab.header(column.header) or ""].text()
            params = {"other": column.other, "field": title}
            found.append(Issue("duplicate_column", WARNING, params=params, **where))
    return found


def read_rows(
    sheet: Sheet, layout: Layout, vocab: Vocabulary
) -> tuple[list[SourceRow], list[Issue]]:
    """The data rows below the header; notes above and below it become issues."""
    assert layout.header_row is not None
    notes: list[Issue] = []
    for n, row in enumerate(sheet.rows[: layout.header_row - 1], 1):
        text = " ".join(cell_text(v) for v in row if cell_text(v))
        if text:
            notes.append(_note(sheet.name, n, text))
    found: list[SourceRow] = []
    readers = [
        (index, key, vocab.targets[key], _repeats(vocab, key)) for index, key in layout.keys.items()
    ]
    memo: dict[tuple[str, Any], Cell] = {}
    for n, row in enumerate(sheet.rows[layout.header_row :], layout.header_row + 1):
        kind = classify(row, layout, vocab)
        if kind == NOTE:
            notes.append(_note(sheet.name, n, " ".join(cell_text(v) for v in row if cell_text(v))))
        elif kind == HEADER_AGAIN:
            notes.append(Issue("repeated_header", INFO, sheet=sheet.name, row=n))
        if kind != DATA:
            continue
        source = SourceRow(sheet.name, n, layout, {})
        width = len(row)
        for index, key, target, repeats in readers:
            raw = row[index] if index < width else None
            if raw is None:
                continue
            if repeats:
                cell = memo.get((key, raw)) or _remember(memo, (key, raw), target, vocab)
            else:
                cell = read_cell(target, raw, vocab)
            if cell.problem:
                where = source.where(key, vocab)
                source.issues.append(Issue(cell.problem, ERROR, params=cell.params, **where))
                continue
            if isinstance(cell.value, list):
                if cell.value:
                    source.values[key] = list(cell.value)  # shared by the memo: copy
            elif cell.value is not None:
                source.values[key] = cell.value
            if cell.more:
                source.more[key] = cell.more
        found.append(source)
    return found, notes


def _note(sheet: str, row: int, text: str) -> Issue:
    short = text if len(text) <= 60 else text[:57] + "…"
    return Issue("note_row", INFO, sheet=sheet, row=row, params={"text": short})


def _repeats(vocab: Vocabulary, key: str) -> bool:
    target = vocab.targets[key]
    return target.type in REPEATING or (key in REPEATING_KEYS and not target.member)


def _remember(
    memo: dict[tuple[str, Any], Cell], seen: tuple[str, Any], target: Any, vocab: Vocabulary
) -> Cell:
    cell = read_cell(target, seen[1], vocab)
    if len(memo) < MEMO_MAX:
        try:
            memo[seen] = cell
        except TypeError:  # an unhashable value: read it every time
            pass
    return cell
