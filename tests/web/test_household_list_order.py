"""The household list (住户) comes from the read model: in the order sorting every household
read from the store by address gives, with a write on the next request (this server's and,
on PostgreSQL, another's), sorted once for the records of a moment and not on every view."""

from __future__ import annotations

import random
import re
import uuid

import pytest

from census.app import create_app
from census.domain.address import address_key
from census.queries import lookup
from census.queries.records import AddressOrder
from census.services.accounts import add_user, create_token
from census.web.current import context, get_store
from census.web.households import PAGE_SIZE, _matches
from tests.conftest import FAST_HASH, PASSWORD, Auth
from tests.factories import make_household

BUILDINGS = ["1栋", "2栋", "10栋", "民族大院", "B座", "3号楼"]
UNITS = ["1", "2", "10", "", "一单元", "3单元"]
ROOMS = ["101", "1101", "302", "3", "", "甲", "2-1", "九"]


def listed(client, **args: str) -> tuple[list[int], int]:
    """The ids the list shows page after page, and the count in its heading."""
    ids: list[int] = []
    page, total = 1, -1
    while True:
        query = "&".join(f"{k}={v}" for k, v in (args | {"page": str(page)}).items())
        response = client.get(f"/households?{query}")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        found = re.search(r"共 (\d+) 户", html)
        assert found, html[:300]
        total = int(found.group(1))
        shown = [int(i) for i in re.findall(r'<a href="/households/(\d+)">', html)]
        ids += shown
        if len(shown) < PAGE_SIZE:
            return ids, total
        page += 1


def as_before(store, building: str = "", q: str = "") -> list[int]:
    """What the list showed before the read model: every household read, filtered, sorted."""
    rows = lookup.households_in_building(store, building) if building else lookup.households(store)
    rows = [h for h in rows if not q or _matches(h, q)]
    return [h["id"] for h in sorted(rows, key=address_key)]


def mixed(rng: random.Random, n: int) -> list[dict]:
    return [
        make_household(
            members=rng.randint(1, 3),
            building=rng.choice(BUILDINGS),
            unit=rng.choice(UNITS),
            room=rng.choice(ROOMS),
        )
        | {"household_no": f"H{i:04d}"}
        for i in range(n)
    ]


def test_the_list_is_in_the_order_of_every_household_sorted_by_address(app, store):
    rng = random.Random(7)
    households = store.collection("households")
    ids = households.insert_many(mixed(rng, 180))
    staff = Auth(app.test_client())
    staff.login("admin")
    assert listed(staff.client) == (as_before(store), 180)
    for building in BUILDINGS:
        assert listed(staff.client, building=building)[0] == as_before(store, building)
    for q in ("2栋", "单元1", "H001", "十", "二栋", "买买提江"):
        assert listed(staff.client, q=q)[0] == as_before(store, q=q)

    # moves, a deletion and new households between two views: the list follows them
    reads, sorts = context(app).derived.full_reads, AddressOrder.sorts
    for doc_id in rng.sample(ids, 12):
        doc = households.get(doc_id)
        assert doc is not None
        doc.pop("id", None)
        doc.pop("_rev", None)
        doc |= {"building": rng.choice(BUILDINGS), "room": rng.choice(ROOMS)}
        households.update(doc_id, doc)
    households.delete(ids[5])
    households.insert_many(mixed(rng, 4))
    renamed = households.get(ids[9])
    assert renamed is not None
    renamed["members"][0]["name"] = "买买提江"
    households.update(ids[9], {k: v for k, v in renamed.items() if k not in ("id", "_rev")})
    assert listed(staff.client) == (as_before(store), 183)
    assert listed(staff.client, q="买买提江")[0] == as_before(store, q="买买提江") == [ids[9]]
    for q in ("2栋", "单元1", "H001", "十"):
        assert listed(staff.client, q=q)[0] == as_before(store, q=q)
    assert listed(staff.client, building="10栋")[0] == as_before(store, "10栋")
    assert context(app).derived.full_reads == reads
    assert AddressOrder.sorts == sorts  # moved by the changes, not sorted again


def test_a_second_view_with_nothing_changed_does_not_sort_again(app, store):
    store.collection("households").insert_many(mixed(random.Random(3), 60))
    staff = Auth(app.test_client())
    staff.login("admin")
    sorts = AddressOrder.sorts
    first = staff.client.get("/households?page=2").get_data(as_text=True)
    assert AddressOrder.sorts == sorts + 1
    assert staff.client.get("/households?page=2").get_data(as_text=True) == first
    staff.client.get("/households?building=2栋")
    staff.client.get("/households?q=H00")
    assert AddressOrder.sorts == sorts + 1


def saved_household(client, token: str, body: dict, record_id: int | None = None) -> int:
    body = body | {"uuid": str(uuid.uuid4())}
    if record_id is None:
        response = client.post(
            "/api/v1/households", json=body, headers={"Authorization": f"Bearer {token}"}
        )
    else:
        response = client.put(
            f"/api/v1/households/{record_id}",
            json=body | {"base_revision": 1},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code in (200, 201), response.json
    return int(response.json["id"])


def test_a_saved_household_shows_in_its_place_on_the_next_view(app, store):
    store.collection("households").insert_many(
        [make_household(room=room) for room in ("101", "301", "1101", "201")]
    )
    staff = Auth(app.test_client())
    staff.login("admin")
    assert listed(staff.client, building="1栋")[0] == as_before(store, "1栋")
    token = create_token(store, "surveyor1")
    new = saved_household(app.test_client(), token, make_household(room="202"))
    ids, total = listed(staff.client, building="1栋")
    assert (ids, total) == (as_before(store, "1栋"), 5)
    assert ids.index(new) == 2  # 101, 201, 202, 301, 1101
    moved = saved_household(app.test_client(), token, make_household(room="1201"), new)
    assert listed(staff.client, building="1栋")[0][-1] == moved
    assert listed(staff.client)[0] == as_before(store)


@pytest.mark.postgres
def test_a_household_saved_by_another_server_shows_in_place_on_this_one(tmp_path, pg_url):
    config = {"DATABASE_URL": pg_url, "SECRET_KEY": "x", "FSYNC": False}
    here = create_app(config | {"DATA_DIR": str(tmp_path / "here")})
    there = create_app(config | {"DATA_DIR": str(tmp_path / "there")})
    try:
        store = get_store(here)
        for name in BUILDINGS:
            store.collection("buildings").insert({"name": name, "grid": "第一网格"})
        add_user(store, "admin", "admin", PASSWORD, hash_method=FAST_HASH)
        store.collection("households").insert_many(mixed(random.Random(11), 90))
        staff = Auth(here.test_client())
        staff.login("admin")
        assert listed(staff.client) == (as_before(store), 90)
        token = create_token(get_store(there), "admin")
        reads, sorts = context(here).derived.full_reads, AddressOrder.sorts
        body = make_household(building="2栋", unit="1", room="5")
        theirs = saved_household(there.test_client(), token, body)
        ids, total = listed(staff.client)
        assert (ids, total) == (as_before(store), 91)
        assert theirs in ids
        assert listed(staff.client, building="2栋")[0] == as_before(store, "2栋")
        mine = saved_household(here.test_client(), token, make_household(building="10栋"))
        ids, _ = listed(staff.client, building="10栋")
        assert mine in ids and ids == as_before(store, "10栋")
        assert context(here).derived.full_reads == reads
        assert AddressOrder.sorts == sorts
    finally:
        get_store(here).close()
        get_store(there).close()
