"""Reading a sheet's rows below its header: data rows become ``SourceRow``s, the rest issues.

Every cell of a mapped column is read for its target (``cells.read_cell``). The same few
values fill whole columns (男, 汉族, 户主, a building's name), so each distinct value of a
column is read once and remembered for the sheet.

Rows that are not people or records are skipped and said: an instructions row under (or
above) the header, a template's example, rows whoever imports named. A column holding
building, unit and room in one (住址 "1单元101室", "3-1-101"), or a room column holding
the unit too, is split into its parts (``census.domain.address.split_dwelling``).
"""

from __future__ import annotations

from typing import Any

from census.domain.address import PATTERN_WORDS, Dwelling, search_key, split_dwelling
from census.sheets.cells import Cell, read_cell
from census.sheets.issues import ERROR, INFO, WARNING, Issue
from census.sheets.layout import (
    DATA,
    DUPLICATE,
    HEADER_AGAIN,
    INSTRUCTION_ROWS,
    NOTE,
    UNKNOWN,
    Layout,
    cell_text,
    classify,
    example_row,
    instructions_row,
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
    above = layout.header_row - 1  # the row right above the header
    for n, row in enumerate(sheet.rows[: layout.header_row - 1], 1):
        text = " ".join(cell_text(v) for v in row if cell_text(v))
        if text:
            told = n == above and instructions_row(row)
            notes.append(_note(sheet.name, n, text, "instructions_row" if told else "note_row"))
    found: list[SourceRow] = []
    readers = [
        (index, key, vocab.targets[key], _repeats(vocab, key)) for index, key in layout.keys.items()
    ]
    memo: dict[tuple[str, Any], Cell] = {}
    told = _instruction_rows(sheet, layout)
    splits = "address" in vocab.targets and "room" in vocab.targets
    for n, row in enumerate(sheet.rows[layout.header_row :], layout.header_row + 1):
        if n in layout.skip:
            text = " ".join(cell_text(v) for v in row if cell_text(v))
            notes.append(_note(sheet.name, n, text, "skipped_row"))
            continue
        if n in told:
            text = " ".join(cell_text(v) for v in row if cell_text(v))
            notes.append(_note(sheet.name, n, text, "instructions_row"))
            continue
        kind = classify(row, layout, vocab)
        if kind == DATA and example_row(row, layout, vocab):
            text = " ".join(cell_text(v) for v in row if cell_text(v))
            notes.append(_note(sheet.name, n, text, "example_row"))
            continue
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
        if splits:
            _split_address(source, vocab, layout.address_pattern)
        found.append(source)
    return found, notes


def _instruction_rows(sheet: Sheet, layout: Layout) -> set[int]:
    """The instructions rows right under the header (1-based sheet rows), at most a few."""
    assert layout.header_row is not None
    found: set[int] = set()
    start = layout.header_row  # 0-based index of the row under the header
    for n, row in enumerate(sheet.rows[start : start + INSTRUCTION_ROWS], start + 1):
        if not instructions_row(row):
            break
        found.add(n)
    return found


def _split_address(source: SourceRow, vocab: Vocabulary, pattern: str) -> None:
    """Building, unit and room from a combined address cell (or a room cell holding the unit
    too); the parts fill what the row's own columns left blank, never overwrite them.
    ``pattern`` says how two numbers read ("3-101": unit-room or building-room). A text
    that fits no way of writing an address, or names another building than the row's
    building column, is said (``address_unsplit``) and left as it is."""
    values = source.values
    text = values.pop("address", None)
    room = values.get("room")
    if text is None and isinstance(room, str) and not values.get("unit"):
        parts = split_dwelling(room, pattern)
        if parts is None:
            return
        if _other_building(parts, values):
            _unsplit(source, vocab, "room", room, pattern)
            return
        values["room"], values["unit"] = parts.room, parts.unit or values.get("unit")
        if parts.building and not values.get("building"):
            values["building"] = parts.building
        if not values["unit"]:
            values.pop("unit")
        return
    if text is None:
        return
    parts = split_dwelling(text, pattern)
    if parts is None or _other_building(parts, values):
        if not values.get("room") or parts is not None:
            _unsplit(source, vocab, "address", text, pattern)
        return
    for key, part in (("building", parts.building), ("unit", parts.unit), ("room", parts.room)):
        if part and not values.get(key):
            values[key] = part


def _other_building(parts: Dwelling, values: dict[str, Any]) -> bool:
    """The text names a building, and the row's building column another one."""
    given = values.get("building")
    return bool(parts.building and given and search_key(given) != search_key(parts.building))


def _unsplit(source: SourceRow, vocab: Vocabulary, key: str, text: Any, pattern: str) -> None:
    words = PATTERN_WORDS[pattern]
    params = {"value": str(text)[:40], "pattern": words["zh"], "pattern_en": words["en"]}
    source.issues.append(
        Issue("address_unsplit", WARNING, params=params, **source.where(key, vocab))
    )


def _note(sheet: str, row: int, text: str, code: str = "note_row") -> Issue:
    short = text if len(text) <= 60 else text[:57] + "…"
    return Issue(code, INFO, sheet=sheet, row=row, params={"text": short})


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
