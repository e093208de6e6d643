"""Forms that other projects wrote (tests/surveys/public_xlsforms, see its manifest.json):
every one that pyxform converts is taken by ``census survey add``, its blank form opens, and
one submission made up for it (tests/surveys/submissions.py) is stored as the records API
stores it, read back, and found in the export: one row of the records sheet, and in each
repeat's sheet as many rows as the record has at that level, each keyed to its parent row.

pyxform 4.5 refuses three of the 41 (an unknown type "Select one from source", an element
with no label, a duplicate label column); the app takes the other 38.
"""

from __future__ import annotations

import html
import io
import json
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pyxform import xls2xform
from pyxform.errors import PyXFormError

from census.queries import lookup
from census.services import records
from census.sheets.survey_export import (
    PARENT_INDEX,
    PARENT_TABLE,
    RECORD_ID,
    SUBMISSION_ID,
    levels,
    survey_sheets,
    zip_bytes,
)
from census.surveys import custom
from census.surveys.definition import FieldDef
from census.surveys.photos import photo_names
from census.web.current import get_store
from tests.surveys.submissions import submission

CORPUS = Path(__file__).parent / "public_xlsforms"
FORMS = [entry["file"] for entry in json.loads((CORPUS / "manifest.json").read_text())["forms"]]
PYXFORM_REFUSES = {
    "kobocat__MCH_v1.xls",
    "kobocat__childrens_survey.xls",
    "kobocat__enumerator_weekly.xls",
}


def pyxform_accepts(path: Path) -> bool:
    try:
        xls2xform.convert(xlsform=str(path))
    except PyXFormError:
        return False
    return True


def test_the_corpus_is_all_there():
    assert len(FORMS) == 41 and all((CORPUS / name).is_file() for name in FORMS)


@pytest.mark.parametrize("name", FORMS)
def test_a_public_form_that_pyxform_takes_is_taken_and_opens(name, app, client, auth):
    path = CORPUS / name
    accepted_by_pyxform = pyxform_accepts(path)
    assert accepted_by_pyxform == (name not in PYXFORM_REFUSES)
    added = custom.add(app.extensions["census"], name, path.read_bytes())
    if not accepted_by_pyxform:
        return
    assert added.form is not None and not added.problems, [str(p) for p in added.problems]
    auth.login("admin")
    page = client.get(f"/survey/{added.form.name}/new")
    assert page.status_code == 200
    assert html.escape(added.form.text("zh"), quote=False) in page.get_data(as_text=True)
    stored = store_one(app, added.form)
    exported_as_stored(app, added.form, stored)


def store_one(app, form) -> dict[str, Any]:
    """A made-up submission saved as POST /api/v1/records/<name> saves it, and read back."""
    body, left = submission(form)
    assert not left, left
    store = get_store(app)
    result = records.save(store, form, body, user="admin")
    assert result.saved, [(p.path, p.code) for p in result.problems]
    stored = lookup.record(store, form.collection, result.id)
    assert stored is not None
    assert {k: stored.get(k) for k in result.record} == result.record
    return stored


def entries(fields: tuple[FieldDef, ...], doc: dict[str, Any], found: Counter) -> None:
    """How many rows each repeat (by its FieldDef) holds in a record, at every depth."""
    for f in fields:
        if f.type == "repeat":
            for item in doc.get(f.key) or []:
                found[id(f)] += 1
                entries(f.fields, item, found)


def answered(fields: list[FieldDef], doc: dict[str, Any]) -> int:
    return sum(1 for f in fields if doc.get(f.key) not in (None, "", []))


def exported_as_stored(app, form, stored: dict[str, Any]) -> None:
    """The record in the workbook read back: a sheet per repeat level, rows keyed, photos."""
    store = get_store(app)
    export = survey_sheets(store, form)
    data, photos = zip_bytes(store, form, export)
    names = photo_names(stored)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == sorted(
            [f"{form.name}.xlsx", *(f"photos/{n}" for n in names)]
        )
        book = load_workbook(io.BytesIO(archive.read(f"{form.name}.xlsx")))
    assert photos == len(names)
    sheets = {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}
    found = levels(form)
    assert list(sheets) == [level.title for level in found]
    counts: Counter = Counter()
    entries(form.fields, stored, counts)
    top_head, top_row = sheets[found[0].title]
    assert top_row[top_head.index(RECORD_ID)] == stored["id"]
    cells = [v for v in top_row[2:] if v is not None]
    assert len(cells) >= answered(found[0].fields, stored)  # every answer has its cell
    for level in found[1:]:
        head, *rows = sheets[level.title]
        assert len(rows) == counts[id(level.repeat)] >= 1, level.title  # each level reached
        parents = len(sheets[level.parent.title]) - 1
        for row in rows:
            assert row[head.index(SUBMISSION_ID)] == stored["id"]
            assert row[head.index(PARENT_TABLE)] == level.parent.title
            assert 1 <= row[head.index(PARENT_INDEX)] <= parents
    written = {v for rows in sheets.values() for row in rows[1:] for v in row}
    assert names <= written  # a photo is its file name in its cell
