"""Read models built from scratch (a server's first view) equal the ones kept up with writes.

A ``Derived`` is kept up through a series of writes (its views made before them, then
advanced write by write); another has only the figures made before them, as a street
server's start makes them, its registers' counts made after the writes. A third ``Derived``
opened on the same store afterwards builds everything cold from one read. Every figure,
count, register's rows, the household list in address order, the coverage tables and the
review queue must be the same, on TinyDB and on PostgreSQL, whichever of a date's two views
(all records, approved only) is made first: the second takes the shares of the households
both count from the first.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from census.domain.residents import household_order
from census.queries.derived import Derived
from census.queries.records import AddressOrder, order_keys
from census.services import review
from census.store import Store, open_store
from census.surveys.registers import load_registers

REGISTERS = load_registers()
TODAY, PAST = date(2026, 1, 1), date(2024, 6, 1)
BUILDINGS = [
    {"name": "1栋", "grid": "第一网格", "expected_dwellings": 6},
    {"name": "2栋", "grid": "第二网格", "expected_dwellings": 4},
    {"name": "民族大院", "grid": "第一网格", "expected_dwellings": 3},
]
HEAD = {"name": "张伟", "relation": "head", "birth_date": "1965-07-01", "ethnicity": "汉族"}
CHILD = {"name": "张小", "relation": "child", "birth_date": "2008-03-15", "ethnicity": "回族"}
SPOUSE = {"name": "阿依古丽", "relation": "spouse", "birth_date": "1999-12-31", "sex": "female",
          "ethnicity": "维吾尔族", "residence_type": "floating"}  # fmt: skip
STATES = [None, "submitted", "returned", "approved", "approved"]
# units and rooms written as people write them: the same door in several spellings
UNITS = ["1", "1单元", "１单元", "一单元", "", None, 2]
ROOMS = ["101", "101室", "１０１", "01", "1", "二〇一", "", None, 301]


def households(n: int) -> list[dict[str, Any]]:
    """Households at doors spelt several ways, some nobody counts on a date, some approved."""
    found = []
    for i in range(n):
        members: list[dict[str, Any]] = [dict(HEAD, name=f"户主{i}")]
        if i % 3:
            members.append(dict(CHILD, name=f"孩子{i}"))
        if i % 4 == 1:
            members.append(dict(SPOUSE, move_in_date="2025-01-01"))
        if i % 7 == 3:
            members = [dict(CHILD, birth_date="2030-01-01")]  # nobody counts yet
        if i % 11 == 5:
            members = [dict(HEAD, residence_type="away")]
        found.append(
            {
                "building": ["1栋", "2栋", "民族大院", "9栋", " 2栋 "][i % 5],
                "unit": UNITS[i % len(UNITS)],
                "room": ROOMS[(i // 2) % len(ROOMS)],
                "household_no": f"H{i % 13:04d}" if i % 6 else None,
                "hardship": ["low_income"] if i % 5 == 2 else [],
                "members": members,
                "review_state": STATES[i % len(STATES)],
                "surveyor": "surveyor1" if i % 2 else "surveyor2",
                "updated_at": f"2025-08-{1 + i % 20:02d}T09:00:00",
            }
        )
    return found


def start(store: Store) -> None:
    store.collection("buildings").insert_many([dict(b) for b in BUILDINGS])
    store.collection("grids").insert_many([{"name": "第二网格"}, {"name": "第一网格"}])
    store.collection("households").insert_many(households(60))
    store.collection("visits").insert_many(
        [
            {
                "building": "2栋",
                "unit": "",
                "room": f"9{n % 3}",
                "outcome": "not_home",
                "visited_at": f"2025-08-0{1 + n}T10:00:00",
                "surveyor": "surveyor2",
            }  # fmt: skip
            for n in range(6)
        ]
    )
    store.collection("storefronts").insert({"name": "小卖部", "building": "1栋", "status": "open"})
    store.collection("units").insert(
        {"name": "卫生站", "key_unit": True, "review_state": "approved"}
    )


def writes(store: Store) -> None:
    """Edits, moves, review states, a deletion, new households, a visit, a storefront."""
    kept = store.collection("households")
    ids = sorted(doc["id"] for doc in kept.scan())
    for n, doc_id in enumerate(ids[::4]):
        doc = kept.get(doc_id)
        assert doc is not None
        doc = {k: v for k, v in doc.items() if k not in ("id", "_rev")}
        if n % 3 == 0:
            doc |= {"room": ROOMS[n % len(ROOMS)], "unit": UNITS[n % len(UNITS)]}
        elif n % 3 == 1:
            doc["review_state"] = "approved" if doc.get("review_state") != "approved" else None
        else:
            doc["members"] = [
                *doc["members"],
                dict(CHILD, name=f"新生{n}", birth_date="2025-11-30"),
            ]
        kept.update(doc_id, doc)
    kept.delete(ids[1])
    kept.insert_many(households(70)[60:])
    store.collection("visits").insert(
        {
            "building": "1栋",
            "unit": "1",
            "room": "101",
            "outcome": "refused",
            "visited_at": "2025-09-01T10:00:00",
            "surveyor": "surveyor1",
        }  # fmt: skip
    )
    store.collection("storefronts").insert(
        {"name": "理发店", "building": "2栋", "status": "open", "review_state": "approved"}
    )


def seen(derived: Derived, first_approved: bool) -> dict[str, Any]:
    """Everything the pages show, each date's two views made in the order given."""
    shown: dict[str, Any] = {}
    for as_of in (TODAY, PAST):
        for approved in (first_approved, not first_approved):
            view = derived.view(as_of, approved)
            key = (as_of, approved)
            shown[("counts", key)] = view.counts()
            shown[("figures", key)] = view.figures()
            shown[("order of ethnicities", key)] = list(view.figures()["by_ethnicity"])
            shown[("persons", key)] = view.community().persons(True)
            shown[("dwellings", key)] = view.community().dwellings
            for reg in REGISTERS:
                shown[("rows", reg.key, key)] = view.rows(reg)
    order = derived.address_order()
    shown["address order"] = [h["id"] for h in order.households]
    shown["in 2栋"] = [h["id"] for h in order.in_building("2栋")]
    tables = derived.coverage().tables()
    shown["coverage"] = (tables.buildings, tables.grids, tables.total, tables.flagged, tables.made)
    shown["doors"] = derived.coverage().doors()
    grids = {b["name"]: b.get("grid") or "" for b in BUILDINGS}
    index = derived.review()
    for collection in review.COLLECTIONS:
        for state in ("submitted", "returned", "approved", "all"):
            queue = index.queue(collection=collection, grids=grids, state=state)
            shown[("queue", collection, state)] = [r["id"] for r in queue]
    return shown


def check(store: Store) -> None:
    start(store)
    kept_up = Derived(store, REGISTERS)
    seen(kept_up, False)  # every view made before the writes, then kept up through them
    seen(kept_up, True)
    reads = kept_up.full_reads
    # as a street server starts: only the figures, the registers' counts not asked for yet
    street = Derived(store, REGISTERS)
    for as_of in (TODAY, PAST):
        street.view(as_of, True).figures()
    writes(store)
    after = seen(kept_up, False)
    assert kept_up.full_reads == reads  # kept up, not read again
    from_street = seen(street, True)
    assert street.full_reads == 1
    for key, value in after.items():
        assert from_street[key] == value, key
    for first_approved in (False, True):
        cold = Derived(store, REGISTERS)
        built = seen(cold, first_approved)
        assert cold.full_reads == 1
        assert built.keys() == after.keys()
        for key, value in after.items():
            assert built[key] == value, key
    # each view alone, made with nothing to take shares from, shows the same too
    for approved in (False, True):
        alone = Derived(store, REGISTERS).view(TODAY, approved)
        assert alone.figures() == after[("figures", (TODAY, approved))]
        assert alone.counts() == after[("counts", (TODAY, approved))]
        assert alone.community().persons(True) == after[("persons", (TODAY, approved))]


def test_a_cold_build_on_tinydb_equals_the_read_models_kept_up_with_writes(tmp_path) -> None:
    with open_store(tmp_path / "data", fsync=False) as store:
        check(store)


@pytest.mark.postgres
def test_a_cold_build_on_postgresql_equals_the_read_models_kept_up_with_writes(pg_url) -> None:
    with open_store(pg_url, fsync=False) as store:
        check(store)


def test_the_order_keys_made_at_once_are_household_order_and_sort_as_before(tmp_path) -> None:
    """The keys of many households at once (units and rooms worked out once per spelling)
    are each household's ``household_order``, and the household list sorts by them as it
    sorted by the address alone."""
    docs = [dict(h, id=i + 1) for i, h in enumerate(households(120))]
    docs.append({"id": 500, "building": 7, "unit": 3, "room": 12.5, "household_no": 4})
    keys = order_keys(docs)
    assert keys == {h["id"]: household_order(h) for h in docs}
    with_keys = AddressOrder.sorted(docs, keys)
    alone = AddressOrder.sorted(docs)
    assert [h["id"] for h in with_keys.households] == [h["id"] for h in alone.households]
