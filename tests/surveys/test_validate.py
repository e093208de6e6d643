"""The rules of the household, storefront and unit forms, shared by the web form and the API."""

from __future__ import annotations

from datetime import date

import pytest
from stdnum.cn import ric, uscc

from census.domain.ids import make_resident_id
from census.surveys.definition import load_surveys
from census.surveys.validate import clean, has_errors
from tests.factories import make_household, make_member

SURVEYS = load_surveys()
HOUSEHOLD = SURVEYS["household"]


def codes(problems, level="error"):
    """(path, code) of the problems of one level."""
    return {(p.path, p.code) for p in problems if p.level == level}


def test_a_valid_household_cleans_without_problems():
    record, problems = clean(HOUSEHOLD, make_household(members=5))
    assert problems == []
    assert len(record["members"]) == 5
    assert record["members"][0]["relation"] == "head"


def test_birth_date_and_sex_are_filled_from_the_resident_id():
    member = make_member(0, birth_date="", sex="")
    record, problems = clean(
        HOUSEHOLD, make_household(members=1, members_=None) | {"members": [member]}
    )
    assert not has_errors(problems)
    assert record["members"][0]["birth_date"] == "1960-01-01"
    assert record["members"][0]["sex"] == "male"


@pytest.mark.parametrize(
    ("change", "path", "code"),
    [
        ({"id_number": "65010319600101001"}, "members[0].id_number", "id_length"),
        ({"id_number": "6501031960010100AX"}, "members[0].id_number", "id_format"),
        ({"id_number": "650103196013010010"}, "members[0].id_number", "id_birth_date"),
        ({"birth_date": "1961-01-01"}, "members[0].birth_date", "birth_date_mismatch"),
        ({"sex": "female"}, "members[0].sex", "sex_mismatch"),
        ({"phone": "12345"}, "members[0].phone", "phone_invalid"),
        ({"relation": "boss"}, "members[0].relation", "choice_invalid"),
        ({"ethnicity": "火星族"}, "members[0].ethnicity", "choice_invalid"),
        ({"conditions": ["disability", "watchlist"]}, "members[0].conditions", "choice_invalid"),
        ({"name": ""}, "members[0].name", "required"),
        (
            {"birth_date": "2999-01-01", "id_type": "passport", "id_number": "E12345678"},
            "members[0].birth_date",
            "date_future",
        ),
        ({"status": "moved_out"}, "members[0].status_date", "required"),
    ],
)
def test_member_rules(change, path, code):
    household = make_household(members=1)
    household["members"][0].update(change)
    _record, problems = clean(HOUSEHOLD, household)
    assert (path, code) in codes(problems)


def test_a_wrong_check_digit_names_the_right_one():
    good = make_household(members=1)["members"][0]["id_number"]
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    household = make_household(members=1)
    household["members"][0]["id_number"] = wrong
    _record, problems = clean(HOUSEHOLD, household)
    checksum = [p for p in problems if p.code == "id_checksum"]
    assert checksum and checksum[0].params["expected"] == good[-1]
    assert good[-1] in checksum[0].message("zh")


def test_full_width_digits_spaces_and_lowercase_x_are_normalised():
    number = make_resident_id("110105", date(1949, 12, 31), 1, "female")
    while not number.endswith("X"):  # find a number whose check digit is X
        number = make_resident_id(
            "110105", date(1949, 12, 31), int(number[14:17]) // 2 + 2, "female"
        )
    messy = (
        " ".join(number[:6])
        + number[6:-1].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        + "x"
    )
    household = make_household(members=1)
    household["members"][0].update(id_number=messy, birth_date="", sex="")
    record, problems = clean(HOUSEHOLD, household)
    assert not has_errors(problems)
    assert record["members"][0]["id_number"] == number


def test_region_codes_newer_than_the_birth_year_raise_nothing():
    # 500101 (重庆万州) exists since 1997; people born in 1980 there hold such numbers.
    number = make_resident_id("500101", date(1980, 5, 17), 21, "male")
    assert ric.calc_check_digit(number) == number[-1]
    household = make_household(members=1)
    household["members"][0].update(id_number=number, birth_date="1980-05-17", sex="male")
    record, problems = clean(HOUSEHOLD, household)
    assert problems == []
    assert record["members"][0]["id_number"] == number


def test_an_unknown_region_code_is_only_a_warning():
    number = make_resident_id("659999", date(1975, 3, 3), 5, "female")
    household = make_household(members=1)
    household["members"][0].update(id_number=number, birth_date="", sex="")
    _record, problems = clean(HOUSEHOLD, household)
    assert not has_errors(problems)
    assert ("members[0].id_number", "id_region_unknown") in codes(problems, "warning")


def test_exactly_one_head():
    household = make_household(members=3)
    household["members"][1]["relation"] = "head"
    _r, problems = clean(HOUSEHOLD, household)
    assert ("members", "head_count") in codes(problems)
    household["members"][0]["relation"] = household["members"][1]["relation"] = "spouse"
    _r, problems = clean(HOUSEHOLD, household)
    assert ("members", "head_count") in codes(problems)


def test_the_same_id_twice_in_one_household():
    household = make_household(members=2)
    household["members"][1] = dict(household["members"][0], relation="spouse", name="重复")
    _r, problems = clean(HOUSEHOLD, household)
    assert ("members[1].id_number", "id_duplicate_in_household") in codes(problems)


def test_landlord_is_asked_only_when_rented():
    _r, problems = clean(HOUSEHOLD, make_household(housing="rented"))
    assert ("landlord_name", "required") in codes(problems)
    record, problems = clean(
        HOUSEHOLD, make_household(housing="owned", landlord_name="不该保存", landlord_phone="123")
    )
    assert problems == []
    assert record["landlord_name"] is None and record["landlord_phone"] is None
    record, problems = clean(
        HOUSEHOLD,
        make_household(housing="rented", landlord_name="周房东", landlord_phone="13912345678"),
    )
    assert problems == [] and record["landlord_name"] == "周房东"


def test_hukou_address_only_for_floating_persons():
    household = make_household(members=1)
    household["members"][0].update(residence_type="registered", hukou_address="四川省成都市")
    record, _ = clean(HOUSEHOLD, household)
    assert record["members"][0]["hukou_address"] is None
    household["members"][0]["residence_type"] = "floating"
    record, _ = clean(HOUSEHOLD, household)
    assert record["members"][0]["hukou_address"] == "四川省成都市"


def test_required_address_and_a_non_empty_roster():
    _r, problems = clean(HOUSEHOLD, make_household(building="", room="", members=0))
    assert {("building", "required"), ("room", "required"), ("members", "members_empty")} <= codes(
        problems
    )


def test_blank_roster_rows_are_dropped_and_paths_keep_the_sent_index():
    household = make_household(members=2)
    household["members"].insert(1, {"name": "", "relation": "", "sex": ""})
    household["members"][2]["phone"] = "bad"
    record, problems = clean(HOUSEHOLD, household)
    assert len(record["members"]) == 2
    assert ("members[2].phone", "phone_invalid") in codes(problems)


def test_storefront_uscc_and_unit_flags():
    store = SURVEYS["storefront"]
    code = "91650100MA77" + "ABCDE"
    good = code + uscc.calc_check_digit(code)
    base = {
        "name": "清真拉面馆",
        "address": "1栋底商",
        "category": "catering",
        "operator_name": "马明",
        "status": "open",
        "employees": "3",
        "fire_safety_checked": "是",
        "uscc": good.lower(),
    }
    record, problems = clean(store, base)
    assert problems == []
    assert (
        record["employees"] == 3
        and record["fire_safety_checked"] is True
        and record["uscc"] == good
    )
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    _r, problems = clean(store, base | {"uscc": bad, "employees": "-1", "category": "x"})
    assert {
        ("uscc", "uscc_invalid"),
        ("employees", "integer_min"),
        ("category", "choice_invalid"),
    } <= codes(problems)
    unit = SURVEYS["unit"]
    record, problems = clean(
        unit,
        {
            "name": "第一小学",
            "kind": "school",
            "address": "和什路1号",
            "key_unit": "yes",
            "safe_unit": False,
            "staff_count": 80,
        },
    )
    assert problems == [] and record["key_unit"] is True and record["safe_unit"] is False
    _r, problems = clean(unit, {"name": "x", "kind": "school", "address": "y", "key_unit": "maybe"})
    assert ("key_unit", "yes_no_invalid") in codes(problems)


def test_messages_are_chinese_by_default_and_english_on_request():
    household = make_household(members=1)
    household["members"][0]["phone"] = "12345"
    _r, problems = clean(HOUSEHOLD, household)
    (problem,) = [p for p in problems if p.code == "phone_invalid"]
    assert "电话号码格式不正确" in problem.message()
    assert "Not a valid phone number" in problem.message("en")


def test_a_wrong_id_does_not_also_ask_for_the_fields_it_would_fill():
    household = make_household(members=1)
    good = household["members"][0]["id_number"]
    household["members"][0].update(
        id_number=good[:-1] + ("0" if good[-1] != "0" else "1"), birth_date="", sex=""
    )
    _record, problems = clean(HOUSEHOLD, household)
    assert codes(problems) == {("members[0].id_number", "id_checksum")}
