"""The look-ups the import, the follow-up list and the prints make through census/queries,
on both backends (a real TinyDB folder and a real PostgreSQL schema)."""

from __future__ import annotations

import pytest

from census.printing.plans import read_records as print_records
from census.queries import lookup
from census.queries.records import read_records
from census.store import open_store

ID_A, ID_B = "110105194912310029", "650102198001011234"


@pytest.fixture(params=["tinydb", "postgres"])
def store(request, tmp_path):
    target = tmp_path / "data" if request.param == "tinydb" else request.getfixturevalue("pg_url")
    opened = open_store(target, fsync=False)
    yield opened
    opened.close()


def _household(no: str, building: str, *ids: str, **more) -> dict:
    members = [{"name": f"成员{n}", "id_number": i} for n, i in enumerate(ids)]
    return {"household_no": no, "building": building, "members": members, **more}


def test_a_household_is_found_by_its_number_or_a_members_id_number(store):
    households = store.collection("households")
    first = households.insert(_household("H0001", "1栋", ID_A))
    second = households.insert(_household("H0002", "1栋", ID_B, ID_A))
    assert lookup.household_numbered(store, "H0002")["id"] == second
    assert [h["id"] for h in lookup.households_with_member_id(store, ID_A)] == [first, second]
    assert [h["id"] for h in lookup.households_with_member_id(store, ID_B)] == [second]
    assert lookup.households_with_member_id(store, "110105194912310000") == []


def test_a_storefront_is_found_by_the_fields_asked_for(store):
    storefronts = store.collection("storefronts")
    storefronts.insert({"name": "老王面馆", "address": "1栋底商", "uscc": "91650102MA7XXXXX01"})
    second = storefronts.insert({"name": "老王面馆", "address": "2栋底商"})
    found = lookup.record_matching(store, "storefronts", {"name": "老王面馆", "address": "2栋底商"})
    assert found["id"] == second
    assert lookup.record_matching(store, "storefronts", {"uscc": "91650102MA7XXXXX02"}) is None


def test_the_follow_up_list_gets_only_the_records_waiting_for_a_field(store):
    households = store.collection("households")
    households.insert(_household("H0001", "1栋", ID_A))
    households.insert(_household("H0002", "1栋", ID_B, pending_fields=[]))
    waiting = households.insert(_household("H0003", "2栋", pending_fields=["housing"]))
    assert [h["id"] for h in lookup.awaiting_follow_up(store, "households")] == [waiting]
    assert lookup.awaiting_follow_up(store, "units") == []


def test_a_print_reads_the_records_the_read_models_read(store):
    store.collection("buildings").insert({"name": "1栋", "grid": "第一网格"})
    store.collection("households").insert(_household("H0001", "1栋", ID_A))
    store.collection("households").insert(_household("H0002", "9栋", ID_B))
    store.collection("storefronts").insert({"name": "老王面馆", "building": "1栋"})
    store.collection("units").insert({"name": "社区卫生服务站"})
    printed, read = print_records(store, "佐斯腾社区"), read_records(store)
    assert printed.community == "佐斯腾社区"
    assert [b["name"] for b in printed.buildings] == ["1栋"]
    for name in ("households", "storefronts", "units"):
        assert getattr(printed, name) == getattr(read, name)
    # each with its building's grid; a building the tree lacks gives none
    assert [h["grid"] for h in printed.households] == ["第一网格", None]
    assert printed.storefronts[0]["grid"] == "第一网格"
