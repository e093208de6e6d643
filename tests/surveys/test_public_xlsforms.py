"""Forms that other projects wrote (tests/surveys/public_xlsforms, see its manifest.json):
every one that pyxform converts is taken by ``census survey add`` and its blank form opens.

pyxform 4.5 refuses three of the 41 (an unknown type "Select one from source", an element
with no label, a duplicate label column); the app takes the other 38.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest
from pyxform import xls2xform
from pyxform.errors import PyXFormError

from census.surveys import custom

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
