"""Real spreadsheet files for the import tests, written with openpyxl (and csv) in tmp_path."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from census.surveys.definition import load_surveys

SURVEYS = load_surveys()


def write_book(
    path: Path, sheets: dict[str, list[list[Any]]], merged: dict[str, list[str]] | None = None
) -> Path:
    """An .xlsx file with these sheets of rows; ``merged`` lists ranges such as "B5:B6"."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(row)
        for cells in (merged or {}).get(title, []):
            ws.merge_cells(cells)
    book.save(path)
    return path


def write_csv(
    path: Path, rows: list[list[Any]], encoding: str = "utf-8", delimiter: str = ","
) -> Path:
    """A .csv file in some encoding."""
    with open(path, "w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path
