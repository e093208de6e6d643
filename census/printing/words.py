"""The fixed words of printouts in Chinese and English; values come from census.domain.display."""

from __future__ import annotations

from census.domain.display import SEPARATORS

WORDS: dict[str, dict[str, str]] = {
    "household_list": {"zh": "住户花名册", "en": "Household list"},
    "confidential": {"zh": "内部资料 注意保密", "en": "Internal — confidential"},
    "printed_on": {"zh": "打印日期：", "en": "Printed on: "},
    "page_of": {"zh": "第 {page} 页 / 共 {pages} 页", "en": "Page {page} of {pages}"},
    "totals": {
        "zh": "共 {households} 户 {persons} 人",
        "en": "{households} households, {persons} persons",
    },
    "no_households": {
        "zh": "本楼栋暂无住户登记。",
        "en": "No households are recorded in this building.",
    },
    "household_no": {"zh": "户编号", "en": "Household no."},
    "address": {"zh": "地址", "en": "Address"},
    "housing": {"zh": "住房性质", "en": "Housing"},
    "hardship": {"zh": "困难类别", "en": "Hardship"},
    "landlord": {"zh": "房东", "en": "Landlord"},
    "notes": {"zh": "备注", "en": "Notes"},
    "colon": {"zh": "：", "en": ": "},
    "no_members": {"zh": "（无登记成员）", "en": "(no members recorded)"},
    "col_no": {"zh": "序号", "en": "No."},
    "col_name": {"zh": "姓名", "en": "Name"},
    "col_relation": {"zh": "与户主关系", "en": "Relation to head"},
    "col_sex": {"zh": "性别", "en": "Sex"},
    "col_ethnicity": {"zh": "民族", "en": "Ethnicity"},
    "col_id_number": {"zh": "证件号码", "en": "ID number"},
    "col_birth_date": {"zh": "出生日期", "en": "Date of birth"},
    "col_residence_type": {"zh": "人员类别", "en": "Residence"},
    "col_phone": {"zh": "联系电话", "en": "Phone"},
    "col_political": {"zh": "政治面貌", "en": "Political status"},
    "col_conditions": {"zh": "特殊情况", "en": "Special circumstances"},
    "col_household_no": {"zh": "户编号", "en": "Hh. no."},
    "col_door": {"zh": "门牌", "en": "Door"},
    "col_housing": {"zh": "住房", "en": "Housing"},
    "col_hardship": {"zh": "困难类别", "en": "Hardship"},
    "col_notes": {"zh": "房东及备注", "en": "Landlord and notes"},
    "col_status": {"zh": "状态", "en": "Status"},
    "as_of": {"zh": "统计日期：", "en": "As of: "},
    "printed_at": {"zh": "打印时间：", "en": "Printed at: "},
    "rows_total": {"zh": "共 {rows} 条", "en": "{rows} rows"},
    "persons_total": {"zh": "共 {rows} 人", "en": "{rows} persons"},
    "no_rows": {
        "zh": "本台账在统计日期没有记录。",
        "en": "This register has no rows on this date.",
    },
    "household_cards": {"zh": "户卡", "en": "Household cards"},
    "summary": {"zh": "基本情况", "en": "Community summary"},
    "whole_community": {"zh": "全社区", "en": "whole community"},
    "grid": {"zh": "网格", "en": "Grid"},
    "building": {"zh": "楼栋/院落", "en": "Building"},
    "item": {"zh": "项目", "en": "Item"},
    "member_n": {"zh": "成员{n}", "en": "Member {n}"},
    "members": {"zh": "家庭成员", "en": "Members"},
    "household": {"zh": "住户情况", "en": "Household"},
    "sign_head": {"zh": "户主签字：", "en": "Head of household:"},
    "sign_surveyor": {"zh": "调查员签字：", "en": "Surveyor:"},
    "sign_date": {"zh": "日期：", "en": "Date:"},
    "continued": {"zh": "（续）", "en": " (continued)"},
    "figures": {"zh": "主要数据", "en": "Figures"},
    "figure": {"zh": "指标", "en": "Figure"},
    "value": {"zh": "数值", "en": "Value"},
    "by_ethnicity": {"zh": "各民族人数", "en": "Residents by ethnic group"},
    "age_bands": {"zh": "年龄段", "en": "Age bands"},
    "charts": {"zh": "图表", "en": "Charts"},
    "group_counts": {"zh": "分组人数：", "en": "By group: "},
}

LIST_SEPARATOR = SEPARATORS  # 、 or ", " between the entries of a list, as on every output


def word(key: str, lang: str = "zh", **params: object) -> str:
    """A fixed printout word in ``lang`` (Chinese when the language is unknown)."""
    entry = WORDS[key]
    text = entry.get(lang) or entry["zh"]
    return text.format(**params) if params else text


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string literal, safe inside a <style> element."""
    escaped = "".join(
        ch if ch.isalnum() or ch in " -—/：:，。" else f"\\{ord(ch):x} " for ch in text
    )
    return f'"{escaped}"'


def page_counter_css(lang: str = "zh") -> str:
    """A CSS ``content`` value printing "第 x 页 / 共 y 页" with the page counters."""
    pattern = word("page_of", lang)
    parts: list[str] = []
    for chunk in pattern.replace("{pages}", "\0pages\0").replace("{page}", "\0page\0").split("\0"):
        if chunk in ("page", "pages"):
            parts.append(f"counter({chunk})")
        elif chunk:
            parts.append(css_string(chunk))
    return " ".join(parts)
