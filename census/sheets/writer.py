"""Writing rows to XLSX and CSV, safely: the one place every export goes through.

Every text cell that a spreadsheet program could take for a formula (it starts with
= + - @, a tab or a carriage return) gets a single quote in front, as the OWASP guidance
on CSV injection advises; the importer takes it off again (``cells.unguard``), so an
export read back is unchanged. Registers call ``write_xlsx`` / ``export_rows`` too.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from census.domain.display import value_text, yes_no

Rows = Sequence[Sequence[Any]]
SheetData = tuple[Sequence[str], Rows]
_DANGER = re.compile(r"^'*[=+\-@\t\r]")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in XLSX XML
MAX_WIDTH = 40
SHEET_TITLE_MAX = 31


def neutralise(value: Any) -> Any:
    """A text that cannot run as a formula: '=1+1 for =1+1; other values unchanged."""
    if isinstance(value, str) and _DANGER.match(value):
        return "'" + value
    return value


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, str):
        return _ILLEGAL.sub("", neutralise(value))
    if isinstance(value, list | tuple | bool):
        return _xlsx_value(value_text(None, value))
    return value


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        value = value_text(None, value)
    return _ILLEGAL.sub("", str(neutralise(str(value))))


def _width(header: str, rows: Rows, index: int) -> float:
    """A column width that fits the header and the first rows (CJK characters count double)."""
    texts = [header] + [
        str(r[index]) for r in rows[:200] if index < len(r) and r[index] is not None
    ]
    widest = max(sum(2 if ord(ch) > 0x2E7F else 1 for ch in t) for t in texts)
    return min(MAX_WIDTH, widest + 2)


def write_xlsx(target: str | Path | IO[bytes], sheets: dict[str, SheetData]) -> None:
    """Write sheets of (headers, rows) to an XLSX file or binary stream.

    Headers are bold and frozen; dates become date cells; lists are joined with 、; True
    and False are written 是 and 否; text is neutralised against formula injection.
    """
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, (headers, rows) in sheets.items():
        ws = book.create_sheet(sheet_title(title))
        ws.freeze_panes = "A2"
        for index, header in enumerate(headers):
            ws.column_dimensions[get_column_letter(index + 1)].width = _width(header, rows, index)
        head = []
        for header in headers:
            cell = WriteOnlyCell(ws, _xlsx_value(header))
            cell.font = bold
            cell.alignment = Alignment(vertical="center")
            head.append(cell)
        ws.append(head)
        for row in rows:
            ws.append([_xlsx_value(v) for v in row])
    if not sheets:
        book.create_sheet("Sheet1")
    book.save(target)


def sheet_title(title: str) -> str:
    """A legal sheet title: at most 31 characters, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", "_", title)[:SHEET_TITLE_MAX] or "Sheet"


def write_csv(target: str | Path | IO[str], headers: Sequence[str], rows: Rows) -> None:
    """Write one table as CSV: UTF-8 with a BOM (so Excel shows Chinese), neutralised."""
    if isinstance(target, str | Path):
        with open(target, "w", encoding="utf-8-sig", newline="") as fh:
            write_csv(fh, headers, rows)
        return
    writer = csv.writer(target)
    writer.writerow([_csv_value(h) for h in headers])
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])


def csv_bytes(headers: Sequence[str], rows: Rows) -> bytes:
    """The CSV of one table as bytes, BOM included."""
    buffer = io.StringIO()
    write_csv(buffer, headers, rows)
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(sheets: dict[str, SheetData]) -> bytes:
    """The XLSX of some sheets as bytes."""
    buffer = io.BytesIO()
    write_xlsx(buffer, sheets)
    return buffer.getvalue()


def export_rows(
    columns: Sequence[str], rows: Rows, path: str | Path, *, sheet: str = "Sheet1"
) -> None:
    """Write one table to ``path``: XLSX or CSV by its suffix (for registers and reports)."""
    if Path(path).suffix.lower() == ".csv":
        write_csv(path, columns, rows)
    else:
        write_xlsx(path, {sheet: (columns, rows)})
