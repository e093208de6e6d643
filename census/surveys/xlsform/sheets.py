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
from census.util.i18n import N_, in_each_language

# Survey columns the translation reads (pyxform's aliases included: relevance, caption,
# calculation, readonly, count …), as their base (``label`` of ``label::中文 (zh)``).
SUPPORTED_COLUMNS = {
    "type", "name", "label", "caption", "hint", "required", "constraint", "relevant",
    "relevance", "default", "appearance", "calculation", "calculate", "read_only",
    "readonly", "constraint_message", "constraining_message", "jr:constraintmsg",
    "repeat_count", "count", "jr:count", "parameters", "bind", "command", "tag", "value",
    "choice_filter",
}  # fmt: skip
# Columns that only change how a question looks or what a message says on ODK Collect:
# read by nobody here, listed as notes.
IGNORED_COLUMNS = {
    "required_message", "requiredmsg", "jr:requiredmsg", "guidance_hint", "rows",
    "noapperrorstring", "no_app_error_string", "autoplay", "image", "big-image", "audio",
    "video", "media", "body", "instance", "compact_tag", "trigger", "save_to", "label_image",
}  # fmt: skip
# Columns whose feature is not built yet: the form works without it, and the note says so.
LEFT_OUT_COLUMNS = {"choice_filter": N_("选项过滤未生效：显示全部选项")}
CHOICE_COLUMNS = {"list_name", "list name", "name", "value", "label", "caption"}
SETTINGS_USED = {
    "form_title", "set_form_title", "title", "form_id", "set_form_id", "id_string",
    "default_language",
}  # fmt: skip
SETTINGS_IGNORED = {
    "version", "style", "instance_name", "namespaces", "allow_choice_duplicates",
    "clean_text_values", "prefix", "delimiter", "submission_url", "public_key",
    "auto_send", "auto_delete", "name", "sms_keyword", "sms_separator",
    "sms_allow_media", "sms_date_format", "sms_datetime_format", "sms_response",
    "instance_xmlns", "omit_instanceID", "attachment_count",
}  # fmt: skip
METADATA = {
    "start", "end", "today", "deviceid", "imei", "username", "phonenumber",
    "subscriberid", "simserial", "email", "audit", "start-geopoint", "uri:email",
    "uri:phonenumber", "uri:username", "uri:subscriberid", "uri:simserial",
    "uri:deviceid", "background-geopoint",
}  # fmt: skip
PLAIN_TYPES = {
    "text": "text", "string": "text", "integer": "integer", "int": "integer",
    "decimal": "decimal", "date": "date",
}  # fmt: skip
GROUP_TYPES = {
    "begin_group": "begin_group", "begin_repeat": "begin_repeat",
    "end_group": "end_group", "end_repeat": "end_repeat",
    "begin_looped_group": "begin_repeat", "end_looped_group": "end_repeat",
    "begin_lgroup": "begin_repeat", "end_lgroup": "end_repeat",
}  # fmt: skip
# Sheets of features that live outside the workbook: noted, the form works without them.
NOTED_SHEETS = {
    "external_choices": N_("外部选项"),
    "entities": N_("实体"),
    "osm": N_("OpenStreetMap"),
}


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


def column_letters(data: bytes, suffix: str = ".xlsx") -> dict[str, dict[str, str]]:
    """``{sheet: {header: column letter}}``, read from the header rows only (.xlsx or .xls)."""
    found: dict[str, dict[str, str]] = {}
    try:
        if suffix == ".xls":
            import xlrd  # pyxform's own reader of .xls files

            old = xlrd.open_workbook(file_contents=data, on_demand=True)
            for ws in old.sheets():
                first = ws.row_values(0) if ws.nrows else []
                found[ws.name.lower()] = _letters(first)
            return found
        book = load_workbook(io.BytesIO(data), read_only=True)
    except Exception:  # noqa: BLE001 - pyxform reports a file it cannot read itself
        return found
    try:
        for ws in book.worksheets:
            first = next(ws.iter_rows(max_row=1, values_only=True), ())
            found[ws.title.lower()] = _letters(list(first))
    finally:
        book.close()
    return found


def _letters(first: list[Any]) -> dict[str, str]:
    return {
        re.sub(r"\s+", " ", str(v).strip()): get_column_letter(i + 1)
        for i, v in enumerate(first)
        if v is not None and str(v).strip()
    }


def row_checks(survey: Sheet, notes: list[XLSFormProblem]) -> list[XLSFormProblem]:
    """Columns of the survey sheet that change nothing here: each noted once, where first
    filled. Nothing in a column refuses a form (pyxform decides what a form is)."""
    seen_columns: set[str] = set()
    for number, row in survey.numbered():
        for header, value in row.items():
            if value in (None, "") or header in seen_columns:
                continue
            base = _base(header)
            if base in SUPPORTED_COLUMNS or base.startswith("bind"):
                continue
            seen_columns.add(header)
            if base in LEFT_OUT_COLUMNS:
                feature = in_each_language(LEFT_OUT_COLUMNS[base])
                notes.append(survey.problem("left_out_column", number, header, feature=feature))
            elif base in IGNORED_COLUMNS or base.startswith(("sms_", "media")):
                notes.append(survey.problem("ignored_column", number, header))
            else:
                notes.append(survey.problem("unknown_column", number, header))
    return []


def other_sheet_checks(sheets: dict[str, Sheet], notes: list[XLSFormProblem]) -> list:
    """Sheets of features from outside the workbook, columns of choices and settings that
    change nothing here: noted, never refused."""
    for name, feature in NOTED_SHEETS.items():
        sheet = sheets.get(name)
        if sheet is not None and any(sheet.rows):
            notes.append(
                XLSFormProblem("sheet", sheet.name, params={"feature": in_each_language(feature)})
            )
    choices = sheets.get("choices")
    seen: set[str] = set()
    for number, row in choices.numbered() if choices else ():
        for header, value in row.items():
            base = _base(header)
            if value in (None, "") or base in CHOICE_COLUMNS or header in seen:
                continue
            seen.add(header)
            if base in IGNORED_COLUMNS:  # other columns are the choices' data (choice_filter)
                notes.append(choices.problem("ignored_column", number, header))
    settings = sheets.get("settings")
    for number, row in settings.numbered() if settings else ():
        for header, value in row.items():
            base = header.strip().lower()
            if value in (None, "") or base in SETTINGS_USED:
                continue
            code = "ignored_setting" if base in SETTINGS_IGNORED else "unknown_setting"
            notes.append(settings.problem(code, number, header))
    return []
