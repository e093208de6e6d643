"""ID numbers as a real community holds them: quiet on ordinary people, clear on real faults.

Realistic sets: the old city districts whose codes stdnum's table lists from its first year
("[1983-]"), people born 1930-2010, numbers made with valid check digits; codes drawn from
the whole table as they were in use when the number was issued; first-generation 15-digit
numbers; numbers typed without an ID type.
"""

from __future__ import annotations

import random
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from stdnum import numdb
from stdnum.cn import ric

from census.domain import checks
from census.domain.ids import (
    REGION_IN_USE,
    check_person_id,
    check_region,
    check_resident_id,
    is_resident_id,
    make_resident_id,
    mask_id,
    region_status,
    upgrade_id,
)
from census.surveys.definition import load_surveys
from census.surveys.validate import clean, has_errors
from tests.factories import make_household, make_member

HOUSEHOLD = load_surveys()["household"]
TODAY = date(2026, 6, 1)
# 上城区, 天山区, 荔湾区, 中原区, 城关区: "[1983-]" in the table, there long before.
OLD_DISTRICTS = ["330102", "650102", "440103", "410102", "620102"]


def county_codes() -> list[str]:
    """Every county-level code in stdnum's table."""
    text = (Path(numdb.__file__).parent / "cn" / "loc.dat").read_text(encoding="utf-8")
    province, codes = "", []
    for line in text.splitlines():
        if re.match(r"^\d\d ", line):
            province = line[:2]
        elif re.match(r"^  \d{4} ", line) and line[4:6] != "00":
            codes.append(province + line[2:6])
    return codes


def first_generation(number: str) -> str:
    """The 15-digit number an 18-digit one of someone born in the 1900s was upgraded from."""
    return number[:6] + number[8:17]


def one_member(**member: object) -> dict[str, object]:
    household = make_household(members=1)
    household["members"][0].update(member)
    return household


@pytest.mark.parametrize("region", OLD_DISTRICTS)
def test_old_city_districts_raise_nothing_for_anyone_born_1930_to_2010(region):
    for year in range(1930, 2011):
        for sex in ("male", "female"):
            number = make_resident_id(region, date(year, 3, 9), 17, sex)
            result = check_resident_id(number, today=TODAY)
            assert result.ok and result.problems == [], (number, result.problems)


def test_codes_in_use_when_the_number_was_issued_raise_nothing():
    rng = random.Random(15)
    codes = county_codes()
    assert len(codes) > 3000  # the table, not a sample of it
    in_use = {
        year: [c for c in codes if region_status(c, year) == REGION_IN_USE]
        for year in range(1985, 2010)
    }
    checked = newer = 0
    for _ in range(3000):
        born = date(1930, 1, 1) + timedelta(days=rng.randrange(29_220))  # to 2009
        issued = born.year if born.year >= 1985 else rng.randint(1985, 1995)
        region = rng.choice(in_use[issued])
        newer += region_status(region, born.year) != REGION_IN_USE
        number = make_resident_id(region, born, rng.randint(1, 499), rng.choice(["male", "female"]))
        assert check_resident_id(number, today=TODAY).problems == [], number
        checked += 1
    # The previous rule warned every one of these: a code not in use in the birth year.
    assert checked == 3000 and newer > 900


def test_a_realistic_household_saves_without_any_warning():
    people = [
        (0, "张伟", "650102", date(1936, 5, 1), "male", "head"),
        (1, "李秀兰", "440103", date(1941, 2, 3), "female", "spouse"),
        (2, "张建国", "620102", date(1962, 7, 8), "male", "child"),
        (3, "张小芳", "330102", date(2008, 9, 9), "female", "grandchild"),
    ]
    household = make_household(members=0)
    household["members"] = [
        make_member(
            n,
            name=name,
            sex=sex,
            relation=relation,
            birth_date=born.isoformat(),
            id_number=make_resident_id(region, born, 3 + n, sex),
        )
        for n, name, region, born, sex, relation in people
    ]
    record, problems = clean(HOUSEHOLD, household, today=TODAY)
    problems += checks.check_household(record, TODAY)
    assert problems == []


def test_an_unknown_code_is_a_warning_naming_the_member_in_both_languages():
    number = make_resident_id("650199", date(1975, 3, 3), 5, "female")  # not in the table
    household = one_member(name="王芳", id_number=number, birth_date="", sex="")
    record, problems = clean(HOUSEHOLD, household, today=TODAY)
    assert not has_errors(problems) and record["members"][0]["birth_date"] == "1975-03-03"
    (warning,) = problems
    assert (warning.code, warning.path) == ("id_region_unknown", "members[0].id_number")
    assert warning.message() == "王芳：地区码 650199 不在行政区划代码表中，请核对（不影响保存）"
    assert warning.message("en") == (
        "王芳: Region code 650199 is not in the code table; please check (saving is allowed)"
    )


def test_three_members_with_one_unknown_code_get_three_different_named_warnings():
    people = [("张伟", "male", 1950), ("李秀兰", "female", 1952), ("张明", "male", 1978)]
    household = make_household(members=0)
    household["members"] = [
        make_member(n, name=name, sex=sex, birth_date="",
                    id_number=make_resident_id("410199", date(year, 1, 5), 9, sex))
        for n, (name, sex, year) in enumerate(people)
    ]  # fmt: skip
    _record, problems = clean(HOUSEHOLD, household, today=TODAY)
    said = [p.message() for p in problems]
    assert said == [
        f"{name}：地区码 410199 不在行政区划代码表中，请核对（不影响保存）"
        for name, _s, _y in people
    ]
    assert all(
        p.message("en").startswith(f"{n}: Region code")
        for p, (n, _s, _y) in zip(problems, people, strict=True)
    )


def test_a_code_given_up_before_the_birth_stays_a_named_warning():
    number = make_resident_id("440102", date(2009, 1, 1), 1, "male")  # 东山区, to 2005
    (problem,) = check_region("440102", 2009)
    assert problem.code == "id_region_retired" and problem.params["year"] == 2005
    _record, problems = clean(
        HOUSEHOLD, one_member(name="陈杰", id_number=number, birth_date="", sex=""), today=TODAY
    )
    assert [p.message() for p in problems] == [
        "陈杰：地区码 440102 已于 2005 年后停用，早于出生年份，请核对（不影响保存）"
    ]


# -- first-generation numbers ---------------------------------------------------------------


def test_a_valid_15_digit_number_becomes_the_18_digit_one_with_the_right_check_digit():
    for region, born, seq, sex in [
        ("650102", date(1936, 5, 1), 3, "male"),
        ("330102", date(1962, 12, 31), 118, "female"),
        ("440103", date(1999, 2, 28), 499, "male"),
    ]:
        new = make_resident_id(region, born, seq, sex)
        old = first_generation(new)
        assert len(old) == 15 and upgrade_id(old) == new
        assert ric.calc_check_digit(new) == new[-1]
    assert upgrade_id("610104620315001") == "61010419620315001X"
    assert upgrade_id(" ６１０１０４６２０３１５００１ ") == "61010419620315001X"


def test_the_form_stores_18_digits_and_says_so_in_both_languages():
    new = make_resident_id("650102", date(1948, 10, 1), 21, "female")
    old = first_generation(new)
    household = one_member(name="李秀兰", id_number=old, birth_date="", sex="")
    record, problems = clean(HOUSEHOLD, household, today=TODAY)
    member = record["members"][0]
    assert member["id_number"] == new
    assert (member["birth_date"], member["sex"]) == ("1948-10-01", "female")
    (note,) = problems
    assert (note.code, note.path, note.is_error) == ("id_upgraded", "members[0].id_number", False)
    # Shown masked, as every page shows ID numbers; the whole numbers are kept for history.
    assert note.message() == (
        f"李秀兰：15 位身份证号码已升级为 18 位：{mask_id(new)}（原号码 {mask_id(old)}）"
    )
    assert note.message("en") == (
        f"李秀兰: The 15-digit ID number was converted to 18 digits: {mask_id(new)} "
        f"(was {mask_id(old)})"
    )
    assert new not in note.message() and (note.params["stored"], note.params["typed"]) == (new, old)


def test_a_15_digit_number_is_compared_with_the_given_birth_date_and_sex():
    old = first_generation(make_resident_id("650102", date(1948, 10, 1), 21, "female"))
    _r, problems = clean(
        HOUSEHOLD, one_member(id_number=old, birth_date="1948-10-02", sex="male"), today=TODAY
    )
    assert {p.code for p in problems if p.is_error} == {"birth_date_mismatch", "sex_mismatch"}


@pytest.mark.parametrize(
    "number, code, zh",
    [
        (
            "610104620932690",
            "id15_birth_date",
            "15 位身份证号码第 7–12 位应为出生日期（年月日各 2 位），620932 不是有效日期",
        ),
        (
            "610104630229001",
            "id15_birth_date",
            "15 位身份证号码第 7–12 位应为出生日期（年月日各 2 位），630229 不是有效日期",
        ),
        (
            "61010462031500X",
            "id15_format",
            "15 位身份证号码应全部为数字（第一代身份证没有校验位 X）",
        ),
        (
            "6101046203150A1",
            "id15_format",
            "15 位身份证号码应全部为数字（第一代身份证没有校验位 X）",
        ),
    ],
    ids=["day 32", "29 February 1963", "X", "letter"],
)
def test_an_invalid_15_digit_number_is_refused_with_the_reason(number, code, zh):
    household = one_member(id_number=number, birth_date="", sex="")
    record, problems = clean(HOUSEHOLD, household, today=TODAY)
    assert has_errors(problems)
    assert [(p.code, p.path, p.message()) for p in problems] == [(code, "members[0].id_number", zh)]
    assert "15" in problems[0].message("en") and not re.search(
        r"[\u4e00-\u9fff]", problems[0].message("en")
    )
    assert record["members"][0]["id_number"] == number  # nothing made up


@pytest.mark.parametrize(
    "number, expected",
    [
        ("610104620315001", True),  # first generation
        ("61010419620315001X", True),
        ("61010419620315001X", True),  # 18 characters: always checked
        ("6101041962031500", True),  # a digit missing
        ("61010462031500X", True),  # 15 characters ending in X
        ("E12345678", False),
        ("H1234567801", False),
        ("军官证 第123号", False),
    ],
)
def test_a_blank_id_type_is_inferred_from_the_shape(number, expected):
    assert is_resident_id(None, number) is expected
    assert is_resident_id("", number) is expected
    assert is_resident_id("resident_id", number) is True
    assert is_resident_id("passport", number) is False


def test_a_blank_type_never_means_no_checks():
    # The example: accepted unchecked before, an impossible date.
    problems, _b, _s = check_person_id(None, "610104620932690", birth_date=None, sex=None)
    assert [p.code for p in problems] == ["id15_birth_date"]
    problems, _b, _s = check_person_id("", "6101041962031500", birth_date=None, sex=None)
    assert [p.code for p in problems] == ["id_length"]
    assert problems[0].message() == "居民身份证号码应为 18 位（第一代身份证为 15 位），现为 16 位"
    # A valid one is checked, upgraded and its type filled.
    household = one_member(id_type="", id_number="610104620315001", birth_date="", sex="")
    record, problems = clean(HOUSEHOLD, household, today=TODAY)
    member = record["members"][0]
    assert [p.code for p in problems] == ["id_upgraded"]
    assert member["id_type"] == "resident_id" and member["id_number"] == "61010419620315001X"
    assert (member["birth_date"], member["sex"]) == ("1962-03-15", "male")


def test_other_documents_keep_their_own_rule():
    household = one_member(id_type="other", id_number="610104620932690")
    record, problems = clean(HOUSEHOLD, household, today=TODAY)
    assert problems == [] and record["members"][0]["id_number"] == "610104620932690"


def test_15_and_18_digit_forms_of_one_number_are_one_person_in_a_household():
    head = make_member(0)
    copy = make_member(1, id_number=first_generation(head["id_number"]), birth_date="", sex="")
    household = make_household(members=0) | {"members": [head, copy]}
    _record, problems = clean(HOUSEHOLD, household, today=TODAY)
    assert ("id_duplicate_in_household", "members[1].id_number") in {
        (p.code, p.path) for p in problems
    }


def test_a_15_digit_number_is_masked_like_its_18_digit_form():
    new = "61010419620315001X"
    assert mask_id(new) == "610104********001X"
    assert mask_id(first_generation(new)) == "610104******001"


# -- births before 1900 ----------------------------------------------------------------------


def test_a_birth_before_1900_is_refused_for_the_floor_not_as_an_unreal_date():
    body = "11010518991231001"
    number = body + ric.calc_check_digit(body + "0")
    _record, problems = clean(
        HOUSEHOLD, one_member(id_number=number, birth_date="", sex=""), today=TODAY
    )
    (problem,) = problems
    assert problem.code == "id_birth_too_early" and problem.is_error
    assert problem.message() == "居民身份证号码中的出生年份早于 1900 年（18991231），请核对"
    assert problem.message("en") == (
        "The birth date 18991231 in this resident ID is before 1900; please check"
    )
