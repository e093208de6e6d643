"""Coverage figures over a small known set of doors, per building, grid and surveyor."""

from __future__ import annotations

from census.fieldwork import coverage
from census.fieldwork.outcomes import build_dwellings

BUILDINGS = [
    {"name": "1栋", "grid": "第一网格", "expected_dwellings": 12},
    {"name": "2栋", "grid": "第二网格", "expected_dwellings": 4},
    {"name": "民族大院", "grid": "第一网格", "expected_dwellings": 8},
]


def visit(n, building, room, outcome, day, by="surveyor1"):
    return {
        "id": n,
        "building": building,
        "unit": "",
        "room": room,
        "outcome": outcome,
        "visited_at": f"2026-11-{day:02d}T10:00:00",
        "surveyor": by,
    }


def household(n, building, room, day, by="surveyor1"):
    return {
        "id": n,
        "building": building,
        "unit": "",
        "room": room,
        "visited_at": f"2026-11-{day:02d}T11:00:00",
        "surveyor": by,
    }


def dwellings():
    visits = [
        visit(1, "1栋", "101", "not_home", 20),  # then registered: completed
        visit(2, "1栋", "103", "vacant", 20),
        *(visit(3 + n, "1栋", "104", "not_home", 20 + n) for n in range(3)),  # flagged
        visit(6, "1栋", "201", "refused", 21),
        visit(7, "民族大院", "3", "not_home", 21),
        visit(8, "2栋", "102", "vacant", 22, by="surveyor2"),
        visit(9, "9栋", "1", "vacant", 22),  # not a known building: left out
        *(visit(10 + n, "2栋", "103", "vacant", 22, by="surveyor2") for n in range(2)),
    ]
    households = [
        household(1, "1栋", "101", 21),
        household(2, "1栋", "102", 21),
        household(3, "2栋", "101", 22, by="surveyor2"),
    ]
    return list(build_dwellings(visits, households).values())


def test_figures_per_building():
    rows = {r.name: r.figures for r in coverage.building_rows(BUILDINGS, dwellings())}
    assert rows["1栋"] == coverage.Figures(
        expected=12, visited=5, registered=2, vacant=1, revisit=2, flagged=1
    )
    assert rows["1栋"].completed == 3 and rows["1栋"].completed_pct == 25
    assert rows["民族大院"] == coverage.Figures(expected=8, visited=1, revisit=1)
    assert rows["2栋"] == coverage.Figures(expected=4, visited=3, registered=1, vacant=2)
    assert rows["2栋"].completed_pct == 75 and rows["2栋"].visited_pct == 75


def test_figures_per_grid_and_in_total():
    by_building = coverage.building_rows(BUILDINGS, dwellings())
    grids = {r.name: r.figures for r in coverage.grid_rows(by_building)}
    assert grids == {
        "第一网格": coverage.Figures(
            expected=20, visited=6, registered=2, vacant=1, revisit=3, flagged=1
        ),
        "第二网格": coverage.Figures(expected=4, visited=3, registered=1, vacant=2),
    }
    total = coverage.total(by_building)
    assert (total.expected, total.visited, total.completed, total.revisit) == (24, 9, 6, 3)
    # visited is always completed + to revisit
    assert total.visited == total.completed + total.revisit


def test_figures_per_surveyor_are_over_their_assigned_buildings():
    found = dwellings()
    by_building = coverage.building_rows(BUILDINGS, found)
    made = coverage.visits_made(found)
    surveyors = [
        {"username": "surveyor1", "display_name": "王", "grids": ["第一网格"], "buildings": []},
        {"username": "surveyor2", "display_name": "李", "grids": [], "buildings": ["2栋", "1栋"]},
        {"username": "surveyor3", "grids": [], "buildings": []},
    ]
    rows = {
        r.name: r
        for r in coverage.surveyor_rows(surveyors, BUILDINGS, by_building, lambda u: made.get(u, 0))
    }
    assert rows["surveyor1"].figures.expected == 20 and rows["surveyor1"].figures.visited == 6
    assert rows["surveyor2"].figures.expected == 16 and rows["surveyor2"].figures.completed == 6
    assert rows["surveyor3"].figures == coverage.Figures()
    # knocks they logged plus households they registered (9栋 included: it is their legwork)
    assert rows["surveyor1"].visits_made == 8 + 2
    assert rows["surveyor2"].visits_made == 3 + 1


def test_percentages_are_capped_and_absent_without_an_expected_figure():
    assert coverage.Figures(expected=2, visited=3, registered=3).completed_pct == 100
    assert coverage.Figures(expected=0, visited=3).completed_pct is None
