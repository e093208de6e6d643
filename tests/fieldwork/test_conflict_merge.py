"""Comparing a stored household with a stale edit, and merging what the reviewer picks."""

from __future__ import annotations

from functools import partial

import pytest

from census.domain.display import value_text
from census.fieldwork.conflicts import THEIRS, diff, match_members, merge
from census.surveys.definition import load_surveys
from census.surveys.validate import clean
from tests.factories import make_household, make_member


@pytest.fixture(scope="module")
def defn():
    return load_surveys()["household"]


def stored(defn, household):
    record, problems = clean(defn, household)
    assert not [p for p in problems if p.is_error]
    return record


def test_members_are_matched_by_id_number_then_by_name_not_by_position():
    mine = [
        {"name": "张建国", "id_number": "A"},
        {"name": "李秀兰", "id_number": "B"},
        {"name": "张小明", "id_number": ""},
        {"name": "王芳", "id_number": "D"},
    ]
    theirs = [
        {"name": "张小明", "id_number": ""},
        {"name": "李秀兰（改）", "id_number": "B"},  # renamed, same person
        {"name": "王芳", "id_number": "E"},  # same name, another ID: another person
        {"name": "张建国", "id_number": "A"},
    ]
    assert match_members(mine, theirs) == [(0, 3), (1, 1), (2, 0), (3, None), (None, 2)]


def test_a_reordered_roster_with_no_change_is_no_difference(defn):
    household = make_household(members=4)
    mine = stored(defn, household)
    reordered = dict(household, members=list(reversed(household["members"])))
    assert diff(defn, mine, reordered).empty


def test_differences_and_a_merge_that_takes_some_of_theirs(defn):
    household = make_household(members=3, notes="旧备注")
    mine = stored(defn, household)
    mine["members"][1]["phone"] = "13900000000"  # the stored side changed a phone meanwhile
    theirs = dict(household, notes="新备注", housing="rented", landlord_name="周房东")
    theirs["members"] = [
        dict(household["members"][2], political="cyl_member"),
        household["members"][0],
        make_member(5, relation="non_relative"),  # a lodger the surveyor added
    ]  # member 1 (李秀兰) is gone from the edit
    d = diff(defn, mine, theirs)
    assert {c.key for c in d.fields} == {"notes", "housing", "landlord_name"}
    by_who = {m.who: m for m in d.members}
    assert set(by_who) == {"李秀兰", "张伟", "马丽"}
    assert [c.key for c in by_who["张伟"].changes] == ["political"]
    assert by_who["李秀兰"].theirs is None and by_who["马丽"].mine is None
    choices = {
        "f.notes": THEIRS,
        "f.housing": "mine",
        by_who["张伟"].changes[0].name: THEIRS,
        by_who["马丽"].name: THEIRS,  # add the lodger
        # 李秀兰: no choice given, so she stays (the stored side wins by default)
    }
    merged = merge(defn, d, choices)
    assert merged["notes"] == "新备注" and merged["housing"] == "owned"
    assert merged["landlord_name"] is None
    names = [m["name"] for m in merged["members"]]
    assert names == ["张建国", "李秀兰", "张伟", "马丽"]  # stored order, the addition last
    assert merged["members"][1]["phone"] == "13900000000"
    assert merged["members"][2]["political"] == "cyl_member"


def test_nothing_chosen_means_nothing_changes(defn):
    household = make_household(members=2)
    mine = stored(defn, household)
    theirs = dict(household, notes="改了", members=[household["members"][0]])
    merged = merge(defn, diff(defn, mine, theirs), {})
    assert merged["notes"] == mine["notes"] and merged["members"] == mine["members"]


def test_values_are_shown_as_people_read_them(defn):
    display = partial(value_text, empty="—")  # as the conflict page shows them
    assert display(defn.field("housing"), "rented") == "租住"
    assert display(defn.field("housing"), "rented", "en") != "rented"
    assert display(defn.field("members.conditions"), ["disability", "veteran"]) == "残疾、退役军人"
    assert display(defn.field("notes"), None) == "—"
