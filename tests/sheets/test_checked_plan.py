"""A checked plan kept for another server (census.sheets.checked) and read back says and
imports what the plan did: the same counts, issues, changes, report workbook and
fingerprint, and applying it writes what it says. On a real TinyDB folder."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from census.sheets import checked
from census.sheets.apply import apply_plan
from census.sheets.plan import NEW, REJECTED, UNCHANGED, UPDATE
from census.sheets.report import change_lines, line, report_sheets, text_report
from census.sheets.wizard import plan_file
from tests.sheets.sheet_files import SURVEYS, write_book

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hostile_files as hf  # noqa: E402

HOUSEHOLD = SURVEYS["household"]


def _file(path: Path, rows: list[list]) -> Path:
    return write_book(path, {"住户": [["佐斯腾社区住户登记表"], hf.HEADER, *rows]})


def test_a_plan_read_back_reports_and_imports_as_the_plan_checked(store, tmp_path):
    rows = hf.people(20, start=801)
    first, _sheets = plan_file(store, HOUSEHOLD, _file(tmp_path / "a.xlsx", rows[:10]))
    assert apply_plan(store, first, user="admin").created == 10
    moved = [[*row[:3], "公租房", *row[4:]] if n < 4 else row for n, row in enumerate(rows)]
    elsewhere = [[row[0], "9栋", *row[2:]] for row in hf.people(1, start=900)]
    broken = [["H899", "2栋", "899", "自有", "无号", "户主", "1101"]]
    plan, sheets = plan_file(
        store, HOUSEHOLD, _file(tmp_path / "b.xlsx", moved + elsewhere + broken)
    )
    assert [plan.count(a) for a in (NEW, UPDATE, UNCHANGED, REJECTED)] == [11, 4, 6, 1]

    data = checked.dump(plan, "check-1")
    back, job = checked.load(data, HOUSEHOLD)
    assert job == "check-1" and data[:2] == b"\x1f\x8b"  # gzip
    assert back.counts == plan.counts and back.fingerprint() == plan.fingerprint()
    assert back.new_buildings == plan.new_buildings == [("9栋", "")]
    assert [line(i, "en") for i in back.all_issues()] == [line(i, "en") for i in plan.all_issues()]
    assert text_report(back) == text_report(plan)
    updates = [
        (p, q) for p, q in zip(back.records, plan.records, strict=True) if p.action == UPDATE
    ]
    assert len(updates) == 4
    for p, q in updates:
        assert p.title == q.title and change_lines(back, p) == change_lines(plan, q)
    assert report_sheets(back, sheets) == report_sheets(plan, sheets)

    done = apply_plan(store, back, user="admin")
    assert (done.created, done.updated, done.unchanged, done.rejected) == (11, 4, 6, 1)
    assert done.buildings == 1 and not done.failed
    stored = {h["household_no"]: h for h in store.collection("households").scan()}
    for planned in back.records:
        if planned.action == NEW:
            record = planned.record or {}
            kept = stored[record["household_no"]]
            assert kept["members"][0]["id_number"] == record["members"][0]["id_number"]
        elif planned.action == UPDATE:
            kept = stored[(planned.record or {})["household_no"]]
            assert kept["id"] == planned.target["id"] and kept["housing"] == "public"
    assert "H899" not in stored and len(stored) == 21


def test_a_kept_plan_that_is_not_one_is_refused(store, tmp_path):
    plan, _sheets = plan_file(store, HOUSEHOLD, _file(tmp_path / "a.xlsx", hf.people(2)))
    with pytest.raises(checked.KeptPlanError):
        checked.load(checked.dump(plan), SURVEYS["storefront"])  # another form's
    with pytest.raises(checked.KeptPlanError):
        checked.load(b"not gzip", HOUSEHOLD)
    with pytest.raises(checked.KeptPlanError):
        checked.load(checked.gzip.compress(b'{"format": 99}'), HOUSEHOLD)
