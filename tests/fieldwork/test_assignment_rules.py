"""Assignment rules: who covers which building, and replacing, adding or removing areas."""

from __future__ import annotations

import pytest

from census.fieldwork.assignments import (
    AssignmentError,
    assigned_buildings,
    buildings_by_grid,
    check_names,
    covers,
    grid_names,
    plan,
)

BUILDINGS = [
    {"name": "3栋", "grid": "第二网格"},
    {"name": "1栋", "grid": "第一网格"},
    {"name": "民族大院", "grid": "第一网格"},
    {"name": "平房", "grid": ""},
]


def test_a_grid_covers_its_buildings_and_a_building_covers_itself():
    user = {"grids": ["第一网格"], "buildings": ["3栋"]}
    assert [b["name"] for b in assigned_buildings(user, BUILDINGS)] == ["1栋", "民族大院", "3栋"]
    assert not covers({"grids": [], "buildings": []}, BUILDINGS[0])


def test_replace_add_and_remove():
    current = (["第一网格"], ["3栋"])
    assert plan(current, ["第二网格"], [], "replace") == (["第二网格"], [])
    assert plan(current, ["第二网格", "第一网格"], ["平房"], "add") == (
        ["第一网格", "第二网格"],
        ["3栋", "平房"],
    )
    assert plan(current, [], ["3栋"], "remove") == (["第一网格"], [])
    with pytest.raises(AssignmentError):
        plan(current, [], [], "swap")


def test_grids_come_from_the_grid_list_in_its_order_then_from_buildings():
    listed = [{"name": "第二网格"}, {"name": "第三网格"}]
    assert grid_names(listed, BUILDINGS) == ["第二网格", "第三网格", "第一网格"]
    grouped = buildings_by_grid(["第一网格", "第三网格"], BUILDINGS)
    assert [b["name"] for b in grouped["第一网格"]] == ["1栋", "民族大院"]
    assert grouped["第三网格"] == [] and [b["name"] for b in grouped[""]] == ["平房"]


def test_unknown_names_are_refused():
    with pytest.raises(AssignmentError, match="第九网格"):
        check_names(["第九网格"], [], {"第一网格"}, {"1栋"})
    with pytest.raises(AssignmentError, match="9栋"):
        check_names([], ["9栋"], {"第一网格"}, {"1栋"})
