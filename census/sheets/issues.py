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
        "zh": "无法识别 CSV 文件的编码（支持 UTF-8 和 GB18030/GBK）",
        "en": "The CSV encoding is not recognised (UTF-8 and GB18030/GBK are)",
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
        if self.code in IMPORT_MESSAGES:
            texts = IMPORT_MESSAGES[self.code]
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
