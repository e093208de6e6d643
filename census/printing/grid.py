"""Long lists laid out in Python on a fixed grid, so WeasyPrint only draws ready lines.

WeasyPrint lays out a table cell in about a millisecond; a 13,000-household list has
half a million cells, which is far too slow. Here every row becomes one text line in
*Noto Sans Mono CJK SC*, where a Latin character is exactly half an em wide and a Chinese
character one em: a "cell" below is half an em. Columns are padded with spaces, long values
wrap onto further lines of the same row, and pages are cut here too, so page numbers —
"第 x 页 / 共 y 页", per building or per register — are known before anything is rendered,
and a long print can be split into parts that render in parallel and are cached one by one.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from census.printing.gridstyle import rules_image

MM_PER_PT = 25.4 / 72
PAGE_MM = {"landscape": (297.0, 210.0), "portrait": (210.0, 297.0)}
MARGIN_MM = 10.0
TITLE_MM = 9.0  # the first sheet's title
META_MM = 5.0  # one line of meta text under the title (as-of, print date, totals)
RUNNING_MM = 5.0  # the running header of the following sheets
FOOT_MM = 6.0  # the page number
SLACK_MM = 2.0  # kept free so rounding never pushes a line onto a page of its own
SIGNOFF_LINES = 2  # the sign-off line under a document's last line, a line's gap above it
LINE_FACTOR = 1.4  # line height / font size
BASE_FONT_PT = 8.0
MIN_FONT_PT = 6.0
_WIDE_AMBIGUOUS = set("·×÷°±§¨¤")


@lru_cache(maxsize=65536)
def char_cells(ch: str) -> int:
    """Grid cells one character takes: 2 for Chinese and full-width forms, else 1."""
    if ord(ch) < 0x1100:
        return 2 if ch in _WIDE_AMBIGUOUS else 1
    width = unicodedata.east_asian_width(ch)
    if width in ("W", "F"):
        return 2
    if width == "A" and ord(ch) >= 0x2000:
        return 2
    return 0 if unicodedata.combining(ch) else 1


def cells(text: str) -> int:
    """Grid cells a text takes on one line."""
    if text.isascii():
        return len(text)
    return sum(char_cells(ch) for ch in text)


def _clean(text: Any) -> str:
    """Text as printable on one grid line: tabs and control characters become spaces."""
    if text is None:
        return ""
    return "".join(
        " " if ch in "\t\r\v\f" or (unicodedata.category(ch) == "Cc" and ch != "\n") else ch
        for ch in str(text)
    )


# Characters of numbers as printed (phones, ID numbers, dates, door numbers, masked digits):
# a run of them is never cut in two when the run fits on a line of its own.
_NUMBER_CHARS = frozenset("0123456789*-./:+#")


def _run_start(line: str) -> int:
    """Where the run of Latin letters and number characters at the end of ``line`` begins."""
    i = len(line)
    while (
        i > 0 and line[i - 1].isascii() and (line[i - 1].isalnum() or line[i - 1] in _NUMBER_CHARS)
    ):
        i -= 1
    return i


def wrap(text: Any, width: int) -> list[str]:
    """``text`` cut into lines of at most ``width`` cells (at least one line, maybe empty).

    Chinese breaks anywhere; Latin words and numbers (13812345678, 2025-09-01, the 1201 of
    3栋2单元1201室) move whole to the next line when they fit there."""
    if isinstance(text, str) and text.isprintable() and cells(text) <= width:
        return [text.rstrip()]  # the common case: it fits
    return list(_wrap(text if isinstance(text, str) else _clean(text), width))


@lru_cache(maxsize=32768)
def _wrap(text: str, width: int) -> tuple[str, ...]:
    lines: list[str] = []
    for paragraph in _clean(text).split("\n"):
        line, used = "", 0
        for ch in paragraph:
            w = char_cells(ch)
            if used + w > width and line:
                cut = line.rfind(" ")
                run = (
                    _run_start(line)
                    if ch.isascii() and (ch.isalnum() or ch in _NUMBER_CHARS)
                    else len(line)
                )
                if ch != " " and cut > 0 and line[cut + 1 :].isascii():
                    # Latin words move whole to the next line; Chinese breaks anywhere
                    line, rest = line[:cut], line[cut + 1 :]
                elif 0 < run < len(line) and cells(line[run:]) + w <= width:
                    # a number glued to Chinese (3栋2单元1201室) moves whole as well
                    line, rest = line[:run], line[run:]
                else:
                    rest = ""
                lines.append(line.rstrip())
                line, used = rest, cells(rest)
                if ch == " " and not line:
                    continue
            line += ch
            used += w
        lines.append(line.rstrip())
    while len(lines) > 1 and not lines[-1]:
        lines.pop()
    return tuple(lines or [""])


def pad(text: str, width: int, align: str = "left") -> str:
    """``text`` padded with spaces to exactly ``width`` cells."""
    room = max(0, width - cells(text))
    if align == "right":
        return " " * room + text
    if align == "center":
        return " " * (room // 2) + text + " " * (room - room // 2)
    return text + " " * room


@dataclass(frozen=True)
class Column:
    """One column of a grid: its heading, its width in cells, and how its text sits."""

    key: str
    title: str
    width: int
    align: str = "left"
    span: bool = False  # a block-level value (e.g. the household's), flowing down its lines
    floor: int = 0  # never narrowed below this (a phone or ID number that must not break)


@dataclass(frozen=True)
class Layout:
    """Page geometry of a grid document: orientation, font size, lines per sheet."""

    orientation: str
    font_pt: float
    columns: tuple[Column, ...]
    header_lines: tuple[str, ...]
    intro_lines: int = 0

    @property
    def line_mm(self) -> float:
        """The height of one grid line."""
        return round(self.font_pt * LINE_FACTOR * MM_PER_PT, 3)

    @property
    def sheet_mm(self) -> float:
        """The height of a sheet: the page less its margins."""
        return PAGE_MM[self.orientation][1] - 2 * MARGIN_MM

    @property
    def grid_cells(self) -> int:
        """The width of the grid in cells: the columns, a gap before each and one at the end."""
        return sum(c.width for c in self.columns) + len(self.columns) + 1

    def capacity(self, first: bool) -> int:
        """Body lines that fit on the first sheet or on a following one."""
        top = TITLE_MM + META_MM + self.intro_lines * self.line_mm if first else RUNNING_MM
        room = self.sheet_mm - top - len(self.header_lines) * self.line_mm - FOOT_MM - SLACK_MM
        return max(1, int(room // self.line_mm))

    def rules(self) -> list[float]:
        """Where the vertical rules between columns go, in em from the grid's left edge."""
        x, out = 0, []
        for column in self.columns[:-1]:
            x += 1 + column.width
            out.append((x + 0.5) / 2)
        return out


def available_cells(orientation: str, font_pt: float) -> int:
    """How many cells fit across a page at a font size."""
    width_pt = (PAGE_MM[orientation][0] - 2 * MARGIN_MM) / MM_PER_PT
    return int(width_pt // (font_pt / 2))


def fit_columns(
    columns: Sequence[Column], orientation: str | None = None
) -> tuple[str, float, tuple[Column, ...]]:
    """Choose orientation and font size so the columns fit; narrow the widest ones if needed."""
    total = sum(c.width for c in columns) + len(columns) + 1
    if orientation is None:
        orientation = (
            "portrait" if total <= available_cells("portrait", BASE_FONT_PT) else "landscape"
        )
    font = BASE_FONT_PT
    room = available_cells(orientation, font)
    if total > room:
        font = max(MIN_FONT_PT, round(BASE_FONT_PT * room / total, 2))
        room = available_cells(orientation, font)
    cols = list(columns)
    while sum(c.width for c in cols) + len(cols) + 1 > room:
        narrowable = [i for i, c in enumerate(cols) if c.width > max(4, c.floor)]
        if not narrowable:
            break
        widest = max(narrowable, key=lambda i: cols[i].width)
        cols[widest] = replace(cols[widest], width=cols[widest].width - 1)
    if orientation == "landscape" or len(cols) == len(columns):
        # give what is left to the last column, so the grid spans the page
        spare = room - (sum(c.width for c in cols) + len(cols) + 1)
        if spare > 0 and orientation == "landscape":
            cols[-1] = replace(cols[-1], width=cols[-1].width + spare)
    return orientation, font, tuple(cols)


def header_lines(columns: Sequence[Column]) -> tuple[str, ...]:
    """The column headings as grid lines (a long heading wraps inside its column)."""
    wrapped = [wrap(c.title, c.width) for c in columns]
    height = max(len(w) for w in wrapped)
    return tuple(
        " "
        + " ".join(
            pad(w[i] if i < len(w) else "", c.width, "center")
            for c, w in zip(columns, wrapped, strict=True)
        )
        for i in range(height)
    )


@dataclass
class Line:
    """One printed grid line; ``cls`` styles it ("end" draws a rule under it, "off" greys it)."""

    text: str
    cls: str = ""


def block_lines(
    columns: Sequence[Column],
    rows: Sequence[dict[str, str]],
    shared: dict[str, str] | None = None,
    row_classes: Sequence[str] = (),
) -> list[Line]:
    """The lines of one block: its rows one under the other, span columns flowing down them.

    ``rows`` hold the values of the row columns; ``shared`` those of the span columns
    (shown once, from the block's first line). The last line draws a rule under it.
    """
    shared = shared or {}
    per_row: list[list[list[str]]] = []
    for row in rows:
        per_row.append([wrap(row.get(c.key, ""), c.width) if not c.span else [] for c in columns])
    row_heights = [max((len(w) for w in r), default=1) for r in per_row]
    spans = {c.key: wrap(shared.get(c.key, ""), c.width) for c in columns if c.span}
    height = max(sum(row_heights) or 1, max((len(v) for v in spans.values()), default=1))
    lines: list[Line] = []
    n = 0
    for r_index, (cellsets, h) in enumerate(zip(per_row, row_heights, strict=True)):
        cls = row_classes[r_index] if r_index < len(row_classes) else ""
        for i in range(h):
            lines.append(Line(_join(columns, cellsets, i, spans, n), cls))
            n += 1
    while n < height:
        lines.append(Line(_join(columns, [[] for _ in columns], 0, spans, n)))
        n += 1
    if lines:
        lines[-1].cls = (lines[-1].cls + " end").strip()
    return lines


def _join(
    columns: Sequence[Column],
    cellsets: Sequence[list[str]],
    i: int,
    spans: dict[str, list[str]],
    n: int,
) -> str:
    parts = []
    for column, wrapped in zip(columns, cellsets, strict=True):
        if column.span:
            values = spans.get(column.key, [])
            text = values[n] if n < len(values) else ""
        else:
            text = wrapped[i] if i < len(wrapped) else ""
        parts.append(pad(text, column.width, column.align))
    return (" " + " ".join(parts)).rstrip()


@dataclass
class Sheet:
    """One page of a grid document: its number, the total, its lines."""

    number: int
    lines: list[Line] = field(default_factory=list)


def paginate(layout: Layout, blocks: Iterable[list[Line]], reserve: int = 0) -> list[list[Line]]:
    """Lines cut into pages; a block stays on one page when it fits on a page at all.

    ``reserve`` lines are kept free under the last line (the sign-off block): when the
    last page has no room for them, its last block moves to a page of its own, so that
    the signatures never stand alone on an empty page.
    """
    pages: list[list[Line]] = [[]]
    room = layout.capacity(first=True)
    last_start = 0  # where the last block begins on its page
    for block in blocks:
        if len(block) > room and pages[-1]:
            fits_whole = len(block) <= layout.capacity(first=False)
            if fits_whole or room < 3:
                pages.append([])
                room = layout.capacity(first=False)
        last_start = len(pages[-1]) if block else last_start
        for line in block:
            if room <= 0:
                pages.append([])
                room = layout.capacity(first=False)
                last_start = 0  # a block split over pages stays where it is
            pages[-1].append(line)
            room -= 1
    if reserve and room < reserve:
        later = layout.capacity(first=False)
        moved = pages[-1][last_start:] if last_start > 0 else []
        if moved and len(moved) + reserve <= later:
            del pages[-1][last_start:]
        else:
            moved = []
        pages.append(moved)
    return pages


def sheets_context(
    layout: Layout,
    pages: list[list[Line]],
    *,
    first_number: int = 1,
    total: int | None = None,
    with_title: bool = True,
) -> dict[str, Any]:
    """Plain data for templates/print/grid.html: geometry and the pages' lines."""
    total = total if total is not None else len(pages)
    return {
        "orientation": layout.orientation,
        "font_pt": layout.font_pt,
        "line_mm": layout.line_mm,
        "sheet_mm": layout.sheet_mm,
        "grid_em": layout.grid_cells / 2,
        "rules": layout.rules(),
        "rules_image": rules_image(layout.rules(), layout.grid_cells / 2, layout.font_pt),
        "header_lines": list(layout.header_lines),
        "sheets": [
            {
                "number": first_number + i,
                "total": total,
                "first": with_title and first_number + i == 1,
                "lines": [[line.text, line.cls] for line in page],
            }
            for i, page in enumerate(pages)
        ],
    }


def grid_document(
    layout: Layout,
    pages: list[list[Line]],
    *,
    heading: str,
    meta: Sequence[str],
    lang: str,
    intro: Sequence[str] = (),
    empty: str = "",
    signoff: str = "",
) -> dict[str, Any]:
    """The whole context of templates/print/grid.html: sheets, header words, page numbers.

    ``signoff`` (制表人、审核人、日期) goes under the last sheet's lines; paginate the
    document with ``reserve=SIGNOFF_LINES`` so that it has room there.
    """
    from census.printing.words import word

    context = sheets_context(layout, pages)
    for sheet in context["sheets"]:
        sheet["foot"] = word("page_of", lang, page=sheet["number"], pages=sheet["total"])
    if signoff and context["sheets"]:
        context["sheets"][-1]["signoff"] = signoff
    context.update(
        heading=heading,
        meta=list(meta),
        intro=list(intro),
        empty=empty,
        confidential=word("confidential", lang),
    )
    return context


def split_document(context: dict[str, Any], sheets_per_part: int) -> list[dict[str, Any]]:
    """A grid document cut into parts of at most ``sheets_per_part`` sheets, numbers kept."""
    sheets = context["sheets"]
    if len(sheets) <= sheets_per_part:
        return [context]
    return [
        {**context, "sheets": sheets[i : i + sheets_per_part]}
        for i in range(0, len(sheets), sheets_per_part)
    ]
