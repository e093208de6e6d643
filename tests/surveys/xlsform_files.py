"""XLSForm workbooks built in the tests with openpyxl, as survey designers make them."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

SURVEY_HEAD = (
    "type", "name", "label::中文 (zh)", "label::English (en)", "hint::中文 (zh)",
    "hint::English (en)", "required", "constraint", "relevant", "default",
)  # fmt: skip
# A household roster: skip logic, constraints, a group, one repeat, labels in two languages.
# The survey sheet's rows are numbered as in Excel: the headers are row 1.
ROSTER = [
    ("text", "address", "住址", "Address", "楼栋单元门牌", "Building, entrance, door", "yes"),
    ("select_one housing", "housing", "住房性质", "Housing", "", "", "yes", "", "", "owned"),
    ("text", "landlord", "房东姓名", "Landlord", "", "", "yes", "", "${housing} = 'rented'"),
    ("integer", "size", "家庭人数", "Household size", "", "", "yes", ". >= 1 and . <= 20"),
    ("begin_group", "contact", "联系方式", "Contact"),
    ("text", "phone", "联系电话", "Phone", "", "", "", "string-length(.) <= 20"),
    ("date", "moved_in", "入住日期", "Moved in", "", "", "", ". <= today()"),
    ("end_group",),
    ("begin_repeat", "people", "家庭成员", "Members"),
    ("text", "pname", "姓名", "Name", "", "", "yes"),
    ("select_one sex", "psex", "性别", "Sex", "", "", "yes"),
    ("integer", "age", "年龄", "Age", "", "", "", ". >= 0 and . <= 120"),
    ("select_multiple needs", "needs", "服务需求", "Needs", "", "", "", "", "${age} >= 60"),
    ("end_repeat",),
]
ROSTER_CHOICES = [
    ("housing", "owned", "自有", "Owned"),
    ("housing", "rented", "租住", "Rented"),
    ("sex", "m", "男", "Male"),
    ("sex", "f", "女", "Female"),
    ("needs", "meals", "助餐", "Meals"),
    ("needs", "doctor", "上门医疗", "Home doctor"),
]
ROSTER_SETTINGS = {"form_title": "家庭情况调查", "form_id": "roster"}


def xlsform(
    survey: Sequence[Sequence[Any]] = ROSTER,
    choices: Sequence[Sequence[Any]] = ROSTER_CHOICES,
    settings: dict[str, Any] | None = None,
    head: Sequence[str] = SURVEY_HEAD,
) -> bytes:
    """The bytes of an .xlsx XLSForm with survey, choices and settings sheets."""
    book = Workbook()
    ws = book.active
    ws.title = "survey"
    ws.append(list(head))
    for row in survey:
        ws.append(list(row))
    sheet = book.create_sheet("choices")
    sheet.append(["list_name", "name", "label::中文 (zh)", "label::English (en)"])
    for row in choices:
        sheet.append(list(row))
    settings = ROSTER_SETTINGS if settings is None else settings
    if settings:
        sheet = book.create_sheet("settings")
        sheet.append(list(settings))
        sheet.append(list(settings.values()))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_rows(extra: dict[int, Sequence[Any]]) -> list[Sequence[Any]]:
    """The roster with rows put in before the given sheet rows (2 = the first question)."""
    rows = list(ROSTER)
    for at in sorted(extra, reverse=True):
        rows.insert(at - 2, extra[at])
    return rows
