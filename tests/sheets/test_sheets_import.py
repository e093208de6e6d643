"""Importing a community's own messy register: what lands in the store and what is reported."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sheet_files import SURVEYS, write_book, write_csv

from census.domain.ids import make_resident_id
from census.services import audit, records
from census.sheets.apply import apply_plan
from census.sheets.plan import NEW, REJECTED, UNCHANGED, UPDATE
from census.sheets.reader import read_file
from census.sheets.wizard import plan_file
from tests.factories import make_household

HOUSEHOLD = SURVEYS["household"]
HEAD_ID = "65010319680512029X"  # born 1968-05-12, male
SPOUSE_ID = "65010319700903028X"  # born 1970-09-03, female
OLD_ID = make_resident_id("650103", date(1985, 1, 2), 31, "male")
SERIAL_ID = make_resident_id("650104", date(1990, 1, 2), 12, "female")
HEADER = [
    "序号", "户编号", "所属网格", "楼栋", "单元", "门牌号", "住房性质", "房东姓名", "房东电话",
    "姓名", "与户主关系", "公民身份号码", "性别", "民族", "出生日期", "人员类别", "联系电话",
    "政治面貌", "特殊情况", "手机型号",
]  # fmt: skip


def messy_rows() -> list[list]:
    """Rows as a residents' committee keeps them: title, notes, full-width digits, merged cells."""
    blank = [None] * len(HEADER)

    def row(**cells):
        out = list(blank)
        for title, value in cells.items():
            out[HEADER.index(title)] = value
        return out

    return [
        ["佐斯腾社区人口信息登记表"] + blank[1:],
        ["填报单位：第一网格        填报日期：2024年5月"] + blank[1:],
        HEADER,
        row(户编号="填表说明：身份证号码填 18 位；出生日期如 1990-01-02。"),
        row(序号=1, 户编号="Ｈ００１", 所属网格="第一网格", 楼栋="１栋", 单元="1单元",
            门牌号=" 1０1 ", 住房性质="自有", 姓名="张  建国", 与户主关系="户主",
            公民身份号码="650103 19680512 029x", 性别="男", 民族="汉",
            出生日期=datetime(1968, 5, 12), 人员类别="常住人口",
            联系电话="13912345678；13812345678", 政治面貌="党员", 特殊情况="残疾、退役军人",
            手机型号="华为"),
        row(序号=2, 楼栋="１栋", 单元="1单元", 门牌号="101", 姓名="李秀兰", 与户主关系="妻子",
            公民身份号码="６５０１０３１９７００９０３０２８Ｘ", 民族="回",
            出生日期="1970/9/3", 人员类别="户籍人口", 特殊情况="无"),
        row(序号=3, 户编号="H002", 楼栋="2栋", 单元="1", 门牌号="202", 住房性质="自有",
            姓名="王伟", 与户主关系="户主", 公民身份号码=6.50103198501e17, 民族="汉",
            出生日期="19850102", 人员类别="常住人口"),
        row(序号=4, 户编号="H003", 楼栋="2栋", 单元="1", 门牌号="301", 住房性质="自有",
            姓名="赵强", 与户主关系="表哥", 公民身份号码=OLD_ID, 民族="汉",
            人员类别="常住人口"),
        row(序号=5, 户编号="H004", 楼栋="民族大院", 门牌号="3号", 住房性质="租住",
            房东姓名="马福", 房东电话="0991-1234567", 姓名="古丽", 与户主关系="户主",
            公民身份号码=SERIAL_ID, 出生日期=32875, 民族="维吾尔", 人员类别="流动人口",
            特殊情况="独居老人，残疾"),
        ["合计：4户5人"] + blank[1:],
    ]  # fmt: skip


@pytest.fixture
def messy(tmp_path):
    """The messy register as an .xlsx, 户编号 merged over the first household's two rows."""
    return write_book(tmp_path / "台账.xlsx", {"人口": messy_rows()}, merged={"人口": ["B5:B6"]})


def issues_at(plan, level="error"):
    return {(i.row, i.column, i.code) for i in plan.all_issues() if i.level == level}


def test_a_messy_register_is_normalised_as_specified(store, messy):
    plan, _sheets = plan_file(store, HOUSEHOLD, messy)
    assert plan.layouts[0].header_row == 3
    assert plan.counts[NEW] == 2 and plan.counts[REJECTED] == 2
    done = apply_plan(store, plan, user="admin")
    assert done.created == 2
    h001 = store.collection("households").find_one(household_no="H001")
    assert (h001["building"], h001["unit"], h001["room"], h001["housing"]) == (
        "1栋",
        "1",
        "101",
        "owned",
    )
    head, spouse = h001["members"]
    assert head == head | {
        "name": "张建国",
        "relation": "head",
        "id_number": HEAD_ID,
        "sex": "male",
        "ethnicity": "汉族",
        "birth_date": "1968-05-12",
        "residence_type": "registered",
        "phone": "13912345678",
        "political": "cpc_member",
        "conditions": ["disability", "veteran"],
        "status": "active",
    }
    assert spouse == spouse | {
        "name": "李秀兰",
        "relation": "spouse",
        "id_number": SPOUSE_ID,
        "sex": "female",  # from the ID number
        "ethnicity": "回族",
        "birth_date": "1970-09-03",
        "conditions": [],
    }
    assert "张建国其他电话：13812345678" in h001["notes"]
    h004 = store.collection("households").find_one(household_no="H004")
    person = h004["members"][0]
    assert (h004["landlord_name"], h004["landlord_phone"]) == ("马福", "0991-1234567")
    assert person["birth_date"] == "1990-01-02" and person["ethnicity"] == "维吾尔族"
    assert person["residence_type"] == "floating"
    assert person["conditions"] == ["living_alone_elderly", "disability"]


def test_bad_rows_are_reported_with_row_and_column_and_nothing_else_is_lost(store, messy):
    plan, _sheets = plan_file(store, HOUSEHOLD, messy)
    assert issues_at(plan) == {
        (7, "L", "id_number_as_number"),
        (7, "M", "required"),  # sex could not come from the unreadable ID number
        (8, "K", "choice_invalid"),
        (8, "K", "head_count"),  # “表哥” is no head either
    }
    relation = next(i for i in plan.all_issues() if i.code == "choice_invalid")
    assert relation.header == "与户主关系" and "表哥" in relation.message()
    notes = {(i.row, i.code) for i in plan.all_issues() if i.level == "info"}
    assert {(1, "note_row"), (2, "note_row"), (4, "note_row"), (10, "note_row")} <= notes
    assert (5, "extra_phones") in notes
    unknown = [i for i in plan.all_issues() if i.code == "unknown_column"]
    assert [(i.row, i.column, i.header) for i in unknown] == [(3, "T", "手机型号")]
    # Every row of the sheet is accounted for: imported, rejected with a reason, or skipped.
    imported = {r.row for p in plan.records if p.action == NEW for r in p.rows}
    rejected = {r.row for p in plan.records if p.action == REJECTED for r in p.rows}
    skipped = {i.row for i in plan.all_issues() if i.code == "note_row"}
    assert imported == {5, 6, 9} and rejected == {7, 8} and skipped == {1, 2, 4, 10}
    assert sorted(imported | rejected | skipped | {3}) == list(range(1, 11))


def test_an_import_never_touches_what_is_stored_when_it_fails(store, messy):
    stored = records.save(store, HOUSEHOLD, make_household(household_no="H003"), user="admin")
    before = store.collection("households").scan()
    plan, _sheets = plan_file(store, HOUSEHOLD, messy)
    h003 = next(p for p in plan.records if p.title.startswith("H003"))
    assert h003.action == REJECTED and h003.target["id"] == stored.id
    apply_plan(store, plan, user="admin")
    assert store.collection("households").get(stored.id) == before[0]
    assert len(records.history(store, "households", stored.id)) == 1


def test_rows_without_a_household_number_are_grouped_by_address(store, tmp_path):
    born = [date(1960, 1, 1), date(1962, 3, 4), date(1990, 6, 1)]
    rows = [["楼栋", "单元", "室", "住房性质", "姓名", "与户主关系", "身份证号"]]
    rows += [
        ["2栋", "1", "101", "自有", "甲", "户主", make_resident_id("650103", born[0], 1, "male")],
        ["2栋", "1", "101", "", "乙", "配偶", make_resident_id("650103", born[1], 1, "female")],
        ["2栋", "2", "101", "租住", "丙", "户主", make_resident_id("650103", born[2], 2, "male")],
    ]
    plan, _sheets = plan_file(store, HOUSEHOLD, write_book(tmp_path / "a.xlsx", {"S": rows}))
    assert [len(p.rows) for p in plan.records] == [2, 1]
    second = plan.records[1]
    assert second.action == REJECTED  # rented without the landlord's name
    assert {(i.row, i.code) for i in second.issues if i.is_error} == {(4, "required")}
    assert {i.header for i in second.issues if i.is_error} == {"房东姓名"}


def test_rows_without_a_number_join_the_numbered_household_at_their_address(store, tmp_path):
    rows = [["户编号", "楼栋", "单元", "室", "住房性质", "姓名", "与户主关系", "身份证号"]]
    rows += [
        ["H7", "1栋", "1", "101", "自有", "甲", "户主", HEAD_ID],
        [None, "1栋", "1", "102", "自有", "丙", "户主", OLD_ID],
        [None, "1栋", "1", "101", None, "乙", "配偶", SPOUSE_ID],
    ]
    plan, _sheets = plan_file(store, HOUSEHOLD, write_book(tmp_path / "a.xlsx", {"S": rows}))
    assert [[r.row for r in p.rows] for p in plan.records] == [[2, 4], [3]]
    assert [p.action for p in plan.records] == [NEW, NEW]
    assert [m["name"] for m in plan.records[0].record["members"]] == ["甲", "乙"]


def test_rows_of_one_household_that_disagree_are_reported(store, tmp_path):
    rows = [["户编号", "楼栋", "室", "住房性质", "姓名", "与户主关系", "身份证号"]]
    rows += [
        ["H9", "1栋", "101", "自有", "甲", "户主", HEAD_ID],
        ["H9", "1栋", "101", "租住", "乙", "配偶", SPOUSE_ID],
    ]
    plan, _sheets = plan_file(store, HOUSEHOLD, write_book(tmp_path / "a.xlsx", {"S": rows}))
    conflict = next(i for i in plan.all_issues() if i.code == "household_conflict")
    assert (conflict.row, conflict.column) == (3, "D")
    assert "自有" in conflict.message() and "租住" in conflict.message()
    assert plan.records[0].action == REJECTED


def test_one_person_in_two_households_of_the_file_is_an_error(store, tmp_path):
    rows = [["户编号", "楼栋", "室", "住房性质", "姓名", "与户主关系", "身份证号"]]
    rows += [
        ["H1", "1栋", "101", "自有", "甲", "户主", HEAD_ID],
        ["H2", "1栋", "102", "自有", "甲", "户主", HEAD_ID],
    ]
    plan, _sheets = plan_file(store, HOUSEHOLD, write_book(tmp_path / "a.xlsx", {"S": rows}))
    assert [p.action for p in plan.records] == [NEW, REJECTED]
    assert issues_at(plan) == {(3, "G", "id_duplicate_in_file")}


def test_csv_in_gb18030_and_utf8_with_bom_read_alike(store, tmp_path):
    rows = [
        ["户编号", "楼栋", "室", "住房性质", "姓名", "与户主关系", "身份证号", "民族"],
        ["H1", "1栋", "101", "自有", "张建国", "户主", HEAD_ID.lower(), "汉"],
    ]
    plans = []
    for encoding in ("gb18030", "utf-8-sig", "utf-8"):
        path = write_csv(tmp_path / f"{encoding}.csv", rows, encoding=encoding)
        plans.append(plan_file(store, HOUSEHOLD, path)[0])
    for plan in plans:
        assert plan.counts[NEW] == 1, [i.message() for i in plan.all_issues()]
        assert plan.records[0].record["members"][0]["ethnicity"] == "汉族"
    semicolons = write_csv(tmp_path / "semi.csv", rows, delimiter=";")
    assert plan_file(store, HOUSEHOLD, semicolons)[0].counts[NEW] == 1


def test_a_file_without_a_table_imports_nothing_and_says_why(store, tmp_path):
    path = write_book(tmp_path / "a.xlsx", {"S": [["通知"], ["明天开会"]]})
    plan, _sheets = plan_file(store, HOUSEHOLD, path)
    assert not plan.importable and plan.records == []
    assert [i.code for i in plan.all_issues() if i.is_error] == ["no_table"]


def test_columns_can_be_mapped_by_hand(store, tmp_path):
    rows = [
        ["户编号", "楼栋", "室", "住房性质", "姓名", "与户主关系", "身份证号", "本人手机"],
        ["H1", "1栋", "101", "自有", "张建国", "户主", HEAD_ID, "13912345678"],
    ]
    path = write_book(tmp_path / "a.xlsx", {"S": rows})
    plan, _sheets = plan_file(store, HOUSEHOLD, path)
    assert plan.records[0].record["members"][0]["phone"] is None
    overrides = {"S": {"H": "members.phone"}}
    plan, _sheets = plan_file(store, HOUSEHOLD, path, overrides=overrides)
    assert plan.records[0].record["members"][0]["phone"] == "13912345678"
    assert not [i for i in plan.all_issues() if i.code == "unknown_column"]


def test_reimporting_changes_nothing_and_says_unchanged(store, messy):
    apply_plan(store, plan_file(store, HOUSEHOLD, messy)[0], user="admin")
    before = store.collection("households").scan()
    again, _sheets = plan_file(store, HOUSEHOLD, messy)
    assert again.counts[UNCHANGED] == 2 and again.counts[NEW] == 0
    done = apply_plan(store, again, user="admin")
    assert (done.created, done.updated, done.unchanged) == (0, 0, 2)
    assert store.collection("households").scan() == before


def test_a_changed_cell_shows_as_a_diff_and_applies_with_a_new_version(store, tmp_path):
    rows = messy_rows()
    apply_plan(
        store,
        plan_file(store, HOUSEHOLD, write_book(tmp_path / "1.xlsx", {"人口": rows}))[0],
        user="admin",
    )
    h004 = store.collection("households").find_one(household_no="H004")
    rows[8][HEADER.index("联系电话")] = "13700001111"
    rows[8][HEADER.index("房东姓名")] = "马福军"
    plan, _sheets = plan_file(store, HOUSEHOLD, write_book(tmp_path / "2.xlsx", {"人口": rows}))
    changed = [p for p in plan.records if p.action == UPDATE]
    assert [p.target["id"] for p in changed] == [h004["id"]]
    assert {(c.key, c.old, c.new, c.subject) for c in changed[0].changes} == {
        ("landlord_name", "马福", "马福军", ""),
        ("members.phone", None, "13700001111", "古丽"),
    }
    done = apply_plan(store, plan, user="admin")
    assert done.updated == 1
    now = store.collection("households").get(h004["id"])
    assert now["landlord_name"] == "马福军" and now["members"][0]["phone"] == "13700001111"
    assert [v["rev"] for v in records.history(store, "households", h004["id"])] == [2, 1]
    entry = audit.entries(store, action="import")[0]
    assert entry["detail"]["updated"] == 1 and entry["actor"] == "admin"


def test_a_reimport_matches_by_id_number_when_there_is_no_household_number(store, tmp_path):
    saved = records.save(store, HOUSEHOLD, make_household(members=2), user="admin")
    stored = store.collection("households").get(saved.id)
    head = stored["members"][0]
    rows = [
        ["楼栋", "单元", "室", "姓名", "身份证号", "联系电话"],
        ["1栋", "1", "101", head["name"], head["id_number"], "13500001111"],
    ]
    plan, _sheets = plan_file(store, HOUSEHOLD, write_book(tmp_path / "a.xlsx", {"S": rows}))
    assert plan.records[0].action == UPDATE and plan.records[0].target["id"] == saved.id
    apply_plan(store, plan, user="admin")
    now = store.collection("households").get(saved.id)
    assert now["members"][0]["phone"] == "13500001111"
    assert now["members"][1] == stored["members"][1]  # not in the file: kept as it was
    assert now["household_no"] == stored["household_no"]


def test_a_record_edited_after_the_check_is_not_overwritten(store, messy):
    apply_plan(store, plan_file(store, HOUSEHOLD, messy)[0], user="admin")
    h001 = store.collection("households").find_one(household_no="H001")
    rows = messy_rows()
    rows[4][HEADER.index("住房性质")] = "公租房"
    path = messy.with_name("3.xlsx")
    write_book(path, {"人口": rows}, merged={"人口": ["B5:B6"]})
    plan, _sheets = plan_file(store, HOUSEHOLD, path)
    edited = {k: v for k, v in h001.items() if k not in ("id", "_rev")} | {"notes": "改过"}
    store.collection("households").update(h001["id"], edited)
    done = apply_plan(store, plan, user="admin")
    assert done.updated == 0 and [i.code for i in done.failed] == ["changed_meanwhile"]
    assert store.collection("households").get(h001["id"])["housing"] == "owned"


def test_storefronts_and_units_import_the_same_way(store, tmp_path):
    shops = [
        [
            "店名",
            "地址",
            "经营类别",
            "经营者",
            "联系电话",
            "统一社会信用代码",
            "从业人数",
            "消防检查",
        ],
        ["马记拉面", "佐斯腾路10号", "餐饮", "马明", "139 1234 5678", "", 3.0, "是"],
        ["坏店", "佐斯腾路12号", "赌博", "李四", "", "", "三", "√"],
    ]
    path = write_book(tmp_path / "门面.xlsx", {"门面": shops})
    plan, _sheets = plan_file(store, SURVEYS["storefront"], path)
    assert [p.action for p in plan.records] == [NEW, REJECTED]
    assert issues_at(plan) == {(3, "C", "choice_invalid"), (3, "G", "integer_invalid")}
    apply_plan(store, plan, user="admin")
    shop = store.collection("storefronts").find_one(name="马记拉面")
    assert (shop["category"], shop["employees"], shop["operator_phone"]) == (
        "catering",
        3,
        "13912345678",
    )
    assert shop["fire_safety_checked"] is True
    units = [
        ["单位名称", "单位类型", "地址", "重点单位"],
        ["佐斯腾小学", "学校", "佐斯腾路41号", "是"],
    ]
    path = write_book(tmp_path / "单位.xlsx", {"单位": units})
    apply_plan(store, plan_file(store, SURVEYS["unit"], path)[0], user="admin")
    again, _sheets = plan_file(store, SURVEYS["unit"], path)
    assert again.counts[UNCHANGED] == 1
    assert store.collection("units").find_one(name="佐斯腾小学")["key_unit"] is True


def test_new_buildings_are_added_with_their_grid(store, tmp_path):
    rows = [
        ["户编号", "所属网格", "楼栋", "室", "住房性质", "姓名", "与户主关系", "身份证号"],
        ["H1", "第九网格", "9栋", "101", "自有", "张建国", "户主", HEAD_ID],
        ["H2", "第二网格", "1栋", "102", "自有", "李秀兰", "户主", SPOUSE_ID],
    ]
    plan, _sheets = plan_file(store, HOUSEHOLD, write_book(tmp_path / "a.xlsx", {"S": rows}))
    assert plan.new_buildings == [("9栋", "第九网格")]
    mismatch = next(i for i in plan.all_issues() if i.code == "grid_mismatch")
    assert (mismatch.row, mismatch.column, mismatch.level) == (3, "B", "warning")
    done = apply_plan(store, plan, user="admin")
    assert done.buildings == 1
    assert store.collection("buildings").find_one(name="9栋")["grid"] == "第九网格"
    assert store.collection("buildings").find_one(name="1栋")["grid"] == "第一网格"


def test_the_reader_keeps_every_sheet_and_fills_merged_cells(tmp_path, messy):
    sheets = read_file(messy)
    assert [s.name for s in sheets] == ["人口"]
    assert sheets[0].rows[5][1] == "Ｈ００１"  # B6 is under the merged B5:B6
