"""The coverage page and the review queue show a write on the very next view, as 台账 does,
without reading every record again; on PostgreSQL, another server's writes show too."""

from __future__ import annotations

import re
import uuid

import pytest

from census.app import create_app
from census.services.accounts import add_user, create_token
from census.web.current import context, get_store
from tests.conftest import FAST_HASH, PASSWORD, Auth
from tests.factories import make_household


def send(client, token: str, method: str, url: str, body: dict) -> dict:
    response = client.open(
        url, method=method, json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code in (200, 201), response.json
    return response.json


def cells(html: str, first: str) -> list[str]:
    """The numeric cells of the coverage table row that starts with this text."""
    row = re.search(rf"<tr><td>(?:<a [^>]*>)?{first}(?:</a>)?</td>(.*?)</tr>", html, re.S)
    assert row, first
    return re.findall(r'<td class="num">([^<]*)</td>', row.group(1))


def queued(client, **args: str) -> list[str]:
    """The household numbers the review queue lists."""
    query = "&".join(f"{k}={v}" for k, v in args.items())
    html = client.get(f"/review/?{query}").get_data(as_text=True)
    return re.findall(r'<a href="/households/\d+">(H\d+)</a>', html)


def test_a_visit_and_a_move_show_on_the_next_coverage_page(app, store):
    staff = Auth(app.test_client())
    staff.login("admin")
    token = create_token(store, "surveyor1")
    api = app.test_client()
    body = make_household(building="1栋", unit="1", room="101") | {"uuid": str(uuid.uuid4())}
    created = send(api, token, "POST", "/api/v1/households", body)
    html = staff.client.get("/fieldwork/coverage").get_data(as_text=True)
    # expected, visited, completed, registered, vacant, to revisit, flagged
    assert cells(html, "1栋") == ["12", "1", "1", "1", "0", "0", "0"]
    assert cells(html, "民族大院") == ["8", "0", "0", "0", "0", "0", "0"]
    reads = context(app).derived.full_reads

    for day in (1, 2, 3):
        knock = {"building": "民族大院", "unit": "", "room": "3", "outcome": "not_home"}
        knock |= {"visited_at": f"2026-11-0{day}T10:00:00", "uuid": str(uuid.uuid4())}
        send(api, token, "POST", "/api/v1/visits", knock)
    moved = dict(body, building="民族大院", unit="", room="5")
    moved |= {"uuid": str(uuid.uuid4()), "base_revision": 1}
    send(api, token, "PUT", f"/api/v1/households/{created['id']}", moved)

    html = staff.client.get("/fieldwork/coverage").get_data(as_text=True)
    assert cells(html, "1栋") == ["12", "0", "0", "0", "0", "0", "0"]
    assert cells(html, "民族大院") == ["8", "2", "1", "1", "0", "1", "1"]
    assert "民族大院 3" in re.sub(
        r"\s+", " ", re.sub(r"<[^>]+>", " ", html.split('id="flagged"')[1])
    )
    assert context(app).derived.full_reads == reads  # the writes were applied, nothing read again


def test_the_review_queue_follows_submissions_and_approvals(app, store):
    staff = Auth(app.test_client())
    staff.login("reviewer")
    token = create_token(store, "surveyor1")
    api = app.test_client()
    assert queued(staff.client) == []
    first = send(
        api,
        token,
        "POST",
        "/api/v1/households",
        make_household(room="101") | {"uuid": str(uuid.uuid4())},
    )
    second = send(
        api,
        token,
        "POST",
        "/api/v1/households",
        make_household(room="102") | {"uuid": str(uuid.uuid4())},
    )
    assert queued(staff.client) == [first["household_no"], second["household_no"]]
    reads = context(app).derived.full_reads

    token_page = staff.client.get(f"/households/{first['id']}").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', token_page)
    assert csrf
    answer = staff.client.post(
        f"/review/households/{first['id']}/approve", data={"csrf_token": csrf.group(1)}
    )
    assert answer.status_code == 302
    assert queued(staff.client) == [second["household_no"]]
    assert queued(staff.client, state="approved") == [first["household_no"]]
    assert queued(staff.client, state="all") == [first["household_no"], second["household_no"]]
    assert context(app).derived.full_reads == reads


# ---------------------------------------------------------------- PostgreSQL: two servers


def registered(client) -> int:
    html = client.get("/registers/").get_data(as_text=True)
    found = re.search(r'data-register="registered">(\d+)<', html)
    assert found, html[:300]
    return int(found.group(1))


@pytest.mark.postgres
def test_a_household_saved_by_another_server_shows_on_this_one(tmp_path, pg_url):
    config = {"DATABASE_URL": pg_url, "SECRET_KEY": "x", "FSYNC": False}
    here = create_app(config | {"DATA_DIR": str(tmp_path / "here")})
    there = create_app(config | {"DATA_DIR": str(tmp_path / "there")})
    try:
        store = get_store(here)
        store.collection("buildings").insert({"name": "1栋", "grid": "第一网格"})
        add_user(store, "admin", "admin", PASSWORD, hash_method=FAST_HASH)
        staff = Auth(here.test_client())
        staff.login("admin")
        assert registered(staff.client) == 0
        token = create_token(get_store(there), "admin")
        body = make_household(members=2) | {"uuid": str(uuid.uuid4())}
        created = send(there.test_client(), token, "POST", "/api/v1/households", body)
        assert registered(staff.client) == 2  # the other server's household, on this one
        reads = context(here).derived.full_reads
        mine = make_household(members=3, room="102") | {"uuid": str(uuid.uuid4())}
        send(here.test_client(), token, "POST", "/api/v1/households", mine)
        assert registered(staff.client) == 5
        moved = dict(body, members=body["members"][:1]) | {"uuid": str(uuid.uuid4())}
        send(
            here.test_client(),
            token,
            "PUT",
            f"/api/v1/households/{created['id']}",
            moved | {"base_revision": 1},
        )
        assert registered(staff.client) == 4
        assert context(here).derived.full_reads == reads  # this server's own: applied
    finally:
        get_store(here).close()
        get_store(there).close()
