"""Person sheets laid out by other systems, with the figures they must import to.

``grid_sheet``: the 29-column 实有人口 sheet of a grid-management system (网格化管理 实有人口
导入模板): a title, the header, a notes row under it ("必填，真实姓名", "YYYYMMDD",
"1=是，0=否"), 所属网格, 楼栋 and a 单元门牌 column holding unit and room ("1单元101室",
full-width "２单元１０２室", "1单元1层103"), 人员类型 常住人口/户籍人口/流动人口, the flag pairs
是否已迁出 + 迁出日期, 是否已死亡 + 死亡日期, 是否人户分离 + 实际居住地 written 1/0, birth
dates as YYYYMMDD, no 户编号 and no 住房性质 column at all.

``register_sheet``: a community's 居民信息登记表: a title, an instructions row *above*
the header, 户号, a 房屋地址 column written building-unit-room ("7-1-101"), 住房情况,
是否迁出 as 1/0 and 是否死亡 as 是/否 with their dates as 2021.12.5 or 2023年6月1日, and three
households with a mistake each (a date that is no date, a word that is no code, a blank
relation).

Each builder returns the rows; the ``*_FIGURES`` say what importing them must give.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from census.domain.ids import make_resident_id

GRID_HEADER = [
    "序号", "所属网格", "楼栋", "单元门牌", "姓名", "性别", "公民身份号码", "出生日期", "民族",
    "与户主关系", "户主姓名", "人员类型", "户籍地址", "联系电话", "政治面貌", "文化程度",
    "婚姻状况", "宗教信仰", "职业", "工作单位", "是否已迁出", "迁出日期", "是否已死亡",
    "死亡日期", "是否人户分离", "实际居住地", "籍贯", "曾用名", "登记日期",
]  # fmt: skip
GRID_NOTES = [
    "", "必填", "必填，如5栋", "如1单元101室", "必填，真实姓名", "男/女", "必填，18位", "YYYYMMDD",
    "如：汉族", "必填，如户主、配偶", "", "常住人口/流动人口", "选填", "11位手机号", "选填",
    "选填", "选填", "选填", "选填", "选填", "1=是，0=否", "YYYYMMDD", "1=是，0=否", "YYYYMMDD",
    "1=是，0=否", "人户分离时必填", "选填", "选填", "YYYYMMDD",
]  # fmt: skip
GRID_HOUSEHOLDS = 16
ETHNICITY = {0: "回族", 1: "维吾尔族"}  # by household number modulo 4; else 汉族
AWAY_ADDRESS = "北京市朝阳区望京街道"

# What importing the grid sheet gives: every household (no 住房性质 column: all 待核实,
# none approved), 38 people of whom 1 died, 2 moved out and 1 lives elsewhere.
GRID_FIGURES = {
    "households": 16,
    "residents": 34,
    "registered_residents": 29,
    "floating_residents": 5,
    "away_persons": 1,
    "ethnic_groups": 3,
    "minority_residents": 17,
    "by_ethnicity": {"汉族": 17, "回族": 10, "维吾尔族": 7},
    "buildings": 2,
    "dwellings": 16,
}
GRID_PEOPLE = 38
GRID_STATUSES = {"active": 35, "deceased": 1, "moved_out": 2}


def _person(
    h: int, n: int, name: str, relation: str, born: date, sex: str, **cells: Any
) -> dict[str, Any]:
    region = "650102" if h % 2 else "650103"
    return {
        "姓名": name,
        "与户主关系": relation,
        "性别": "男" if sex == "male" else "女",
        "公民身份号码": make_resident_id(region, born, 10 + h * 5 + n, sex),
        "出生日期": born.strftime("%Y%m%d"),
        **cells,
    }


def grid_people() -> list[tuple[int, dict[str, Any]]]:
    """(household number, the person's cells) for the 16 households of the grid sheet."""
    out: list[tuple[int, dict[str, Any]]] = []
    for h in range(GRID_HOUSEHOLDS):
        people = [_person(h, 0, f"户主{h:02d}", "户主", date(1960 + h, 3, 1 + h), "male")]
        if h % 2 == 0:
            people.append(_person(h, 1, f"配偶{h:02d}", "妻子", date(1962 + h, 5, 2), "female"))
        if h % 3 != 2:
            child = _person(h, 2, f"子女{h:02d}", "儿子", date(1990 + h, 7, 3), "male")
            if h == 4:  # moved out: flag and date
                child |= {"是否已迁出": "1", "迁出日期": "20230601"}
            people.append(child)
        if h == 1:  # the head's father died
            father = _person(h, 3, "父亲01", "父亲", date(1935, 1, 9), "male")
            people.append(father | {"是否已死亡": "1", "死亡日期": "20220315"})
        if h == 6:  # hukou here, lives in Beijing
            granny = _person(h, 3, "祖母06", "母亲", date(1940, 2, 8), "female")
            people.append(granny | {"是否人户分离": "1", "实际居住地": AWAY_ADDRESS})
        if h == 11:
            son = _person(h, 3, "长子11", "长子", date(1995, 4, 4), "male")
            people.append(son | {"是否已迁出": "1", "迁出日期": "20240110"})
        for person in people:
            out.append((h, person))
    return out


def grid_sheet() -> list[list[Any]]:
    """The grid system's person sheet: title, header, notes row, 38 people."""
    rows: list[list[Any]] = [["佐斯腾社区实有人口信息采集表"], GRID_HEADER, GRID_NOTES]
    addresses = ("{u}单元{r}室", "{wide}", "{u}单元1层{r}")
    for n, (h, person) in enumerate(grid_people(), 1):
        building = "5栋" if h < 8 else "6栋"
        unit, room = 1 + (h % 8) // 4, 101 + h % 4
        style = addresses[h % 3]
        wide = f"{unit}单元{room}室".translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
        floating = h in (9, 10)
        cells = {
            "序号": n,
            "所属网格": "第三网格" if h < 8 else "第四网格",
            "楼栋": building,
            "单元门牌": style.format(u=unit, r=room, wide=wide),
            "民族": ETHNICITY.get(h % 4, "汉族"),
            "户主姓名": f"户主{h:02d}",
            "人员类型": "流动人口" if floating else ("常住人口" if h % 2 else "户籍人口"),
            "户籍地址": "甘肃省临夏州临夏市" if floating else "新疆乌鲁木齐市天山区",
            "联系电话": f"139{h:04d}{n:04d}",
            "政治面貌": "群众",
            "文化程度": "高中",
            "婚姻状况": "已婚",
            "是否已迁出": "0",
            "是否已死亡": "0",
            "是否人户分离": "0",
            "籍贯": "新疆",
            "登记日期": "20240501",
        } | person
        rows.append([cells.get(title) for title in GRID_HEADER])
    return rows


REGISTER_HEADER = [
    "序号", "户号", "房屋地址", "住房情况", "房东姓名", "姓名", "与户主关系", "身份证号码",
    "性别", "民族", "出生年月", "户籍类别", "户籍地", "联系方式", "政治面貌", "文化程度",
    "婚姻状况", "是否迁出", "迁出时间", "是否死亡", "死亡时间", "备注",
]  # fmt: skip
REGISTER_INSTRUCTIONS = [
    "", "必填", "楼栋-单元-室，如7-1-101", "自有/租房/公租房", "租房时必填", "必填，真实姓名",
    "必填", "18位", "男/女", "如：汉族", "格式：1990.1.2", "户籍/流动", "流动人口填写",
    "手机号", "", "", "", "1=是，0=否", "迁出时填写", "是/否", "死亡时填写", "",
]  # fmt: skip
REGISTER_HOUSEHOLDS = 10
REJECTED_HOUSEHOLDS = ("B002", "B007", "B010")  # h = 1, 6, 9

# Seven of the ten households import (approved: the sheet has 住房性质), 18 of the 25 people.
REGISTER_FIGURES = {
    "households": 7,
    "residents": 16,
    "registered_residents": 13,
    "floating_residents": 3,
    "away_persons": 0,
    "minority_residents": 6,
    "rental_dwellings": 1,
    "buildings": 2,
}
REGISTER_STATUSES = {"active": 16, "deceased": 1, "moved_out": 1}


def register_sheet(address_title: str = "房屋地址") -> list[list[Any]]:
    """The community's 居民信息登记表 (``address_title`` renames the address column)."""
    header = [address_title if t == "房屋地址" else t for t in REGISTER_HEADER]
    rows: list[list[Any]] = [["佐斯腾社区居民信息登记表"], REGISTER_INSTRUCTIONS, header]
    n = 0
    for h in range(REGISTER_HOUSEHOLDS):
        building, unit, room = 7 + h // 5, 1 + h % 2, 101 + h
        rented = h == 8
        house = {
            "户号": f"B{h + 1:03d}",
            "房屋地址": f"{building}-{unit}-{room}",
            "住房情况": "租" if h == 9 else ("租房" if rented else "自有"),
            "房东姓名": "王房东" if rented else None,
        }
        ethnicity = {0: "回", 4: "哈族"}.get(h, "汉")
        kind = {"户籍类别": "流动", "户籍地": "甘肃省临夏州"} if rented else {"户籍类别": "户籍"}
        people = [_register_person(h, 0, f"甲{h}", "户主", date(1965 + h, 1, 2), "male")]
        if h not in (3, 7):
            relation = "" if h == 1 else "配偶"  # h 1: blank relation
            people.append(_register_person(h, 1, f"乙{h}", relation, date(1967, 2, 3), "female"))
        if h % 2 == 0:
            child = _register_person(h, 2, f"丙{h}", "女儿", date(1995, 6, 7), "female")
            if h == 6:  # moved out on a date that is no date
                child |= {"是否迁出": 1, "迁出时间": "2024年3月"}
            people.append(child)
        if h == 2:
            mother = _register_person(h, 3, f"丁{h}", "母亲", date(1938, 3, 4), "female")
            people.append(mother | {"是否死亡": "是", "死亡时间": "2021.12.5"})
        if h == 5:
            son = _register_person(h, 3, f"戊{h}", "儿子", date(1992, 8, 9), "male")
            people.append(son | {"是否迁出": 1, "迁出时间": "2023年6月1日"})
        for person in people:
            n += 1
            cells = house | {
                "序号": n,
                "民族": ethnicity,
                "联系方式": f"138{h:04d}{n:04d}",
                "是否迁出": 0,
                "是否死亡": "否",
            } | kind | person  # fmt: skip
            rows.append([cells.get(t) for t in REGISTER_HEADER])
    return rows


def _register_person(
    h: int, n: int, name: str, relation: str, born: date, sex: str
) -> dict[str, Any]:
    return {
        "姓名": name,
        "与户主关系": relation,
        "身份证号码": make_resident_id("650104", born, 100 + h * 5 + n, sex),
        "性别": "男" if sex == "male" else "女",
        "出生年月": f"{born.year}.{born.month}.{born.day}",
    }


# ``community_sheet``: the 34-column person sheet of a community grid population system
# (the header and the notes row under it as its export and import template write them:
# github.com/edouardlicn123/Cortana-grid, services/import_export_person.py at 69e5dea):
# 现住小区/建筑 and 现住详细门牌 ("如1单元101室"), 户编号 beside a 户号 (the hukou booklet's
# number, a second column for the same field here), an optional 与其他人员关系, flags 是/否 or
# 1/0 with their dates, 迁往地, 是否人户分离 + 实际居住地, 工作/学习情况, no 住房性质. Twelve
# households; one has a member whose relation was left blank (optional in that system).
COMMUNITY_HEADER = [
    "姓名", "身份证号", "唯一标识", "护照/其他证件号码", "其他证件类型", "性别", "出生日期",
    "联系电话", "现住小区/建筑", "现住详细门牌", "所属网格", "与其他人员关系", "人员类型",
    "是否重点人员", "重点类别", "户籍小区/建筑", "户籍详细地址", "户编号", "户号", "户籍迁入日期",
    "是否人户分离", "实际居住地", "是否已迁出", "迁出日期", "迁往地", "是否已死亡", "死亡日期",
    "民族", "政治面貌", "婚姻状况", "文化程度", "工作/学习情况", "健康状况", "备注",
]  # fmt: skip
COMMUNITY_NOTES = [
    "必填，真实姓名", "可选，18位身份证号（无证可留空）", "系统内部唯一标识（可选）",
    "护照或其他证件号码", "护照/军人证/港澳通行证等", "男/女（支持：男、M、1；女、F、0）",
    "格式：YYYYMMDD", "多个用;分隔，可选", "系统内现住建筑名称（必填）", "如1单元101室（必填）",
    "自动关联，无需填写", "如：户主、配偶、子女、父母、租户（可选）", "常住人口/流动人口",
    "是/否 或 1/0", "多个类别用,分隔，如独居老人,低保户", "本社区户籍建筑名称（可选）",
    "外地户籍填写完整地址", "家庭编号（如001、A001）", "户口本户号", "格式：YYYYMMDD",
    "是/否 或 1/0", "人户分离时的实际居住地址", "是/否 或 1/0", "格式：YYYYMMDD", "迁往省市区",
    "是/否 或 1/0", "格式：YYYYMMDD", "如汉族、回族", "如中共党员、群众", "未婚/已婚/离异/丧偶",
    "小学/初中/高中/本科等", "在职/在校/退休/无业等", "健康/良好/慢性病/残疾等", "其他补充信息",
]  # fmt: skip
COMMUNITY_HOUSEHOLDS = 12
COMMUNITY_REJECTED = "A010"  # h = 9: the spouse's relation is blank
COMMUNITY_ELSEWHERE = "上海市浦东新区"

# Eleven of the twelve households import (all 待核实: no 住房性质), 26 of the 28 people.
COMMUNITY_FIGURES = {
    "households": 11,
    "residents": 23,
    "registered_residents": 18,
    "floating_residents": 5,
    "away_persons": 1,
    "minority_residents": 7,
    "buildings": 2,
    "dwellings": 11,
}
COMMUNITY_STATUSES = {"active": 24, "deceased": 1, "moved_out": 1}


def community_sheet() -> list[list[Any]]:
    """The community system's person sheet: header, notes row, 28 people of 12 households."""
    rows: list[list[Any]] = [COMMUNITY_HEADER, COMMUNITY_NOTES]
    doors = ("{u}单元{r}室", "{u}单元1层{r}", "{u}-{r}")  # the last read as unit-room
    for h in range(COMMUNITY_HOUSEHOLDS):
        unit, room = 1 + h % 2, 101 + (h % 6) // 2
        floating = h in (10, 11)
        house = {
            "现住小区/建筑": "幸福小区3号楼" if h < 6 else "幸福小区5号楼",
            "现住详细门牌": doors[h % 3].format(u=unit, r=room),
            "所属网格": "第一网格" if h < 6 else "第二网格",
            "户编号": f"A{h + 1:03d}",
            "户号": f"6501{h:04d}",
            "人员类型": "流动人口" if floating else "常住人口",
            "户籍详细地址": "甘肃省临夏州临夏市" if floating else "",
            "民族": "回族" if h % 4 == 0 else "汉族",
            "是否重点人员": "否",
            "是否人户分离": "否",
            "是否已迁出": "否",
            "是否已死亡": "0",
            "健康状况": "健康",
            "婚姻状况": "已婚",
        }
        born = date(1955 + 2 * h, 4, 1 + h)
        head = _community(h, 0, "户主", born, "male", work="在职" if born.year >= 1962 else "退休")
        if h == 1:  # living alone
            head |= {"是否重点人员": "是", "重点类别": "独居老人"}
        people = [head]
        if h % 3 != 1:
            spouse = _community(h, 1, "" if h == 9 else "配偶", date(1957 + 2 * h, 6, 2), "female")
            if h == 8:  # hukou here, lives in Shanghai
                spouse |= {"是否人户分离": "是", "实际居住地": COMMUNITY_ELSEWHERE}
            people.append(spouse)
        if h % 2 == 0:
            child = _community(h, 2, "子女", date(1985 + h, 9, 3), "male", work="在校")
            child["婚姻状况"] = "未婚"
            if h == 2:  # moved to Urumqi
                child |= {"是否已迁出": "是", "迁出日期": "20230901", "迁往地": "乌鲁木齐市"}
            people.append(child)
        if h == 3:
            mother = _community(h, 3, "父母", date(1932, 1, 5), "female")
            people.append(mother | {"是否已死亡": "1", "死亡日期": "20211120"})
        if h == 5:
            tenant = _community(h, 4, "租户", date(1990, 3, 3), "male", work="在职")
            people.append(tenant | {"人员类型": "流动人口", "户籍详细地址": "四川省成都市"})
        for person in people:
            cells = house | person
            rows.append([cells.get(title) for title in COMMUNITY_HEADER])
    return rows


def _community(
    h: int, n: int, relation: str, born: date, sex: str, work: str = ""
) -> dict[str, Any]:
    name = f"居民{h:02d}{n}"
    return {
        "姓名": name,
        "身份证号": make_resident_id("650105", born, 200 + h * 5 + n, sex),
        "性别": "男" if sex == "male" else "女",
        "出生日期": born.strftime("%Y%m%d"),
        "联系电话": f"137{h:04d}{n:04d}",
        "与其他人员关系": relation,
        "政治面貌": "中共党员" if n == 0 else "群众",
        "文化程度": "本科" if n != 3 else "小学",
        "工作/学习情况": work,
    }
