"""What the importer reports, and where: one issue per cell, row, column or sheet.

Validation problems keep their codes and messages from ``census.domain.problems``; the
importer's own findings (notes rows, unknown columns, conflicting cells …) have their codes
here, in one catalogue, in Chinese and English.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from census.domain.problems import ERROR, MESSAGES, WARNING, Problem

INFO = "info"
LEVELS = {ERROR: 0, WARNING: 1, INFO: 2}

IMPORT_MESSAGES: dict[str, dict[str, str]] = {
    "file_type": {
        "zh": "不支持 {ext} 文件，请另存为 .xlsx 或 .csv 后上传",
        "en": "{ext} files are not supported; save as .xlsx or .csv and upload again",
    },
    "file_unreadable": {
        "zh": "无法读取该文件（{reason}），请确认是 Excel .xlsx 文件",
        "en": "The file cannot be read ({reason}); is it an Excel .xlsx file?",
    },
    "csv_encoding": {
        "zh": "无法识别 CSV 文件的编码：第 {row} 行有无法解码的字节（{bytes}）。支持 UTF-8、"
        "GB18030/GBK 和带 BOM 的 UTF-16；请在 Excel 中另存为“CSV UTF-8”后重新上传",
        "en": "The CSV encoding is not recognised: line {row} holds bytes that cannot be "
        "decoded ({bytes}). UTF-8, GB18030/GBK and UTF-16 with a BOM are read; save it "
        "as “CSV UTF-8” in Excel and upload again",
    },
    "csv_binary": {
        "zh": "文件第 {row} 行含有 NUL 等二进制字符，不是文本 CSV 文件",
        "en": "Line {row} of the file holds NUL or other binary characters; it is not a "
        "text CSV file",
    },
    "csv_broken": {
        "zh": "CSV 文件“{sheet}”第 {row} 行无法解析（{reason}）",
        "en": "Row {row} of the CSV file “{sheet}” cannot be parsed ({reason})",
    },
    "file_too_large": {
        "zh": "文件大小为 {size}，超过上限 {limit}，未导入；请拆分成几个文件分别导入",
        "en": "The file is {size}, more than the limit of {limit}; nothing imported. Split "
        "it into several files",
    },
    "file_empty": {
        "zh": "文件“{name}”是空的（0 字节）",
        "en": "The file “{name}” is empty (0 bytes)",
    },
    "file_kind": {
        "zh": "文件“{name}”的扩展名是 {ext}，但内容是{kind_zh}，不是表格文件",
        "en": "The file “{name}” is named {ext} but holds {kind_en}, not a spreadsheet",
    },
    "xls_old": {
        "zh": "文件“{name}”是旧版 Excel（.xls，97–2003）文件或设了打开密码的工作簿；"
        "请在 Excel 或 WPS 中去掉密码、另存为 .xlsx 后重新上传",
        "en": "The file “{name}” is an old Excel .xls (97–2003) file or a workbook with an "
        "opening password; remove the password and save it as .xlsx in Excel or WPS",
    },
    "xlsx_is_text": {
        "zh": "无法读取该文件：“{name}”的扩展名是 {ext}，但内容是文本（CSV）；"
        "请把文件改名为 .csv 后重新上传",
        "en": "The file cannot be read: “{name}” is named {ext} but holds text (CSV); rename "
        "it to .csv and upload again",
    },
    "csv_is_xlsx": {
        "zh": "文件“{name}”的扩展名是 {ext}，但内容是 Excel 工作簿；"
        "请把文件改名为 .xlsx 后重新上传",
        "en": "The file “{name}” is named {ext} but holds an Excel workbook; rename it to "
        ".xlsx and upload again",
    },
    "xlsx_damaged": {
        "zh": "无法读取该文件：已损坏，不是完整的 .xlsx 工作簿（{reason}）；"
        "请在 Excel 或 WPS 中重新保存",
        "en": "The file cannot be read: it is damaged, not a whole .xlsx workbook ({reason}); "
        "save it again in Excel or WPS",
    },
    "not_a_workbook": {
        "zh": "文件是 zip 压缩包，但其中没有 Excel 工作簿（xl/workbook.xml），"
        "可能是 Word 等其他文件",
        "en": "The file is a zip archive without an Excel workbook (xl/workbook.xml) in it; "
        "it may be a Word or other document",
    },
    "too_many_parts": {
        "zh": "工作簿包含 {count} 个部件，超过上限 {limit}，未读取",
        "en": "The workbook holds {count} parts, more than the limit of {limit}; not read",
    },
    "zip_method": {
        "zh": "工作簿中的“{part}”使用了不支持的压缩或加密方式（{method}）；请在 Excel 或 WPS "
        "中重新保存",
        "en": "The part “{part}” of the workbook uses an unsupported compression or "
        "encryption ({method}); save it again in Excel or WPS",
    },
    "part_too_large": {
        "zh": "工作簿中的“{part}”解压后为 {size}，超过上限 {limit}（可能是压缩炸弹），未导入",
        "en": "The part “{part}” of the workbook unpacks to {size}, more than the limit of "
        "{limit} (a compression bomb?); nothing imported",
    },
    "archive_too_large": {
        "zh": "工作簿解压后共 {size}，超过上限 {limit}（可能是压缩炸弹），未导入",
        "en": "The workbook unpacks to {size} in all, more than the limit of {limit} (a "
        "compression bomb?); nothing imported",
    },
    "xml_dtd": {
        "zh": "工作簿中的“{part}”含有 DOCTYPE 或实体（ENTITY）声明，出于安全原因不予读取；"
        "请在 Excel 或 WPS 中重新保存",
        "en": "The part “{part}” of the workbook declares a DOCTYPE or entities, which is "
        "refused for safety; save it again in Excel or WPS",
    },
    "too_many_sheets": {
        "zh": "工作簿有 {count} 个工作表，超过上限 {limit}",
        "en": "The workbook has {count} sheets, more than the limit of {limit}",
    },
    "too_many_rows": {
        "zh": "工作表“{sheet}”第 {row} 行有内容，超出上限：每个工作表最多 {limit} 行；"
        "请拆分后分别导入",
        "en": "Sheet “{sheet}” has a value on row {row}, beyond the limit of {limit} rows per "
        "sheet; split it and import the parts",
    },
    "too_many_columns": {
        "zh": "工作表“{sheet}”第 {row} 行 {column} 列有内容，超出上限："
        "最多 {limit} 列（A–{last} 列）",
        "en": "Sheet “{sheet}” has a value on row {row} in column {column}, beyond the limit "
        "of {limit} columns (A–{last})",
    },
    "too_many_cells": {
        "zh": "文件的单元格超过 {limit} 个（到工作表“{sheet}”第 {row} 行时），未导入；"
        "请拆分后分别导入",
        "en": "The file has more than {limit} cells (by sheet “{sheet}”, row {row}); nothing "
        "imported. Split it and import the parts",
    },
    "merge_too_large": {
        "zh": "工作表“{sheet}”的合并单元格 {range} 覆盖 {cells} 个单元格，超过上限 {limit}",
        "en": "The merged cells {range} of sheet “{sheet}” cover {cells} cells, more than the "
        "limit of {limit}",
    },
    "too_many_merges": {
        "zh": "工作表“{sheet}”的合并单元格超过 {limit} 处",
        "en": "Sheet “{sheet}” has more than {limit} merged ranges",
    },
    "cell_too_long": {
        "zh": "工作表“{sheet}”第 {row} 行 {column} 列的内容有 {length} 个字符，超过单元格上限 "
        "{limit} 个字符（与 Excel 相同），未导入",
        "en": "Sheet “{sheet}”, row {row}, column {column} holds {length} characters, more "
        "than the {limit} a cell may hold (as in Excel); nothing imported",
    },
    "row_too_large": {
        "zh": "工作表“{sheet}”第 {row} 行附近的一行数据超过 {limit}，无法读取",
        "en": "A row of sheet “{sheet}” near row {row} is larger than {limit} and cannot be read",
    },
    "too_many_strings": {
        "zh": "工作簿中的“{part}”有超过 {limit} 个共享字符串，未导入",
        "en": "The part “{part}” of the workbook holds more than {limit} shared strings; "
        "nothing imported",
    },
    "string_too_large": {
        "zh": "工作簿中的“{part}”第 {index} 个共享字符串超过 {limit}，无法读取",
        "en": "Shared string {index} of the part “{part}” is larger than {limit} and cannot "
        "be read",
    },
    "slow_too_large": {
        "zh": "该工作簿的写法需要用较慢的方式读取，而它有 {cells} 个单元格，超过这种方式的上限 "
        "{limit} 个；请用 Excel 或 WPS 打开后另存为 .xlsx 再上传",
        "en": "This workbook is written in a way that needs the slower reader, and its {cells} "
        "cells are more than that reader's limit of {limit}; open it in Excel or WPS, save "
        "it as .xlsx and upload again",
    },
    "no_header": {
        "zh": "工作表“{sheet}”的前 {rows} 行中没有可识别的表头，未导入",
        "en": "Sheet “{sheet}” has no recognisable header in its first {rows} rows; not imported",
    },
    "no_table": {
        "zh": "文件中没有可导入的{form}表格（需要“{anchor}”等列名）",
        "en": "The file holds no {form} table (columns such as “{anchor}” are needed)",
    },
    "note_row": {
        "zh": "说明行，已跳过：{text}",
        "en": "Note row, skipped: {text}",
    },
    "repeated_header": {
        "zh": "重复的表头行，已跳过",
        "en": "The header again, skipped",
    },
    "instructions_row": {
        "zh": "填写说明行（不是数据），已跳过：{text}",
        "en": "Instructions row (not data), skipped: {text}",
    },
    "example_row": {
        "zh": "示例行，已跳过：{text}",
        "en": "Example row, skipped: {text}",
    },
    "skipped_row": {
        "zh": "按指定跳过此行：{text}",
        "en": "Skipped as asked: {text}",
    },
    "address_unsplit": {
        "zh": "无法从“{value}”中分出楼栋、单元和室号；可写成 1单元101室、3-1-101（楼栋-单元-室）、"
        "1单元1层101 或 3-101（本次按{pattern}读），楼栋与楼栋列一致，或把单元、室/门牌号分列填写",
        "en": "Cannot tell the building, unit and room in “{value}”; write it as 1单元101室, "
        "3-1-101 (building-unit-room), 1单元1层101 or 3-101 (read as {pattern_en} this time), "
        "the building as in the building column, or give unit and room their own columns",
    },
    "missing_column": {
        "zh": "表中没有“{field}”列（必填）：{count} 户照常导入，标为待核实（待审核），"
        "请入户核实后补填",
        "en": "The sheet has no “{field_en}” column (required): {count} households are imported "
        "all the same, marked to be verified (awaiting review); fill it in after a visit",
    },
    "missing_member_column": {
        "zh": "表中没有成员的“{field}”列（必填）：{people} 人（{count} 户）照常导入，"
        "标为待核实（待审核），请入户核实后补填",
        "en": "The sheet has no “{field_en}” column for the members (required): {people} people "
        "({count} households) are imported all the same, marked to be verified (awaiting "
        "review); fill it in after a visit",
    },
    "date_unreadable": {
        "zh": "“{value}”不是完整的日期；日期可写 1990-01-02、1990/1/2、1990.1.2、"
        "1990年1月2日 或 19900102（或 Excel 日期单元格）",
        "en": "“{value}” is not a whole date; write dates as 1990-01-02, 1990/1/2, 1990.1.2, "
        "1990年1月2日 or 19900102 (or an Excel date cell)",
    },
    "date_not_real": {
        "zh": "“{value}”不是真实存在的日期，请核对年、月、日；日期可写 1990-01-02、1990/1/2、"
        "1990.1.2、1990年1月2日 或 19900102",
        "en": "“{value}” is not a real date; check the year, month and day. Dates may be "
        "written 1990-01-02, 1990/1/2, 1990.1.2, 1990年1月2日 or 19900102",
    },
    "choice_not_allowed": {
        "zh": "“{value}”不是“{field}”的可选值；可填：{allowed}",
        "en": "“{value}” is not one of the choices of “{field_en}”; choose from: {allowed_en}",
    },
    "choice_not_close": {
        "zh": "“{value}”不是“{field}”的可选值；相近的有：{allowed}"
        "（共 {count} 项，见导入模板的下拉列表）",
        "en": "“{value}” is not one of the choices of “{field_en}”; close ones: {allowed_en} "
        "({count} choices, see the drop-down lists of the import template)",
    },
    "choice_unknown": {
        "zh": "“{value}”不是“{field}”的可选值（共 {count} 项，见导入模板的下拉列表或填表说明）",
        "en": "“{value}” is not one of the choices of “{field_en}” ({count} choices, see the "
        "drop-down lists or the notes of the import template)",
    },
    "required_blank": {
        "zh": "“{field}”为空：此项必填{allowed}",
        "en": "“{field_en}” is blank: it is required{allowed_en}",
    },
    "flag_invalid": {
        "zh": "“{value}”不是“{field}”的值；可填 是/否 或 1/0",
        "en": "“{value}” is not a value of “{field}”; write 是/否 (yes/no) or 1/0",
    },
    "flag_date_missing": {
        "zh": "“{field}”为是，但“{date}”为空；请填写日期（如 2020-01-02）",
        "en": "“{field}” says yes but “{date}” is blank; give the date (e.g. 2020-01-02)",
    },
    "flag_date_ignored": {
        "zh": "“{field}”为否，“{date}”（{value}）未导入",
        "en": "“{field}” says no, so “{date}” ({value}) was not imported",
    },
    "living_elsewhere": {
        "zh": "人户分离：{name} 记为外出人员{where}",
        "en": "Lives elsewhere: {name} is recorded as away{where_en}",
    },
    "unknown_column": {
        "zh": "无法识别列名“{header}”，该列未导入（可手工指定对应的字段）",
        "en": "Column “{header}” is not recognised and was not imported (map it by hand)",
    },
    "duplicate_column": {
        "zh": "该列与 {other} 列对应同一字段“{field}”，未导入",
        "en": "This column maps to “{field}” like column {other}; not imported",
    },
    "id_number_as_number": {
        "zh": "证件号码被 Excel 存成了数字（{value}），末几位已丢失；请把该列设为文本后重新填写",
        "en": "The ID number was stored by Excel as a number ({value}) and lost its last "
        "digits; format the column as text and type it again",
    },
    "no_household_key": {
        "zh": "无法确定属于哪一户：户编号为空，楼栋和室/门牌号也不全",
        "en": "Cannot tell the household: no household no., and building or room is missing",
    },
    "household_conflict": {
        "zh": "同一户各行的值不一致：第 {other_row} 行为“{other}”，此行为“{value}”",
        "en": "Rows of one household disagree: row {other_row} says “{other}”, this row “{value}”",
    },
    "id_duplicate_in_file": {
        "zh": "证件号码与第 {other_row} 行（{other_sheet}）重复，同一人登记在两户",
        "en": "The same ID number as row {other_row} ({other_sheet}): one person in two households",
    },
    "ids_in_several": {
        "zh": "本户成员的证件号码分属库中多户（{households}），无法确定对应哪一户，请先核对",
        "en": "The members' ID numbers belong to several stored households ({households}); "
        "check them first",
    },
    "matched_twice": {
        "zh": "与第 {other_row} 行对应库中同一条记录（{target}），请核对",
        "en": "Matches the same stored record ({target}) as row {other_row}; please check",
    },
    "extra_phones": {
        "zh": "另有电话 {phones}，已写入备注",
        "en": "Further phone numbers {phones} were put in the notes",
    },
    "grid_mismatch": {
        "zh": "楼栋“{building}”属于“{stored}”，表中为“{value}”，未修改",
        "en": "Building “{building}” is in “{stored}”, the sheet says “{value}”; not changed",
    },
    "member_kept": {
        "zh": "库中成员 {name} 不在表中，予以保留",
        "en": "Stored member {name} is not in the file and was kept",
    },
    "household_rejected": {
        "zh": "同一户的第 {rows} 行有错误，整户未导入",
        "en": "Row(s) {rows} of the same household have errors; the household was not imported",
    },
    "changed_meanwhile": {
        "zh": "校验后该记录已被他人修改，未更新，请重新校验",
        "en": "The record was changed by someone after the check and was not updated; check again",
    },
    "not_saved": {
        "zh": "未能保存：{reason}",
        "en": "Not saved: {reason}",
    },
}


@dataclass
class Issue:
    """One finding, placed at a sheet row and column where it has one."""

    code: str
    level: str = ERROR
    sheet: str = ""
    row: int | None = None
    column: str | None = None  # letter, None when the sheet has no column for the field
    header: str = ""  # the column's title, or the field's label when there is no column
    params: dict[str, Any] = field(default_factory=dict)
    subject: str = ""  # the stored member a problem is about, when not in the file

    @classmethod
    def of(cls, problem: Problem, **where: Any) -> Issue:
        """An issue for a validation problem, at the given place."""
        return cls(problem.code, problem.level, params=dict(problem.params), **where)

    @property
    def is_error(self) -> bool:
        """Errors reject the record they are in."""
        return self.level == ERROR

    def message(self, lang: str = "zh") -> str:
        """The message alone, in a language."""
        code = self.params.get("advice") or self.code  # census.sheets.advice
        if code in IMPORT_MESSAGES:
            texts = IMPORT_MESSAGES[code]
            template = texts.get(lang) or texts["zh"]
            try:
                text = template.format(**self.params)
            except (KeyError, IndexError):
                text = template
        else:
            text = Problem(self.code, params=self.params).message(lang)
        if self.subject:
            text = (f"（{self.subject}）" if lang == "zh" else f"({self.subject}) ") + text
        return text

    def where(self, lang: str = "zh") -> str:
        """Row and column as staff say it: 第5行 E列“证件号码”."""
        parts = []
        if self.row is not None:
            parts.append(f"第{self.row}行" if lang == "zh" else f"row {self.row}")
        if self.column:
            parts.append(f"{self.column}列" if lang == "zh" else f"column {self.column}")
        if self.header:
            parts.append(f"“{self.header}”")
        return " ".join(parts)

    def sort_key(self) -> tuple[Any, ...]:
        """Order by row, then column, then severity."""
        column = (len(self.column), self.column) if self.column else (0, "")
        return (self.row or 0, column, LEVELS.get(self.level, 3))


def level_text(level: str, lang: str = "zh") -> str:
    """错误 / 警告 / 提示."""
    names = {
        ERROR: ("错误", "Error"),
        WARNING: ("警告", "Warning"),
        INFO: ("提示", "Note"),
    }.get(level, (level, level))
    return names[0] if lang == "zh" else names[1]


__all__ = ["ERROR", "INFO", "MESSAGES", "WARNING", "Issue", "IMPORT_MESSAGES", "level_text"]
