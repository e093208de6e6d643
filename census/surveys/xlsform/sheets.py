"""Steps 1–2: the sheets as pyxform reads them, checked row by row for what the tool cannot do.

pyxform's ``get_xlsform`` keeps empty rows, so a row's index gives its number in the
sheet; the letters of the columns come from the header row itself (openpyxl), so a
problem can name its cell (G5) as the designer sees it in Excel.
"""

from __future__ import annotations

import io
import re
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from pyxform import aliases

from census.surveys.xlsform.problems import XLSFormProblem

SUPPORTED_COLUMNS = {
    "type", "name", "label", "caption", "hint", "required", "constraint", "relevant",
    "relevance", "default", "appearance",
}  # fmt: skip
IGNORED_COLUMNS = {
    "constraint_message", "constraining_message", "jr:constraintmsg", "required_message",
    "requiredmsg", "jr:requiredmsg", "guidance_hint", "rows", "noapperrorstring",
    "no_app_error_string", "autoplay",
}  # fmt: skip
UNSUPPORTED_COLUMNS = {
    "calculation": ("计算", "calculations"),
    "calculate": ("计算", "calculations"),
    "choice_filter": ("选项过滤", "choice filters"),
    "repeat_count": ("重复次数", "repeat counts"),
    "count": ("重复次数", "repeat counts"),
    "jr:count": ("重复次数", "repeat counts"),
    "read_only": ("只读", "read-only questions"),
    "readonly": ("只读", "read-only questions"),
    "trigger": ("触发", "triggers"),
    "parameters": ("参数", "parameters"),
    "image": ("图片", "media"),
    "big-image": ("图片", "media"),
    "audio": ("音频", "media"),
    "video": ("视频", "media"),
    "media": ("媒体", "media"),
    "body": ("body 属性", "body attributes"),
    "bind": ("bind 属性", "bind attributes"),
    "instance": ("instance 属性", "instance attributes"),
    "save_to": ("实体", "entities"),
    "compact_tag": ("compact_tag", "compact tags"),
}
CHOICE_COLUMNS = {"list_name", "list name", "name", "value", "label", "caption"}
SETTINGS_USED = {"form_title", "set_form_title", "form_id", "set_form_id", "default_language"}
SETTINGS_IGNORED = {
    "version", "style", "instance_name", "namespaces", "allow_choice_duplicates",
    "clean_text_values", "prefix", "delimiter",
}  # fmt: skip
METADATA = {
    "start", "end", "today", "deviceid", "imei", "username", "phonenumber",
    "subscriberid", "simserial", "email",
}  # fmt: skip
PLAIN_TYPES = {
    "text": "text", "string": "text", "integer": "integer", "int": "integer",
    "decimal": "decimal", "date": "date",
}  # fmt: skip
GROUP_TYPES = {
    "begin_group": "begin_group", "begin_repeat": "begin_repeat",
    "end_group": "end_group", "end_repeat": "end_repeat",
    "begin_looped_group": "begin_repeat", "end_looped_group": "end_repeat",
}  # fmt: skip
UNSUPPORTED_SHEETS = {
    "external_choices": ("外部选项", "external choices"),
    "entities": ("实体", "entities"),
    "osm": ("OpenStreetMap", "OpenStreetMap"),
}


def _both(pair: tuple[str, str]) -> dict[str, str]:
    return {"zh": pair[0], "en": pair[1]}


def _base(header: str) -> str:
    """The column a header stands for: ``label::中文 (zh)`` -> label, ``bind::x`` -> bind."""
    head = header.split("::", 1)[0] if "::" in header else header.split(":", 1)[0]
    if header.lower().startswith(("jr:", "bind::", "body::", "instance::", "media::")):
        head = header.split("::", 1)[0] if "::" in header else header
    return head.strip().lower()


def kind_of(raw_type: str) -> tuple[str, str]:
    """(what, argument) of a type cell: ("select_one", "yn"), ("text", ""), ("other", t)."""
    text = re.sub(r"\s+", " ", raw_type.strip())
    lower = text.lower()
    group = GROUP_TYPES.get(lower.replace(" ", "_"))
    if group:
        return group, ""
    if lower in PLAIN_TYPES:
        return PLAIN_TYPES[lower], ""
    if lower in METADATA:
        return "metadata", lower
    for prefix in sorted(aliases.select, key=len, reverse=True):
        if lower.startswith(prefix + " ") or lower == prefix:
            rest = text[len(prefix) :].strip()
            target = aliases.select[prefix]
            if prefix in aliases.select_from_file or "external" in prefix or prefix == "rank":
                return "other", text
            if rest.lower().endswith(" or_other"):
                return "or_other", text
            if target == "select one":
                return "select_one", rest
            return "select_many", rest
    return "other", text


class Sheet:
    """One sheet's rows from pyxform, with row numbers and the letters of its columns."""

    def __init__(self, name: str, rows: list[dict[str, Any]], letters: dict[str, str]):
        self.name, self.rows, self.letters = name, rows, letters

    def numbered(self):
        """(row number, row) from the first row under the headers."""
        return ((i + 2, row) for i, row in enumerate(self.rows))

    def problem(self, code: str, row: int | None, column: str | None, **params: Any):
        """A problem at a cell of this sheet."""
        letter = self.letters.get(column or "")
        cell = f"{letter}{row}" if letter and row else None
        return XLSFormProblem(code, self.name, row, column, cell, params)


def column_letters(data: bytes) -> dict[str, dict[str, str]]:
    """``{sheet: {header: column letter}}``, read from the header rows only."""
    found: dict[str, dict[str, str]] = {}
    try:
        book = load_workbook(io.BytesIO(data), read_only=True)
    except Exception:  # noqa: BLE001 - pyxform reports a file it cannot read itself
        return found
    try:
        for ws in book.worksheets:
            first = next(ws.iter_rows(max_row=1, values_only=True), ())
            found[ws.title.lower()] = {
                re.sub(r"\s+", " ", str(v).strip()): get_column_letter(i + 1)
                for i, v in enumerate(first)
                if v is not None and str(v).strip()
            }
    finally:
        book.close()
    return found


def row_checks(survey: Sheet, notes: list[XLSFormProblem]) -> list[XLSFormProblem]:
    """Types and columns of the survey sheet that the tool cannot do."""
    problems: list[XLSFormProblem] = []
    seen_columns: set[str] = set()
    for number, row in survey.numbered():
        for header, value in row.items():
            if value in (None, ""):
                continue
            base = _base(header)
            if base in SUPPORTED_COLUMNS:
                continue
            feature = UNSUPPORTED_COLUMNS.get(base)
            if feature is None and base.startswith("sms_"):
                feature = ("短信", "SMS")
            if feature is not None:
                problems.append(survey.problem("column", number, header, feature=_both(feature)))
            elif header not in seen_columns:
                code = "ignored_column" if base in IGNORED_COLUMNS else "unknown_column"
                notes.append(survey.problem(code, number, header))
                seen_columns.add(header)
        raw_type = str(row.get("type") or "").strip()
        if not raw_type:
            continue
        what, arg = kind_of(raw_type)
        if what == "other":
            problems.append(survey.problem("type", number, "type", value=arg))
        elif what == "or_other":
            problems.append(survey.problem("or_other", number, "type", value=arg))
        elif what == "metadata":
            notes.append(survey.problem("metadata", number, "type", value=arg))
    return problems


def other_sheet_checks(sheets: dict[str, Sheet], notes: list[XLSFormProblem]) -> list:
    problems = []
    for name, feature in UNSUPPORTED_SHEETS.items():
        sheet = sheets.get(name)
        if sheet is not None and any(sheet.rows):
            problems.append(XLSFormProblem("sheet", sheet.name, params={"feature": _both(feature)}))
    choices = sheets.get("choices")
    for number, row in choices.numbered() if choices else ():
        for header, value in row.items():
            base = _base(header)
            if value in (None, "") or base in CHOICE_COLUMNS:
                continue
            if base in UNSUPPORTED_COLUMNS:
                feature = _both(UNSUPPORTED_COLUMNS[base])
                problems.append(choices.problem("column", number, header, feature=feature))
    settings = sheets.get("settings")
    for number, row in settings.numbered() if settings else ():
        for header, value in row.items():
            base = header.strip().lower()
            if value in (None, "") or base in SETTINGS_USED:
                continue
            if base in SETTINGS_IGNORED:
                notes.append(settings.problem("unknown_column", number, header))
            else:
                problems.append(settings.problem("setting", number, header))
    return problems
