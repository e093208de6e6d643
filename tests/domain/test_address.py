"""One address: the parts of a dwelling, shown one way, in the order people count."""

from __future__ import annotations

import pytest

from census.domain.address import (
    address_key,
    address_text,
    chinese_number,
    dwelling_key,
    natural_key,
    natural_sorted,
    room_part,
    search_key,
    split_dwelling,
    unit_part,
)


@pytest.mark.parametrize("typed", ["3", "3单元", "３单元", " 3 单元 ", "三单元", "三"])
def test_a_unit_typed_any_way_is_one_unit(typed):
    assert unit_part(typed) == "3"


@pytest.mark.parametrize("typed", ["101", "101室", "１０１室", "101号"])
def test_a_room_typed_any_way_is_one_room(typed):
    assert room_part(typed) == "101"


def test_a_dwelling_is_shown_one_way():
    assert address_text({"building": "1栋", "unit": "3单元", "room": "101室"}) == "1栋3单元101室"
    assert address_text({"building": "1栋", "unit": "3", "room": "101"}) == "1栋3单元101室"
    assert address_text({"building": "民族大院", "unit": "", "room": "东厢房"}) == "民族大院东厢房"
    assert dwelling_key("1栋", "３单元", "101室") == dwelling_key("1栋", "3", "101")


def test_chinese_numerals_are_numbers():
    assert [chinese_number(t) for t in ("三", "十", "十二", "二十", "一百零一", "二〇一")] == [
        3, 10, 12, 20, 101, 201,
    ]  # fmt: skip
    assert chinese_number("大院") is None


def test_grids_and_buildings_come_in_the_order_people_count():
    grids = ["第一网格", "第三网格", "第二网格", "第十网格", "第十一网格"]
    assert natural_sorted(grids) == ["第一网格", "第二网格", "第三网格", "第十网格", "第十一网格"]
    buildings = ["129栋", "12栋", "132栋", "2栋", "10栋", "民族大院"]
    assert sorted(buildings, key=natural_key) == [
        "2栋",
        "10栋",
        "12栋",
        "129栋",
        "132栋",
        "民族大院",
    ]
    doors = [{"building": "2栋", "unit": "1", "room": r} for r in ("1101", "302", "90")]
    assert [d["room"] for d in sorted(doors, key=address_key)] == ["90", "302", "1101"]


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("1单元101室", ("", "1", "101")),
        ("１单元１０１室", ("", "1", "101")),
        ("三单元二〇一室", ("", "3", "201")),
        ("3-1-101", ("3栋", "1", "101")),
        ("3－1－101室", ("3栋", "1", "101")),
        ("1单元1层101", ("", "1", "101")),
        ("1单元12层1201", ("", "1", "1201")),
        ("1单元1层1号", ("", "1", "1层1")),
        ("3号楼1单元101", ("3号楼", "1", "101")),
        ("5栋302", ("5栋", "", "302")),
        ("幸福路佐斯腾小区3号楼2单元502室", ("3号楼", "2", "502")),
    ],
)
def test_one_text_holding_building_unit_and_room_is_split(text, parts):
    found = split_dwelling(text)
    assert found is not None and (found.building, found.unit, found.room) == parts


@pytest.mark.parametrize("text", ["101", "3-101", "民族大院3号", "", None, "幸福路12号"])
def test_a_text_that_is_no_combined_address_is_not_split(text):
    assert split_dwelling(text) is None


@pytest.mark.parametrize(
    ("text", "unit_room", "building_room"),
    [
        ("3-101", ("", "3", "101"), ("3栋", "", "101")),
        ("3－101室", ("", "3", "101"), ("3栋", "", "101")),
        ("5栋3-101", ("5栋", "3", "101"), None),  # building-room after a building: twice
        ("幸福路3号楼2-502", ("3号楼", "2", "502"), None),
        ("3-1-101", ("3栋", "1", "101"), ("3栋", "1", "101")),  # three parts: always
        ("1单元101室", ("", "1", "101"), ("", "1", "101")),
        ("幸福路12-3号", None, None),  # a street number, not a dwelling
        ("101", None, None),
    ],
)
def test_two_numbers_joined_by_a_dash_read_as_the_pattern_says(text, unit_room, building_room):
    for pattern, parts in (("unit-room", unit_room), ("building-room", building_room)):
        found = split_dwelling(text, pattern)
        assert (found and (found.building, found.unit, found.room)) == (parts or None), pattern


def test_search_folds_full_width_forms_and_numerals():
    assert search_key("１栋") == search_key("一栋") == search_key(" 1 栋") == "1栋"
    assert search_key("三单元101") == "3单元101"
    assert search_key("h001") == "H001"
