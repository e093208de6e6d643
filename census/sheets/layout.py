"""Where the table is in a sheet: the header row, what each column means, which rows are data.

Real registers open with a title, a "填报单位" line or instructions, and put notes under the
header or a total at the bottom. The header is the first of the top rows whose cells name
at least two known columns, one of them a record's anchor (户编号 or 姓名 for households,
the name for shops and organisations). Other rows are data, except rows that are blank,
repeat the header, or hold only a note; those are skipped and reported, never lost.

The templates of other systems put a row of instructions right under the header, a cell
per column ("必填，真实姓名", "YYYYMMDD", "1=是，0=否"): ``instructions_row`` knows it, and
the rows of our own template's example (张建国（示例）) are examples, not people
(``example_row``). Whoever imports may also name the header row and rows to skip
(``HEADER_ROW``, ``SKIP_ROWS`` among a sheet's overrides), and how a combined address
written with two numbers ("3-101") reads (``ADDRESS_PATTERN``: unit-room unless told
building-room).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from openpyxl.utils import get_column_letter

from census.domain.address import PATTERNS, UNIT_ROOM
from census.sheets.reader import Sheet
from census.sheets.vocabulary import IGNORE, Vocabulary, fold

HEADER_SEARCH_ROWS = 30
_NOTE_STARTS = ("注", "说明", "填表", "备注：", "备注:", "提示", "例", "如：", "（", "(", "*", "※")
_NOTE_MARKS = ("：", "。", "；")
NOTE_LENGTH = 30

MATCHED, IGNORED, UNKNOWN, DUPLICATE, MANUAL = (
    "matched",
    "ignored",
    "unknown",
    "duplicate",
    "manual",
)
DATA, BLANK, NOTE, HEADER_AGAIN = "data", "blank", "note", "header"
# A sheet's overrides map column letters (upper case) to keys; these keys, never a letter,
# name the header row (1-based), the rows to skip ("4,5" or "4-6") and how "3-101" reads.
HEADER_ROW, SKIP_ROWS, ADDRESS_PATTERN = "header_row", "skip_rows", "address_pattern"
ROW_OPTIONS = (HEADER_ROW, SKIP_ROWS, ADDRESS_PATTERN)
# How an instructions cell reads: what to fill in, a format, a code table.
_INSTRUCTION_WORDS = (
    "必填", "选填", "非必填", "可不填", "可为空", "不能为空", "不可为空", "请填写", "请选择",
    "请输入", "填写", "格式", "下拉", "选择", "字典", "为准", "真实姓名", "如实", "可选",
    "支持", "分隔",
)  # fmt: skip
_INSTRUCTION = re.compile(
    r"(?i)y{2,4}\W?m{1,2}|\d+\s*[=＝:：]\s*\S|\d+\s*位|^[（(【\[].*[）)】\]]$|^(例|如)[：:]"
    # 如汉族、回族 · 家庭编号（如001、A001） · 男/女 · 是/否 或 1/0 · 小学/初中/高中/本科等
    r"|^(例如|如)\S*[、，,]|[（(](例|如)|^[^/\s]{1,8}(\s*(/|或)\s*[^/\s]{1,8})+等?$"
)
_EXAMPLE_WORDS = ("示例", "样例", "例", "范例")
_EXAMPLE_MARKS = ("（示例）", "(示例)", "【示例】", "[示例]")
INSTRUCTION_ROWS = 3  # at most this many instructions rows under the header


@dataclass
class Column:
    """One column of a sheet's table and the target it is imported into (None: not at all)."""

    index: int
    header: str
    key: str | None
    status: str
    other: str = ""  # for a duplicate: the letter of the column that already has the target

    @property
    def letter(self) -> str:
        """The column as Excel names it: A, B, … AA."""
        return get_column_letter(self.index + 1)


@dataclass
class Layout:
    """A sheet's table: header row (1-based, None when there is none) and its columns."""

    sheet: str
    header_row: int | None
    columns: list[Column] = field(default_factory=list)
    skip: frozenset[int] = frozenset()  # sheet rows (1-based) whoever imports said to skip
    address_pattern: str = UNIT_ROOM  # how a combined "3-101" reads (domain.address.PATTERNS)
    _anchors: list[int] | None = field(default=None, repr=False, compare=False)

    def column(self, key: str) -> Column | None:
        """The column imported into a target key, if any."""
        return next((c for c in self.columns if c.key == key), None)

    def anchor_columns(self, vocab: Vocabulary) -> list[int]:
        """The indexes of the columns that hold a record's anchor (户编号, 姓名, name)."""
        if self._anchors is None:
            self._anchors = [n for n, key in self.keys.items() if key in vocab.anchors]
        return self._anchors

    @cached_property
    def keys(self) -> dict[int, str]:
        """Column index -> target key, for the columns that are imported (once detected)."""
        return {c.index: c.key for c in self.columns if c.key}


def cell_text(value: Any) -> str:
    """A cell as a short text for headers, notes and reports."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def find_header(sheet: Sheet, vocab: Vocabulary) -> int | None:
    """The 0-based index of the header row, or None when the sheet has no table for this form."""
    for n, row in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        keys = [vocab.header(v) for v in row]
        known = [k for k in keys if k is not None]
        if len(known) >= 2 and any(k in vocab.anchors for k in known):
            return n
    return None


def row_numbers(text: str) -> frozenset[int]:
    """ "4,5" or "4-6, 9" (sheet rows, 1-based) as a set; raises ValueError on anything else."""
    found: set[int] = set()
    for part in re.split(r"[,，;；、\s]+", str(text).strip()):
        if not part:
            continue
        first, dash, last = part.partition("-")
        low, high = int(first), int(last) if dash else int(first)
        if low < 1 or high < low or high - low > 10_000:
            raise ValueError(part)
        found.update(range(low, high + 1))
    return frozenset(found)


def detect(sheet: Sheet, vocab: Vocabulary, overrides: dict[str, str] | None = None) -> Layout:
    """Find the header and map its columns; ``overrides`` maps a letter to a key or "" (ignore),
    and may name the header row (``HEADER_ROW``) and rows to skip (``SKIP_ROWS``)."""
    overrides = overrides or {}
    header = find_header(sheet, vocab)
    if overrides.get(HEADER_ROW):
        wanted = int(overrides[HEADER_ROW]) - 1
        header = wanted if 0 <= wanted < len(sheet.rows) else None
    if header is None:
        return Layout(sheet.name, None)
    skip = row_numbers(overrides[SKIP_ROWS]) if overrides.get(SKIP_ROWS) else frozenset()
    pattern = overrides.get(ADDRESS_PATTERN) or UNIT_ROOM
    if pattern not in PATTERNS:  # checked where it is chosen; a hand-edited profile's
        pattern = UNIT_ROOM
    layout = Layout(sheet.name, header + 1, skip=skip, address_pattern=pattern)
    untitled = [n for n, v in enumerate(sheet.rows[header]) if not cell_text(v)]
    filled = _filled_columns(sheet.rows[header + 1 :], untitled) if untitled else set()
    for index, value in enumerate(sheet.rows[header]):
        column = Column(index, cell_text(value), None, UNKNOWN)
        letter = column.letter
        if letter in overrides:
            wanted = overrides[letter]
            column.key = wanted if wanted in vocab.targets else None
            column.status = MANUAL if column.key else IGNORED
        else:
            key = vocab.header(value)
            if key == IGNORE:
                column.status = IGNORED
            elif key is not None:
                column.key, column.status = key, MATCHED
            elif not column.header:
                if index not in filled:
                    continue  # an empty column without a title: nothing to say about it
        layout.columns.append(column)
    _one_column_per_key(layout.columns, vocab)
    return layout


def _claim(column: Column, vocab: Vocabulary) -> int:
    """How surely a column is its field's: mapped by hand, titled with the field's own name
    (户编号), or with another name for it (户号)."""
    if column.status == MANUAL:
        return 2
    own = {fold(text) for text in vocab.targets[column.key or ""].label.values()}
    return 1 if fold(column.header) in own else 0


def _one_column_per_key(columns: list[Column], vocab: Vocabulary) -> None:
    """Two columns for one field: the surest is imported wherever it stands (户编号 before or
    after the hukou booklet's 户号), the first of equals; the others are duplicates."""
    kept: dict[str, Column] = {}
    for column in columns:
        if column.key is None:
            continue
        held = kept.get(column.key)
        if held is None or _claim(column, vocab) > _claim(held, vocab):
            kept[column.key] = column
    for column in columns:
        if column.key is not None and kept[column.key] is not column:
            column.other = kept[column.key].letter
            column.key, column.status = None, DUPLICATE


def _filled_columns(rows: list[list[Any]], columns: list[int]) -> set[int]:
    """Which of these columns hold a value in some row (one pass over the cells present)."""
    wanted, found = set(columns), set()
    for row in rows:
        width = len(row)
        if len(wanted) < width:  # few columns still unseen: look at those
            seen = {n for n in wanted if n < width and cell_text(row[n])}
        else:  # many (a wide sheet without titles): look at the cells the row has
            seen = {n for n, v in enumerate(row) if v is not None and n in wanted and cell_text(v)}
        if seen:
            found |= seen
            wanted -= seen
            if not wanted:
                break
    return found


def looks_like_instruction(text: str) -> bool:
    """A cell telling how to fill its column in: 必填，真实姓名 · YYYYMMDD · 1=是，0=否 · 18位."""
    return any(w in text for w in _INSTRUCTION_WORDS) or bool(_INSTRUCTION.search(text))


def instructions_row(row: list[Any]) -> bool:
    """A row of instructions, a cell per column (other systems' templates put one under the
    header): at least two of its filled cells, and at least half, tell how to fill a column
    in, and none of the others is more than a short word."""
    texts = [text for v in row if (text := cell_text(v))]
    told = sum(1 for text in texts if looks_like_instruction(text))
    return told >= 2 and told * 2 >= len(texts)


def example_row(row: list[Any], layout: Layout, vocab: Vocabulary) -> bool:
    """A template's example: its first cell says 示例 (or 例, 样例), or the record's name
    (姓名, 店名) ends with （示例）."""
    first = cell_text(row[0]) if row else ""
    if first.rstrip("：:") in _EXAMPLE_WORDS:
        return True
    for n in layout.anchor_columns(vocab):
        text = cell_text(row[n]) if n < len(row) else ""
        if text.endswith(_EXAMPLE_MARKS) or text.startswith(("示例：", "示例:")):
            return True
    return False


def looks_like_note(text: str) -> bool:
    """Instructions, totals and signatures rather than a value."""
    return (
        text.startswith(_NOTE_STARTS)
        or any(m in text for m in _NOTE_MARKS)
        or (len(text) > NOTE_LENGTH)
    )


def classify(row: list[Any], layout: Layout, vocab: Vocabulary) -> str:
    """What a row below the header is: data, blank, a note, or the header again."""
    # The usual row, decided quickly: an anchor cell (姓名, 户编号 …) holding a value that is
    # neither a note nor the anchor's own title, and at least one other cell. The rules
    # below give the same answer for it; they are for everything else.
    width = len(row)
    for n in layout.anchor_columns(vocab):
        value = row[n] if n < width else None
        if value is None or value == "":
            continue
        text = cell_text(value)
        if text and not looks_like_note(text) and vocab.header(text) != layout.keys[n]:
            if sum(1 for v in row if v is not None and v != "") >= 2:
                return DATA
        break
    filled = [(n, text) for n, v in enumerate(row) if v is not None and (text := cell_text(v))]
    if not filled:
        return BLANK
    keys = layout.keys
    anchors = [n for n, key in keys.items() if key in vocab.anchors]
    # The header again names its anchor column (姓名, 户编号) in that column.
    if any(vocab.header(row[n]) == keys[n] for n in anchors if n < len(row)):
        if sum(1 for _n, text in filled if vocab.header(text) is not None) >= 2:
            return HEADER_AGAIN
    mapped = [(n, text) for n, text in filled if n in keys]
    if not mapped:
        return NOTE
    if all(looks_like_note(text) for _n, text in filled):
        return NOTE
    if len(filled) == 1 and keys.get(filled[0][0]) not in vocab.anchors:
        return NOTE
    return DATA
