"""Visit outcomes as plain data: a door's state, the revisit list, the not-home flag."""

from __future__ import annotations

from datetime import datetime

from census.fieldwork.outcomes import (
    build_dwellings,
    dwelling_key,
    parse_visit,
    revisits,
    sorted_dwellings,
)

NOW = datetime(2026, 11, 27, 9, 0)
BUILDINGS = {"1栋": {"name": "1栋"}, "民族大院": {"name": "民族大院"}}


def visit(n, room, outcome, at, unit="1", building="1栋", by="surveyor1"):
    return {
        "id": n,
        "building": building,
        "unit": unit,
        "room": room,
        "outcome": outcome,
        "visited_at": at,
        "surveyor": by,
    }


def household(n, room, at, unit="1", outcome=None, building="1栋"):
    doc = {"id": n, "building": building, "unit": unit, "room": room, "visited_at": at}
    if outcome:
        doc["visit_outcome"] = outcome
    return doc | {"surveyor": "surveyor1"}


def test_a_door_is_the_same_whatever_the_spelling():
    assert dwelling_key("1栋", "１单元", "301室") == ("1栋", "1", "301")
    assert dwelling_key(" 1栋 ", "1", " 301 ") == dwelling_key("1栋", "1单元", "301")
    assert dwelling_key("民族大院", "", "3") == ("民族大院", "", "3")


def test_the_latest_visit_decides_until_a_household_is_registered():
    doors = build_dwellings(
        [
            visit(1, "101", "vacant", "2026-11-20T10:00:00"),
            visit(2, "101", "not_home", "2026-11-21T10:00:00"),
            visit(3, "102", "not_home", "2026-11-20T10:00:00"),
            visit(4, "102", "not_home", "2026-11-26T10:00:00"),
        ],
        [household(7, "102", "2026-11-22T10:00:00")],
    )
    assert doors[("1栋", "1", "101")].state == "not_home"
    # registered on the 22nd: a later knock that finds nobody home does not undo it
    later = doors[("1栋", "1", "102")]
    assert later.state == "completed" and later.household_ids == [7]
    assert [e.source for e in later.events] == ["visit", "household", "visit"]


def test_a_household_that_says_refused_is_a_refusal_not_a_registration():
    doors = build_dwellings([], [household(1, "101", "2026-11-20T10:00", outcome="refused")])
    assert doors[("1栋", "1", "101")].state == "refused"


def test_three_not_home_visits_flag_a_door_until_it_is_done():
    times = ["2026-11-20T10:00", "2026-11-21T18:00", "2026-11-22T09:00"]
    two = build_dwellings([visit(n, "101", "not_home", t) for n, t in enumerate(times[:2])], [])
    assert not two[("1栋", "1", "101")].flagged
    three = build_dwellings([visit(n, "101", "not_home", t) for n, t in enumerate(times)], [])
    door = three[("1栋", "1", "101")]
    assert door.flagged and door.not_home_count == 3 and door.to_revisit
    # refused at the fourth knock: still to revisit, still flagged
    four = build_dwellings(
        [visit(n, "101", "not_home", t) for n, t in enumerate(times)]
        + [visit(9, "101", "refused", "2026-11-23T09:00")],
        [],
    )
    assert four[("1栋", "1", "101")].flagged
    done = build_dwellings(
        [visit(n, "101", "not_home", t) for n, t in enumerate(times)],
        [household(5, "101", "2026-11-24T10:00")],
    )
    assert not done[("1栋", "1", "101")].flagged


def test_the_revisit_list_holds_not_home_and_refused_doors_flagged_first():
    not_home = [visit(n, "301", "not_home", f"2026-11-2{n}T10:00") for n in range(3)]
    doors = build_dwellings(
        [
            visit(10, "101", "refused", "2026-11-20T10:00"),
            visit(11, "102", "vacant", "2026-11-20T10:00"),
            visit(12, "201", "not_home", "2026-11-20T10:00"),
            visit(13, "3", "not_home", "2026-11-20T10:00", unit="", building="民族大院"),
            *not_home,
        ],
        [household(1, "202", "2026-11-20T10:00")],
    )
    rooms = [(d.building, d.room) for d in revisits(doors.values())]
    assert rooms == [("1栋", "301"), ("1栋", "101"), ("1栋", "201"), ("民族大院", "3")]


def test_doors_sort_in_natural_order():
    doors = build_dwellings(
        [
            visit(n, room, "vacant", "2026-11-20T10:00")
            for n, room in enumerate(["1001", "201", "31"])
        ]
        + [visit(9, "101", "vacant", "2026-11-20T10:00", unit="2")],
        [],
    )
    assert [(d.unit, d.room) for d in sorted_dwellings(doors.values())] == [
        ("1", "31"),
        ("1", "201"),
        ("1", "1001"),
        ("2", "101"),
    ]


def test_a_visit_is_checked_field_by_field():
    good, problems = parse_visit(
        {
            "uuid": "u1",
            "building": "1栋",
            "unit": "１",
            "room": "301室",
            "outcome": "not_home",
            "visited_at": "2026-11-27T08:30:00+08:00",
        },
        BUILDINGS,
        NOW,
    )
    assert problems == []
    assert (good["unit"], good["room"]) == ("1", "301")
    assert good["visited_at"].startswith("2026-11-2")
    _bad, problems = parse_visit(
        {"building": "9栋", "room": "", "outcome": "away", "visited_at": "yesterday", "x": 1},
        BUILDINGS,
        NOW,
    )
    codes = {(p.path, p.code) for p in problems}
    assert codes == {
        ("uuid", "required"),
        ("room", "required"),
        ("building", "choice_invalid"),
        ("outcome", "choice_invalid"),
        ("visited_at", "datetime_invalid"),
        ("x", "unknown_field"),
    }


def test_a_visit_without_a_time_happened_now_and_one_next_week_is_refused():
    body = {"uuid": "u", "building": "1栋", "room": "1", "outcome": "vacant"}
    stamped, problems = parse_visit(body, BUILDINGS, NOW)
    assert problems == [] and stamped["visited_at"] == "2026-11-27T09:00:00"
    _, problems = parse_visit(body | {"visited_at": "2026-12-04T09:00"}, BUILDINGS, NOW)
    assert [p.code for p in problems] == ["datetime_invalid"]
