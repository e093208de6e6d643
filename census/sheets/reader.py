"""Reading an uploaded XLSX or CSV file into plain rows of cell values.

XLSX is read with openpyxl in read-only mode (rows stream from the zip, so 50,000 rows
stay cheap), values only. Cells merged across rows (a household number written once for
the whole household) are filled into every cell they cover, as the sheet shows them.
CSV is decoded as UTF-8 (with or without a BOM) and falls back to GB18030, which is what
Excel on a Chinese Windows writes.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string

from census.gcpause import paused_gc
from census.sheets.xlsx import Book

XLSX_TYPES = (".xlsx", ".xlsm")
CSV_TYPES = (".csv", ".txt")
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


class SheetError(ValueError):
    """A file that cannot be read at all; ``code`` names the message in the catalogue."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code, self.params = code, params


@dataclass
class Sheet:
    """One worksheet (or a CSV file): its name and its rows, row 1 first."""

    name: str
    rows: list[list[Any]]


def read_file(path: Path, filename: str | None = None) -> list[Sheet]:
    """Read the sheets of a file; its type comes from ``filename`` (default: the path)."""
    suffix = Path(filename or path.name).suffix.lower()
    if suffix in XLSX_TYPES:
        with paused_gc():
            return read_xlsx(path)
    if suffix in CSV_TYPES:
        with paused_gc():
            return [read_csv(path.read_bytes(), Path(filename or path.name).stem)]
    raise SheetError("file_type", ext=suffix or "?")


def read_xlsx(path: Path) -> list[Sheet]:
    """Every worksheet of an XLSX file, merged cells filled in.

    The fast reader (``xlsx.Book``) reads what Excel, WPS and openpyxl write; anything it
    does not know goes to openpyxl.
    """
    try:
        book = Book(str(path))
    except Exception:  # anything unexpected in the workbook's parts: let openpyxl judge it
        return _read_xlsx_openpyxl(path)
    try:
        sheets = []
        for name, part in book.sheets:
            rows, merges = book.read(part)
            _trim(rows)
            _fill_merged(rows, merges)
            sheets.append(Sheet(name, rows))
        return sheets
    except Exception:  # a sheet this reader does not understand: openpyxl reads it
        return _read_xlsx_openpyxl(path)
    finally:
        book.close()


def _trim(rows: list[list[Any]]) -> None:
    while rows and all(v is None or v == "" for v in rows[-1]):
        rows.pop()


def _read_xlsx_openpyxl(path: Path) -> list[Sheet]:
    """The reference reader: openpyxl in read-only mode."""
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        raise SheetError("file_unreadable", reason=type(exc).__name__) from None
    try:
        sheets = []
        for ws in book.worksheets:
            ws.reset_dimensions()  # some writers store a wrong size; read what is there
            rows = [list(row) for row in ws.iter_rows(values_only=True)]
            _trim(rows)
            _fill_merged(rows, _merged_ranges(book, ws))
            sheets.append(Sheet(ws.title, rows))
        return sheets
    finally:
        book.close()


def _merged_ranges(book: Any, ws: Any) -> list[tuple[int, int, int, int]]:
    """(first row, first col, last row, last col), 0-based, of the merged cells of a sheet.

    Read-only worksheets do not parse <mergeCells>; it is read from the sheet XML here.
    """
    try:
        with book._archive.open(ws._worksheet_path) as fh:
            xml = fh.read()
    except (AttributeError, KeyError, OSError):
        return []
    return [
        (
            int(r1) - 1,
            column_index_from_string(c1.decode()) - 1,
            int(r2) - 1,
            column_index_from_string(c2.decode()) - 1,
        )
        for c1, r1, c2, r2 in _MERGE.findall(xml)
    ]


def _fill_merged(rows: list[list[Any]], ranges: list[tuple[int, int, int, int]]) -> None:
    for r1, c1, r2, c2 in ranges:
        if r1 >= len(rows) or c1 >= len(rows[r1]):
            continue
        value = rows[r1][c1]
        for r in range(r1, min(r2, len(rows) - 1) + 1):
            row = rows[r]
            if len(row) <= c2:
                row.extend([None] * (c2 + 1 - len(row)))
            for c in range(c1, c2 + 1):
                if (r, c) != (r1, c1):
                    row[c] = value


def decode(data: bytes) -> str:
    """Text of a CSV file: UTF-8 (BOM or not), else GB18030."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SheetError("csv_encoding")


def read_csv(data: bytes, name: str = "CSV") -> Sheet:
    """One CSV file as a sheet of text cells (comma, semicolon or tab separated)."""
    text = decode(data)
    # The separator is the one used most in the first lines (csv.Sniffer is easily
    # misled by Chinese text): comma unless the file clearly uses ; or tabs.
    sample = "\n".join(text.splitlines()[:5])
    delimiter = max(",;\t", key=lambda sep: (sample.count(sep), sep == ","))
    rows = [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    while rows and all(not v.strip() for v in rows[-1]):
        rows.pop()
    return Sheet(name, [[v if v != "" else None for v in row] for row in rows])
