"""Reading an uploaded XLSX or CSV file into plain rows of cell values, within bounds.

XLSX is read by the streaming reader of ``census.sheets.xlsx``, with openpyxl in read-only
mode for the shapes it does not know; values only. Cells merged across rows (a household
number written once for the whole household) are filled into every cell they cover, as
the sheet shows them. CSV is decoded as UTF-8 (with or without a BOM), UTF-16 (with a BOM,
as Excel's "Unicode text" writes it) or GB18030, which is what Excel on a Chinese Windows
writes.

Whatever the file, the reader stays within ``census.sheets.limits``: the file's size, what
its zip unpacks to, rows, columns, cells and the length of a cell. A file that is not what
its name says (a PNG, an old .xls, a CSV named .xlsx), a broken zip, a hostile one or one
too large is refused with a ``SheetError`` whose message says what and where, before
anything is stored. A row holds the cells up to its last value (rows are not padded to
the sheet's width; an empty row is ``[]``).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from census.sheets.limits import (
    MAX_CELL_CHARS,
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    MAX_SLOW_CELLS,
    Budget,
    SheetError,
    cell_too_long,
    column_letter,
    size_text,
    too_many_columns,
    too_many_rows,
)
from census.sheets.xlsx import _ANY_CELL, _ANY_SI, Archive, Book, Unsupported
from census.util.gcpause import paused_gc

Progress = Callable[[str, int, int], None]  # step ("read", "check", "save"), done, total

__all__ = ["CSV_TYPES", "XLSX_TYPES", "Sheet", "SheetError", "read_csv", "read_file"]

XLSX_TYPES = (".xlsx", ".xlsm")
CSV_TYPES = (".csv", ".txt")
# No field can be longer than the file; the cell limit is checked with its row and column.
csv.field_size_limit(max(csv.field_size_limit(), MAX_FILE_BYTES))
# Separators in one CSV record beyond which it cannot be a row of MAX_COLUMNS cells, even
# with commas inside quoted text: refused before the csv module makes a list of them.
MAX_RECORD_SEPARATORS = 100 * MAX_COLUMNS

_SIGNATURES = (
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"PK\x07\x08", "zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"%PDF", "PDF"),
    (b"BM", "BMP"),
    (b"\x1f\x8b", "gzip"),
    (b"Rar!", "RAR"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"<?xml", "xml"),
)
KIND_NAMES = {
    "PNG": ("PNG 图片", "a PNG image"),
    "JPEG": ("JPEG 图片", "a JPEG image"),
    "GIF": ("GIF 图片", "a GIF image"),
    "BMP": ("BMP 图片", "a BMP image"),
    "PDF": ("PDF 文档", "a PDF document"),
    "gzip": ("gzip 压缩包", "a gzip archive"),
    "RAR": ("RAR 压缩包", "a RAR archive"),
    "7z": ("7z 压缩包", "a 7z archive"),
    "xml": ("XML 文件（可能是 Excel 2003 XML 表格）", "an XML file (Excel 2003 XML?)"),
}


@dataclass
class Sheet:
    """One worksheet (or a CSV file): its name and its rows, row 1 first."""

    name: str
    rows: list[list[Any]]


def sniff(head: bytes) -> str:
    """What the first bytes of a file say it is: zip, ole (old .xls), PNG …, or text."""
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    return "text"


def _is_text(head: bytes) -> bool:
    """The first bytes of a file read as text (a partial last character allowed)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _looks_utf16(head):
        return True
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            head[: max(len(head) - 4, 1)].decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


def check_file(path: Path, filename: str | None = None) -> str:
    """Refuse a file that is too large, empty, or not what its name says; its kind."""
    name = Path(filename or path.name)
    suffix = name.suffix.lower()
    if suffix not in XLSX_TYPES + CSV_TYPES:
        raise SheetError("file_type", ext=suffix or "?")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise SheetError("file_too_large", size=size_text(size), limit=size_text(MAX_FILE_BYTES))
    if size == 0:
        raise SheetError("file_empty", name=name.name)
    with open(path, "rb") as fh:
        head = fh.read(4096)
    kind = sniff(head)
    if kind == "ole":
        raise SheetError("xls_old", name=name.name)
    if kind in KIND_NAMES and kind != "xml":
        zh, en = KIND_NAMES[kind]
        raise SheetError("file_kind", name=name.name, ext=suffix, kind_zh=zh, kind_en=en)
    if suffix in XLSX_TYPES and kind != "zip":
        if kind == "xml":
            zh, en = KIND_NAMES[kind]
            raise SheetError("file_kind", name=name.name, ext=suffix, kind_zh=zh, kind_en=en)
        if _is_text(head):
            raise SheetError("xlsx_is_text", name=name.name, ext=suffix)
        raise SheetError("xlsx_damaged", reason="not a zip file")
    if suffix in CSV_TYPES and kind == "zip":
        raise SheetError("csv_is_xlsx", name=name.name, ext=suffix)
    return kind


def read_file(
    path: Path, filename: str | None = None, progress: Progress | None = None
) -> list[Sheet]:
    """Read the sheets of a file; its type comes from ``filename`` (default: the path).

    ``progress("read", done, total)`` is called as the file is read (bytes unpacked).
    """
    check_file(path, filename)
    name = Path(filename or path.name)
    if name.suffix.lower() in XLSX_TYPES:
        with paused_gc():
            return read_xlsx(path, progress)
    if progress is not None:
        progress("read", 0, 1)
    with paused_gc():
        sheet = read_csv(path.read_bytes(), name.stem)
    if progress is not None:
        progress("read", 1, 1)
    return [sheet]


def read_xlsx(path: Path, progress: Progress | None = None) -> list[Sheet]:
    """Every worksheet of an XLSX file, merged cells filled in.

    The fast reader (``xlsx.Book``) reads what Excel, WPS and openpyxl write; a shape it
    does not know goes to openpyxl, after the same checks. A file refused for its size or
    content (``SheetError``) is refused, not read again.
    """
    try:
        book = Book(str(path))
    except Unsupported:
        return _read_xlsx_openpyxl(path)
    if progress is not None:
        parts = [part for _name, part in book.sheets]
        total = sum(book.zip.getinfo(part).file_size for part in parts) or 1
        start = book.archive.unpacked
        book.archive.progress = lambda n: progress("read", min(n - start, total), total)
    try:
        budget = Budget()
        sheets = []
        for name, part in book.sheets:
            rows, merges = book.read(part, name, budget)
            _trim(rows)
            _fill_merged(rows, merges, name, budget)
            sheets.append(Sheet(name, rows))
        return sheets
    except SheetError:
        raise
    except Exception:  # a sheet this reader does not understand: openpyxl reads it
        return _read_xlsx_openpyxl(path)
    finally:
        book.close()


def _trim(rows: list[list[Any]]) -> None:
    while rows and all(v is None or v == "" for v in rows[-1]):
        rows.pop()


def _read_xlsx_openpyxl(path: Path) -> list[Sheet]:
    """The reference reader: openpyxl in read-only mode, within the same bounds.

    Before openpyxl opens it, the archive is checked as for the fast reader, every XML part
    is refused if it declares a DOCTYPE, and the cells and shared strings are counted
    (openpyxl takes about 30 µs a cell: at most ``MAX_SLOW_CELLS`` are given to it).
    """
    archive = Archive(str(path))
    try:
        archive.check_prologs()
        worksheets = sorted(n for n in archive.names if n.startswith("xl/worksheets/"))
        cells = sum(archive.count(n, _ANY_CELL) for n in worksheets)
        if cells > MAX_SLOW_CELLS:
            raise SheetError("slow_too_large", cells=f"{cells:,}", limit=f"{MAX_SLOW_CELLS:,}")
        strings = next((n for n in archive.names if n.endswith("sharedStrings.xml")), None)
        if strings is not None and archive.count(strings, _ANY_SI) > MAX_SLOW_CELLS:
            raise SheetError(
                "slow_too_large", cells=f"> {MAX_SLOW_CELLS:,}", limit=f"{MAX_SLOW_CELLS:,}"
            )
        merged = {n: _merges_of(archive, n) for n in worksheets}
    finally:
        archive.close()
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        raise SheetError("file_unreadable", reason=type(exc).__name__) from None
    try:
        budget = Budget(MAX_CELLS)
        sheets = []
        for ws in book.worksheets:
            ws.reset_dimensions()  # some writers store a wrong size; read what is there
            source = ws.iter_rows(values_only=True)
            try:
                rows = _bounded_rows(ws.title, source, budget)
            finally:
                # a sheet refused part-way: its rows' reader closed now, and with it the
                # file it holds open (left to the collector, it was closed in some later
                # test, or request, with a ResourceWarning)
                source.close()
            _trim(rows)
            part = getattr(ws, "_worksheet_path", "")
            _fill_merged(rows, merged.get(part, []), ws.title, budget)
            sheets.append(Sheet(ws.title, rows))
        return sheets
    except SheetError:
        raise
    except Exception as exc:  # a part openpyxl cannot read either
        raise SheetError("file_unreadable", reason=type(exc).__name__) from None
    finally:
        book.close()


def _merges_of(archive: Archive, part: str) -> list[tuple[int, int, int, int]]:
    """The merged ranges of a worksheet, streamed (read-only openpyxl does not read them)."""
    with archive.open(part) as fh:
        return archive.merges(fh, b"", part)


def _bounded_rows(sheet: str, source: Any, budget: Budget) -> list[list[Any]]:
    """openpyxl's rows, each cut after its last value, within the row/column/cell limits."""
    rows: list[list[Any]] = []
    number = 0
    for values in source:
        number += 1
        last = len(values) - 1
        while last >= 0 and values[last] is None:
            last -= 1
        if last < 0:
            continue
        if last >= MAX_COLUMNS:
            raise too_many_columns(sheet, number, last)
        if number > MAX_ROWS:
            raise too_many_rows(sheet, number)
        row = list(values[: last + 1])
        for column, value in enumerate(row):
            if value.__class__ is str and len(value) > MAX_CELL_CHARS:
                raise cell_too_long(sheet, number, column, len(value))
        budget.take(len(row), sheet, number)
        rows.extend([] for _ in range(number - 1 - len(rows)))
        rows.append(row)
    return rows


def _fill_merged(
    rows: list[list[Any]],
    ranges: list[tuple[int, int, int, int]],
    sheet: str = "",
    budget: Budget | None = None,
) -> None:
    """Copy each merged range's value into the cells it covers (the cells of rows read, in
    columns up to the column limit; the cells filled count against ``budget``)."""
    for r1, c1, r2, c2 in ranges:
        if r1 >= len(rows) or c1 >= len(rows[r1]) or rows[r1][c1] is None:
            continue
        if r2 < r1 or c2 < c1:
            continue
        value = rows[r1][c1]
        last_row = min(r2, len(rows) - 1)
        last_column = min(c2, MAX_COLUMNS - 1)
        covered = (last_row - r1 + 1) * (last_column - c1 + 1) - 1
        if budget is not None:
            if covered > budget.left:
                raise SheetError(
                    "merge_too_large",
                    sheet=sheet,
                    range=f"{column_letter(c1)}{r1 + 1}:{column_letter(c2)}{r2 + 1}",
                    cells=f"{covered:,}",
                    limit=f"{budget.limit:,}",
                )
            budget.take(covered, sheet, r1 + 1)
        for r in range(r1, last_row + 1):
            row = rows[r]
            if len(row) <= last_column:
                row.extend([None] * (last_column + 1 - len(row)))
            for c in range(c1, last_column + 1):
                if (r, c) != (r1, c1):
                    row[c] = value


# -- CSV -----------------------------------------------------------------------------------


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _looks_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM: its digits, separators and line ends have a NUL byte on one
    side (UTF-8 and GB18030 text has none)."""
    sample = data[:4096]
    if len(sample) < 4 or b"\x00" not in sample:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd and not even:
        return "utf-16-le"
    if even and not odd:
        return "utf-16-be"
    return None


def decode(data: bytes) -> str:
    """Text of a CSV file: UTF-8 (BOM or not), UTF-16 (BOM, or plainly so), else GB18030.

    Bytes none of them reads are refused with the line they are on.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    elif (plain16 := _looks_utf16(data)) is not None:
        encodings = (plain16, "utf-8-sig", "gb18030")
    else:
        encodings = ("utf-8-sig", "gb18030")
    first_error: UnicodeDecodeError | None = None
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as error:
            # where the most permissive encoding tried (the last one) failed
            first_error = error
            continue
    assert first_error is not None
    start = first_error.start
    shown = " ".join(f"{b:02X}" for b in data[start : start + 4])
    raise SheetError("csv_encoding", row=f"{_line_of(data, start):,}", bytes=shown)


def _delimiter(text: str) -> str:
    # The separator is the one used most in the first lines (csv.Sniffer is easily
    # misled by Chinese text): comma unless the file clearly uses ; or tabs.
    sample = "\n".join(text[:65536].splitlines()[:5])
    return max(",;\t", key=lambda sep: (sample.count(sep), sep == ","))


def read_csv(data: bytes, name: str = "CSV") -> Sheet:
    """One CSV file as a sheet of text cells (comma, semicolon or tab separated).

    Rows, columns, cells and cell lengths are bounded as for XLSX; a record is checked
    before it is kept, and a line with more separators than any row of ``MAX_COLUMNS``
    cells can hold is refused before the csv module splits it.
    """
    text = decode(data)
    if "\x00" in text:
        raise SheetError("csv_binary", row=f"{text.count(chr(10), 0, text.index(chr(0))) + 1:,}")
    delimiter = _delimiter(text)
    rows: list[list[Any]] = []
    state = {"separators": 0, "records": 0}

    def lines():
        for line in io.StringIO(text, newline=""):
            state["separators"] += line.count(delimiter)
            if state["separators"] > MAX_RECORD_SEPARATORS:
                raise too_many_columns(name, state["records"] + 1, MAX_COLUMNS)
            yield line

    budget = Budget()
    try:
        for number, record in enumerate(csv.reader(lines(), delimiter=delimiter), 1):
            state["separators"], state["records"] = 0, number
            while record and not record[-1]:
                record.pop()
            if not record or not any(v.strip() for v in record):
                continue
            if len(record) > MAX_COLUMNS:
                column = next(n for n in range(MAX_COLUMNS, len(record)) if record[n])
                raise too_many_columns(name, number, column)
            if number > MAX_ROWS:
                raise too_many_rows(name, number)
            longest = max(map(len, record))
            if longest > MAX_CELL_CHARS:
                column = next(n for n, v in enumerate(record) if len(v) > MAX_CELL_CHARS)
                raise cell_too_long(name, number, column, longest)
            budget.take(len(record), name, number)
            if len(rows) < number - 1:
                rows.extend([] for _ in range(number - 1 - len(rows)))
            rows.append([v if v != "" else None for v in record])
    except csv.Error as error:
        row = f"{state['records'] + 1:,}"
        raise SheetError("csv_broken", sheet=name, row=row, reason=str(error)) from None
    return Sheet(name, rows)
