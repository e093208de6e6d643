"""While an import's relations wait to be verified, every page names the head as printouts do.

A sheet without 与户主关系 stores each member with ``pending_fields: ["relation"]``: nobody
is known to be the head yet. The registers and printouts name the first member marked
户主00（待核实） (census.domain.display.head_name_text); the review queue and the building
page of the survey say it the same way, in the page's language, and a household whose
relations were typed in keeps its head's name unmarked.
"""

from __future__ import annotations

import csv
import html
import re

import pytest

from census.services import records
from census.sheets.apply import apply_plan
from census.sheets.wizard import plan_file
from tests.factories import make_household

HEADER = ["户编号", "楼栋", "单元", "室", "住房性质", "姓名", "证件类型", "身份证号码"]


def shown_text(response) -> str:
    """The page as a person reads it: tags gone, entities decoded."""
    assert response.status_code == 200
    return html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


@pytest.fixture
def imported(client, store, tmp_path):
    """A household imported from a sheet that has no 与户主关系 column, beside a typed one."""
    form = client.application.extensions["census"].surveys["household"]
    path = tmp_path / "无关系列.csv"
    rows = [HEADER, ["H201", "1栋", "2", "201", "自有", "周桂英", "", ""]]
    rows.append(["H201", "1栋", "2", "201", "自有", "吴建国", "", ""])
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    plan, _sheets = plan_file(store, form, path)
    done = apply_plan(store, plan, user="admin")
    assert done.created == 1 and done.pending == 1
    (household,) = store.collection("households").scan()
    assert all("relation" in m["pending_fields"] for m in household["members"])
    typed = make_household(room="102")
    assert records.save(store, form, typed, user="admin").saved
    return typed["members"][0]["name"]


@pytest.mark.parametrize("lang, marked", [("zh", "周桂英（待核实）"), ("en", "周桂英 (to verify)")])
def test_the_review_queue_and_the_building_page_mark_the_first_member(
    client, auth, imported, lang, marked
):
    auth.login("admin")
    queue = shown_text(client.get(f"/review/?lang={lang}"))
    building = shown_text(client.get(f"/survey/building/1栋?lang={lang}"))
    for page in (queue, building):
        assert marked in page
        assert "吴建国（" not in page and "吴建国 (" not in page  # only the first stands for it
    # staff's own entry is approved as it is saved: not in the queue, on the building's page
    assert imported in building
    assert f"{imported}（" not in building and f"{imported} (" not in building
