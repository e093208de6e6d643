"""A street deployment: two communities on one server, kept apart, and the street's pages.

The deployment (``census.street.deployment``) serves the first community from its data
folder and an added one from ``communities/<code>/``; both are real TinyDB folders (and,
in the last test, two schemas of the real PostgreSQL). The clients are Werkzeug's, with
cookies, against the deployment's WSGI app, as a browser goes through ``census serve``.
"""

from __future__ import annotations

import re
from datetime import date

import psycopg
import pytest
from werkzeug.test import Client

from census.context import Census
from census.demo.generate import generate_demo
from census.demo.seed import load_demo
from census.domain.rollup import street_total
from census.domain.summary import summary
from census.services.accounts import add_user, create_token
from census.services.communities import add_community, name_community
from census.street.deployment import COOKIE, Deployment
from census.street.places import community_config
from census.web.current import context
from tests.conftest import FAST_HASH, PASSWORD, PG_URL

AS_OF = date(2025, 6, 30)
EAST, WEST = "东区社区", "西区社区"
EAST_HEAD, WEST_HEAD = "东区户主甲", "西区户主乙"


def _fill(census, seed: int, households: int, head: str, name: str) -> None:
    """A generated community whose first household's head has a name no other one has."""
    data = generate_demo(seed=seed, households=households, as_of=AS_OF)
    data["households"][0]["members"][0]["name"] = head
    load_demo(census.store, data, census.surveys)
    name_community(census.store, name)
    for username, role in (("boss", "admin"), ("checker", "reviewer")):
        add_user(census.store, username, role, PASSWORD, hash_method=FAST_HASH)


def _street(config) -> Deployment:
    street = Deployment(config)
    home = street.census
    _fill(home, 3, 12, EAST_HEAD, EAST)
    add_user(home.store, "street1", "street", PASSWORD, hash_method=FAST_HASH)
    add_user(home.store, "walker", "surveyor", PASSWORD, hash_method=FAST_HASH)
    add_community(home.store, WEST, "xq", home_name=EAST, actor="test")
    west = street.census_of("xq", create=True)  # its store made, as adding it does
    assert west is not None
    _fill(west, 8, 9, WEST_HEAD, WEST)
    return street


@pytest.fixture
def street(tmp_path):
    deployment = _street({"DATA_DIR": str(tmp_path / "data"), "TESTING": True, "FSYNC": False})
    yield deployment
    deployment.close()


def _token(client: Client, url: str) -> str:
    html = client.get(url).get_data(as_text=True)
    found = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert found, f"no CSRF token on {url}"
    return found.group(1)


def _login(client: Client, username: str, community: str = "") -> None:
    url = f"/login?community={community}"
    answer = client.post(
        url,
        data={"username": username, "password": PASSWORD, "csrf_token": _token(client, url)},
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[:300]


def test_each_community_sees_its_own_households_only(street):
    east, west = Client(street), Client(street)
    _login(east, "boss")
    _login(west, "boss", "xq")
    east_page = east.get("/households").get_data(as_text=True)
    west_page = west.get("/households").get_data(as_text=True)
    assert EAST_HEAD in east_page and WEST_HEAD not in east_page
    assert WEST_HEAD in west_page and EAST_HEAD not in west_page
    assert WEST in west_page  # its own name in its header
    assert (street.census.store.data_dir, context(street.app_of("xq")).store.data_dir) == (
        street.census.data_dir,
        street.census.data_dir / "communities" / "xq",
    )


def test_a_session_of_one_community_opens_nothing_in_another(street):
    """Every GET page of 西区, asked with the 东区 admin's session, answers as it answers
    somebody not logged in at all (the login page, 401, or a public file)."""
    east, nobody = Client(street), Client(street)
    _login(east, "boss")
    east.set_cookie(COOKIE, "xq")  # the admin of 东区 points the browser at 西区
    nobody.set_cookie(COOKIE, "xq")
    asked = 0
    for rule in street.app_of("xq").url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments:
            continue
        answer, anonymous = east.get(rule.rule), nobody.get(rule.rule)
        assert answer.status_code == anonymous.status_code, rule.rule
        assert answer.headers.get("Location") == anonymous.headers.get("Location"), rule.rule
        body = answer.get_data(as_text=True)
        assert WEST_HEAD not in body and EAST_HEAD not in body, rule.rule
        asked += 1
    assert asked > 30


def test_an_api_token_of_one_community_is_no_token_in_another(street):
    token = create_token(street.census.store, "boss")
    api = Client(street)
    auth = {"Authorization": f"Bearer {token}"}
    mine = api.get("/api/v1/households", headers=auth)
    assert mine.status_code == 200 and mine.get_json()["count"] == 12  # 东区's twelve
    other = api.get("/api/v1/households", headers={**auth, "X-Census-Community": "xq"})
    assert other.status_code == 401
    assert api.get("/login?community=nowhere").status_code == 404


def test_street_staff_see_both_communities_and_the_total_and_no_record(street):
    client = Client(street)
    _login(client, "street1")
    page = client.get("/street/").get_data(as_text=True)
    rows = {
        code: re.findall(r"<td>([^<]*)</td>", row)
        for code, row in re.findall(r'<tr data-community="([^"]*)">(.*?)</tr>', page, re.S)
    }
    east = summary(*_records(street.census), AS_OF.today())
    west = summary(*_records(street.census_of("xq")), AS_OF.today())
    assert [int(rows[c][0]) for c in ("", "xq", "total")] == [
        east["households"],
        west["households"],
        east["households"] + west["households"],
    ]
    total = street_total([east, west])
    assert int(rows["total"][1]) == total["residents"]
    assert EAST in page and WEST in page and "合计" in page
    answer = client.get("/households")  # street staff open no record page
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/street/")
    registers = client.get("/street/registers").get_data(as_text=True)
    assert "合计" in registers and WEST in registers
    workbook = client.get("/street/summary.xlsx")
    assert workbook.status_code == 200 and workbook.data[:2] == b"PK"


def _records(census):
    store = census.store
    return (
        store.collection("households").scan(),
        store.collection("storefronts").scan(),
        store.collection("units").scan(),
    )


def test_a_community_surveyor_may_not_read_the_street(street):
    client = Client(street)
    _login(client, "walker")
    assert client.get("/street/").status_code == 403


def test_the_admin_adds_a_community_on_the_page(street):
    client = Client(street)
    _login(client, "boss")
    token = _token(client, "/street/communities")
    bad = client.post(
        "/street/communities", data={"name": "北区", "code": "Bad Code", "csrf_token": token}
    )
    assert bad.status_code == 200 and "社区代码只能用" in bad.get_data(as_text=True)
    added = client.post(
        "/street/communities", data={"name": "北区社区", "code": "bq", "csrf_token": token}
    )
    assert added.status_code == 302
    assert [c.code for c in street.communities()] == ["", "xq", "bq"]
    assert (street.census.data_dir / "communities" / "bq").is_dir()
    listed = client.get("/street/").get_data(as_text=True)
    assert "北区社区" in listed
    taken = client.post(
        "/street/communities", data={"name": "又一个", "code": "xq", "csrf_token": token}
    )
    assert "已被使用" in taken.get_data(as_text=True)


def test_two_communities_on_one_postgresql_database(tmp_path):
    schema = "census_street_test"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.execute(f"DROP SCHEMA IF EXISTS {schema}_xq CASCADE")
        conn.execute(f"CREATE SCHEMA {schema}")
    url = f"{PG_URL}?options=-c%20search_path%3D{schema}"
    deployment = _street({"DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": url, "TESTING": True})
    try:
        east, west = Client(deployment), Client(deployment)
        _login(east, "boss")
        _login(west, "boss", "xq")
        assert WEST_HEAD not in east.get("/households").get_data(as_text=True)
        assert WEST_HEAD in west.get("/households").get_data(as_text=True)
        with psycopg.connect(PG_URL) as conn:
            schemas = {
                row[0]
                for row in conn.execute(
                    "SELECT table_schema FROM information_schema.tables"
                    " WHERE table_name = 'census_documents' AND table_schema LIKE %s",
                    (f"{schema}%",),
                )
            }
        assert schemas == {schema, f"{schema}_xq"}
    finally:
        deployment.close()
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            conn.execute(f"DROP SCHEMA IF EXISTS {schema}_xq CASCADE")


def test_a_server_opens_every_community_at_start_not_at_the_first_street_page(street):
    add_community(street.census.store, "北区社区", "bq", home_name=EAST, actor="test")
    made = Census.open(community_config(street.home.config, "bq") | {"CREATE_STORE": True})
    made.close()  # its store made, as adding it does (by census community add, say)
    assert "bq" not in street._apps  # listed, not opened yet
    street.open_all()  # what census serve starts in the background
    assert "bq" in street._apps
    assert street.census_of("bq").community_name() == "北区社区"


def test_the_community_cookie_is_secure_as_the_session_cookie_is(street):
    """Over HTTPS (or forwarded as HTTPS behind the proxy) the cookie choosing a community
    is Secure, as the session cookie is; over plain HTTP on this machine it is not."""
    plain = Client(street).get("/login?community=xq")
    assert plain.headers.getlist("Set-Cookie")
    assert not any("Secure" in c for c in plain.headers.getlist("Set-Cookie"))
    https = Client(street).get("/login?community=xq", base_url="https://localhost")
    cookies = https.headers.getlist("Set-Cookie")
    assert any(c.startswith(f"{COOKIE}=xq") and "; Secure" in c for c in cookies)
    forgotten = Client(street).get("/login?community=", base_url="https://localhost")
    assert any(
        c.startswith(f"{COOKIE}=;") and "Max-Age=0" in c
        for c in forgotten.headers.getlist("Set-Cookie")
    )
