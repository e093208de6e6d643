"""How much of an uploaded spreadsheet the importer reads, and the error it gives beyond that.

The largest register we know of, 13,000 households (about 52,000 persons, 21 columns), is
a 5.4 MB XLSX whose sheet unpacks to 54 MB, or a 7.9 MB CSV; it has 1.1 million cells.
The limits leave about twice that room, and stop a hostile file (a compression bomb, a
sheet claiming row 1,048,576 or 16,384 columns, a 200,000-character cell, a billion
laughs) before the reader allocates for what it claims:

- the file itself: ``MAX_FILE_BYTES`` (the web upload and ``census import`` alike);
- XLSX parts, unpacked: each worksheet ``MAX_PART_BYTES``, the shared strings
  ``MAX_STRINGS_PART_BYTES``, the parts read whole (workbook, relationships, styles)
  ``MAX_SMALL_PART_BYTES``, all parts together ``MAX_ARCHIVE_BYTES``. The sizes the zip
  declares are checked before anything is unpacked, and the bytes are counted again while
  inflating, so a header that lies gets no further than the truth would;
- rows and columns: a cell holding a value lies on rows 1–``MAX_ROWS`` and in columns
  A–``MAX_COLUMNS`` (A to SF); empty or merely formatted cells further out are ignored,
  and only cells present are allocated (rows are sparse: a sheet with one cell on row
  90,000 costs 90,000 empty lists, not 90,000 rows of its width);
- ``MAX_CELLS`` cells in one file, ``MAX_CELL_CHARS`` characters in one cell (Excel's own
  limit), ``MAX_SHARED_STRINGS`` shared strings;
- sheets in a shape only openpyxl reads (about 30 times slower): ``MAX_SLOW_CELLS``.

Every refusal is a ``SheetError`` whose code names a message of ``issues.IMPORT_MESSAGES``
(Chinese and English) saying what was found and where (part, sheet, row, column).
"""

from __future__ import annotations

from typing import Any

MIB = 1024 * 1024
MAX_FILE_BYTES = 16 * MIB
MAX_PART_BYTES = 256 * MIB
MAX_STRINGS_PART_BYTES = 64 * MIB
MAX_SMALL_PART_BYTES = 16 * MIB
MAX_ARCHIVE_BYTES = 512 * MIB
MAX_PARTS = 10_000
MAX_SHEETS = 255
MAX_ROWS = 100_000
MAX_COLUMNS = 500
MAX_CELLS = 2_000_000
MAX_CELL_CHARS = 32_767
MAX_SHARED_STRINGS = 1_000_000
MAX_ROW_BYTES = 32 * MIB  # the XML of one row (or of what precedes the next row's end)
MAX_MERGES = 100_000
MAX_SLOW_CELLS = 250_000


class SheetError(ValueError):
    """A file that cannot be read at all; ``code`` names the message in the catalogue."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code, self.params = code, params

    def __str__(self) -> str:
        return f"{self.code} {self.params}" if self.params else self.code


def size_text(n: int) -> str:
    """A byte count as people read it: 812 B, 1.8 KB, 16 MB, 2.0 GB."""
    if n < 1024:
        return f"{n} B"
    for unit in ("KB", "MB", "GB", "TB"):
        n /= 1024
        if n < 1024 or unit == "TB":
            return f"{n:.1f} {unit}" if n < 10 else f"{n:.0f} {unit}"
    return f"{n} B"  # pragma: no cover


def column_letter(index: int) -> str:
    """0-based column index -> A, B, … Z, AA …"""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


LAST_COLUMN = column_letter(MAX_COLUMNS - 1)


def too_many_rows(sheet: str, row: int) -> SheetError:
    return SheetError("too_many_rows", sheet=sheet, row=f"{row:,}", limit=f"{MAX_ROWS:,}")


def too_many_columns(sheet: str, row: int, column: int) -> SheetError:
    return SheetError(
        "too_many_columns",
        sheet=sheet,
        row=f"{row:,}",
        column=column_letter(column),
        limit=MAX_COLUMNS,
        last=LAST_COLUMN,
    )


def cell_too_long(sheet: str, row: int, column: int, length: int) -> SheetError:
    return SheetError(
        "cell_too_long",
        sheet=sheet,
        row=f"{row:,}",
        column=column_letter(column),
        length=f"{length:,}",
        limit=f"{MAX_CELL_CHARS:,}",
    )


class Budget:
    """The cells one file may still hold (counted over all its sheets)."""

    def __init__(self, limit: int = MAX_CELLS, code: str = "too_many_cells") -> None:
        self.limit, self.left, self.code = limit, limit, code

    def take(self, n: int, sheet: str, row: int | str) -> None:
        """Count ``n`` more cells found at a sheet row; refuse past the limit."""
        self.left -= n
        if self.left < 0:
            shown = f"{row:,}" if isinstance(row, int) else row
            raise SheetError(self.code, sheet=sheet, row=shown, limit=f"{self.limit:,}")
