"""Real spreadsheet files for the import tests, written with openpyxl (and csv) in tmp_path."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from click.testing import CliRunner
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


def census_cli(data_dir: Path):
    """``run("import", path, "--dry-run")``: the command line on one data folder."""
    from census.cli import main

    env = {"CENSUS_DATA_DIR": str(data_dir), "CENSUS_FSYNC": "false"}

    def run(*args: str):
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)

    return run


def wizard_upload(client, data: bytes, name: str) -> str:
    """Upload a household sheet to the import wizard as a browser would; its upload id."""
    from tests.conftest import csrf_token

    token = csrf_token(client, "/sheets/")
    response = client.post(
        "/sheets/upload",
        data={"csrf_token": token, "form": "household", "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )
    match = re.search(r"/sheets/import/([0-9a-f]{16})", response.headers["Location"])
    assert match, response.headers.get("Location")
    return match.group(1)
