"""The surveyor's home and a building's doors: grids in natural order, doors not yet visited."""

from __future__ import annotations

import re

from tests.web.test_fieldwork_outcomes import tap


def test_home_groups_buildings_by_grid_in_natural_order_with_a_search_box(client, auth, store):
    for name, grid in (("10栋", "第一网格"), ("3栋", ""), ("2号楼", "第十网格")):
        store.collection("buildings").insert({"name": name, "grid": grid, "type": "residential"})
    auth.login("admin")
    page = client.get("/survey/").get_data(as_text=True)
    grids = re.findall(r'<h2 id="grid-\d+">([^<]+) <small>(\d+) 栋</small>', page)
    assert grids == [("第一网格", "3"), ("第二网格", "1"), ("第十网格", "1"), ("未分网格", "1")]
    tiles = re.findall(r"<li data-search=\"([^\"]+)\">", page)
    assert tiles[:3] == ["1栋 第一网格", "10栋 第一网格", "民族大院 第一网格"]
    assert tiles[-1] == "3栋 未分网格"
    assert 'id="building-search"' in page and "/static/find.js" in page
    english = client.get("/survey/?lang=en").get_data(as_text=True)
    assert "Find a building" in english


def test_doors_expected_and_not_yet_visited_show_as_such(client, auth):
    auth.login("surveyor1")
    page = client.get("/survey/building/1栋").get_data(as_text=True)
    assert "12 户未走访" in page and 'data-unvisited="12"' in page
    for room in ("101", "102", "103"):
        tap(client, "not_home", room)
    page = client.get("/survey/building/1栋").get_data(as_text=True)
    assert "3 户已走访 · 9 户未走访" in page
    tile = page.split('data-unvisited="9"')[1].split("</span>\n  </li>")[0]
    assert "未走访" in tile and "还有 9 户" in tile
