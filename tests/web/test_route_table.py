"""Every rule of ``url_map`` × every kind of caller: what each one gets, in one table.

The site is the demo community (census/demo) plus, for two surveyors of different grids,
a household, a storefront, a unit and a work record each. The callers are anonymous, an
admin, a reviewer, those two surveyors and a deactivated surveyor (logged in, with a token,
before an admin deactivated the account). Web routes are asked with the caller's session
cookie; API routes with their bearer token and again with their session (the tablet's
outbox sends the session, with its CSRF header).

Every method a rule takes is asked: GET for reads, and its POST or PUT with a harmless
body (and its CSRF token): a comment without text, a visit to a door of 1栋, an edit that
does not validate. Whenever the answer is a refusal (login, forbidden, not_found,
invalid) the store must be exactly as before. ``TABLE`` has one row per endpoint: a new
route without a row fails ``test_the_table_covers_every_rule``, and so does a row whose
route is gone.

Outcomes: ``ok`` (2xx, or a redirect to a page of its own), ``login`` (web: sent to the
login page; API: 401), ``forbidden`` (403), ``not_found`` (404), ``invalid`` (400 or 422:
let in, but the body refused). A surveyor asking for another grid's record is refused
with 403 here, not 404: the record's existence is no secret to one who has its id.

Then two surveyors of different grids try to read and write each other's households,
storefronts, units and work records, through the pages and the API.
"""

from __future__ import annotations

import io
import re
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import Workbook

from census.app import create_app
from census.demo.generate import generate_demo
from census.demo.seed import DEMO_ACCOUNTS, load_demo
from census.fieldwork import CONFLICTS, edits
from census.services import accounts, records
from census.web.access import User
from census.web.current import context, get_store
from census.web.prints import runner
from tests.conftest import FAST_HASH, PASSWORD, Auth, csrf_token
from tests.factories import make_household, make_member, make_storefront

ANON, ADMIN, REVIEWER, S1, S2, GONE = (
    "anonymous", "admin", "reviewer", "surveyor1", "surveyor2", "deactivated",
)  # fmt: skip
CALLERS = (ANON, ADMIN, REVIEWER, S1, S2, GONE)
DEACTIVATED = "surveyor3"  # the account behind the deactivated caller (first grid)
OK, LOGIN, FORBIDDEN, NOT_FOUND, INVALID = "ok", "login", "forbidden", "not_found", "invalid"


def expect(anon: str, admin: str, reviewer: str, s1: str, s2: str, gone: str) -> dict[str, str]:
    return dict(zip(CALLERS, (anon, admin, reviewer, s1, s2, gone), strict=True))


PUBLIC = expect(OK, OK, OK, OK, OK, OK)
LOGGED_IN = expect(LOGIN, OK, OK, OK, OK, LOGIN)
STAFF = expect(LOGIN, OK, OK, FORBIDDEN, FORBIDDEN, LOGIN)
ADMINS = expect(LOGIN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, LOGIN)
FIRST_GRID = expect(LOGIN, OK, OK, OK, FORBIDDEN, LOGIN)  # surveyor1's record or building
OWNED_BY_ADMIN = ADMINS  # a print job or an upload of the admin: the reviewer is refused too
# API writes whose harmless body does not validate: let in (422) or refused before that.
API_INVALID = expect(LOGIN, INVALID, INVALID, INVALID, INVALID, LOGIN)
API_FIRST_GRID_INVALID = expect(LOGIN, INVALID, INVALID, INVALID, FORBIDDEN, LOGIN)
API_LOGGED_IN = LOGGED_IN
API_FIRST_GRID = FIRST_GRID


@dataclass(frozen=True)
class Row:
    """How one endpoint is asked and what each caller gets."""

    url: str  # with {names} of the site's ids
    expected: dict[str, str]  # the same for the GET and the write of a rule taking both
    write: str | None = None  # POST or PUT, for a rule that takes one
    form: Callable[[Site, str], dict[str, Any]] | None = None  # a web write's fields
    json: Callable[[Site, str], dict[str, Any]] | None = None  # an API write's body
    get_url: str | None = None  # the GET of a rule that also reads, when not ``url``
    logs_out: bool = False  # the request ends the caller's sessions


def fresh() -> str:
    return str(uuidlib.uuid4())


def visit_body(site: Site, who: str) -> dict[str, Any]:
    return {"uuid": fresh(), "building": "1栋", "unit": "1", "room": "999", "outcome": "not_home"}


TABLE: dict[str, Row] = {
    # log in and out, the start page, one's password
    "auth.index": Row("/", expect(LOGIN, OK, OK, OK, OK, LOGIN)),
    "auth.login": Row("/login", PUBLIC, write="POST",
                      form=lambda s, who: {"username": f"nobody-{who}", "password": "wrong"}),
    "auth.logout": Row("/logout", LOGGED_IN, write="POST", form=lambda s, who: {}, logs_out=True),
    "auth.change_password": Row("/account/password", LOGGED_IN, write="POST", form=lambda s, who: {
        "current": "not-the-password", "new": "a-new-pass-12", "confirm": "a-new-pass-12"}),
    # the surveyor's pages
    "survey.home": Row("/survey/", LOGGED_IN),
    "survey.outbox": Row("/survey/outbox", LOGGED_IN),
    "survey.keep": Row("/survey/keep.json", LOGGED_IN),
    "survey.building": Row("/survey/building/1栋", FIRST_GRID),
    "survey.new": Row("/survey/household/new?building=1栋", FIRST_GRID, write="POST",
                      form=lambda s, who: {"building": "1栋", "room": ""}),
    "survey.edit": Row("/survey/household/{h1}/edit", FIRST_GRID, write="POST",
                       form=lambda s, who: {"building": "1栋", "room": "", "_rev": "1"}),
    "fieldwork.door": Row("/fieldwork/door?building=1栋&unit=1&room=101", FIRST_GRID),
    "fieldwork.record_visit": Row("/fieldwork/visits", FIRST_GRID, write="POST", form=visit_body),
    "review.returned": Row("/review/returned", LOGGED_IN),
    "offline.service_worker": Row("/sw.js", PUBLIC),
    "offline.manifest": Row("/manifest.webmanifest", PUBLIC),
    "static": Row("/static/app.css", PUBLIC),
    # households, storefronts and units (staff; a surveyor their own household)
    "households.index": Row("/households?q=H00", STAFF),
    "households.view": Row("/households/{h1}", FIRST_GRID),
    "households.history": Row("/households/{h1}/history", STAFF),
    "households.records": Row("/records/storefront", STAFF),
    "households.record_history": Row("/records/storefront/{shop1}/history", STAFF),
    "households.print_building": Row("/buildings/1栋/household-list.pdf", STAFF),
    "lifeevents.index": Row("/households/{demo1}/events", STAFF),
    "lifeevents.event": Row("/households/{demo1}/events/move_in", STAFF, write="POST",
                            form=lambda s, who: {"on": "2025-09-01"}),
    "lifeevents.move_in_household": Row("/events/move-in", STAFF, write="POST",
                                        form=lambda s, who: {"building": "1栋"}),
    # review and checks
    "review.queue": Row("/review/", STAFF),
    "review.bulk_approve": Row("/review/approve", STAFF, write="POST", form=lambda s, who: {}),
    "review.bulk_return": Row("/review/return", STAFF, write="POST", form=lambda s, who: {}),
    "review.act": Row("/review/households/{h1}/comment", FIRST_GRID, write="POST",
                      form=lambda s, who: {"comment": ""}),
    "review.record": Row("/review/records/storefront/{shop1}", FIRST_GRID),
    "review.record_act": Row("/review/records/storefront/{shop1}/comment", FIRST_GRID,
                             write="POST", form=lambda s, who: {"comment": ""}),
    "review.restore": Row("/review/households/{h1}/restore/999", STAFF, write="POST",
                          form=lambda s, who: {}),
    "review.pending": Row("/review/pending", STAFF),
    "review.checks_report": Row("/review/checks", STAFF),
    "review.checks_csv": Row("/review/checks.csv", STAFF),
    "review.checks_pdf": Row("/review/checks.pdf", STAFF),
    "review.merge": Row("/review/merge", STAFF, write="POST",
                        form=lambda s, who: {"keep": s.ids["demo1"], "duplicate": s.ids["demo1"]},
                        get_url="/review/merge?keep={demo1}&duplicate={demo2}"),
    # registers, the summary, prints
    "registers.index": Row("/registers/", STAFF),
    "registers.register": Row("/registers/minority", STAFF),
    "registers.summary_page": Row("/summary", STAFF),
    "prints.index": Row("/prints/", STAFF),
    "prints.create": Row("/prints/", STAFF, write="POST",
                         form=lambda s, who: {"target": "no-such"}),
    "prints.job": Row("/prints/{print_job}", OWNED_BY_ADMIN),
    "prints.status": Row("/prints/{print_job}.json", OWNED_BY_ADMIN),
    "prints.download": Row("/prints/{print_job}/download", OWNED_BY_ADMIN),
    # import and export
    "sheets.index": Row("/sheets/", STAFF),
    "sheets.upload": Row("/sheets/upload", STAFF, write="POST",
                         form=lambda s, who: {"form": "unit"}),
    "sheets.mapping": Row("/sheets/import/{upload}", OWNED_BY_ADMIN, write="POST",
                          form=lambda s, who: {}),
    "sheets.report": Row("/sheets/import/{upload}/report", OWNED_BY_ADMIN),
    "sheets.report_download": Row("/sheets/import/{upload}/report.xlsx", OWNED_BY_ADMIN),
    "sheets.apply": Row("/sheets/import/{upload}/apply", OWNED_BY_ADMIN, write="POST",
                        form=lambda s, who: {"fingerprint": "not-the-check-you-saw"}),
    "sheets.discard": Row("/sheets/import/{spare_upload}/discard", OWNED_BY_ADMIN, write="POST",
                          form=lambda s, who: {}),
    "sheets.job": Row("/sheets/job/{import_job}", OWNED_BY_ADMIN),
    "sheets.job_status": Row("/sheets/job/{import_job}.json", OWNED_BY_ADMIN),
    "sheets.template": Row("/sheets/template/household.xlsx", STAFF),
    "sheets.export": Row("/sheets/export.xlsx", STAFF),
    # field work
    "fieldwork.coverage_page": Row("/fieldwork/coverage", STAFF),
    "fieldwork.coverage_xlsx": Row("/fieldwork/coverage.xlsx", STAFF),
    "fieldwork.coverage_building": Row("/fieldwork/coverage/building/1栋", STAFF),
    "fieldwork.conflict_list": Row("/fieldwork/conflicts", STAFF),
    "fieldwork.conflict": Row("/fieldwork/conflicts/{conflict}", STAFF, write="POST",
                              form=lambda s, who: {"rev": "0"}),
    # work records
    "worklog.index": Row("/worklog/", STAFF),
    "worklog.register": Row("/worklog/volunteer", STAFF),
    "worklog.register_pdf": Row("/worklog/volunteer.pdf", STAFF),
    "worklog.register_xlsx": Row("/worklog/volunteer.xlsx", STAFF),
    "worklog.record": Row("/worklog/volunteer/{work1}", STAFF),
    "worklog.rates": Row("/worklog/rates", STAFF),
    "worklog.rates_pdf": Row("/worklog/rates.pdf", STAFF),
    "worklog.rates_xlsx": Row("/worklog/rates.xlsx", STAFF),
    "worklog.report": Row("/worklog/report", STAFF),
    "worklog.report_pdf": Row("/worklog/report.pdf", STAFF),
    "worklog.report_xlsx": Row("/worklog/report.xlsx", STAFF),
    # a staff survey's records with a sheet per repeat, and with its photos
    "worklog.survey_xlsx": Row("/worklog/pets/records.xlsx", STAFF),
    "worklog.survey_zip": Row("/worklog/pets/records.zip", STAFF),
    # administration
    "admin.users": Row("/admin/users", ADMINS),
    "admin.set_active": Row("/admin/users/spare/active", ADMINS, write="POST",
                            form=lambda s, who: {"active": "1"}),
    "admin.assign": Row("/admin/users/surveyor1/assignments", ADMINS, write="POST",
                        form=lambda s, who: {"grid": "第一网格"}),
    "admin.reset_password": Row("/admin/users/spare/password", ADMINS, write="POST",
                                form=lambda s, who: {"password": "a-new-pass-12",
                                                     "confirm": "another-pass-34"}),
    "admin.revoke_tokens": Row("/admin/users/spare/tokens/revoke", ADMINS, write="POST",
                               form=lambda s, who: {}),
    "admin.full_ids": Row("/admin/full-ids", ADMINS, write="POST",
                          form=lambda s, who: {"reviewers": "0"}),
    "audit_log.index": Row("/audit/", ADMINS),
    "audit_log.export": Row("/audit/export.csv", ADMINS),
    "surveys_admin.index": Row("/admin/surveys/", ADMINS, write="POST", form=lambda s, who: {}),
    "surveys_admin.definition": Row("/admin/surveys/pets/definition.yaml", ADMINS),
    "surveys_admin.source": Row("/admin/surveys/pets/source", ADMINS),
    "surveys_admin.remove": Row("/admin/surveys/cats/remove", ADMINS, write="POST",
                                form=lambda s, who: {}),
    # the JSON API
    "api.openapi_document": Row("/api/v1/openapi.json", PUBLIC),
    "api.me": Row("/api/v1/me", API_LOGGED_IN),
    "api.list_households": Row("/api/v1/households?building=1栋", API_LOGGED_IN),
    "api.get_household": Row("/api/v1/households/{h1}", API_FIRST_GRID),
    "api.create_household": Row("/api/v1/households", API_FIRST_GRID_INVALID, write="POST",
                                json=lambda s, who: {"uuid": fresh(), "building": "1栋"}),
    "api.edit_household": Row("/api/v1/households/{h1}", API_FIRST_GRID_INVALID, write="PUT",
                              json=lambda s, who: {"uuid": fresh(), "base_revision": 1,
                                                   "members": []}),
    "api.create_storefront": Row("/api/v1/storefronts", API_FIRST_GRID_INVALID, write="POST",
                                 json=lambda s, who: {"uuid": fresh(), "building": "1栋"}),
    "api.edit_storefront": Row("/api/v1/storefronts/{shop1}", API_FIRST_GRID_INVALID, write="PUT",
                               json=lambda s, who: {"uuid": fresh(), "base_revision": 1,
                                                    "name": ""}),
    "api.create_unit": Row("/api/v1/units", API_INVALID, write="POST",
                           json=lambda s, who: {"uuid": fresh()}),
    "api.edit_unit": Row("/api/v1/units/{unit1}", API_FIRST_GRID_INVALID, write="PUT",
                         json=lambda s, who: {"uuid": fresh(), "base_revision": 1, "name": ""}),
    "api.record_visit": Row("/api/v1/visits", API_FIRST_GRID, write="POST", json=visit_body),
    "api.list_visits": Row("/api/v1/visits?building=1栋", API_FIRST_GRID),
    # no visit of the caller's has this uuid: nothing to withdraw, for anyone
    "api.undo_visit": Row("/api/v1/visits/no-such-visit/undo",
                          expect(LOGIN, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, LOGIN),
                          write="POST", json=lambda s, who: {}),
    "worklog_api.list_records": Row("/api/v1/records/volunteer", API_LOGGED_IN),
    "worklog_api.get_record": Row("/api/v1/records/volunteer/{work1}", API_FIRST_GRID),
    "worklog_api.create": Row("/api/v1/records/volunteer", API_INVALID, write="POST",
                              json=lambda s, who: {"uuid": fresh()}),
    # an edit the way the tablet's outbox sends a staff survey's: another grid's is refused
    "worklog_api.edit": Row("/api/v1/records/volunteer/{work1}", API_FIRST_GRID_INVALID,
                            write="PUT", json=lambda s, who: {"uuid": fresh(), "base_revision": 1,
                                                              "no_such_field": "x"}),
    # a photo of surveyor1's record of a staff survey: staff, and the surveyor who took it
    "survey.photo": Row("/survey/pets/{pet1}/photo/{pet1_photo}", FIRST_GRID),
}  # fmt: skip


# -- the site -------------------------------------------------------------------------------------

SURVEY = {
    "title": {"zh": "犬只登记", "en": "Dog register"},
    "fields": [
        {"key": "owner", "type": "text", "label": "户主", "required": True},
        {"key": "photo", "type": "image", "label": "照片"},
    ],
}


def _photo() -> str:
    """A small PNG as the tablet sends it (a data URL)."""
    import base64

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 6), (30, 120, 200)).save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _members(region: str) -> list[dict[str, Any]]:
    """A roster with ID numbers of its own (no duplicate of the demo's)."""
    from census.domain.ids import make_resident_id

    rows = []
    for n in range(2):
        member = make_member(n)
        born = date.fromisoformat(member["birth_date"])
        rows.append(member | {"id_number": make_resident_id(region, born, 60 + n, member["sex"])})
    return rows


@dataclass
class Site:
    """The app, the ids its URLs are filled with, and one client per caller."""

    app: Any
    ids: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    _clients: dict[str, Any] = field(default_factory=dict)

    @property
    def store(self) -> Any:
        return get_store(self.app)

    def client(self, who: str) -> Any:
        """The caller's browser: logged in once (anonymous: none; deactivated: stale)."""
        if who not in self._clients:
            client = self.app.test_client()
            if who not in (ANON, GONE):
                assert Auth(client).login(who).status_code == 302, who
            self._clients[who] = client
        return self._clients[who]

    def forget(self, who: str) -> None:
        """The caller logged out: their next request logs in again."""
        if who != GONE:
            self._clients.pop(who, None)

    def url(self, row: Row) -> str:
        return row.url.format(**self.ids)


def _upload(client: Any) -> str:
    """An admin's upload of a small unit sheet; returns its import id."""
    book = Workbook()
    book.active.append(["单位名称", "单位类型", "地址"])
    book.active.append(["佐斯腾社区卫生服务站", "机关事业单位", "佐斯腾路1号"])
    buffer = io.BytesIO()
    book.save(buffer)
    token = csrf_token(client, "/sheets/")
    response = client.post(
        "/sheets/upload",
        data={
            "csrf_token": token,
            "form": "unit",
            "file": (io.BytesIO(buffer.getvalue()), "单位.xlsx"),
        },
        content_type="multipart/form-data",
    )
    match = re.search(r"/sheets/import/([0-9a-f]{16})", response.headers.get("Location", ""))
    assert match, response.get_data(as_text=True)[:300]
    return match.group(1)


def _add_survey(client: Any, name: str) -> None:
    token = csrf_token(client, "/admin/surveys/")
    text = yaml.safe_dump({"form": name} | SURVEY, allow_unicode=True).encode()
    response = client.post(
        "/admin/surveys/",
        data={"csrf_token": token, "file": (io.BytesIO(text), f"{name}.yaml")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Any:
    """The demo community with the records, jobs and uploads the table's URLs name."""
    folder: Path = tmp_path_factory.mktemp("route-table")
    app = create_app(
        {"DATA_DIR": str(folder / "data"), "SECRET_KEY": "route-table", "TESTING": True,
         "FSYNC": False, "PRINT_WORKERS": 0, "IMPORT_WAIT_SECONDS": 30}
    )  # fmt: skip
    store = get_store(app)
    census = context(app)
    # The demo's accounts first, with a quick hash (load_demo keeps existing accounts).
    for username, role, _password, name, grids in DEMO_ACCOUNTS:
        accounts.add_user(store, username, role, PASSWORD, display_name=name, grids=grids,
                          hash_method=FAST_HASH)  # fmt: skip
    for username, role, grids in (
        (DEACTIVATED, "surveyor", ["第一网格"]),
        ("spare", "surveyor", []),
    ):
        accounts.add_user(store, username, role, PASSWORD, grids=grids, hash_method=FAST_HASH)
    load_demo(store, generate_demo(households=24), census.surveys)
    site = Site(app)
    forms = census.surveys

    def save(form: str, raw: dict[str, Any], user: str) -> int:
        result = records.save(store, forms[form], raw, user=user)
        assert result.saved, (form, [(p.path, p.code) for p in result.problems if p.is_error])
        return result.id

    demo = sorted(h["id"] for h in store.collection("households").scan())
    site.ids |= {"demo1": demo[0], "demo2": demo[1]}
    site.ids["h1"] = save("household", make_household(members=0, room="901")
                          | {"members": _members("650102")}, "surveyor1")  # fmt: skip
    site.ids["h2"] = save("household", make_household(members=0, building="3栋", room="901")
                          | {"members": _members("650104")}, "surveyor2")  # fmt: skip
    site.ids["shop1"] = save("storefront", make_storefront(name="一网格小卖部"), "surveyor1")
    site.ids["shop2"] = save(
        "storefront",
        make_storefront(name="二网格小卖部", building="3栋", address="3栋底商"),
        "surveyor2",
    )
    unit = {"kind": "enterprise", "address": "佐斯腾路9号", "staff_count": 3,
            "key_unit": False, "safe_unit": False}  # fmt: skip
    site.ids["unit1"] = save("unit", unit | {"name": "一网格单位"}, "surveyor1")
    site.ids["unit2"] = save("unit", unit | {"name": "二网格单位"}, "surveyor2")
    h1 = store.collection("households").get(site.ids["h1"])
    h2 = store.collection("households").get(site.ids["h2"])
    volunteer = {"joined_date": "2025-01-01", "team": "巡逻队"}
    site.ids["work1"] = save(
        "volunteer",
        volunteer | {"person": f"{h1['household_no']}/{h1['members'][0]['name']}"},
        "surveyor1",
    )
    site.ids["work2"] = save(
        "volunteer",
        volunteer | {"person": f"{h2['household_no']}/{h2['members'][0]['name']}"},
        "surveyor2",
    )
    site.ids |= {"h1_no": h1["household_no"], "h2_no": h2["household_no"]}
    # A conflict: surveyor1's edit of a demo household, made from a revision since replaced.
    demo1 = store.collection("households").get(demo[0])
    keys = {f.key for f in forms["household"].fields}
    answers = {k: v for k, v in demo1.items() if k in keys}
    save_again = records.save(store, forms["household"], answers | {"notes": "办公室先改"},
                              user="admin", record_id=demo[0])  # fmt: skip
    assert save_again.saved
    status, _answer = edits.submit(
        store, forms["household"], demo[0],
        answers | {"notes": "平板后改", "uuid": fresh(), "base_revision": demo1["_rev"]},
        user=User(store.collection("users").find_one(username="admin")),
    )  # fmt: skip
    assert status == 409
    site.ids["conflict"] = store.collection(CONFLICTS).scan()[0]["id"]
    # The admin's print job, import uploads and surveys.
    admin = site.client(ADMIN)
    token = csrf_token(admin, "/prints/")
    started = admin.post("/prints/", data={"target": "household-list", "building": "1栋",
                                           "csrf_token": token})  # fmt: skip
    site.ids["print_job"] = started.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    assert runner(app).wait(site.ids["print_job"]).state == "done"
    site.ids["upload"] = _upload(admin)
    site.ids["spare_upload"] = _upload(admin)
    app.config["IMPORT_WAIT_SECONDS"] = 0  # the report answers with its job's progress page
    progress = admin.get(f"/sheets/import/{site.ids['upload']}/report")
    site.ids["import_job"] = progress.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    app.extensions["census_import_jobs"].wait(
        app.extensions["census_import_jobs"].get(site.ids["import_job"]), 30
    )
    app.config["IMPORT_WAIT_SECONDS"] = 30
    _add_survey(admin, "pets")
    _add_survey(admin, "cats")
    pet = records.save(store, census.surveys["pets"], {"owner": "王芳", "photo": _photo()},
                       user="surveyor1")  # fmt: skip
    assert pet.saved
    site.ids |= {"pet1": pet.id, "pet1_photo": pet.record["photo"]}
    # Tokens for every caller; the deactivated one logs in and gets a token first.
    site.tokens = {who: accounts.create_token(store, who) for who in (ADMIN, REVIEWER, S1, S2)}
    stale = app.test_client()
    assert Auth(stale).login(DEACTIVATED).status_code == 302
    site.tokens[GONE] = accounts.create_token(store, DEACTIVATED)
    accounts.set_active(store, DEACTIVATED, False, actor="admin")
    site._clients[GONE] = stale
    yield site
    runner(app).shutdown()
    store.close()


# -- asking ---------------------------------------------------------------------------------------


def outcome(response: Any, api: bool, logs_out: bool = False) -> str:
    """The table's word for an answer."""
    code = response.status_code
    location = response.headers.get("Location", "")
    if code == 401 and api:
        return LOGIN
    if code in (301, 302, 303) and location.split("?")[0].endswith("/login"):
        if logs_out and "next=" not in location:
            return OK  # logged out: the login page is the answer
        return LOGIN
    if 200 <= code < 400:
        return OK
    return {403: FORBIDDEN, 404: NOT_FOUND, 400: INVALID, 422: INVALID}.get(code, str(code))


def ask(site: Site, endpoint: str, who: str, transport: str, method: str) -> tuple[str, bool]:
    """Send the row's GET or write as ``who``; (outcome, store unchanged?)."""
    row = TABLE[endpoint]
    write = method != "GET"
    url = (row.url if write else row.get_url or row.url).format(**site.ids)
    client = site.client(who) if transport == "session" else site.app.test_client()
    if write and row.logs_out and who not in (ANON, GONE):  # its own session, not the shared one
        client = site.app.test_client()
        Auth(client).login(who)
    headers: dict[str, str] = {}
    if transport == "token" and who in site.tokens:
        headers["Authorization"] = f"Bearer {site.tokens[who]}"
    kwargs: dict[str, Any] = {"headers": headers}
    if write and row.form is not None:
        kwargs["data"] = row.form(site, who) | {"csrf_token": csrf_token(client, "/login")}
    if write and row.json is not None:
        kwargs["json"] = row.json(site, who)
        if transport == "session":
            headers["X-CSRFToken"] = csrf_token(client, "/login")
    before = site.store.stamp()
    response = client.open(url, method=method, **kwargs)
    unchanged = site.store.stamp() == before
    response.close()
    if write and row.logs_out:
        site.forget(who)
    return outcome(response, url.startswith("/api/"), write and row.logs_out), unchanged


def transports(endpoint: str) -> tuple[str, ...]:
    return ("token", "session") if TABLE[endpoint].url.startswith("/api/") else ("session",)


def methods(site: Site, endpoint: str) -> list[str]:
    """What the rule answers, GET first (HEAD and OPTIONS come with it)."""
    (rule,) = [r for r in site.app.url_map.iter_rules() if r.endpoint == endpoint]
    return sorted(set(rule.methods or ()) - {"HEAD", "OPTIONS"}, key=lambda m: m != "GET")


def requests_made(site: Site) -> int:
    """Rules × methods × callers × transports: the requests the table makes."""
    return sum(len(CALLERS) * len(transports(e)) * len(methods(site, e)) for e in TABLE)


def test_the_table_covers_every_rule(site):
    rules = list(site.app.url_map.iter_rules())
    endpoints = [r.endpoint for r in rules]
    assert len(set(endpoints)) == len(endpoints), "two rules share an endpoint: key by rule"
    missing = sorted(set(endpoints) - set(TABLE))
    gone = sorted(set(TABLE) - set(endpoints))
    assert not missing, f"routes without a row in TABLE: {missing}"
    assert not gone, f"rows whose route no longer exists: {gone}"
    adapter = site.app.url_map.bind("localhost")
    for rule in rules:
        row = TABLE[rule.endpoint]
        asked = methods(site, rule.endpoint)
        writes = [m for m in asked if m != "GET"]
        assert writes == ([row.write] if row.write else []), (rule.endpoint, asked, row.write)
        if row.write:
            assert (row.form is None) != (row.json is None), f"{rule.endpoint}: one body"
        for method in asked:
            url = row.url if method != "GET" else row.get_url or row.url
            matched, _args = adapter.match(url.split("?")[0].format(**site.ids), method=method)
            assert matched == rule.endpoint, (url, method, matched)
        assert set(row.expected) == set(CALLERS), rule.endpoint
    total = requests_made(site)
    print(f"route table: {len(rules)} rules, {len(CALLERS)} callers, {total} requests")
    assert total >= len(rules) * len(CALLERS)


@pytest.mark.parametrize("endpoint", sorted(TABLE))
def test_each_caller_gets_what_the_table_says(site, endpoint):
    row = TABLE[endpoint]
    wrong = []
    # The refused callers first: a request let in may use up what the row names (a discard).
    callers = sorted(CALLERS, key=lambda who: row.expected[who] == OK)
    for method in methods(site, endpoint):
        for transport in transports(endpoint):
            for who in callers:
                got, unchanged = ask(site, endpoint, who, transport, method)
                expected = row.expected[who]
                if got != expected:
                    wrong.append(f"{method} {who} ({transport}): {got}, not {expected}")
                elif got != OK and not unchanged:
                    wrong.append(f"{method} {who} ({transport}): {got} but the store changed")
    assert not wrong, f"{site.url(row)}:\n" + "\n".join(wrong)


# -- two surveyors of different grids --------------------------------------------------------------


def theirs(site: Site, me: str) -> dict[str, Any]:
    other = "2" if me == S1 else "1"
    return {k: site.ids[f"{k}{other}"] for k in ("h", "shop", "unit", "work")} | {
        "building": "3栋" if me == S1 else "1栋",
        "household_no": site.ids[f"h{other}_no"],
    }


@pytest.mark.parametrize("me", [S1, S2])
def test_a_surveyor_never_reads_another_grids_records(site, me):
    other = theirs(site, me)
    client = site.client(me)
    for url in (
        f"/households/{other['h']}",
        f"/households/{other['h']}/history",
        f"/survey/household/{other['h']}/edit",
        f"/survey/storefront/{other['shop']}/edit",
        f"/survey/unit/{other['unit']}/edit",
        f"/survey/building/{other['building']}",
        f"/survey/household/new?building={other['building']}",
        f"/fieldwork/door?building={other['building']}&unit=1&room=901",
        f"/worklog/volunteer/{other['work']}",
    ):
        assert client.get(url).status_code == 403, url
    home = client.get("/survey/").get_data(as_text=True)
    assert f"/survey/building/{other['building']}" not in home
    bearer = {"Authorization": f"Bearer {site.tokens[me]}"}
    api = site.app.test_client()
    for url in (
        f"/api/v1/households/{other['h']}",
        f"/api/v1/records/volunteer/{other['work']}",
        f"/api/v1/visits?building={other['building']}",
    ):
        assert api.get(url, headers=bearer).status_code == 403, url
    listed = api.get("/api/v1/households", headers=bearer).json
    assert other["h"] not in [h["id"] for h in listed["households"]]
    assert {h["surveyor"] for h in listed["households"]} == {me}
    records_listed = api.get("/api/v1/records/volunteer", headers=bearer).json
    assert other["work"] not in [r["id"] for r in records_listed["records"]]
    visits = api.get("/api/v1/visits", headers=bearer).json["visits"]
    assert other["building"] not in {v["building"] for v in visits}
    # A link to the other's household is not found for them (it says nothing about it).
    found = api.get(f"/api/v1/records/volunteer?household={other['household_no']}", headers=bearer)
    assert found.status_code == 200 and found.json["count"] == 0


def _snapshot(site: Site) -> dict[str, Any]:
    store = site.store
    return {
        name: sorted(store.collection(name).scan(), key=lambda d: d["id"])
        for name in ("households", "storefronts", "units", "volunteers", "visits", CONFLICTS)
    }


@pytest.mark.parametrize("me", [S1, S2])
def test_a_surveyor_never_writes_another_grids_records(site, me):
    other = theirs(site, me)
    store, forms = site.store, context(site.app).surveys
    client = site.client(me)
    before = _snapshot(site)
    stamp = store.stamp()

    def post(url: str, data: dict[str, Any]) -> int:
        token = csrf_token(client, "/login")
        return client.post(url, data=data | {"csrf_token": token, "save": "1"}).status_code

    from tests.web.worklog_helpers import form_data

    household = store.collection("households").get(other["h"])
    shop = store.collection("storefronts").get(other["shop"])
    unit = store.collection("units").get(other["unit"])
    edits_ = (
        (f"/survey/household/{other['h']}/edit", "household", household, {"notes": "改别人的"}),
        (f"/survey/storefront/{other['shop']}/edit", "storefront", shop, {"name": "改别人的"}),
        (f"/survey/unit/{other['unit']}/edit", "unit", unit, {"name": "改别人的"}),
    )
    for url, form, record, change in edits_:
        data = form_data(forms[form], record | change) | {"_rev": record["_rev"]}
        assert post(url, data) == 403, url
    new_there = form_data(
        forms["household"], make_household(building=other["building"], room="905")
    )
    assert post(f"/survey/household/new?building={other['building']}", new_there) == 403
    shop_there = form_data(forms["storefront"], make_storefront(building=other["building"]))
    assert post("/survey/storefront/new", shop_there) == 403
    visit = {"uuid": fresh(), "building": other["building"], "unit": "1", "room": "905",
             "outcome": "vacant"}  # fmt: skip
    assert post("/fieldwork/visits", visit) == 403
    assert post(f"/review/households/{other['h']}/comment", {"comment": "看看"}) == 403
    # Their own storefront may not be moved into the other grid's building either.
    mine = store.collection("storefronts").get(site.ids["shop1" if me == S1 else "shop2"])
    moved = form_data(forms["storefront"], mine | {"building": other["building"]})
    assert post(f"/survey/storefront/{mine['id']}/edit", moved | {"_rev": mine["_rev"]}) == 403
    # Through the API.
    bearer = {"Authorization": f"Bearer {site.tokens[me]}"}
    api = site.app.test_client()

    def send(method: str, url: str, body: dict[str, Any]) -> int:
        return api.open(url, method=method, json=body, headers=bearer).status_code

    def shown(record: dict[str, Any], form: str) -> dict[str, Any]:
        keys = {f.key for f in forms[form].fields}
        return {k: v for k, v in record.items() if k in keys}

    for url, form, record, change in (
        (f"/api/v1/households/{other['h']}", "household", household, {"notes": "改别人的"}),
        (f"/api/v1/storefronts/{other['shop']}", "storefront", shop, {"name": "改别人的"}),
        (f"/api/v1/units/{other['unit']}", "unit", unit, {"name": "改别人的"}),
    ):
        body = shown(record, form) | change | {"uuid": fresh(), "base_revision": record["_rev"]}
        assert send("PUT", url, body) == 403, url
    body = make_household(building=other["building"], room="906") | {"uuid": fresh()}
    assert send("POST", "/api/v1/households", body) == 403
    body = make_storefront(building=other["building"]) | {"uuid": fresh()}
    assert send("POST", "/api/v1/storefronts", body) == 403
    body = shown(mine, "storefront") | {"building": other["building"], "uuid": fresh(),
                                        "base_revision": mine["_rev"]}  # fmt: skip
    assert send("PUT", f"/api/v1/storefronts/{mine['id']}", body) == 403
    assert send("POST", "/api/v1/visits", visit | {"uuid": fresh()}) == 403
    # Nothing of any of it landed.
    assert store.stamp() == stamp
    assert _snapshot(site) == before


def test_the_surveyors_own_writes_go_through(site):
    """Control for the refusals above: the same requests on one's own records are saved."""
    store, forms = site.store, context(site.app).surveys
    client = site.client(S1)
    shop = store.collection("storefronts").get(site.ids["shop1"])
    from tests.web.worklog_helpers import form_data

    url = f"/survey/storefront/{shop['id']}/edit"
    data = form_data(forms["storefront"], shop | {"name": "一网格小卖部（改）"})
    token = csrf_token(client, "/login")
    saved = client.post(url, data=data | {"_rev": shop["_rev"], "csrf_token": token, "save": "1"})
    assert saved.status_code == 302
    assert store.collection("storefronts").get(shop["id"])["name"] == "一网格小卖部（改）"
