"""records.check_many and records.save_many: the rules of save, for thousands of records at once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from sheet_files import SURVEYS

from census.services import audit, records
from census.store.errors import StoreError
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
    together = records.check_many(store, HOUSEHOLD, raws, workers=1)
    assert together == one_by_one
    assert [p.code for p in together[1][1] if p.is_error] == ["id_checksum"]


def test_check_many_finds_the_same_people_in_stored_households_as_check(store):
    stored = households(6)
    stored[1]["members"][0] |= {"id_type": "passport", "id_number": "E900000"}
    for raw in stored:
        assert records.save(store, HOUSEHOLD, raw, user="t").saved
    raws = households(8)  # the same six people's households again, and two new ones
    for raw in raws:
        raw["room"] = "9" + raw["room"]
    raws[3]["members"][1] |= {"id_type": "", "id_number": ""}  # known by name and birth only
    one_by_one = [records.check(store, HOUSEHOLD, raw) for raw in raws]
    together = records.check_many(store, HOUSEHOLD, raws, workers=1)
    assert together == one_by_one
    codes = [sorted({p.code for p in problems if not p.is_error}) for _, problems in together]
    assert "id_in_other_household" in codes[0] and "probable_duplicate" in codes[3]
    assert codes[6] == codes[7] == []


PARALLEL = """
import os, tempfile
from census.services import records
from census.services.records import prepare_store
from census.store import open_store
from census.surveys.definition import load_surveys
from test_sheets_batch_records import households

forks = []
os.register_at_fork(before=lambda: forks.append(1))
form = load_surveys()["household"]
with open_store(tempfile.mkdtemp(), fsync=False) as store:
    prepare_store(store)
    raws = households(30)
    one_by_one = [records.check(store, form, raw) for raw in raws]
    together = records.check_many(store, form, raws, workers=2, parallel_from=1)
    assert together == one_by_one
    assert forks, "no worker process was forked"
print("same")
"""


def test_check_many_in_worker_processes_gives_the_same(tmp_path):
    # A fresh interpreter: forking is only done from a single-threaded process, and the
    # test run may have threads of its own by now.
    here = Path(__file__).parent
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(here), str(here.parents[1])]))
    result = subprocess.run(
        [sys.executable, "-c", PARALLEL], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "same"


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


def test_a_save_is_one_journal_line_with_its_version_and_audit_entry(store):
    journal = store.data_dir / "census.journal"
    before = journal.read_bytes() if journal.exists() else b""
    result = records.save(store, HOUSEHOLD, make_household(members=2), user="admin")
    (line,) = journal.read_bytes()[len(before) :].splitlines()
    batch = orjson.loads(line)["batch"]
    # the claimed household number is kept in the same line as the household itself
    assert [part["t"] for part in batch] == ["counters", "households", "versions", "audit"]
    assert batch[1]["d"]["household_no"] == result.record["household_no"]
    assert f"H{batch[0]['d']['value']:04d}" == result.record["household_no"]


def test_a_batch_whose_write_fails_stores_nothing_and_the_next_one_works(store, monkeypatch):
    def full_disk(fd, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", full_disk)
    with pytest.raises(StoreError):
        records.save_many(store, HOUSEHOLD, households(3), user="admin")
    monkeypatch.undo()
    for name in ("households", "versions", "audit"):
        assert len(store.collection(name)) == 0, name
    results = records.save_many(store, HOUSEHOLD, households(3), user="admin")
    assert sum(r.saved for r in results) == 2
    assert len(store.collection("households")) == len(store.collection("versions")) == 2
    assert [h["household_no"] for h in store.collection("households").scan()] == ["H0001", "H0002"]
