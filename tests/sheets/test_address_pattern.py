"""How a combined address "3-101" reads: unit-room (the default) or building-room, as told.

Some communities write unit-room in one column beside a 楼栋 column, others building-room
with no 楼栋 column at all. The choice goes through the command line (--address-pattern,
kept in a saved profile) and the wizard's mapping page; a text that fits no way of
writing an address, or names another building than the row's 楼栋, is said at its cell.
"""

from __future__ import annotations

import json

import pytest
from sheet_files import SURVEYS, census_cli, wizard_upload, write_book

from census.sheets.plan import NEW
from census.sheets.wizard import plan_file
from census.store import open_store
from tests.conftest import csrf_token

FORM = SURVEYS["household"]
HEAD = ["户编号", "楼栋", "住址", "住房性质", "姓名", "与户主关系", "出生日期", "性别", "民族"]


def person(no: str, building: str, address: str, name: str) -> list:
    return [no, building, address, "自有", name, "户主", "1970-01-02", "男", "汉族"]


def with_building() -> list[list]:
    """A 楼栋 column and 住址 written unit-room."""
    return [
        HEAD,
        person("H1", "5栋", "3-101", "张一"),
        person("H2", "5栋", "2－502室", "张二"),
        person("H3", "5栋", "幸福路12号", "张三"),  # fits no way of writing a dwelling
    ]


def without_building() -> list[list]:
    """No 楼栋 column: 住址 written building-room."""
    rows = [[t for t in HEAD if t != "楼栋"]]
    for no, address, name in (("H1", "3-101", "李一"), ("H2", "7-502", "李二")):
        rows.append([no, address, "自有", name, "户主", "1970-01-02", "男", "汉族"])
    return rows


def dwellings(plan) -> dict[str, tuple]:
    return {
        p.record["household_no"]: (p.record["building"], p.record.get("unit"), p.record["room"])
        for p in plan.records
        if p.action == NEW
    }


def test_unit_room_is_the_default_and_a_text_that_fits_no_pattern_is_said(store, tmp_path):
    path = write_book(tmp_path / "a.xlsx", {"S": with_building()})
    plan = plan_file(store, FORM, path)[0]
    assert dwellings(plan) == {"H1": ("5栋", "3", "101"), "H2": ("5栋", "2", "502")}
    (said,) = [i for i in plan.all_issues() if i.code == "address_unsplit"]
    assert (said.row, said.column) == (4, "C")
    assert "无法从“幸福路12号”中分出楼栋、单元和室号" in said.message()
    assert "3-101（本次按单元-室读）" in said.message()
    assert "read as unit-room this time" in said.message("en")


def test_building_room_is_chosen_on_the_command_line_and_kept_in_a_profile(tmp_path):
    data = tmp_path / "data"
    run = census_cli(data)

    assert run("init").exit_code == 0
    path = write_book(tmp_path / "b.xlsx", {"S": without_building()})
    default = run("import", str(path), "--dry-run")  # unit-room: no building, refused
    assert "新增 0" in default.output and "“楼栋/院落”为空" in default.output, default.output

    chosen = run(
        "import", str(path), "--address-pattern", "building-room", "--save-profile", "楼栋-室"
    )
    assert chosen.exit_code == 0 and "新增 new 2" in chosen.output, chosen.output
    store = open_store(data, fsync=False)
    try:
        stored = {
            h["household_no"]: (h["building"], h["unit"], h["room"])
            for h in store.collection("households").scan()
        }
    finally:
        store.close()
    assert stored == {"H1": ("3栋", None, "101"), "H2": ("7栋", None, "502")}
    saved = json.loads((data / "import_profiles.json").read_text(encoding="utf-8"))
    assert saved["楼栋-室"]["address_pattern"] == "building-room"
    again = run("import", str(path), "--profile", "楼栋-室", "--dry-run")
    assert "新增 0，更新 0，无变化 2" in again.output, again.output

    bad = run("import", str(path), "--address-pattern", "room-unit")
    assert bad.exit_code == 2 and "unit-room" in bad.output and "building-room" in bad.output


def test_building_room_beside_a_building_column_is_said_not_guessed(store, tmp_path):
    path = write_book(tmp_path / "c.xlsx", {"S": with_building()[:2]})
    overrides = {"S": {"address_pattern": "building-room"}}
    plan = plan_file(store, FORM, path, overrides=overrides)[0]
    (said,) = [i for i in plan.all_issues() if i.code == "address_unsplit"]
    assert "“3-101”" in said.message() and "本次按楼栋-室读" in said.message()
    assert dwellings(plan) == {}  # no room: refused rather than put into the wrong building


@pytest.fixture
def admin(client, auth):
    auth.login("admin")
    return client


def test_the_mapping_page_takes_the_pattern_and_saves_it_with_the_profile(admin, store, tmp_path):
    data = write_book(tmp_path / "b.xlsx", {"Sheet1": without_building()}).read_bytes()
    upload_id = wizard_upload(admin, data, "b.xlsx")
    page = admin.get(f"/sheets/import/{upload_id}").get_data(as_text=True)
    assert "两段门牌（如 3-101）读作" in page
    assert '<option value="unit-room" selected>单元-室</option>' in page

    token = csrf_token(admin, f"/sheets/import/{upload_id}")
    bad = admin.post(
        f"/sheets/import/{upload_id}",
        data={"csrf_token": token, "set_rows": "1", "address_pattern": "room-unit"},
        follow_redirects=True,
    )
    assert bad.status_code == 200
    assert "两段门牌（如 3-101）只可读作“单元-室”或“楼栋-室”。" in bad.get_data(as_text=True)
    admin.post(
        f"/sheets/import/{upload_id}",
        data={"csrf_token": token, "set_rows": "1", "address_pattern": "building-room"},
    )
    page = admin.get(f"/sheets/import/{upload_id}").get_data(as_text=True)
    assert '<option value="building-room" selected>楼栋-室</option>' in page
    admin.post(f"/sheets/import/{upload_id}", data={"csrf_token": token, "save_profile": "楼栋室"})
    report = admin.get(f"/sheets/import/{upload_id}/report").get_data(as_text=True)
    assert 'class="count-new">2<' in report
    saved = json.loads((tmp_path / "data" / "import_profiles.json").read_text(encoding="utf-8"))
    assert saved["楼栋室"]["address_pattern"] == "building-room"
