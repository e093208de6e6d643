"""Sheets laid out by other systems, imported through the command line and the wizard.

Two layouts (tests/sheets/other_layouts.py): a grid-management system's 29-column person
sheet (notes row under the header, 单元门牌 "1单元101室", flag pairs written 1/0, no 户编号,
no 住房性质) and a community's 居民信息登记表 (instructions above the header, 房屋地址
"7-1-101", 是否迁出 1/0 and 是否死亡 是/否, three households with a mistake). Each must give
its known figures (``census summary --json``), statuses, the 待核实 list and the report's
words for the rows it skipped.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from other_layouts import (
    AWAY_ADDRESS,
    GRID_FIGURES,
    GRID_PEOPLE,
    GRID_STATUSES,
    REGISTER_FIGURES,
    REGISTER_STATUSES,
    REJECTED_HOUSEHOLDS,
    grid_sheet,
    register_sheet,
)
from sheet_files import SURVEYS, wizard_upload, write_book

from census.cli import main
from census.services import review
from census.sheets.issues import Issue
from census.sheets.plan import NEW, REJECTED
from census.sheets.wizard import plan_file
from census.store import open_store
from tests.conftest import csrf_token

HOUSEHOLD = SURVEYS["household"]


class Census:
    """`census …` run in-process (click's CliRunner) on one data folder."""

    def __init__(self, data: Path):
        self.data = data
        self.runner = CliRunner()
        self.env = {"CENSUS_DATA_DIR": str(data), "CENSUS_FSYNC": "false"}

    def __call__(self, *args: str):
        return self.runner.invoke(main, list(args), env=self.env, catch_exceptions=False)

    def figures(self, *flags: str) -> dict:
        result = self("summary", "--json", *flags)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def households(self) -> list[dict]:
        store = open_store(self.data, fsync=False)
        try:
            return store.collection("households").scan()
        finally:
            store.close()


@pytest.fixture
def census(tmp_path) -> Census:
    run = Census(tmp_path / "data")
    assert run("init").exit_code == 0
    return run


def people(households: list[dict]) -> list[dict]:
    return [m for h in households for m in h["members"]]


def test_the_grid_systems_person_sheet_imports_through_the_command_line(census, tmp_path):
    path = write_book(tmp_path / "实有人口.xlsx", {"实有人口": grid_sheet()})
    dry = census("import", str(path), "--dry-run")
    assert dry.exit_code == 0, dry.output  # nothing rejected
    out = dry.output
    assert "数据行 38 行，新增 16，更新 0，无变化 0，未导入 0（0 行），跳过 2 行" in out
    assert (
        "实有人口 第3行 提示：填写说明行（不是数据），已跳过：必填 必填，如5栋 如1单元101室" in out
    )
    assert "警告：表中没有“住房性质”列（必填）：16 户照常导入，标为待核实（待审核）" in out
    assert (
        "无法识别列名" not in out
    )  # all 29 titles are known (7 of them deliberately not imported)
    assert "人户分离：祖母06 记为外出人员，实际居住地“北京市朝阳区望京街道”写入备注" in out

    done = census("import", str(path))
    assert done.exit_code == 0, done.output
    assert "新增 new 16" in done.output and "新增楼栋 new buildings 2" in done.output
    assert "待核实 / to be verified: 16 户" in done.output

    # Every household waits for review (待核实), so the approved figures count none of them.
    assert census.figures()["households"] == 0
    figures = census.figures("--all")
    assert {k: figures[k] for k in GRID_FIGURES} == GRID_FIGURES

    stored = census.households()
    assert len(stored) == 16 and len(people(stored)) == GRID_PEOPLE
    assert Counter(m["status"] for m in people(stored)) == GRID_STATUSES
    assert all(
        h["review_state"] == "submitted" and h["pending_fields"] == ["housing"] for h in stored
    )
    assert all(not h.get("housing") for h in stored)
    by_name = {m["name"]: (h, m) for h in stored for m in h["members"]}
    father = by_name["父亲01"][1]
    assert (father["status"], father["status_date"]) == ("deceased", "2022-03-15")
    assert by_name["子女04"][1]["status_date"] == "2023-06-01"
    assert by_name["长子11"][1]["status"] == "moved_out"
    home, granny = by_name["祖母06"]
    assert (
        granny["residence_type"] == "away" and f"祖母06实际居住地：{AWAY_ADDRESS}" in home["notes"]
    )
    assert by_name["户主09"][1]["residence_type"] == "floating"
    # 1单元101室, ２单元１０２室 and 1单元1层103 into unit and room
    addresses = {(h["building"], h["unit"], h["room"]) for h in stored}
    assert ("5栋", "1", "101") in addresses and ("5栋", "2", "106") not in addresses
    assert {(u, r) for _b, u, r in addresses} == {
        (u, str(r)) for u in "12" for r in range(101, 105)
    }
    assert by_name["户主01"][1]["birth_date"] == "1961-03-02"  # YYYYMMDD

    # The 待核实 list names what each household lacks; the review thread says it too.
    listed = json.loads(census("pending", "--json").stdout)
    assert len(listed) == 16
    assert {tuple(r["missing"]) for r in listed} == {("住房性质",)}
    assert {r["review_state"] for r in listed} == {"submitted"}
    assert listed[0]["address"] == "5栋1单元101室" and listed[0]["head"] == "户主00"
    store = open_store(census.data, fsync=False)
    try:
        thread = review.thread(store, listed[0]["id"])
    finally:
        store.close()
    assert [c["action"] for c in thread] == ["import"]
    assert thread[0]["text"].startswith("导入时表中缺少：住房性质")

    # The same file again changes nothing: matched by the members' ID numbers.
    again = census("import", str(path), "--dry-run")
    assert "新增 0，更新 0，无变化 16" in again.output, again.output


def test_the_residents_register_imports_through_the_command_line(census, tmp_path):
    path = write_book(tmp_path / "登记表.xlsx", {"登记表": register_sheet()})
    dry = census("import", str(path), "--dry-run")
    assert dry.exit_code == 1  # three households have a mistake
    out = dry.output
    assert "新增 7，更新 0，无变化 0，未导入 3（7 行），跳过 2 行" in out
    assert "登记表 第2行 提示：填写说明行（不是数据），已跳过：必填 楼栋-单元-室，如7-1-101" in out
    assert (
        "第22行 S列 “迁出时间” 错误：“2024年3月”不是完整的日期；日期可写 1990-01-02、1990/1/2、"
        "1990.1.2、1990年1月2日 或 19900102" in out
    )
    assert (
        "第27行 D列 “住房情况” 错误：“租”不是“住房性质”的可选值；可填：自有、租住、公租房、其他"
        in out
    )
    assert "第8行 G列 “与户主关系” 错误：“与户主关系”为空：此项必填；可填：户主、配偶、子女" in out
    assert "待核实" not in out  # the sheet has every required column

    done = census("import", str(path))
    assert done.exit_code == 1 and "新增 new 7" in done.output
    figures = census.figures()  # approved: imported with every field, nothing to verify
    assert {k: figures[k] for k in REGISTER_FIGURES} == REGISTER_FIGURES
    stored = census.households()
    assert sorted(h["household_no"] for h in stored) == [
        f"B{n:03d}" for n in range(1, 11) if f"B{n:03d}" not in REJECTED_HOUSEHOLDS
    ]
    assert Counter(m["status"] for m in people(stored)) == REGISTER_STATUSES
    by_no = {h["household_no"]: h for h in stored}
    assert (by_no["B001"]["building"], by_no["B001"]["unit"], by_no["B001"]["room"]) == (
        "7栋",
        "1",
        "101",
    )
    assert by_no["B009"]["housing"] == "rented" and by_no["B009"]["landlord_name"] == "王房东"
    mother = next(m for m in by_no["B003"]["members"] if m["name"] == "丁2")
    assert (mother["status"], mother["status_date"]) == ("deceased", "2021-12-05")
    son = next(m for m in by_no["B006"]["members"] if m["name"] == "戊5")
    assert (son["status"], son["status_date"]) == ("moved_out", "2023-06-01")
    assert all(h["review_state"] == "approved" and "pending_fields" not in h for h in stored)
    assert json.loads(census("pending", "--json").stdout) == []


def test_the_command_line_takes_the_mapping_and_keeps_it_as_a_profile(census, tmp_path):
    rows = register_sheet(address_title="门户编码")  # a title no system uses: map it
    junk = list(rows[3])
    junk[5], junk[1] = "测试人员", "B999"
    rows.insert(3, junk)  # a test row right under the header, to skip
    path = write_book(tmp_path / "登记表.xlsx", {"登记表": rows})
    bare = census("import", str(path), "--dry-run")
    assert "无法识别列名“门户编码”" in bare.output and "新增 0" in bare.output

    mapped = census(
        "import", str(path), "--dry-run", "--header-row", "3", "--skip-rows", "4",
        "--address-column", "门户编码", "--map", "户籍地=户籍地址", "--save-profile", "登记表",
    )  # fmt: skip
    assert "已保存导入方案 / mapping saved: 登记表" in mapped.output
    assert "新增 7，更新 0，无变化 0，未导入 3" in mapped.output, mapped.output
    assert "第4行 提示：按指定跳过此行：" in mapped.output and "测试人员" in mapped.output
    saved = json.loads((census.data / "import_profiles.json").read_text(encoding="utf-8"))
    assert saved["登记表"] | {"saved_at": "", "saved_by": ""} == {
        "form": "household",
        "maps": {"户籍地": "members.hukou_address"},
        "header_row": 3,
        "skip_rows": "4",
        "address_column": "门户编码",
        "address_pattern": "",
        "saved_at": "",
        "saved_by": "",
    }

    assert census("import", str(path), "--profile", "登记表").exit_code == 1  # 3 rejected
    again = census("import", str(path), "--profile", "登记表", "--dry-run")
    assert "新增 0，更新 0，无变化 7" in again.output, again.output
    assert census("import", str(path), "--profile", "没有这个").exit_code == 2
    assert census("import", str(path), "--skip-rows", "四").exit_code == 2
    assert census("import", str(path), "--save-profile", "a/b").exit_code == 2


# -- the wizard --------------------------------------------------------------------------


upload = wizard_upload


def xlsx(tmp_path: Path, rows: list[list]) -> bytes:
    return write_book(tmp_path / "upload.xlsx", {"Sheet1": rows}).read_bytes()


def apply(client, upload_id: str) -> str:
    report = client.get(f"/sheets/import/{upload_id}/report").get_data(as_text=True)
    token = csrf_token(client, f"/sheets/import/{upload_id}/report")
    seen = re.search(r'name="fingerprint" value="([^"]+)"', report).group(1)
    done = client.post(
        f"/sheets/import/{upload_id}/apply", data={"csrf_token": token, "fingerprint": seen}
    )
    assert done.status_code == 200 and "导入完成" in done.get_data(as_text=True)
    return report


@pytest.fixture
def admin(client, auth):
    auth.login("admin")
    return client


def test_the_grid_systems_sheet_through_the_wizard_lands_on_the_follow_up_list(
    admin, store, tmp_path
):
    upload_id = upload(admin, xlsx(tmp_path, grid_sheet()), "实有人口.xlsx")
    page = admin.get(f"/sheets/import/{upload_id}").get_data(as_text=True)
    assert ">未识别<" not in page and "户主00" in page  # every column known; the preview
    assert "必填，真实姓名" not in page  # leaves out the instructions row
    report = apply(admin, upload_id)
    assert "填写说明行（不是数据），已跳过" in report and "必填，真实姓名" in report
    assert "表中没有“住房性质”列（必填）：16 户照常导入，标为待核实" in report

    stored = store.collection("households").scan()
    assert len(stored) == 16 and len(people(stored)) == GRID_PEOPLE
    assert Counter(m["status"] for m in people(stored)) == GRID_STATUSES
    assert {h["review_state"] for h in stored} == {"submitted"}

    listed = admin.get("/review/pending").get_data(as_text=True)
    assert listed.count('data-pending="households/') == 16 and "住房性质" in listed
    queue = admin.get("/review/").get_data(as_text=True)
    assert "户主00" in queue and "待核实" in queue

    # Completing a household takes it off the list; the reviewer then approves it.
    first = min(stored, key=lambda h: h["id"])
    form = HOUSEHOLD
    from census.services import records

    raw = {k: v for k, v in first.items() if k not in ("id", "_rev")} | {"housing": "owned"}
    result = records.save(store, form, raw, user="reviewer", record_id=first["id"])
    assert result.saved and "pending_fields" not in store.collection("households").get(first["id"])
    listed = admin.get("/review/pending").get_data(as_text=True)
    assert listed.count('data-pending="households/') == 15

    # A life event does not wait for the missing field; the household stays to be verified.
    from census.services import lifeevents

    other = next(h for h in stored if h["id"] != first["id"] and len(h["members"]) == 3)
    lifeevents.death(store, form, other["id"], 1, on="2024-06-01", user="admin")
    after = store.collection("households").get(other["id"])
    assert after["members"][1]["status"] == "deceased" and after["pending_fields"] == ["housing"]


def test_the_residents_register_through_the_wizard_with_a_saved_profile(admin, store, tmp_path):
    rows = register_sheet(address_title="门户编码")
    first = upload(admin, xlsx(tmp_path, rows), "登记表.xlsx")
    token = csrf_token(admin, f"/sheets/import/{first}")
    letter = "C"  # 门户编码
    admin.post(
        f"/sheets/import/{first}",
        data={"csrf_token": token, f"map-0-{letter}": "address", "save_profile": "登记表"},
    )
    report = apply(admin, first)
    assert "填写说明行（不是数据），已跳过" in report
    assert "“租”不是“住房性质”的可选值；可填：自有、租住、公租房、其他" in report
    stored = store.collection("households").scan()
    assert len(stored) == REGISTER_FIGURES["households"]
    assert Counter(m["status"] for m in people(stored)) == REGISTER_STATUSES

    # The next upload of the same layout offers the saved profile, and it maps the column.
    second = upload(admin, xlsx(tmp_path, rows), "登记表2.xlsx")
    page = admin.get(f"/sheets/import/{second}").get_data(as_text=True)
    assert '<option value="登记表">' in page
    token = csrf_token(admin, f"/sheets/import/{second}")
    admin.post(
        f"/sheets/import/{second}",
        data={"csrf_token": token, "profile": "登记表", "use_profile": "1"},
    )
    page = admin.get(f"/sheets/import/{second}").get_data(as_text=True)
    assert "手工指定" in page
    report = admin.get(f"/sheets/import/{second}/report").get_data(as_text=True)
    assert 'class="count-unchanged">7<' in report


# -- the messages ------------------------------------------------------------------------


def plan_rows(store, tmp_path, rows):
    path = write_book(tmp_path / "x.xlsx", {"S": rows})
    return plan_file(store, HOUSEHOLD, path)[0]


HEAD = ["户编号", "楼栋", "室", "住房性质", "姓名", "与户主关系", "出生日期", "性别", "民族"]


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        ("2024年3月", "“2024年3月”不是完整的日期；日期可写 1990-01-02、1990/1/2、1990.1.2、"),
        ("1990-02-30", "“1990-02-30”不是真实存在的日期，请核对年、月、日；日期可写 1990-01-02"),
        ("19901301", "“19901301”不是真实存在的日期"),
        ("上个月", "“上个月”不是完整的日期"),
    ],
)
def test_a_bad_date_names_the_formats_and_the_value(store, tmp_path, cell, words):
    plan = plan_rows(
        store, tmp_path, [HEAD, ["H1", "1栋", "101", "自有", "张三", "户主", cell, "男"]]
    )
    (issue,) = [i for i in plan.all_issues() if i.code == "date_invalid"]
    assert words in issue.message() and "19900102" in issue.message()
    assert f"“{cell}”" in issue.message("en") and "1990/1/2" in issue.message("en")


def test_a_bad_code_lists_the_allowed_words_or_the_closest(store, tmp_path):
    rows = [
        HEAD,
        ["H1", "1栋", "101", "租", "张三", "户主", "1990-01-02", "男", "汉族"],
        ["H2", "1栋", "102", "自有", "李四", "户主", "1990-01-02", "男", "维吾"],
        ["H3", "1栋", "103", "自有", "王五", "户主", "1990-01-02", "男", "火星族"],
    ]
    plan = plan_rows(store, tmp_path, rows)
    found = {i.row: i for i in plan.all_issues() if i.code == "choice_invalid"}
    assert found[2].message() == "“租”不是“住房性质”的可选值；可填：自有、租住、公租房、其他"
    assert found[2].message("en").startswith("“租” is not one of the choices of “Housing”; choose")
    assert found[3].message().startswith("“维吾”不是“民族”的可选值；相近的有：维吾尔族")
    assert "共 58 项" in found[3].message()
    assert found[4].message() == (
        "“火星族”不是“民族”的可选值（共 58 项，见导入模板的下拉列表或填表说明）"
    )
    assert plan.counts[REJECTED] == 3


def test_missing_values_say_what_the_cell_takes(store, tmp_path):
    rows = [HEAD, ["H1", "1栋", "101", "", "张三", "", "", "", "汉族"]]
    plan = plan_rows(store, tmp_path, rows)
    said = {i.header: i.message() for i in plan.all_issues() if i.code == "required"}
    assert said["住房性质"] == "“住房性质”为空：此项必填；可填：自有、租住、公租房、其他"
    assert said["与户主关系"].startswith("“与户主关系”为空：此项必填；可填：户主、配偶")
    assert said["出生日期"] == "“出生日期”为空：此项必填；或填写居民身份证号码，由号码取得"
    # A column the sheet lacks altogether is no error: the household is imported to verify.
    rows = [
        [t for t in HEAD if t != "住房性质"],
        ["H1", "1栋", "101", "张三", "户主", "1990-01-02", "男", "汉族"],
    ]
    plan = plan_rows(store, tmp_path, rows)
    assert plan.counts[NEW] == 1 and plan.records[0].meta["pending_fields"] == ["housing"]
    (note,) = [i for i in plan.all_issues() if i.code == "missing_column"]
    assert note.message("en").startswith(
        "The sheet has no “Housing” column (required): 1 households"
    )


def test_flag_values_that_are_no_flags_are_errors_with_the_allowed_values(store, tmp_path):
    head = [
        "户编号",
        "楼栋",
        "室",
        "住房性质",
        "姓名",
        "与户主关系",
        "出生日期",
        "性别",
        "是否已死亡",
        "死亡日期",
    ]
    rows = [
        head,
        ["H1", "1栋", "101", "自有", "张三", "户主", "1950-01-02", "男", "2", None],
        ["H2", "1栋", "102", "自有", "李四", "户主", "1950-01-02", "男", "1", None],
        ["H3", "1栋", "103", "自有", "王五", "户主", "1950-01-02", "男", "0", "2020-01-01"],
        ["H4", "1栋", "104", "自有", "赵六", "户主", "1950-01-02", "男", None, "2020-01-01"],
    ]
    plan = plan_rows(store, tmp_path, rows)
    said = {(i.row, i.code): i.message() for i in plan.all_issues()}
    assert said[(2, "flag_invalid")] == "“2”不是“是否已死亡”的值；可填 是/否 或 1/0"
    assert said[(3, "flag_date_missing")].startswith("“是否已死亡”为是，但“死亡日期”为空")
    assert said[(4, "flag_date_ignored")] == "“是否已死亡”为否，“死亡日期”（2020-01-01）未导入"
    h4 = next(p for p in plan.records if p.first_row == 5)
    assert h4.action == NEW and h4.record["members"][0]["status"] == "deceased"  # date alone


def test_issue_messages_exist_in_both_languages():
    from census.sheets.issues import IMPORT_MESSAGES
    from census.util.i18n import gettext

    for code, chinese in IMPORT_MESSAGES.items():
        assert chinese and gettext(chinese, "en") not in ("", chinese), code
    assert Issue("example_row", params={"text": "张建国（示例）"}).message("en") == (
        "Example row, skipped: 张建国（示例）"
    )
