"""Full ID numbers, route by route and role by role: what each caller gets, and what is logged.

Every route that can return an ID number is asked by anonymous, an admin, a reviewer and
two surveyors (the household's own and another grid's). Masked is the default for every
role; a full number goes only to an admin who asks (``?full=1``, ``full_ids=1``), and each
such answer leaves one ``view_full_ids`` entry with who, what, how many and from where. The
edit form shows numbers masked to everyone, and a masked number sent back unchanged keeps
the stored one.
"""

from __future__ import annotations

import csv
import io
import uuid as uuidlib
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from census.domain.ids import make_resident_id, mask_id
from census.fieldwork import CONFLICTS
from census.services import audit, records, review
from census.services.accounts import create_token
from census.web.current import context
from tests.conftest import Auth, csrf_token
from tests.factories import make_household, make_member, make_storefront
from tests.web.worklog_helpers import form_data

CALLERS = ("anonymous", "admin", "reviewer", "surveyor1", "surveyor2")
ADDRESSES = {name: f"10.0.0.{n}" for n, name in enumerate(CALLERS, 1)}
OPERATOR_ID = make_resident_id("650103", date(1979, 5, 6), 31, "male")


def members(region: str, count: int = 3) -> list[dict[str, Any]]:
    """A roster whose ID numbers no other household of the test shares."""
    rows = []
    for n in range(count):
        member = make_member(n)
        born = date.fromisoformat(member["birth_date"])
        rows.append(member | {"id_number": make_resident_id(region, born, 40 + n, member["sex"])})
    return rows


class World:
    """Two surveyors' households (first and second grid), a storefront, a work record."""

    def __init__(self, app: Any, store: Any):
        self.app, self.store = app, store
        forms = context(app).surveys
        self.forms = forms
        mine = make_household(members=0) | {"members": members("650102")}
        theirs = make_household(members=0, building="2栋") | {"members": members("650104")}
        self.h1 = self._save("household", mine, "surveyor1")
        self.h2 = self._save("household", theirs, "surveyor2")
        self.ids1 = [m["id_number"] for m in mine["members"]]
        self.ids2 = [m["id_number"] for m in theirs["members"]]
        self.shop = self._save(
            "storefront", make_storefront(operator_id_number=OPERATOR_ID), "surveyor1"
        )
        # approved, so that every output shows them (prints count approved records only)
        for collection, record_id in (
            ("households", self.h1), ("households", self.h2), ("storefronts", self.shop)
        ):  # fmt: skip
            review.act(
                store, record_id, "approve", username="reviewer", role="reviewer",
                collection=collection,
            )  # fmt: skip
        self.volunteer_id = self.ids1[1]
        self.volunteer = self._save(
            "volunteer", {"person": self.volunteer_id, "joined_date": "2025-01-01"}, "surveyor1"
        )
        self.tokens = {n: create_token(store, n) for n in CALLERS if n != "anonymous"}

    def _save(self, form: str, raw: dict[str, Any], user: str) -> int:
        result = records.save(self.store, self.forms[form], raw, user=user)
        assert result.saved, result.problems
        return result.id

    @property
    def every_id(self) -> list[str]:
        return self.ids1 + self.ids2 + [OPERATOR_ID]

    def web(self, who: str):
        """A browser of ``who`` (logged in unless anonymous), from its own address."""
        client = self.app.test_client()
        client.environ_base["REMOTE_ADDR"] = ADDRESSES[who]
        if who != "anonymous":
            assert Auth(client).login(who).status_code == 302
        return client

    def api(self, who: str, url: str):
        client = self.app.test_client()
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who in self.tokens else {}
        return client.get(url, headers=headers, environ_base={"REMOTE_ADDR": ADDRESSES[who]})

    def logged(self) -> list[dict[str, Any]]:
        return list(reversed(audit.entries(self.store, action="view_full_ids")))


@pytest.fixture
def world(app, store):
    app.config["PRINT_WORKERS"] = 0  # print jobs render in the job's own thread
    return World(app, store)


def shown(text: str, numbers: list[str]) -> str:
    """'full' if every number is there whole, 'masked' if only as masks, else what is odd."""
    whole = [n for n in numbers if n in text]
    masks = [n for n in numbers if mask_id(n) in text]
    if len(whole) == len(numbers):
        return "full"
    if not whole and len(masks) == len(numbers):
        return "masked"
    return f"whole={len(whole)} masked={len(masks)} of {len(numbers)}"


def outcome(response, numbers: list[str], text: str | None = None) -> str:
    """What a caller got: login, forbidden, not_found, or full / masked numbers."""
    if response.status_code in (301, 302) and "/login" in response.headers.get("Location", ""):
        return "login"
    if response.status_code == 401:
        return "login"
    if response.status_code == 403:
        return "forbidden"
    if response.status_code == 404:
        return "not_found"
    assert response.status_code == 200, response.status_code
    return shown(response.get_data(as_text=True) if text is None else text, numbers)


def assert_one_entry(world: World, target: str, count: int, before: int) -> None:
    """One new view_full_ids entry: the admin, this target, ``count`` numbers, its address."""
    new = world.logged()[before:]
    assert [(e["actor"], e["target"], e["ip"], e["detail"]["count"]) for e in new] == [
        ("admin", target, ADDRESSES["admin"], count)
    ]


# -- the household page ----------------------------------------------------------------------


HOUSEHOLD_PAGE = {
    "": {"anonymous": "login", "admin": "masked", "reviewer": "masked",
         "surveyor1": "masked", "surveyor2": "forbidden"},
    "?full=1": {"anonymous": "login", "admin": "full", "reviewer": "forbidden",
                "surveyor1": "forbidden", "surveyor2": "forbidden"},
}  # fmt: skip


@pytest.mark.parametrize("query", list(HOUSEHOLD_PAGE))
def test_the_household_page(world, query):
    for who, expected in HOUSEHOLD_PAGE[query].items():
        before = len(world.logged())
        got = outcome(world.web(who).get(f"/households/{world.h1}{query}"), world.ids1)
        assert got == expected, who
        if expected == "full":
            assert_one_entry(world, f"households/{world.h1}", 3, before)
        else:
            assert len(world.logged()) == before, who


# -- the edit form: masked for every role, the stored number kept ------------------------------

EDIT_FORM = {"anonymous": "login", "admin": "masked", "reviewer": "masked",
             "surveyor1": "masked", "surveyor2": "forbidden"}  # fmt: skip


def test_the_household_edit_form_shows_masked_numbers_to_every_role(world):
    url = f"/survey/household/{world.h1}/edit"
    for who, expected in EDIT_FORM.items():
        assert outcome(world.web(who).get(url), world.ids1) == expected, who
    assert world.logged() == []


def test_the_storefront_edit_form_shows_the_operators_number_masked(world):
    url = f"/survey/storefront/{world.shop}/edit"
    for who, expected in EDIT_FORM.items():
        assert outcome(world.web(who).get(url), [OPERATOR_ID]) == expected, who


def post_back(client, world: World, url: str, form: str, changes: dict[str, Any]):
    """Post the edit form with what it showed (masked numbers included), plus ``changes``."""
    record = world.store.collection(world.forms[form].collection).get(
        world.h1 if form == "household" else world.shop
    )
    from census.surveys.conform import masked

    data = form_data(world.forms[form], masked(world.forms[form], record) | changes)
    data |= {"_rev": record["_rev"], "csrf_token": csrf_token(client, url), "save": "1"}
    return client.post(url, data=data)


@pytest.mark.parametrize("who", ["surveyor1", "reviewer", "admin"])
def test_a_masked_number_sent_back_unchanged_keeps_the_stored_one(world, who):
    client = world.web(who)
    url = f"/survey/household/{world.h1}/edit"
    saved = post_back(client, world, url, "household", {"notes": f"{who} 改过"})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:500]
    stored = world.store.collection("households").get(world.h1)
    assert stored["notes"] == f"{who} 改过"
    assert [m["id_number"] for m in stored["members"]] == world.ids1


def test_a_member_removed_in_the_form_leaves_the_others_numbers_whole(world):
    client = world.web("surveyor1")
    url = f"/survey/household/{world.h1}/edit"
    record = world.store.collection("households").get(world.h1)
    from census.surveys.conform import masked

    shown_record = masked(world.forms["household"], record)
    # The form without its third member (a child moved out): rows 0 and 1 stay in place,
    # and with the second removed instead, the third moves up a row.
    kept = dict(shown_record, members=[shown_record["members"][0], shown_record["members"][2]])
    data = form_data(world.forms["household"], kept)
    data |= {"_rev": record["_rev"], "csrf_token": csrf_token(client, url), "save": "1"}
    assert client.post(url, data=data).status_code == 302
    stored = world.store.collection("households").get(world.h1)
    assert [m["id_number"] for m in stored["members"]] == [world.ids1[0], world.ids1[2]]


def test_a_mask_of_another_number_is_refused_and_nothing_changes(world):
    client = world.web("surveyor1")
    url = f"/survey/household/{world.h1}/edit"
    before = world.store.collection("households").get(world.h1)
    record = dict(before)
    from census.surveys.conform import masked

    forged = masked(world.forms["household"], record)
    forged["members"][0] = dict(forged["members"][0], id_number=mask_id(world.ids2[0]))
    data = form_data(world.forms["household"], forged | {"notes": "偷梁换柱"})
    data |= {"_rev": before["_rev"], "csrf_token": csrf_token(client, url), "save": "1"}
    refused = client.post(url, data=data)
    assert refused.status_code == 200  # the form again, with the problem beside the field
    page = refused.get_data(as_text=True)
    assert world.ids2[0] not in page and world.ids1[0] not in page
    assert world.store.collection("households").get(world.h1) == before


def test_the_storefront_edit_keeps_the_operators_number(world):
    client = world.web("surveyor1")
    url = f"/survey/storefront/{world.shop}/edit"
    saved = post_back(client, world, url, "storefront", {"name": "红柳烤肉店（新）"})
    assert saved.status_code == 302
    stored = world.store.collection("storefronts").get(world.shop)
    assert stored["operator_id_number"] == OPERATOR_ID and stored["name"] == "红柳烤肉店（新）"


# -- the API -------------------------------------------------------------------------------------

API = {
    "/api/v1/households/{h1}": {
        "anonymous": "login", "admin": "masked", "reviewer": "masked",
        "surveyor1": "masked", "surveyor2": "forbidden"},
    "/api/v1/households/{h1}?full=1": {
        "anonymous": "login", "admin": "full", "reviewer": "forbidden",
        "surveyor1": "forbidden", "surveyor2": "forbidden"},
    "/api/v1/households": {
        "anonymous": "login", "admin": "masked", "reviewer": "masked",
        "surveyor1": "masked", "surveyor2": "none of them"},
    "/api/v1/households?full=1": {
        "anonymous": "login", "admin": "full", "reviewer": "forbidden",
        "surveyor1": "forbidden", "surveyor2": "forbidden"},
}  # fmt: skip


@pytest.mark.parametrize("route", list(API))
def test_the_api(world, route):
    url = route.format(h1=world.h1)
    for who, expected in API[route].items():
        before = len(world.logged())
        response = world.api(who, url)
        got = outcome(response, world.ids1)
        if expected == "none of them":  # another grid's surveyor: the list leaves it out
            assert response.status_code == 200 and got.startswith("whole=0 masked=0"), got
            continue
        assert got == expected, who
        if expected != "full":
            assert len(world.logged()) == before, who
    if "full=1" in route:
        whole_list = route.startswith("/api/v1/households?")
        target = "api/households?building=" if whole_list else f"households/{world.h1}"
        count = len(world.ids1 + world.ids2) if whole_list else len(world.ids1)
        (entry,) = world.logged()
        assert (entry["actor"], entry["target"], entry["ip"], entry["detail"]["count"]) == (
            "admin", target, ADDRESSES["admin"], count,
        )  # fmt: skip


def test_work_records_through_the_api_show_a_persons_id_number_masked(world):
    url = f"/api/v1/records/volunteer/{world.volunteer}"
    for who, expected in {"admin": "masked", "reviewer": "masked", "surveyor1": "masked",
                          "surveyor2": "forbidden", "anonymous": "login"}.items():  # fmt: skip
        assert outcome(world.api(who, url), [world.volunteer_id]) == expected, who
        listed = world.api(who, "/api/v1/records/volunteer")
        assert world.volunteer_id not in listed.get_data(as_text=True), who


# -- the export ----------------------------------------------------------------------------------

EXPORT = {
    "": {"anonymous": "login", "admin": "masked", "reviewer": "masked",
         "surveyor1": "forbidden", "surveyor2": "forbidden"},
    "?full=1": {"anonymous": "login", "admin": "full", "reviewer": "forbidden",
                "surveyor1": "forbidden", "surveyor2": "forbidden"},
}  # fmt: skip


def cells_text(response, fmt: str) -> str:
    if fmt == "csv":
        rows = csv.reader(io.StringIO(response.data.decode("utf-8-sig")))
        return "\n".join("\t".join(row) for row in rows)
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    return "\n".join(
        "\t".join(str(v) for v in row if v is not None)
        for ws in book.worksheets
        for row in ws.iter_rows(values_only=True)
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("query", list(EXPORT))
def test_the_export(world, fmt, query):
    # The CSV is the members sheet; the workbook has the storefronts' operators too.
    numbers = world.ids1 + world.ids2 + ([OPERATOR_ID] if fmt == "xlsx" else [])
    for who, expected in EXPORT[query].items():
        before = len(world.logged())
        response = world.web(who).get(f"/sheets/export.{fmt}{query}")
        text = cells_text(response, fmt) if response.status_code == 200 else None
        assert outcome(response, numbers, text) == expected, who
        if expected == "full":
            assert_one_entry(world, f"dataset.{fmt}", len(numbers), before)
        else:
            assert len(world.logged()) == before, who


# -- prints ---------------------------------------------------------------------------------------


def pdf_text(response) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)


PRINT = {
    "": {"anonymous": "login", "admin": "masked", "reviewer": "masked",
         "surveyor1": "forbidden"},
    "?full=1": {"anonymous": "login", "admin": "full", "reviewer": "forbidden",
                "surveyor1": "forbidden"},
}  # fmt: skip


@pytest.mark.parametrize("query", list(PRINT))
def test_the_household_list_print(world, query):
    for who, expected in PRINT[query].items():
        before = len(world.logged())
        response = world.web(who).get(f"/buildings/1栋/household-list.pdf{query}")
        text = pdf_text(response) if response.status_code == 200 else None
        assert outcome(response, world.ids1, text) == expected, who
        if expected == "full":
            assert_one_entry(world, "household-list/1栋", 3, before)
        else:
            assert len(world.logged()) == before, who


def test_a_print_job_with_full_numbers(world):
    from census.web.prints import runner

    form = {"target": "household-list", "building": "1栋", "as_of": "2026-01-01"}
    for who in ("reviewer", "surveyor1"):
        client = world.web(who)
        token = csrf_token(client, "/survey/")
        refused = client.post("/prints/", data=form | {"full_ids": "1", "csrf_token": token})
        assert refused.status_code == 403, who
    assert world.logged() == [] and runner(world.app).jobs(None) == []
    admin = world.web("admin")
    token = csrf_token(admin, "/prints/")
    started = admin.post("/prints/", data=form | {"full_ids": "1", "csrf_token": token})
    assert started.status_code == 302
    job_id = started.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    (entry,) = world.logged()
    assert (entry["actor"], entry["target"], entry["ip"], entry["detail"]) == (
        "admin", "household-list/building:1栋", ADDRESSES["admin"], {"count": 3, "job": job_id},
    )  # fmt: skip
    job = runner(world.app).wait(job_id)
    assert job.state == "done", job.error
    response = admin.get(f"/prints/{job_id}/download")
    text = pdf_text(response)
    response.close()
    assert shown(text, world.ids1) == "full"


# -- registers, work records, conflicts ------------------------------------------------------------

FULL_PAGES = {"anonymous": "login", "admin": "full", "reviewer": "forbidden",
              "surveyor1": "forbidden", "surveyor2": "forbidden"}  # fmt: skip


def test_a_register_page(world):
    numbers = world.ids1 + world.ids2  # every member is registered (户籍) in the factory
    for who, expected in FULL_PAGES.items():
        before = len(world.logged())
        got = outcome(world.web(who).get("/registers/registered?full=1"), numbers)
        assert got == expected, who
        if expected == "full":
            assert_one_entry(world, "registers/registered", len(numbers), before)
        else:
            assert len(world.logged()) == before
    masked = world.web("reviewer").get("/registers/registered")
    assert outcome(masked, numbers) == "masked"


@pytest.mark.parametrize("suffix", ["", ".xlsx"])
def test_a_work_register(world, suffix):
    for who, expected in FULL_PAGES.items():
        before = len(world.logged())
        response = world.web(who).get(f"/worklog/volunteer{suffix}?full=1")
        text = cells_text(response, "xlsx") if suffix and response.status_code == 200 else None
        got = outcome(response, [world.volunteer_id], text)
        if who == "admin":  # the link resolves to the person: their name shows, not the number
            assert response.status_code == 200
            assert_one_entry(world, f"worklog/volunteer{suffix}", 1, before)
            continue
        assert got == expected, who
        assert len(world.logged()) == before


def test_a_conflict_page(world, store):
    """The page shows what differs: here a member only the stale edit has, and one it lacks."""
    stale = store.collection("households").get(world.h1)
    keys = {f.key for f in world.forms["household"].fields}
    body = {k: v for k, v in stale.items() if k in keys}
    records.save(
        store, world.forms["household"], body | {"notes": "先改"}, user="admin", record_id=world.h1
    )
    newcomer = make_member(5)
    born = date.fromisoformat(newcomer["birth_date"])
    newcomer["id_number"] = make_resident_id("650105", born, 77, newcomer["sex"])
    edit = body | {
        "members": body["members"][:2] + [newcomer],
        "uuid": str(uuidlib.uuid4()),
        "base_revision": stale["_rev"],
    }
    sent = world.app.test_client().put(
        f"/api/v1/households/{world.h1}",
        json=edit,
        headers={"Authorization": f"Bearer {world.tokens['surveyor1']}"},
    )
    assert sent.status_code == 409, sent.json
    (conflict,) = store.collection(CONFLICTS).scan()
    url = f"/fieldwork/conflicts/{conflict['id']}"
    differing = [world.ids1[2], newcomer["id_number"]]
    for who, wanted in FULL_PAGES.items():
        before = len(world.logged())
        assert outcome(world.web(who).get(url + "?full=1"), differing) == wanted, who
        if wanted == "full":
            assert_one_entry(world, f"conflicts/{conflict['id']}", 2, before)
        else:
            assert len(world.logged()) == before
    for who in ("admin", "reviewer"):
        assert outcome(world.web(who).get(url), differing) == "masked", who
