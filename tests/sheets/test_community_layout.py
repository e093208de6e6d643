"""A third layout: a community grid population system's 34-column person sheet.

Built from the header and notes row of a public system's import template
(tests/sheets/other_layouts.py, ``community_sheet``): its notes row names formats as lists
(男/女, 是/否 或 1/0, 小学/初中/高中/本科等) and examples (如汉族、回族), 现住小区/建筑
and 现住详细门牌 (1单元101室, 1单元1层102, 2-103 read as unit-room), 户编号 beside the
hukou booklet's 户号, an optional 与其他人员关系 left blank once, 迁往地, 工作/学习情况,
and no 住房性质. It imports with the figures it must give, through the command line and
the wizard, and its households land on the follow-up list.
"""

from __future__ import annotations

import json
import re
from collections import Counter

from other_layouts import (
    COMMUNITY_ELSEWHERE,
    COMMUNITY_FIGURES,
    COMMUNITY_REJECTED,
    COMMUNITY_STATUSES,
    community_sheet,
)
from sheet_files import census_cli, wizard_upload, write_book

from census.store import open_store
from tests.conftest import csrf_token


def test_the_community_systems_person_sheet_imports_through_the_command_line(tmp_path):
    data = tmp_path / "data"
    run = census_cli(data)

    assert run("init").exit_code == 0
    path = write_book(tmp_path / "人员数据.xlsx", {"人员数据": community_sheet()})
    dry = run("import", str(path), "--dry-run")
    out = dry.output
    assert "数据行 28 行，新增 11，更新 0，无变化 0，未导入 1（2 行），跳过 1 行" in out, out
    assert "第2行 提示：填写说明行（不是数据），已跳过：必填，真实姓名" in out
    assert "无法识别列名" not in out  # all 34 titles known (9 deliberately not imported)
    assert "第1行 S列 “户号” 警告：该列与 R 列对应同一字段“户编号”，未导入" in out
    # the households imported, not the one refused for its blank relation
    assert "表中没有“住房性质”列（必填）：11 户照常导入，标为待核实" in out
    assert "第26行 L列 “与其他人员关系” 错误：“与户主关系”为空：此项必填；可填：户主、配偶" in out

    done = run("import", str(path))
    assert done.exit_code == 1 and "新增 new 11" in done.output  # one household refused
    figures = json.loads(run("summary", "--json", "--all").stdout)
    assert {k: figures[k] for k in COMMUNITY_FIGURES} == COMMUNITY_FIGURES

    store = open_store(data, fsync=False)
    try:
        stored = {h["household_no"]: h for h in store.collection("households").scan()}
    finally:
        store.close()
    assert COMMUNITY_REJECTED not in stored and len(stored) == 11
    people = [m for h in stored.values() for m in h["members"]]
    assert Counter(m["status"] for m in people) == COMMUNITY_STATUSES
    doors = {no: (h["building"], h.get("unit"), h["room"]) for no, h in stored.items()}
    assert doors["A001"] == ("幸福小区3号楼", "1", "101")  # 1单元101室
    assert doors["A002"] == ("幸福小区3号楼", "2", "101")  # 2单元1层101
    assert doors["A003"] == ("幸福小区3号楼", "1", "102")  # 1-102, unit-room
    by_name = {m["name"]: (h, m) for h in stored.values() for m in h["members"]}
    assert by_name["居民054"][1]["relation"] == "non_relative"  # 租户
    assert by_name["居民054"][1]["hukou_address"] == "四川省成都市"
    assert by_name["居民000"][1]["employment"] == "retired"  # 退休
    assert by_name["居民002"][1]["employment"] == "student"  # 在校
    assert by_name["居民010"][1]["conditions"] == ["living_alone_elderly"]
    child = by_name["居民022"][1]
    assert (child["status"], child["status_date"]) == ("moved_out", "2023-09-01")
    mother = by_name["居民033"][1]
    assert (mother["status"], mother["status_date"]) == ("deceased", "2021-11-20")
    home, away = by_name["居民081"]
    assert away["residence_type"] == "away" and COMMUNITY_ELSEWHERE in home["notes"]
    assert all(h["pending_fields"] == ["housing"] for h in stored.values())
    listed = json.loads(run("pending", "--json").stdout)
    assert len(listed) == 11 and {tuple(r["missing"]) for r in listed} == {("住房性质",)}


def test_the_community_systems_sheet_through_the_wizard(client, auth, store, tmp_path):
    auth.login("admin")
    data = write_book(tmp_path / "u.xlsx", {"人员数据": community_sheet()}).read_bytes()
    upload_id = wizard_upload(client, data, "u.xlsx")
    page = client.get(f"/sheets/import/{upload_id}").get_data(as_text=True)
    assert ">未识别<" not in page and "居民000" in page
    assert "必填，真实姓名" not in page  # the preview leaves the notes row out
    report = client.get(f"/sheets/import/{upload_id}/report").get_data(as_text=True)
    assert 'class="count-new">11<' in report and 'class="count-rejected">1<' in report
    token = csrf_token(client, f"/sheets/import/{upload_id}/report")
    seen = re.search(r'name="fingerprint" value="([^"]+)"', report)[1]
    done = client.post(
        f"/sheets/import/{upload_id}/apply", data={"csrf_token": token, "fingerprint": seen}
    )
    assert done.status_code == 200 and "导入完成" in done.get_data(as_text=True)
    assert len(store.collection("households").scan()) == 11
    listed = client.get("/review/pending").get_data(as_text=True)
    assert listed.count('data-pending="households/') == 11


def reordered_sheet() -> list[list]:
    """The same sheet with 户号 before 户编号, and 无网格 (that system's word for a household
    in no grid) in 所属网格 for the households of 幸福小区5号楼."""
    rows = community_sheet()
    header = rows[0]
    number, booklet, grid = header.index("户编号"), header.index("户号"), header.index("所属网格")
    for row in rows:
        row[number], row[booklet] = row[booklet], row[number]
    for row in rows[2:]:
        if row[header.index("现住小区/建筑")] == "幸福小区5号楼":
            row[grid] = "无网格"
    return rows


def test_the_household_number_is_found_whatever_the_column_order_and_no_grid_is_none(tmp_path):
    data = tmp_path / "data"
    run = census_cli(data)
    assert run("init").exit_code == 0
    path = write_book(tmp_path / "人员数据.xlsx", {"人员数据": reordered_sheet()})
    dry = run("import", str(path), "--dry-run")
    out = dry.output
    assert "数据行 28 行，新增 11，更新 0，无变化 0，未导入 1（2 行），跳过 1 行" in out, out
    assert "第1行 R列 “户号” 警告：该列与 S 列对应同一字段“户编号”，未导入" in out, out
    said = "5 户的“所属网格”写作“无网格”，视为不属于任何网格，未建立这样的网格"
    assert out.count(said) == 1, out  # once for the file, not once per household or person

    english = run("import", str(path), "--dry-run", "--lang", "en").output
    assert "5 households have “无网格” as “Grid”: read as in no grid" in english, english

    done = run("import", str(path))
    assert "新增 new 11" in done.output, done.output
    store = open_store(data, fsync=False)
    try:
        numbers = {h["household_no"] for h in store.collection("households").scan()}
        buildings = {b["name"]: b.get("grid") for b in store.collection("buildings").scan()}
        grids = [g["name"] for g in store.collection("grids").scan()]
    finally:
        store.close()
    assert numbers == {f"A{n:03d}" for n in range(1, 13)} - {"A010"}  # 户编号, not the 户号
    assert buildings == {"幸福小区3号楼": "第一网格", "幸福小区5号楼": ""}  # in no grid
    assert grids == ["第一网格"]


def test_the_wizard_reads_the_reordered_sheet_the_same(client, auth, store, tmp_path):
    auth.login("admin")
    data = write_book(tmp_path / "u.xlsx", {"人员数据": reordered_sheet()}).read_bytes()
    upload_id = wizard_upload(client, data, "u.xlsx")
    report = client.get(f"/sheets/import/{upload_id}/report").get_data(as_text=True)
    assert 'class="count-new">11<' in report
    said = "5 户的“所属网格”写作“无网格”，视为不属于任何网格，未建立这样的网格"
    assert report.count(said) == 1
    token = csrf_token(client, f"/sheets/import/{upload_id}/report")
    seen = re.search(r'name="fingerprint" value="([^"]+)"', report)[1]
    done = client.post(
        f"/sheets/import/{upload_id}/apply", data={"csrf_token": token, "fingerprint": seen}
    )
    assert done.status_code == 200
    assert [g["name"] for g in store.collection("grids").scan()] == ["第一网格"]
    assert {h["household_no"][0] for h in store.collection("households").scan()} == {"A"}
