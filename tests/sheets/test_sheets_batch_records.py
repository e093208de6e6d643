"""records.check_many and records.save_many: the rules of save, for thousands of records at once."""

from __future__ import annotations

import threading

from sheet_files import SURVEYS

from census import audit, records
from tests.factories import make_household, make_member

HOUSEHOLD = SURVEYS["household"]


def households(n: int) -> list[dict]:
    """n valid households with distinct people, and one with a wrong ID number."""
    out = []
    for k in range(n):
        members = [
            make_member(m, id_number=None, id_type="passport", name=f"人{k}-{m}") for m in range(2)
        ]
        for m, member in enumerate(members):
            member["id_number"] = f"E{k:05d}{m}"
            member["birth_date"] = "1980-01-01"
        out.append(make_household(members=2, room=f"{k + 1}") | {"members": members})
    out[1]["members"][0] |= {"id_type": "resident_id", "id_number": "110105196001010000"}
    return out


def test_check_many_gives_what_check_gives_one_by_one(store):
    raws = households(12)
    one_by_one = [records.check(store, HOUSEHOLD, raw) for raw in raws]
    assert threading.active_count() == 1  # so the forked workers really run
    together = records.check_many(store, HOUSEHOLD, raws, workers=2, parallel_from=1)
    assert together == one_by_one
    serial = records.check_many(store, HOUSEHOLD, raws, workers=1)
    assert serial == one_by_one
    assert [p.code for p in together[1][1] if p.is_error] == ["id_checksum"]


def test_save_many_stores_the_valid_ones_with_numbers_versions_and_audit(store):
    taken = records.save(store, HOUSEHOLD, make_household(household_no="H0002"), user="admin")
    raws = households(4)
    raws[3]["household_no"] = "H0002"  # already used
    results = records.save_many(store, HOUSEHOLD, raws, user="admin")
    assert [r.saved for r in results] == [True, False, True, False]
    assert [p.code for p in results[3].problems if p.is_error] == ["household_no_taken"]
    saved = [store.collection("households").get(r.id) for r in results if r.saved]
    # Blank numbers are given the next free ones, skipping H0002.
    assert [h["household_no"] for h in saved] == ["H0003", "H0004"]
    assert all(h["review_state"] == "approved" and h["surveyor"] == "admin" for h in saved)
    for h in saved:
        assert [v["rev"] for v in records.history(store, "households", h["id"])] == [1]
    entry = audit.entries(store, action="create")[0]
    assert entry["target"] == "households" and entry["detail"]["count"] == 2
    assert store.collection("households").get(taken.id)["members"]  # untouched


def test_save_many_takes_meta_and_prechecked_records(store):
    raws = households(2)[:1]
    checked = records.check_many(store, HOUSEHOLD, raws)
    meta = {"surveyor": "surveyor1", "visited_at": "2025-08-01T09:00", "visit_outcome": "completed"}
    (result,) = records.save_many(
        store, HOUSEHOLD, raws, user="admin", metas=[meta], checked=checked
    )
    stored = store.collection("households").get(result.id)
    assert stored["surveyor"] == "surveyor1" and stored["visited_at"] == "2025-08-01T09:00"
    assert stored["created_by"] == "admin"
