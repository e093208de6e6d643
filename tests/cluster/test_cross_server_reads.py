"""Two servers on one PostgreSQL schema: a household saved on one shows on the other's staff
pages on the next view, and the other reads again only that household (the change journal),
not every record.

Server A is ``census serve`` in a process of its own; server B is an app in this process, so
that the test can count how often its read models read everything (``Derived.full_reads``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import orjson
import psycopg
import pytest

from census.app import create_app
from census.web.current import context, get_store
from tests.servers import SECRET, Client, Server, household, prepare, settings

pytestmark = pytest.mark.postgres


@pytest.fixture
def two_servers(tmp_path, pg_url) -> Iterator[tuple[Client, Any, Any]]:
    """A's API client, B's app and B's staff client logged in as admin."""
    token = prepare(tmp_path / "setup", pg_url)
    server = Server(settings(tmp_path / "a", pg_url) | {"CENSUS_FSYNC": "false"})
    app = create_app(
        {"DATABASE_URL": pg_url, "DATA_DIR": str(tmp_path / "b"), "SECRET_KEY": SECRET}
        | {"FSYNC": False, "WTF_CSRF_ENABLED": False}
    )
    try:
        staff = app.test_client()
        answer = staff.post("/login", data={"username": "admin", "password": "admin-pass-1"})
        assert answer.status_code == 302, answer.status_code
        api = Client(server, token)
        yield api, app, staff
        api.conn.close()
    finally:
        get_store(app).close()
        server.stop()


def page(staff: Any, url: str) -> str:
    answer = staff.get(url)
    assert answer.status_code == 200, (url, answer.status_code)
    return str(answer.get_data(as_text=True))


def registered(staff: Any) -> int:
    found = re.search(r'data-register="registered">(\d+)<', page(staff, "/registers/?all=1"))
    assert found
    return int(found.group(1))


def put(api: Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    api.conn.request("PUT", path, body=orjson.dumps(body), headers=api.headers)
    answer = api.conn.getresponse()
    found: dict[str, Any] = orjson.loads(answer.read())
    assert answer.status == 200, found
    return found


def test_a_household_saved_on_one_server_shows_on_the_other_without_reading_everything(
    two_servers: tuple[Client, Any, Any], pg_url: str
) -> None:
    api, app, staff = two_servers
    for n in range(3):  # some households before B's first view
        status, _ = api.post("/api/v1/households", household(n))
        assert status == 201
    assert registered(staff) == 3
    assert "共有居民3户3人" in page(staff, "/summary?all=1")
    page(staff, "/fieldwork/coverage")
    page(staff, "/review/")
    derived = context(app).derived
    reads = derived.full_reads

    body = household(7)
    status, created = api.post("/api/v1/households", body)  # on server A
    assert status == 201, created
    assert registered(staff) == 4  # on server B
    assert "共有居民4户4人" in page(staff, "/summary?all=1")
    assert body["members"][0]["name"] in page(staff, "/households")
    assert "399" not in page(staff, "/registers/registered?all=1")
    moved = dict(body, room="399", base_revision=1)  # a new household is revision 1
    put(api, f"/api/v1/households/{created['id']}", moved)
    assert "399" in page(staff, "/registers/registered?all=1")  # the register's rows
    assert registered(staff) == 4
    assert derived.full_reads == reads  # A's writes were read household by household
    assert get_store(app).journal_reads >= 2

    # the journal pruned past B's last view: B reads everything, and still shows it right
    with psycopg.connect(pg_url, autocommit=True) as conn:
        status, _ = api.post("/api/v1/households", household(8))
        assert status == 201
        conn.execute("DELETE FROM census_changes")
    assert registered(staff) == 5
    assert "共有居民5户5人" in page(staff, "/summary?all=1")
    assert derived.full_reads == reads + 1
