"""A sample of the public XLSForm corpus filled on the tablet in Chromium, as a surveyor would.

Four forms other people wrote (tests/surveys/public_xlsforms): a household with three
rosters, one inside another; a cascading select (state, county, city); a location taken
from the tablet; nested repeats behind a yes/no, with a location and several choices.
Each is added as staff add it, opened on the tablet, filled from the submission made up
for the corpus test (tests/surveys/submissions.py) — each question shown is answered as a
person would: typed, chosen, ticked, located, rows added — saved, and found in the store
as the server's own checks read the same answers, then in the export, one row per entry.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from census.sheets.survey_export import levels, survey_sheets
from census.surveys import custom
from census.surveys.definition import SILENT_TYPES, FieldDef
from census.surveys.validate import clean
from tests.e2e.conftest import PASSWORD, PORTRAIT, TIMEOUT_MS
from tests.e2e.test_xlsform_tablet import wait_until
from tests.surveys.submissions import TODAY, submission

CORPUS = Path(__file__).parent.parent / "surveys" / "public_xlsforms"
WHERE = {"latitude": 43.825592, "longitude": 87.616848, "accuracy": 12}
SAMPLE = [
    "kobocat__household.xls",  # three repeats, a child roster inside the women's
    "kobocat__new_cascading_select.xls",  # county offered by state, city by county
    "kobocat__grouped_gps.xls",  # a location inside a group
    "kobocat__nested_repeats.xls",  # a repeat in a repeat behind a choice, and a location
]


def by_id(ident: str) -> str:
    return f"[id='{ident}']"


def fill(page: Any, fields: tuple[FieldDef, ...], body: dict[str, Any], prefix: str = "") -> int:
    """Answer each question the page shows, in order; how many were answered."""
    done = 0
    for f in fields:
        ident, value = f"{prefix}{f.key}", body.get(f.key)
        if f.type == "repeat":
            done += fill_roster(page, f, value or [], ident)
        elif f.type in SILENT_TYPES or f.type == "note" or f.read_only or value in (None, ""):
            continue
        elif f.type in ("select_many", "yes_no"):
            codes = value if isinstance(value, list) else [value]
            boxes = [page.locator(f"input[name='{ident}'][value='{c}']") for c in codes]
            if boxes[0].is_visible():
                for box in boxes:
                    box.check()
                done += 1
        elif f.type == "geopoint":
            if page.locator(by_id(ident)).is_visible():
                page.locator(f"button[data-locate='{ident}']").tap()
                wait_until(page, lambda i=ident: page.locator(by_id(i)).input_value() != "")
                done += 1
        elif f.type == "image":
            raise AssertionError("no photo in this sample")  # the photo test covers them
        elif page.locator(by_id(ident)).is_visible():
            box = page.locator(by_id(ident))
            if box.evaluate("el => el.tagName") == "SELECT":
                box.select_option(str(value))
            else:
                box.fill(str(value))
            done += 1
    return done


def fill_roster(page: Any, f: FieldDef, rows: list[dict[str, Any]], ident: str) -> int:
    """As many entries as the answers have (adding them, unless a count makes them)."""
    section = page.locator(f"section[data-name='{ident}']")
    if not rows or not section.is_visible():
        return 0
    live = section.locator(":scope > fieldset.member:not([hidden])")
    if f.count is None:
        while live.count() < len(rows):
            section.locator(":scope > button.add").tap()
    wait_until(page, lambda: live.count() == len(rows))
    done = 0
    for n, row in enumerate(rows):
        name = live.nth(n).get_attribute("data-name")
        done += fill(page, f.fields, row, f"{name}-")
    return done


def answers(fields: tuple[FieldDef, ...], doc: dict[str, Any]) -> dict[str, Any]:
    """What a record holds for the questions, a location to its latitude and longitude."""
    out: dict[str, Any] = {}
    for f in fields:
        value = doc.get(f.key)
        if f.type == "repeat":
            out[f.key] = [answers(f.fields, row) for row in value or []]
        elif f.type == "geopoint" and value:
            out[f.key] = value.split()[:2]
        else:
            out[f.key] = value
    return out


@pytest.mark.parametrize("name", SAMPLE)
def test_a_corpus_form_filled_on_the_tablet_is_stored_and_exported(name, browser, live_server):
    census = live_server.app.extensions["census"]
    added = custom.add(census, name, (CORPUS / name).read_bytes())
    assert added.form is not None, [str(p) for p in added.problems]
    form = added.form
    body, left = submission(form)
    assert not left, left
    expected, _problems = clean(form, body, today=TODAY)
    context = browser.new_context(
        base_url=live_server.url,
        viewport=PORTRAIT,
        has_touch=True,
        is_mobile=True,
        locale="zh-CN",
        geolocation=WHERE,
        permissions=["geolocation"],
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto("/login")
        page.locator("#username").fill("admin")
        page.locator("#password").fill(PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="登录").tap()
        page.goto(f"/survey/{form.name}/new")
        answered = fill(page, form.fields, body)
        assert answered >= 2
        page.get_by_role("button", name="保存").tap()
        store = live_server.store.collection(form.collection)
        problems = page.locator("#form-problems")
        wait_until(page, lambda: len(store) == 1 or problems.is_visible())
        assert len(store) == 1, page.locator(".error").all_inner_texts()
        (record,) = store.scan()
        assert answers(form.fields, record) == answers(form.fields, expected)
        assert errors == []
    finally:
        context.close()
    export = survey_sheets(live_server.store, form)
    counts: Counter = Counter()
    rows_per_repeat(form.fields, record, counts)
    assert [len(rows) for _h, rows in export.sheets.values()] == [1] + [
        counts[id(level.repeat)] for level in levels(form)[1:]
    ]


def rows_per_repeat(fields: tuple[FieldDef, ...], doc: dict[str, Any], found: Counter) -> None:
    """How many entries each repeat (by its definition) holds in a record, at every depth."""
    for f in fields:
        if f.type == "repeat":
            for item in doc.get(f.key) or []:
                found[id(f)] += 1
                rows_per_repeat(f.fields, item, found)
