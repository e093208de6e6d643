"""The fixed words of printouts, by key; values come from census.domain.display.

Each word is a msgid of the one message catalogue (``census.util.i18n``): Chinese here, its
English in ``messages.po``. A print is made away from any request, so the language is named.
"""

from __future__ import annotations

from census.domain.display import SEPARATORS
from census.util.i18n import N_, NC_, gettext

WORDS: dict[str, str] = {
    "household_list": N_("住户花名册"),
    "confidential": N_("内部资料 注意保密"),
    "printed_on": N_("打印日期："),
    "page_of": N_("第 {page} 页 / 共 {pages} 页"),
    "totals": N_("共 {households} 户 {persons} 人"),
    "no_households": N_("本楼栋暂无住户登记。"),
    "household_no": N_("户编号"),
    "address": N_("地址"),
    "housing": N_("住房性质"),
    "hardship": N_("困难类别"),
    "landlord": N_("房东"),
    "notes": N_("备注"),
    "colon": N_("："),
    "no_members": N_("（无登记成员）"),
    "col_no": N_("序号"),
    "col_name": N_("姓名"),
    "col_relation": N_("与户主关系"),
    "col_sex": N_("性别"),
    "col_ethnicity": N_("民族"),
    "col_id_number": N_("证件号码"),
    "col_birth_date": N_("出生日期"),
    "col_residence_type": N_("人员类别"),
    "col_phone": N_("联系电话"),
    "col_political": N_("政治面貌"),
    "col_conditions": N_("特殊情况"),
    "col_household_no": NC_("print column", "户编号"),
    "col_door": N_("门牌"),
    "col_housing": N_("住房"),
    "col_hardship": N_("困难类别"),
    "col_notes": N_("房东及备注"),
    "col_status": N_("状态"),
    "as_of": N_("统计日期："),
    "printed_at": N_("打印时间："),
    "rows_total": N_("共 {rows} 条"),
    "persons_total": N_("共 {rows} 人"),
    "no_rows": N_("本台账在统计日期没有记录。"),
    "household_cards": N_("户卡"),
    "summary": NC_("printout", "基本情况"),
    "whole_community": N_("全社区"),
    "grid": N_("网格"),
    "building": N_("楼栋/院落"),
    "item": NC_("printout", "项目"),
    "member_n": N_("成员{n}"),
    "members": N_("家庭成员"),
    "household": N_("住户情况"),
    "sign_head": N_("户主签字："),
    "sign_surveyor": N_("调查员签字："),
    "sign_date": N_("日期："),
    "continued": N_("（续）"),
    "figures": N_("主要数据"),
    "figure": N_("指标"),
    "value": N_("数值"),
    "by_ethnicity": N_("各民族人数"),
    "age_bands": NC_("printout", "年龄段"),
    "charts": N_("图表"),
    "group_counts": N_("分组人数："),
}

LIST_SEPARATOR = SEPARATORS  # 、 or ", " between the entries of a list, as on every output


def word(key: str, lang: str = "zh", **params: object) -> str:
    """A fixed printout word in ``lang`` (Chinese when the language is unknown)."""
    return gettext(WORDS[key], lang, **params)


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
