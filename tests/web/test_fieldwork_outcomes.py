"""Visit outcomes from the building page and the API: revisits, the not-home flag, idempotency."""

from __future__ import annotations

import re
import threading
import uuid as uuidlib
from datetime import datetime, timedelta
from urllib.parse import unquote

import pytest

from census.fieldwork.outcomes import dwelling_at
from census.services.accounts import create_token
from tests.conftest import Auth, csrf_token
from tests.factories import make_household


@pytest.fixture
def tokens(store):
    return {name: create_token(store, name) for name in ("admin", "surveyor1", "surveyor2")}


def api_visit(client, token, **fields):
    body = {"uuid": str(uuidlib.uuid4()), "building": "1栋", "unit": "1", "outcome": "not_home"}
    body |= fields
    response = client.post(
        "/api/v1/visits", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    return response, body


def tap(client, outcome, room, unit="1", building="1栋", uuid=None):
    """Tap an outcome button on the building page, as the surveyor does."""
    page = client.get(f"/survey/building/{building}").get_data(as_text=True)
    uuid = uuid or re.search(r'name="uuid" value="([^"]+)"', page).group(1)
    return client.post(
        "/fieldwork/visits",
        data={
            "csrf_token": csrf_token(client, f"/survey/building/{building}"),
            "uuid": uuid,
            "building": building,
            "unit": unit,
            "room": room,
            "outcome": outcome,
        },
    )


def a_day_passes(store):
    """Every visit so far moves a day back, as if it had been made the day before."""
    visits = store.collection("visits")
    for visit in visits.scan():
        when = datetime.fromisoformat(visit["visited_at"]) - timedelta(days=1)
        doc = {k: v for k, v in visit.items() if k not in ("id", "_rev")}
        visits.update(visit["id"], doc | {"visited_at": when.isoformat(timespec="seconds")})


def test_three_not_home_visits_flag_the_door_for_staff(app, client, auth, store):
    auth.login("surveyor1")
    for _ in range(3):
        response = tap(client, "not_home", "301")
        assert response.status_code == 302
        assert unquote(response.headers["Location"]).endswith("/survey/building/1栋")
        a_day_passes(store)
    door = dwelling_at(store, "1栋", "1", "301")
    assert door.not_home_count == 3 and door.flagged
    assert [e.by for e in door.events] == ["surveyor1"] * 3
    page = client.get("/survey/").get_data(as_text=True)
    assert "需关注" in page and "无人在家 3 次" in page

    staff = app.test_client()
    Auth(staff).login("reviewer")
    coverage = staff.get("/fieldwork/coverage").get_data(as_text=True)
    flagged = coverage.split('id="flagged"')[1]
    assert "1栋 1单元301" in flagged and "无人在家 3 次" in flagged


def test_the_flag_is_announced_when_the_third_visit_is_recorded(client, auth, store):
    auth.login("surveyor1")
    tap(client, "not_home", "302")
    a_day_passes(store)
    tap(client, "not_home", "302")
    a_day_passes(store)
    page = client.get("/survey/building/1栋").get_data(as_text=True)  # flashes shown
    assert "已提醒" not in page
    tap(client, "not_home", "302")
    page = client.get("/survey/building/1栋").get_data(as_text=True)
    assert "3 次无人在家，已提醒社区工作人员" in page


def test_the_revisit_list_holds_not_home_and_refused_doors(client, auth, store, tokens):
    auth.login("surveyor1")
    tap(client, "not_home", "101")
    tap(client, "refused", "102")
    tap(client, "vacant", "103")
    tap(client, "not_home", "104")  # then registered: done
    body = make_household(unit="1", room="104") | {"uuid": str(uuidlib.uuid4())}
    registered = client.post(
        "/api/v1/households", json=body, headers={"Authorization": f"Bearer {tokens['surveyor1']}"}
    )
    assert registered.status_code == 201
    api_visit(
        client, tokens["surveyor1"], building="民族大院", unit="", room="3", outcome="refused"
    )

    home = client.get("/survey/").get_data(as_text=True)
    revisit = home.split('id="revisit"')[1]
    doors = re.findall(r'<span class="addr">([^<]+)</span>', revisit)
    assert doors == ["1栋 1单元101", "1栋 1单元102", "民族大院 3"]
    assert re.search(r'id="revisit">待回访 <small>3 户</small>', home)
    # the doors of the building, each with its state in words
    building = client.get("/survey/building/1栋").get_data(as_text=True)
    for room, word in (("101", "无人在家"), ("102", "拒绝"), ("103", "空置"), ("104", "已登记")):
        tile = building.split(f'<span class="addr">1单元{room}</span>')[1].split("</a>")[0]
        assert word in tile, room
    assert "已走访 4 / 应有 12 户" in building


def test_a_door_page_records_in_one_tap_and_shows_the_history(client, auth, store):
    auth.login("surveyor1")
    tap(client, "not_home", "201")
    url = "/fieldwork/door?building=1栋&unit=1&room=201"
    page = client.get(url).get_data(as_text=True)
    assert 'value="refused"' in page and 'value="vacant"' in page and "surveyor1" in page
    uuid = re.search(r'name="uuid" value="([^"]+)"', page).group(1)
    token = csrf_token(client, url)
    data = {"csrf_token": token, "uuid": uuid, "building": "1栋", "unit": "1", "room": "201"}
    client.post("/fieldwork/visits", data=data | {"outcome": "vacant"})
    client.post("/fieldwork/visits", data=data | {"outcome": "vacant"})  # a double tap
    assert len(store.collection("visits")) == 2
    assert dwelling_at(store, "1栋", "1", "201").state == "vacant"


def test_a_surveyor_records_only_in_their_buildings(client, auth, store, tokens):
    auth.login("surveyor1")
    assert tap(client, "not_home", "101", building="1栋").status_code == 302
    token = csrf_token(client, "/survey/")
    response = client.post(
        "/fieldwork/visits",
        data={
            "csrf_token": token,
            "uuid": "x1",
            "building": "2栋",
            "room": "1",
            "outcome": "vacant",
        },
    )
    assert response.status_code == 403
    assert client.get("/fieldwork/door?building=2栋&room=1").status_code == 403
    response, _ = api_visit(client, tokens["surveyor1"], building="2栋", room="1")
    assert response.status_code == 403
    assert len(store.collection("visits")) == 1


def test_the_visits_api_is_idempotent_by_uuid(client, store, tokens):
    first, body = api_visit(
        client, tokens["surveyor1"], room="401", visited_at="2026-11-20T18:30:00+08:00"
    )
    assert first.status_code == 201, first.json
    assert first.json["state"] == "not_home" and first.json["not_home_count"] == 1
    again = client.post(
        "/api/v1/visits", json=body, headers={"Authorization": f"Bearer {tokens['surveyor1']}"}
    )
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    other = client.post(
        "/api/v1/visits",
        json=body | {"outcome": "vacant"},
        headers={"Authorization": f"Bearer {tokens['surveyor1']}"},
    )
    assert other.status_code == 409 and other.json["id"] == first.json["id"]
    stored = store.collection("visits").get(first.json["id"])
    assert stored["outcome"] == "not_home" and stored["surveyor"] == "surveyor1"
    assert stored["visited_at"].startswith("2026-11-2") and len(store.collection("visits")) == 1
    listed = client.get(
        "/api/v1/visits?building=1栋", headers={"Authorization": f"Bearer {tokens['surveyor1']}"}
    ).json
    assert [v["id"] for v in listed["visits"]] == [first.json["id"]]


def test_retries_of_one_visit_sent_at_the_same_moment_make_one_record(app, store, tokens):
    body = {
        "uuid": str(uuidlib.uuid4()),
        "building": "1栋",
        "unit": "2",
        "room": "502",
        "outcome": "refused",
        "visited_at": "2026-11-21T10:00:00",
    }
    statuses: list[int] = []
    ids: set[int] = set()
    barrier = threading.Barrier(8)

    def send():
        client = app.test_client()
        barrier.wait()
        response = client.post(
            "/api/v1/visits", json=body, headers={"Authorization": f"Bearer {tokens['surveyor1']}"}
        )
        statuses.append(response.status_code)
        ids.add(response.json["id"])

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] * 7 + [201]
    assert len(ids) == 1 and len(store.collection("visits").find(uuid=body["uuid"])) == 1


def test_a_bad_visit_is_422_with_field_paths(client, tokens):
    response, _ = api_visit(client, tokens["admin"], room="", outcome="gone", visited_at="soon")
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"room", "outcome", "visited_at"}
    missing = client.post(
        "/api/v1/visits",
        json={"building": "1栋", "room": "1", "outcome": "vacant"},
        headers={"Authorization": f"Bearer {tokens['admin']}"},
    )
    assert missing.status_code == 422 and "uuid" in missing.json["errors"]
    assert client.post("/api/v1/visits", json={}).status_code == 401


def test_the_same_outcome_tapped_again_within_a_minute_is_one_visit(client, auth, store):
    auth.login("surveyor1")
    for _ in range(3):  # three quick taps of 无人在家, each from a page with its own uuid
        assert tap(client, "not_home", "303").status_code == 302
    assert len(store.collection("visits")) == 1
    door = dwelling_at(store, "1栋", "1", "303")
    assert door.not_home_count == 1 and not door.flagged
    page = client.get("/survey/building/1栋").get_data(as_text=True)
    assert "这次走访已经记录过了" in page
    tap(client, "refused", "303")  # another outcome is another visit
    tap(client, "not_home", "304")  # and so is another door
    assert len(store.collection("visits")) == 3


def test_the_api_answers_a_repeat_within_a_minute_with_the_first_visit(client, store, tokens):
    first, body = api_visit(
        client, tokens["surveyor1"], room="305", visited_at="2026-11-20T18:30:00"
    )
    assert first.status_code == 201
    again, _ = api_visit(client, tokens["surveyor1"], room="305", visited_at="2026-11-20T18:30:40")
    assert again.status_code == 200, again.json
    assert again.json["id"] == first.json["id"] and again.json["same_as"] == body["uuid"]
    assert again.json["not_home_count"] == 1
    # another surveyor at the same door, or the same one a minute and more later: a visit
    other, _ = api_visit(client, tokens["admin"], room="305", visited_at="2026-11-20T18:30:50")
    later, _ = api_visit(client, tokens["surveyor1"], room="305", visited_at="2026-11-20T18:31:41")
    assert (other.status_code, later.status_code) == (201, 201)
    assert len(store.collection("visits")) == 3


def test_a_surveyor_withdraws_a_visit_tapped_by_mistake(client, store, tokens):
    headers = {"Authorization": f"Bearer {tokens['surveyor1']}"}
    for day in (20, 21):
        api_visit(client, tokens["surveyor1"], room="306", visited_at=f"2026-11-{day}T10:00:00")
    mistake, body = api_visit(client, tokens["surveyor1"], room="306", outcome="refused")
    assert dwelling_at(store, "1栋", "1", "306").state == "refused"

    assert client.post(f"/api/v1/visits/{body['uuid']}/undo", json={}).status_code == 401
    stranger = {"Authorization": f"Bearer {tokens['surveyor2']}"}
    assert (
        client.post(f"/api/v1/visits/{body['uuid']}/undo", json={}, headers=stranger).status_code
        == 404
    )
    undone = client.post(f"/api/v1/visits/{body['uuid']}/undo", json={}, headers=headers)
    assert undone.status_code == 200, undone.json
    assert undone.json["withdrawn"] is True and undone.json["state"] == "not_home"
    again = client.post(f"/api/v1/visits/{body['uuid']}/undo", json={}, headers=headers)
    assert again.status_code == 200 and again.json["id"] == mistake.json["id"]
    stored = store.collection("visits").get(mistake.json["id"])
    assert stored["withdrawn_by"] == "surveyor1" and stored["withdrawn_at"]  # kept in the log
    door = dwelling_at(store, "1栋", "1", "306")
    assert (door.state, door.not_home_count, len(door.events)) == ("not_home", 2, 2)
    entries = store.collection("audit").find(action="visit_withdraw")
    assert [e["target"] for e in entries] == [f"visits/{mistake.json['id']}"]

    # the same outcome tapped again after the withdrawal is a visit again
    redo, _ = api_visit(client, tokens["surveyor1"], room="306", outcome="refused")
    assert redo.status_code == 201

    # an hour after it was recorded, a visit stays: staff are asked instead
    old = store.collection("visits").get(redo.json["id"])
    aged = {k: v for k, v in old.items() if k not in ("id", "_rev")}
    aged["recorded_at"] = (datetime.now() - timedelta(hours=2)).isoformat(timespec="seconds")
    store.collection("visits").update(old["id"], aged)
    late = client.post(f"/api/v1/visits/{old['uuid']}/undo", json={}, headers=headers)
    assert late.status_code == 422 and "uuid" in late.json["errors"]
    assert dwelling_at(store, "1栋", "1", "306").state == "refused"
