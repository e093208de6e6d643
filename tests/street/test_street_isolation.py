"""Two communities of one deployment × every route × every caller: nobody crosses over.

The route × role table (``tests/web/test_route_table.py``) says what each caller gets from
every endpoint of one community. Here a deployment (``census.street.deployment``) holds two
communities with the same accounts in each (admin, reviewer, two surveyors, a deactivated
surveyor), and the second one has the records, print job, uploads and surveys the table's
URLs name. Every rule of the second community's ``url_map`` is then asked, with every
method the table asks and its harmless body, by the FIRST community's callers pointed at
the second one in each way a browser or a client can point: the ``census_community``
cookie, the ``X-Census-Community`` header, ``?community=``, and the first community's
session cookie copied under the second one's cookie name. Web routes are asked with the
caller's session, API routes with their bearer token and with their session.

Each answer must be the one anonymous gets there, asked the same way (status and
``Location``, and the table's word for anonymous), and neither community's store may
change. The same requests by the second community's own admin get what the table says an
admin gets (the control: the URLs name real records there, so a session let in would
show). Then a street account, which belongs to the first community, gets only the street's
pages through its session (its API token still gets in: an expected failure, below). Last,
a sample of routes on two PostgreSQL schemas of one database.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any

import psycopg
import pytest
from werkzeug.test import Client

from census.demo.generate import generate_demo
from census.demo.seed import DEMO_ACCOUNTS, load_demo
from census.fieldwork import CONFLICTS, edits
from census.services import accounts, records
from census.services.communities import add_community
from census.street.deployment import COOKIE, Deployment
from census.web.access import User
from census.web.current import context
from census.web.prints import runner
from tests.conftest import FAST_HASH, PASSWORD, PG_URL
from tests.factories import make_household, make_storefront
from tests.web.test_route_table import (
    ADMIN,
    ANON,
    DEACTIVATED,
    GONE,
    LOGIN,
    OK,
    REVIEWER,
    S1,
    S2,
    TABLE,
    _add_survey,
    _members,
    _photo,
    _upload,
    fresh,
    methods,
    outcome,
    transports,
)

CODE = "xq"  # the second community
STREET = "street"  # a street account: of the first community, for the street's pages only
FIRST_CALLERS = (ADMIN, REVIEWER, S1, S2, GONE, STREET)
# How a request is pointed at the second community: its cookie, its header, the query, and
# the first community's session cookie copied under the second one's cookie name.
POINTERS = ("cookie", "header", "query", "forged")
SESSION_HERE, SESSION_THERE = "session", f"session_{CODE}"
ADDRESSES = itertools.count()


# -- the deployment -------------------------------------------------------------------------------


def _accounts(store: Any) -> None:
    """The table's callers, with a quick hash: the same usernames in both communities."""
    for username, role, _password, name, grids in DEMO_ACCOUNTS:
        accounts.add_user(store, username, role, PASSWORD, display_name=name, grids=grids,
                          hash_method=FAST_HASH)  # fmt: skip
    for username, role, grids in (
        (DEACTIVATED, "surveyor", ["第一网格"]),
        ("spare", "surveyor", []),
    ):
        accounts.add_user(store, username, role, PASSWORD, grids=grids, hash_method=FAST_HASH)


def _login(client: Client, username: str, community: str = "") -> None:
    """Log ``client`` in to a community through the deployment, as a browser does."""
    url = f"/login?community={community}"
    answer = client.post(url, data={"username": username, "password": PASSWORD,
                                    "csrf_token": _csrf(client, url)})  # fmt: skip
    assert answer.status_code == 302, (username, answer.get_data(as_text=True)[:300])


def _csrf(client: Client, url: str, headers: dict[str, str] | None = None) -> str:
    import re

    html = client.get(url, headers=headers or {}).get_data(as_text=True)
    found = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert found, f"no CSRF token on {url}"
    return found.group(1)


def _records(app: Any) -> dict[str, Any]:
    """The records, jobs, uploads and surveys the table's URLs name, made in ``app``'s store
    as the route table makes them (its own clients: the app itself, not the deployment)."""
    census = context(app)
    store, forms = census.store, census.surveys
    load_demo(store, generate_demo(households=12, as_of=date(2025, 6, 30)), forms)
    ids: dict[str, Any] = {}

    def save(form: str, raw: dict[str, Any], user: str) -> int:
        result = records.save(store, forms[form], raw, user=user)
        assert result.saved, (form, [(p.path, p.code) for p in result.problems if p.is_error])
        return result.id

    demo = sorted(h["id"] for h in store.collection("households").scan())
    ids |= {"demo1": demo[0], "demo2": demo[1]}
    ids["h1"] = save("household", make_household(members=0, room="901")
                     | {"members": _members("650102")}, "surveyor1")  # fmt: skip
    ids["h2"] = save("household", make_household(members=0, building="3栋", room="901")
                     | {"members": _members("650104")}, "surveyor2")  # fmt: skip
    ids["shop1"] = save("storefront", make_storefront(name="一网格小卖部"), "surveyor1")
    ids["shop2"] = save("storefront", make_storefront(name="二网格小卖部", building="3栋",
                                                      address="3栋底商"), "surveyor2")  # fmt: skip
    unit = {"kind": "enterprise", "address": "佐斯腾路9号", "staff_count": 3,
            "key_unit": False, "safe_unit": False}  # fmt: skip
    ids["unit1"] = save("unit", unit | {"name": "一网格单位"}, "surveyor1")
    ids["unit2"] = save("unit", unit | {"name": "二网格单位"}, "surveyor2")
    for n in ("1", "2"):
        head = store.collection("households").get(ids[f"h{n}"])
        person = f"{head['household_no']}/{head['members'][0]['name']}"
        ids[f"work{n}"] = save("volunteer", {"joined_date": "2025-01-01", "team": "巡逻队",
                                             "person": person}, f"surveyor{n}")  # fmt: skip
    demo1 = store.collection("households").get(demo[0])
    keys = {f.key for f in forms["household"].fields}
    answers = {k: v for k, v in demo1.items() if k in keys}
    assert records.save(store, forms["household"], answers | {"notes": "办公室先改"},
                        user="admin", record_id=demo[0]).saved  # fmt: skip
    status, _answer = edits.submit(
        store, forms["household"], demo[0],
        answers | {"notes": "平板后改", "uuid": fresh(), "base_revision": demo1["_rev"]},
        user=User(store.collection("users").find_one(username="admin")),
    )  # fmt: skip
    assert status == 409
    ids["conflict"] = store.collection(CONFLICTS).scan()[0]["id"]
    admin = app.test_client()
    assert _app_login(admin, "admin")
    token = _csrf(admin, "/prints/")
    started = admin.post("/prints/", data={"target": "household-list", "building": "1栋",
                                           "csrf_token": token})  # fmt: skip
    ids["print_job"] = started.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    assert runner(app).wait(ids["print_job"]).state == "done"
    ids["upload"], ids["spare_upload"] = _upload(admin), _upload(admin)
    app.config["IMPORT_WAIT_SECONDS"] = 0  # the report answers with its job's progress page
    progress = admin.get(f"/sheets/import/{ids['upload']}/report")
    ids["import_job"] = progress.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    jobs = app.extensions["census_import_jobs"]
    jobs.wait(jobs.get(ids["import_job"]), 30)
    app.config["IMPORT_WAIT_SECONDS"] = 30
    _add_survey(admin, "pets")
    _add_survey(admin, "cats")
    pet = records.save(store, forms["pets"], {"owner": "王芳", "photo": _photo()},
                       user="surveyor1")  # fmt: skip
    assert pet.saved
    return ids | {"pet1": pet.id, "pet1_photo": pet.record["photo"]}


def _app_login(client: Any, username: str) -> bool:
    token = _csrf(client, "/login")
    answer = client.post("/login", data={"username": username, "password": PASSWORD,
                                         "csrf_token": token})  # fmt: skip
    return answer.status_code == 302


@dataclass
class Street:
    """The deployment, the second community's ids, and the first community's callers."""

    deployment: Deployment
    ids: dict[str, Any] = field(default_factory=dict)
    sessions: dict[str, Client] = field(default_factory=dict)  # the first's callers' browsers
    tokens: dict[str, str] = field(default_factory=dict)  # the first's callers' API tokens
    own_admin: Client | None = None  # the second community's admin, logged in there

    @property
    def there(self) -> Any:
        return self.deployment.app_of(CODE)

    def stamps(self) -> tuple[Any, Any]:
        """Both communities' stores: a write to either changes this."""
        return (context(self.deployment.home).store.stamp(), context(self.there).store.stamp())


def _street(config: dict[str, Any], *, with_records: bool = True) -> Street:
    deployment = Deployment(config)
    home = deployment.census
    _accounts(home.store)
    accounts.add_user(home.store, "street1", STREET, PASSWORD, hash_method=FAST_HASH)
    add_community(home.store, "西区社区", CODE, home_name=home.community_name(), actor="test")
    there = deployment.app_of(CODE, create=True)  # its store made, as adding it does
    assert there is not None
    _accounts(context(there).store)
    street = Street(deployment)
    street.ids = _records(there) if with_records else {}
    users = {ADMIN: "admin", REVIEWER: "reviewer", S1: "surveyor1", S2: "surveyor2",
             GONE: DEACTIVATED, STREET: "street1"}  # fmt: skip
    for who, username in users.items():
        client = Client(deployment)
        _login(client, username)
        street.sessions[who] = client
        street.tokens[who] = accounts.create_token(home.store, username)
    accounts.set_active(home.store, DEACTIVATED, False, actor="admin")
    street.own_admin = Client(deployment)
    _login(street.own_admin, "admin", CODE)
    return street


@pytest.fixture(scope="module")
def street(tmp_path_factory) -> Iterator[Street]:
    folder = tmp_path_factory.mktemp("street-isolation")
    built = _street({"DATA_DIR": str(folder / "data"), "TESTING": True, "FSYNC": False,
                     "PRINT_WORKERS": 0, "IMPORT_WAIT_SECONDS": 30})  # fmt: skip
    yield built
    for app in (built.deployment.home, built.there):
        runner(app).shutdown()
    built.deployment.close()


# -- asking ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    word: str  # the table's word for it
    status: int
    location: str
    unchanged: bool  # neither community's store changed


def _pointed(url: str, pointer: str) -> str:
    if pointer != "query":
        return url
    return f"{url}{'&' if '?' in url else '?'}community={CODE}"


def _point(client: Client, pointer: str) -> dict[str, str]:
    """Set ``client`` up to reach the second community; the headers that go with it."""
    client.delete_cookie(COOKIE)
    if pointer in ("cookie", "forged"):
        client.set_cookie(COOKIE, CODE)
    return {"X-Census-Community": CODE} if pointer == "header" else {}


def ask(street: Street, endpoint: str, client: Client, transport: str, method: str,
        pointer: str, token: str | None, who: str = ANON) -> Answer:  # fmt: skip
    """One request of the table's row, sent to the second community by ``pointer``."""
    row = TABLE[endpoint]
    write = method != "GET"
    url = _pointed((row.url if write else row.get_url or row.url).format(**street.ids), pointer)
    csrf = ""
    if write and pointer == "forged":  # the token that goes with the session it copies
        client.delete_cookie(COOKIE)
        csrf = _csrf(client, "/login")
    headers = _point(client, pointer)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    kwargs: dict[str, Any] = {}
    if write:
        if pointer != "forged":
            csrf = _csrf(client, _pointed("/login", pointer), headers)
        if row.form is not None:
            kwargs["data"] = row.form(SimpleNamespace(ids=street.ids), who) | {"csrf_token": csrf}
        if row.json is not None:
            kwargs["json"] = row.json(SimpleNamespace(ids=street.ids), who)
            if transport == "session":
                headers["X-CSRFToken"] = csrf
    if pointer == "forged":  # the first community's session under the second one's name
        client.set_cookie(SESSION_THERE, client.get_cookie(SESSION_HERE).value)
    before = street.stamps()
    if endpoint == "auth.login":  # each failed login from an address of its own: no 429
        kwargs["environ_overrides"] = {"REMOTE_ADDR": f"10.0.0.{next(ADDRESSES) % 250 + 1}"}
    response = client.open(url, method=method, headers=headers, **kwargs)
    unchanged = street.stamps() == before
    response.close()
    client.delete_cookie(COOKIE)  # ?community= remembered it: the next request chooses anew
    if pointer == "forged":
        client.delete_cookie(SESSION_THERE)
    word = outcome(response, row.url.startswith("/api/"), write and row.logs_out)
    return Answer(word, response.status_code, response.headers.get("Location", ""), unchanged)


def _anonymous(street: Street) -> Client:
    """A browser nobody logged in with; it has the first community's anonymous session
    cookie, as the callers have theirs (the forged pointer copies it)."""
    client = Client(street.deployment)
    client.get("/login")
    return client


@pytest.mark.parametrize("endpoint", sorted(TABLE))
def test_the_first_communitys_callers_get_what_anonymous_gets_in_the_second(street, endpoint):
    there = SimpleNamespace(app=street.there)
    wrong = []
    for method in methods(there, endpoint):
        for transport in transports(endpoint):
            for pointer in POINTERS if transport == "session" else POINTERS[:3]:
                nobody = ask(street, endpoint, _anonymous(street), transport, method, pointer,
                             None)  # fmt: skip
                # (copied, the session is no session there, nor its CSRF token: 400 for a form)
                if pointer != "forged" and nobody.word != TABLE[endpoint].expected[ANON]:
                    wrong.append(f"{method} anonymous ({transport}, {pointer}): {nobody.word}")
                for who in FIRST_CALLERS:
                    client = street.sessions[who] if transport == "session" else None
                    got = ask(
                        street,
                        endpoint,
                        client or Client(street.deployment),
                        transport,
                        method,
                        pointer,
                        street.tokens[who] if client is None else None,
                        f"{who}-{pointer}",
                    )
                    said = f"{method} {who} ({transport}, {pointer})"
                    if (got.status, got.location) != (nobody.status, nobody.location):
                        wrong.append(f"{said}: {got.status} {got.location}, anonymous gets "
                                     f"{nobody.status} {nobody.location}")  # fmt: skip
                    elif not got.unchanged and (endpoint, method) != ("auth.login", "POST"):
                        wrong.append(f"{said}: {got.word}, but a store changed")
    assert not wrong, f"{TABLE[endpoint].url}:\n" + "\n".join(wrong)


def test_the_second_communitys_own_admin_gets_what_the_table_says(street):
    """The control: the URLs name the second community's records, and its own admin, asked
    the same ways, is let in where the table lets an admin in."""
    there = SimpleNamespace(app=street.there)
    wrong = []
    assert street.own_admin is not None
    for endpoint in sorted(TABLE):
        row = TABLE[endpoint]
        if row.logs_out:
            continue  # it would end the admin's session for the rest
        for method in methods(there, endpoint):
            if method != "GET" and row.expected[ADMIN] == OK:
                continue  # a write let in uses up what the row names
            for pointer in ("cookie", "header", "query"):
                got = ask(street, endpoint, street.own_admin, "session", method, pointer, None)
                if got.word != row.expected[ADMIN]:
                    wrong.append(f"{method} {endpoint} ({pointer}): {got.word}")
    assert not wrong, "\n".join(wrong)


def test_every_rule_of_the_second_community_has_a_row(street):
    endpoints = {rule.endpoint for rule in street.there.url_map.iter_rules()}
    assert endpoints == set(TABLE)


def test_the_first_communitys_sessions_still_hold_after_all_that(street):
    """A logout asked in the second community ends no session of the first."""
    for who in (ADMIN, REVIEWER, S1, S2):
        client = street.sessions[who]
        client.delete_cookie(COOKIE)
        assert client.get("/survey/").status_code == 200, who


# -- the street account ---------------------------------------------------------------------------


def test_a_street_account_gets_the_streets_pages_and_nothing_else(street):
    """Its session: every page of its own community but logging in and out, its password,
    the language and the files sends it to the street's summary, and changes nothing; the
    street's pages open."""
    home = street.deployment.home
    client = street.sessions[STREET]
    client.delete_cookie(COOKIE)
    wrong = []
    for rule in home.url_map.iter_rules():
        if rule.endpoint.startswith("street."):
            if not rule.arguments and "GET" in rule.methods:
                answer = client.get(rule.rule)
                if answer.status_code != 200:
                    wrong.append(f"{rule.rule}: {answer.status_code}")
            continue
        row = TABLE[rule.endpoint]
        if rule.endpoint.startswith(("auth.", "offline.", "static")):
            continue  # its own: logging in and out, its password, the worker and files
        for method in methods(SimpleNamespace(app=home), rule.endpoint):
            url = (row.url if method != "GET" else row.get_url or row.url).format(**_any_ids())
            before = street.stamps()
            answer = client.open(url, method=method, data={"csrf_token": _csrf(client, "/login")}
                                 if method != "GET" else None)  # fmt: skip
            where = answer.headers.get("Location", "")
            if answer.status_code != 302 or not where.endswith("/street/"):
                wrong.append(f"{method} {url}: {answer.status_code} {where}")
            if street.stamps() != before:
                wrong.append(f"{method} {url}: the store changed")
    assert not wrong, "\n".join(wrong)


def test_a_street_accounts_api_token_opens_no_record_of_its_community(street):
    api = Client(street.deployment)
    bearer = {"Authorization": f"Bearer {street.tokens[STREET]}"}
    wrong = []
    for url in ("/api/v1/me", "/api/v1/households", "/api/v1/records/volunteer"):
        answer = api.get(url, headers=bearer)
        if answer.status_code not in (401, 403):
            wrong.append(f"GET {url}: {answer.status_code}")
    before = street.stamps()
    unit = {"uuid": fresh(), "kind": "enterprise", "name": "街道建的单位", "address": "佐斯腾路9号",
            "staff_count": 3, "key_unit": False, "safe_unit": False}  # fmt: skip
    answer = api.post("/api/v1/units", headers=bearer, json=unit)
    if answer.status_code not in (401, 403) or street.stamps() != before:
        wrong.append(f"POST /api/v1/units: {answer.status_code}")
    assert not wrong, "\n".join(wrong)


def _any_ids() -> dict[str, Any]:
    """Ids for the first community's URLs: the street account is turned away before any is
    looked up, so none has to exist."""
    names = ("demo1", "demo2", "h1", "h2", "shop1", "unit1", "work1", "conflict", "print_job",
             "upload", "spare_upload", "import_job", "pet1", "pet1_photo")  # fmt: skip
    return dict.fromkeys(names, "1")


# -- PostgreSQL -----------------------------------------------------------------------------------

# A sample: a page, a record, a form write, a JSON write, the API's list and one record.
SAMPLE = ("households.index", "households.view", "review.act", "api.list_households",
          "api.get_household", "api.edit_household", "admin.users", "survey.home")  # fmt: skip


@pytest.fixture
def pg_street(tmp_path) -> Iterator[Street]:
    schema = "census_isolation_test"
    drop = [f"DROP SCHEMA IF EXISTS {s} CASCADE" for s in (schema, f"{schema}_{CODE}")]
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        for statement in drop:
            conn.execute(statement)
        conn.execute(f"CREATE SCHEMA {schema}")
    url = f"{PG_URL}?options=-c%20search_path%3D{schema}"
    built = _street({"DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": url, "TESTING": True,
                     "PRINT_WORKERS": 0}, with_records=False)  # fmt: skip
    there = context(built.there)
    load_demo(there.store, generate_demo(households=6, as_of=date(2025, 6, 30)), there.surveys)
    first = sorted(h["id"] for h in there.store.collection("households").scan())[0]
    built.ids = {"h1": first}
    try:
        yield built
    finally:
        built.deployment.close()
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            for statement in drop:
                conn.execute(statement)


def test_on_postgresql_a_sample_of_routes_keeps_the_communities_apart(pg_street):
    wrong = []
    there = SimpleNamespace(app=pg_street.there)
    for endpoint in SAMPLE:
        for method in methods(there, endpoint):
            for transport in transports(endpoint):
                for pointer in POINTERS if transport == "session" else POINTERS[:3]:
                    nobody = ask(pg_street, endpoint, _anonymous(pg_street), transport, method,
                                 pointer, None)  # fmt: skip
                    for who in (ADMIN, S1):
                        session = transport == "session"
                        client = (
                            pg_street.sessions[who] if session else Client(pg_street.deployment)
                        )
                        got = ask(pg_street, endpoint, client, transport, method, pointer,
                                  None if session else pg_street.tokens[who])  # fmt: skip
                        if (got.status, got.location) != (nobody.status, nobody.location):
                            wrong.append(
                                f"{method} {endpoint} {who} ({transport}, {pointer}): "
                                f"{got.status}, anonymous gets {nobody.status}"
                            )
                        elif not got.unchanged:
                            wrong.append(f"{method} {endpoint} {who}: a store changed")
                    if pointer != "forged":
                        assert nobody.word == LOGIN, (endpoint, method, pointer)
    own = pg_street.own_admin
    assert own is not None
    own.delete_cookie(COOKIE)
    own.set_cookie(COOKIE, CODE)
    assert own.get(f"/households/{pg_street.ids['h1']}").status_code == 200  # the control
    assert not wrong, "\n".join(wrong)
