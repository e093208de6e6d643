"""Every spreadsheet and CSV the site hands out, with formula payloads in the records.

Households, storefronts, units and work records hold ``=HYPERLINK(...)``, ``+1+2``, ``-3``
and ``@SUM(A1)`` in their text fields, a surveyor's name and a failed login's username are
payloads too, and an uploaded import file carries them. Every route of ``url_map`` that
answers a .csv or .xlsx is then downloaded as an admin and read with openpyxl or csv: no
cell may be a formula or start with = + - @ (the sheet writer puts an apostrophe in front),
and where the route lists such records, the payload must really be there, neutralised.
A new download route without a row in ``DOWNLOADS`` fails the test.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from census.services import records
from census.services.accounts import add_user
from census.web.current import context
from census.worklog.store import registers as work_registers
from tests.conftest import FAST_HASH, PASSWORD, Auth, csrf_token
from tests.factories import make_household, make_member, make_storefront

LINK = '=HYPERLINK("http://x","open")'
PAYLOADS = (LINK, "+1+2", "-3", "@SUM(A1)", "=1+2")
DANGER = tuple("=+-@\t\r")
TODAY = date.today().isoformat()


def _household() -> dict[str, Any]:
    head = make_member(0, name=LINK, hukou_address="+1+2")
    spouse = make_member(1, name="@SUM(A1)", hukou_address="-3")
    child = make_member(2)
    return make_household(
        members=0,
        household_no="=1+2",
        notes=LINK,
        housing="rented",
        landlord_name="-3",
        landlord_phone="13998765432",
    ) | {"members": [head, spouse, child]}


def _twin() -> dict[str, Any]:
    """A second household holding the first's head: a finding of the checks report."""
    return make_household(members=0, room="102", notes="+1+2") | {"members": [make_member(0)]}


WORK = {
    "visit": {"date": TODAY, "kind": "care", "visitors": LINK, "notes": "+1+2",
              "households": [{"household": "H0001"}]},
    "mediation": {"date": TODAY, "kind": "neighbour", "matter": LINK, "proceedings": "-3",
                  "parties": [{"name": "@SUM(A1)"}, {"name": "乙"}], "outcome": "resolved"},
    "activity": {"date": TODAY, "title": LINK, "kind": "festival", "place": "@SUM(A1)",
                 "participants": 3},
    "volunteer": {"person": "H0001/张伟", "team": LINK, "notes": "-3", "joined_date": TODAY},
    "service_case": {"channel": "window", "received_date": TODAY, "matter": LINK,
                     "applicant": "+1+2", "state": "handled", "handled_date": TODAY},
}  # fmt: skip


@pytest.fixture
def laden(app, store):
    """The store holding payloads everywhere text can go; returns the admin's client."""
    forms = context(app).surveys

    def save(kind: str, raw: dict[str, Any], user: str = "admin") -> dict[str, Any]:
        result = records.save(store, forms[kind], raw, user=user)
        assert result.saved, (kind, [(p.path, p.code) for p in result.problems if p.is_error])
        return result.record

    first = save("household", _household(), user="surveyor1")
    assert first["household_no"] == "=1+2"
    save("household", _twin())
    save("storefront", make_storefront(name=LINK, address="+1+2", operator_name="-3"))
    save("unit", {"name": LINK, "kind": "enterprise", "address": "@SUM(A1)", "contact": "-3",
                  "staff_count": 3, "key_unit": False, "safe_unit": True})  # fmt: skip
    for kind, raw in WORK.items():
        if kind == "visit":
            raw = raw | {"households": [{"household": "=1+2"}]}
        save(kind, raw)
    from census.surveys import custom

    added = custom.add(context(app), "pets.yaml", PETS.encode("utf-8"))
    assert added.form is not None, [p.message("en") for p in added.problems]
    save("pets", {"owner": LINK, "pet": [{"kind": "@SUM(A1)"}, {"kind": "-3"}]})
    add_user(store, "field3", "surveyor", PASSWORD, display_name=LINK, grids=["第一网格"],
             hash_method=FAST_HASH)  # fmt: skip
    client = app.test_client()
    token = csrf_token(client, "/login")
    failed = client.post(
        "/login", data={"username": LINK, "password": "wrong", "csrf_token": token}
    )
    assert failed.status_code == 200
    Auth(client).login("admin")
    return client


def payload_workbook() -> bytes:
    """An import file whose cells are payloads (its report echoes them)."""
    book = Workbook()
    sheet = book.active
    rows = [
        ["户编号", "楼栋", "单元", "室", "住房性质", "姓名", "与户主关系", "身份证号", "备注"],
        ["H0900", "1栋", "1", "301", "自有", LINK, "户主", "+1+2", "@SUM(A1)"],
        ["H0901", "1栋", "1", "302", "-3", "王五", "户主", "", LINK],
    ]
    for r, row in enumerate(rows, 1):
        for c, value in enumerate(row, 1):
            sheet.cell(r, c, value).data_type = "s"  # text, as typed after an apostrophe
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def uploaded(client) -> str:
    """The id of an upload of the payload workbook (mapped, checked: its report exists)."""
    token = csrf_token(client, "/sheets/")
    response = client.post(
        "/sheets/upload",
        data={"csrf_token": token, "form": "household",
              "file": (io.BytesIO(payload_workbook()), "payload.xlsx")},
        content_type="multipart/form-data",
    )  # fmt: skip
    match = re.search(r"/sheets/import/([0-9a-f]{16})", response.headers["Location"])
    assert match, response.headers.get("Location")
    upload_id = match.group(1)
    client.application.config["IMPORT_WAIT_SECONDS"] = 30
    report = client.get(f"/sheets/import/{upload_id}/report")
    assert report.status_code == 200, report.status_code
    return upload_id


# A staff survey with a repeat: its records' export has a sheet per repeat level.
PETS = """
form: pets
collection: survey_pets
title: {zh: 宠物登记, en: Pets}
fields:
  - {key: owner, type: text, label: 户主}
  - key: pet
    type: repeat
    label: 宠物
    fields:
      - {key: kind, type: text, label: 种类}
"""


# endpoint -> (the URL arguments to ask for, the payload its rows must show, if any)
DOWNLOADS: dict[str, tuple[Any, str | None]] = {
    "audit_log.export": (lambda app: [{"fmt": "csv"}, {"fmt": "xlsx"}], LINK),  # the username
    "fieldwork.coverage_xlsx": (lambda app: [{}], LINK),  # a surveyor's name
    "review.checks_csv": (lambda app: [{}], "=1+2"),  # a household number
    "sheets.export": (lambda app: [{"fmt": "csv"}, {"fmt": "xlsx"}], LINK),
    "sheets.report_download": (lambda app: [{"upload_id": "UPLOAD"}], LINK),
    "sheets.template": (lambda app: [{"form_name": n} for n in context(app).surveys], None),
    "worklog.register_xlsx": (
        lambda app: [{"name": n} for n in work_registers(context(app).surveys)],
        LINK,
    ),
    "worklog.survey_xlsx": (lambda app: [{"name": "pets"}], LINK),  # a staff survey's records
    "worklog.rates_xlsx": (lambda app: [{}], None),  # counts per channel and month
    "worklog.report_xlsx": (lambda app: [{}], None),  # counts and rates
}


def download_rules(app) -> dict[str, Any]:
    """Every rule whose answer is a .csv or .xlsx file, by endpoint."""
    found = {}
    for rule in app.url_map.iter_rules():
        path = rule.rule
        if path.endswith((".csv", ".xlsx")) or path.endswith(".<fmt>"):
            found[rule.endpoint] = rule
    return found


def test_every_download_route_has_a_row_and_every_row_a_route(app):
    rules = download_rules(app)
    assert sorted(rules) == sorted(DOWNLOADS), (
        f"new download routes: {sorted(set(rules) - set(DOWNLOADS))}; "
        f"rows without a route: {sorted(set(DOWNLOADS) - set(rules))}"
    )


def cells(response, fmt: str) -> list[tuple[str, Any, str]]:
    """Every cell of the file: (where, value, kind) — kind 'f' for a formula."""
    if fmt == "csv":
        text = response.data.decode("utf-8-sig")
        return [
            (f"row {r + 1} col {c + 1}", value, "s")
            for r, row in enumerate(csv.reader(io.StringIO(text)))
            for c, value in enumerate(row)
        ]
    book = load_workbook(io.BytesIO(response.data))  # not read-only: data_type is exact
    return [
        (f"{ws.title}!{cell.coordinate}", cell.value, cell.data_type)
        for ws in book.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.value is not None
    ]


def urls(app, upload_id: str) -> list[tuple[str, str | None]]:
    """(URL, the payload it must show) for every download, its arguments filled."""
    from flask import url_for

    out = []
    with app.test_request_context():
        for endpoint, (arguments, payload) in DOWNLOADS.items():
            for kwargs in arguments(app):
                kwargs = {k: (upload_id if v == "UPLOAD" else v) for k, v in kwargs.items()}
                out.append((url_for(endpoint, **kwargs), payload))
    return out


def test_no_download_holds_a_live_formula(app, laden):
    upload_id = uploaded(laden)
    problems: list[str] = []
    checked = 0
    for url, payload in urls(app, upload_id):
        response = laden.get(url)
        if response.status_code != 200:
            problems.append(f"{url}: {response.status_code}")
            continue
        fmt = "csv" if url.endswith(".csv") else "xlsx"
        found = cells(response, fmt)
        checked += 1
        formulas = [(where, v) for where, v, kind in found if kind == "f"]
        live = [(w, v) for w, v, _k in found if isinstance(v, str) and v.startswith(DANGER)]
        if formulas or live:
            problems.append(f"{url}: formulas {formulas} and live text {live}")
        texts = [v for _w, v, _k in found if isinstance(v, str)]
        if payload and not any(t.startswith("'" + payload) for t in texts):
            problems.append(f"{url}: no neutralised {payload!r} (is the payload record there?)")
    assert not problems, "\n".join(problems)
    assert checked == len(urls(app, upload_id)) >= 10 + len(context(app).surveys)


def test_the_check_itself_sees_a_formula(app, laden):
    """Control: a workbook written around the writer, with a live formula, is caught."""
    book = Workbook()
    book.active.append([LINK, "-3"])
    buffer = io.BytesIO()
    book.save(buffer)

    class Raw:
        data = buffer.getvalue()

    found = cells(Raw, "xlsx")
    assert [kind for _w, _v, kind in found] == ["f", "s"]
    assert [v for _w, v, _k in found if isinstance(v, str) and v.startswith(DANGER)] == [LINK, "-3"]
