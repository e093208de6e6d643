"""The coverage dashboard over a known small set of doors, and its Excel export read back."""

from __future__ import annotations

import io
import re
import uuid as uuidlib

import pytest
from openpyxl import load_workbook

from census.services import audit
from census.services.accounts import create_token
from tests.conftest import Auth
from tests.factories import make_household


@pytest.fixture
def field_day(app, store):
    """Known doors: 1栋 5 visited (2 registered, 1 vacant, 1 refused, 1 flagged), 民族大院 1
    not home, 2栋 1 registered and 1 vacant."""
    client = app.test_client()
    tokens = {name: create_token(store, name) for name in ("surveyor1", "surveyor2")}

    def send(url, who, body):
        response = client.post(
            url,
            json=body | {"uuid": str(uuidlib.uuid4())},
            headers={"Authorization": f"Bearer {tokens[who]}"},
        )
        assert response.status_code == 201, response.json

    def visit(who, building, unit, room, outcome, day):
        send(
            "/api/v1/visits",
            who,
            {
                "building": building,
                "unit": unit,
                "room": room,
                "outcome": outcome,
                "visited_at": f"2026-11-{day:02d}T10:00:00",
            },
        )

    def register(who, building, room, day):
        body = make_household(building=building, unit="1", room=room)
        send("/api/v1/households", who, body | {"visited_at": f"2026-11-{day:02d}T11:00:00"})

    visit("surveyor1", "1栋", "1", "101", "not_home", 20)
    register("surveyor1", "1栋", "101", 21)
    register("surveyor1", "1栋", "102", 21)
    visit("surveyor1", "1栋", "1", "103", "vacant", 20)
    for day in (20, 21, 22):
        visit("surveyor1", "1栋", "1", "104", "not_home", day)
    visit("surveyor1", "1栋", "1", "201", "refused", 21)
    visit("surveyor1", "民族大院", "", "3", "not_home", 21)
    register("surveyor2", "2栋", "101", 22)
    visit("surveyor2", "2栋", "1", "102", "vacant", 22)
    return client


def row_cells(html: str, first_cell: str) -> list[str]:
    """The numeric cells of the table row that starts with this text."""
    row = re.search(rf"<tr><td>(?:<a [^>]*>)?{first_cell}(?:</a>)?</td>(.*?)</tr>", html, re.S)
    assert row, first_cell
    return re.findall(r'<td class="num">([^<]*)</td>', row.group(1))


def test_the_dashboard_counts_per_grid_building_and_surveyor(field_day, app):
    staff = Auth(app.test_client())
    staff.login("reviewer")
    html = staff.client.get("/fieldwork/coverage").get_data(as_text=True)
    # expected, visited, completed, registered, vacant, to revisit, flagged
    assert row_cells(html, "第一网格") == ["20", "6", "3", "2", "1", "3", "1"]
    assert row_cells(html, "第二网格") == ["12", "2", "2", "1", "1", "0", "0"]
    assert row_cells(html, "1栋") == ["12", "5", "3", "2", "1", "2", "1"]
    assert row_cells(html, "民族大院") == ["8", "1", "0", "0", "0", "1", "0"]
    assert row_cells(html, "2栋") == ["12", "2", "2", "1", "1", "0", "0"]
    # per surveyor: their assigned grid's figures, then the visits they recorded themselves
    assert row_cells(html, r"surveyor1 <small>surveyor1</small>") == [
        "20",
        "6",
        "3",
        "2",
        "1",
        "3",
        "1",
        "9",
    ]
    assert row_cells(html, r"surveyor2 <small>surveyor2</small>") == [
        "12",
        "2",
        "2",
        "1",
        "1",
        "0",
        "0",
        "2",
    ]
    # the progress bar of 1栋: 3 of 12 completed, 2 more visited but to revisit
    bar = html.split('href="/fieldwork/coverage/building/1%E6%A0%8B"')[1]
    assert 'aria-valuenow="25"' in bar.split("</tr>")[0]
    assert 'style="width: 25%"' in bar and 'style="width: 16%"' in bar


def test_the_building_view_shows_each_door_with_a_word_not_only_a_colour(field_day, app):
    staff = Auth(app.test_client())
    staff.login("admin")
    html = staff.client.get("/fieldwork/coverage/building/1栋").get_data(as_text=True)
    legend = html.split('class="legend"')[1].split("</ul>")[0]
    for word in ("已登记", "空置", "无人在家", "拒绝", "需关注"):
        assert word in legend
    doors = re.findall(
        r'<a class="door s-(\w+)( flagged)?".*?<span class="addr">([^<]+)</span>.*?</a>',
        html,
        re.S,
    )
    assert [(room, state, bool(flag)) for state, flag, room in doors] == [
        ("1单元101", "completed", False),
        ("1单元102", "completed", False),
        ("1单元103", "vacant", False),
        ("1单元104", "not_home", True),
        ("1单元201", "refused", False),
    ]
    tile_104 = html.split('<span class="addr">1单元104</span>')[1].split("</a>")[0]
    assert "无人在家" in tile_104 and "需关注" in tile_104


def test_the_export_reads_back_with_the_same_figures(field_day, app, store):
    staff = Auth(app.test_client())
    staff.login("reviewer")
    response = staff.client.get("/fieldwork/coverage.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert ".xlsx" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    assert book.sheetnames == ["网格", "楼栋", "调查员", "住户门"]
    grids = [list(r) for r in book["网格"].iter_rows(values_only=True)]
    assert grids[0][:8] == [
        "网格",
        "应有户数",
        "已走访",
        "已完成",
        "已登记",
        "空置",
        "待回访",
        "需关注",
    ]
    assert grids[1] == ["第一网格", 20, 6, 3, 2, 1, 3, 1, 15]
    assert grids[2] == ["第二网格", 12, 2, 2, 1, 1, 0, 0, 16]
    assert grids[3] == ["合计", 32, 8, 5, 3, 2, 3, 1, 15]
    people = {r[0]: r for r in book["调查员"].iter_rows(min_row=2, values_only=True)}
    assert people["surveyor1"][-1] == 9 and people["surveyor2"][2:5] == (12, 2, 2)
    doors = list(book["住户门"].iter_rows(min_row=2, values_only=True))
    assert len(doors) == 8
    flagged = [d for d in doors if d[2] == "104"][0]
    assert flagged[:6] == ("1栋", "1", "104", "无人在家", 3, "是")
    entry = audit.entries(store, action="export")[0]
    assert entry["actor"] == "reviewer" and entry["target"] == "coverage.xlsx"


def test_surveyors_see_no_dashboard(app, field_day):
    surveyor = Auth(app.test_client())
    surveyor.login("surveyor1")
    for url in (
        "/fieldwork/coverage",
        "/fieldwork/coverage.xlsx",
        "/fieldwork/coverage/building/1栋",
    ):
        assert surveyor.client.get(url).status_code == 403


def test_a_surveyor_home_shows_progress_per_building(app, field_day):
    surveyor = Auth(app.test_client())
    surveyor.login("surveyor1")
    html = surveyor.client.get("/survey/").get_data(as_text=True)
    tile = html.split("<strong>1栋</strong>")[1].split("</a>")[0]
    assert "已走访 5 / 应有 12 户" in tile and "已完成 3" in tile and "待回访 2" in tile
    tile = html.split("<strong>民族大院</strong>")[1].split("</a>")[0]
    assert "已走访 1 / 应有 8 户" in tile
