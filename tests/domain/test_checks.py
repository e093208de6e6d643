"""Consistency checks: each one on a record that breaks it and on one that does not."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from census.domain import checks
from census.domain.ids import make_resident_id
from census.domain.problems import MESSAGES, WARNING
from tests.factories import make_household, make_member

TODAY = date(2026, 6, 1)
Household = dict[str, Any]


def born(member: dict[str, Any], day: str) -> dict[str, Any]:
    """The member born on another day, with a resident ID that agrees."""
    when = date.fromisoformat(day)
    return member | {
        "birth_date": day,
        "id_number": make_resident_id("110105", when, 7, member["sex"]),
    }


def with_member(relation: str, day: str, **more: Any) -> Callable[[Household], None]:
    def change(h: Household) -> None:
        h["members"].append(born(make_member(3, relation=relation, **more), day))

    return change


def set_member(n: int, **fields: Any) -> Callable[[Household], None]:
    def change(h: Household) -> None:
        h["members"][n].update(fields)

    return change


def born_on(n: int, day: str) -> Callable[[Household], None]:
    def change(h: Household) -> None:
        h["members"][n] = born(h["members"][n], day)

    return change


# code -> (a change that breaks the check, a similar change that does not, where it shows)
CASES: dict[str, tuple[Callable[[Household], None], Callable[[Household], None], str]] = {
    "head_count": (
        set_member(1, relation="head"),
        set_member(1, relation="head", status="deceased", status_date="2020-01-01"),
        "members",
    ),
    "child_age_gap": (
        with_member("child", "1970-05-01"),
        with_member("child", "1975-05-01"),
        "members[3].birth_date",
    ),
    "parent_age_gap": (
        with_member("parent", "1965-05-01"),
        with_member("parent", "1940-05-01"),
        "members[3].birth_date",
    ),
    "grandchild_age_gap": (
        with_member("grandchild", "1980-05-01"),
        with_member("grandchild", "1990-05-01"),
        "members[3].birth_date",
    ),
    "birth_date_in_future": (
        set_member(2, birth_date="2026-07-01", id_number=""),
        set_member(2, birth_date="2026-05-31", id_number=""),
        "members[2].birth_date",
    ),
    "age_over_120": (
        with_member("parent", "1905-05-01"),
        with_member("parent", "1905-05-01", status="deceased", status_date="2010-02-01"),
        "members[3].birth_date",
    ),
    "birth_date_mismatch": (
        set_member(0, birth_date="1960-01-02"),
        set_member(0, birth_date="1960-01-01"),
        "members[0].birth_date",
    ),
    "sex_mismatch": (
        set_member(0, sex="female"),
        set_member(0, sex="male"),
        "members[0].sex",
    ),
    "spouse_under_18": (
        born_on(1, "2010-01-01"),
        born_on(1, "2008-05-31"),
        "members[1].birth_date",
    ),
    "landlord_missing": (
        lambda h: h.update(housing="rented", landlord_name=" "),
        lambda h: h.update(housing="rented", landlord_name="马建华"),
        "landlord_name",
    ),
}


@pytest.mark.parametrize("code", list(CASES))
def test_each_check_on_a_record_that_breaks_it_and_one_that_does_not(code: str) -> None:
    breaks, keeps, path = CASES[code]
    good, bad = make_household(), make_household()
    assert checks.check_household(good, TODAY) == []
    breaks(bad)
    keeps(good)
    found = checks.check_household(bad, TODAY)
    assert [(p.code, p.path, p.level) for p in found] == [(code, path, WARNING)]
    assert [p.code for p in checks.check_household(good, TODAY)] == []
    assert code in MESSAGES and "{" not in found[0].message("zh") + found[0].message("en")


def test_every_check_has_a_message_and_a_case() -> None:
    assert set(checks.CHECKS) == set(CASES) | set(checks.DUPLICATE_CHECKS)
    assert all(code in MESSAGES for code in checks.CHECKS)


def test_the_head_of_a_household_whose_head_moved_out_is_missing() -> None:
    household = make_household()
    household["members"][0].update(status="moved_out", status_date="2026-01-01")
    (problem,) = checks.check_household(household, TODAY)
    assert problem.code == "head_count" and problem.params == {"count": 0}
    # Nobody left at all: no household to have a head.
    for member in household["members"]:
        member.update(status="moved_out", status_date="2026-01-01")
    assert checks.check_household(household, TODAY) == []


def _stored(household: Household, record_id: int, no: str) -> Household:
    """A stored household whose people are its own (the factory reuses the same people)."""
    for member in household["members"]:
        member.update(born(member, member["birth_date"]))
        member["id_number"] = make_resident_id(
            "650102", date.fromisoformat(member["birth_date"]), record_id, member["sex"]
        )
        member["name"] += str(record_id)
    return household | {"id": record_id, "household_no": no}


def test_the_same_id_number_in_two_active_households() -> None:
    first = _stored(make_household(), 1, "H0001")
    second = make_household(room="202", members=1)
    second["members"][0] = dict(first["members"][1], relation="head")
    (problem,) = checks.cross_checks(second, None, [first])
    assert (problem.code, problem.path) == ("id_in_other_household", "members[0].id_number")
    name = first["members"][1]["name"]
    assert problem.params == {
        "household": "H0001",
        "address": "1栋1单元101室",
        "id": 1,
        "member": name,
    }
    assert problem.message() == f"{name}：该证件号码已登记在 H0001 户（1栋1单元101室）"
    # The record itself, and people no longer on the register, are not duplicates.
    assert checks.cross_checks(first, 1, [first]) == []
    first["members"][1].update(status="moved_out", status_date="2026-01-01")
    assert checks.cross_checks(second, None, [first]) == []


def test_the_same_name_and_birth_date_is_a_probable_duplicate() -> None:
    first = _stored(make_household(), 1, "H0001")
    second = make_household(room="202", members=1)
    second["members"][0].update(
        name=first["members"][2]["name"],
        birth_date=first["members"][2]["birth_date"],
        id_type="passport",
        id_number="",
    )
    (problem,) = checks.cross_checks(second, None, [first])
    assert (problem.code, problem.path) == ("probable_duplicate", "members[0].name")
    assert "可能重复登记" in problem.message("zh")
    # Two ID numbers that differ are two people who share a name and a birthday.
    second["members"][0]["id_number"] = "E12345678"
    assert checks.cross_checks(second, None, [first]) == []


def test_the_community_report_counts_each_check_and_pairs_duplicates() -> None:
    one = _stored(make_household(), 1, "H0001")
    merged = _stored(make_household(room="404"), 4, "H0004") | {"merged_into": 1}
    two = _stored(make_household(room="202", members=1), 2, "H0002")
    two["members"][0] = dict(one["members"][1], relation="head")
    merged["members"][0] = dict(one["members"][0])
    three = _stored(make_household(room="303", housing="rented", landlord_name=""), 3, "H0003")
    findings = checks.check_community([three, two, one, merged], TODAY)
    counts = checks.counts(findings)
    assert list(counts) == list(checks.CHECKS)
    assert counts["id_in_other_household"] == 2  # reported on both households
    assert counts["landlord_missing"] == 1 and sum(counts.values()) == 3
    assert list(checks.duplicate_pairs(findings)) == [(1, 2)]
    lost = next(f for f in findings if f.code == "id_in_other_household" and f.household_id == 2)
    assert (lost.household_no, lost.member, lost.other_id) == ("H0002", 0, 1)
