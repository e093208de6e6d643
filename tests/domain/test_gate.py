"""The review gate: what 已审核 / 全部 let through, what is left out, and the header line."""

from __future__ import annotations

from datetime import date

from census.domain.gate import Gate, Pending, gate_from, pending_beside, pending_of
from tests.factories import make_household

DAY = date(2026, 1, 1)


def test_the_header_lines_in_both_languages():
    approved, everything = Gate(), Gate(approved=False)
    assert approved.line(Pending(12)) == "仅含已审核记录；另有 12 户待审核未计入"
    assert (
        approved.line(Pending(12), "en")
        == "Approved records only; 12 households awaiting review not counted"
    )
    assert approved.line(Pending(1, 2, 1)) == (
        "仅含已审核记录；另有 1 户、2 家门面、1 个单位待审核未计入"
    )
    assert approved.line(Pending(1, 2, 1), "en") == (
        "Approved records only; 1 household, 2 storefronts and 1 organisation"
        " awaiting review not counted"
    )
    assert approved.line(Pending()) == "仅含已审核记录；无待审核记录"
    assert approved.line(Pending(), "en") == "Approved records only; none awaiting review"
    assert everything.line(Pending(0, 3)) == "含未审核记录：其中 3 家门面待审核"
    assert everything.line(Pending(0, 3), "en") == (
        "Includes unreviewed records: 3 storefronts awaiting review"
    )
    assert everything.line(Pending()) == "全部记录（均已审核）"


def test_what_each_gate_lets_through_and_what_waits():
    records = [
        {"id": 1, "review_state": "approved"},
        {"id": 2, "review_state": "submitted"},
        {"id": 3, "review_state": "returned"},
        {"id": 4},  # stored before review existed: approved
    ]
    assert [r["id"] for r in Gate().keep(records)] == [1, 4]
    assert Gate(approved=False).keep(records) is records
    assert pending_of(records, records[:2], records[2:]) == Pending(2, 1, 1)
    assert Gate().arg == {} and Gate(approved=False).arg == {"all": "1"}
    assert gate_from({}).approved and gate_from({"approved": "1"}).approved
    assert not gate_from({"all": "1"}).approved


def test_on_a_date_a_household_nobody_of_which_is_on_the_records_waits_for_no_figure():
    here = make_household(room="101") | {"review_state": "submitted"}
    gone = make_household(room="102") | {"review_state": "submitted"}
    for member in gone["members"]:
        member |= {"status": "moved_out", "status_date": "2025-06-01"}
    later = make_household(room="103") | {"review_state": "submitted"}
    for member in later["members"]:
        member["move_in_date"] = "2026-06-01"
    assert pending_of([here, gone, later]) == Pending(3)
    assert pending_of([here, gone, later], as_of=DAY) == Pending(1)


def test_the_pending_figure_beside_each_figure():
    assert pending_beside(14, 12) == 2
    assert pending_beside(0.25, 0.2) is None  # a share
    assert pending_beside({"汉族": 10, "回族": 3}, {"汉族": 10, "回族": 1}) == {"回族": 2}
