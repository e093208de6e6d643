"""What the importer reports, and where: one issue per cell, row, column or sheet.

Validation problems keep their codes and messages from ``census.domain.problems``; the
importer's own findings (notes rows, unknown columns, conflicting cells …) have their codes
here, each with its msgid of the one catalogue (``census.util.i18n``; the English in
``messages.po``). A value that differs by language comes as ``name_en`` beside ``name`` (or
``name_zh``), and each language's text names the one it shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from census.domain.problems import ERROR, MESSAGES, WARNING, Problem
from census.util.i18n import N_, gettext

INFO = "info"
LEVELS = {ERROR: 0, WARNING: 1, INFO: 2}
LEVEL_WORDS = {ERROR: N_("错误"), WARNING: N_("警告"), INFO: N_("提示")}

IMPORT_MESSAGES: dict[str, str] = {
    "file_type": N_("不支持 {ext} 文件，请另存为 .xlsx 或 .csv 后上传"),
    "file_unreadable": N_("无法读取该文件（{reason}），请确认是 Excel .xlsx 文件"),
    "csv_encoding": N_(
        "无法识别 CSV 文件的编码：第 {row} 行有无法解码的字节（{bytes}）。支持 UTF-8、GB18030/GBK "
        "和带 BOM 的 UTF-16；请在 Excel 中另存为“CSV UTF-8”后重新上传"
    ),
    "csv_binary": N_("文件第 {row} 行含有 NUL 等二进制字符，不是文本 CSV 文件"),
    "csv_broken": N_("CSV 文件“{sheet}”第 {row} 行无法解析（{reason}）"),
    "file_too_large": N_("文件大小为 {size}，超过上限 {limit}，未导入；请拆分成几个文件分别导入"),
    "file_empty": N_("文件“{name}”是空的（0 字节）"),
    "file_kind": N_("文件“{name}”的扩展名是 {ext}，但内容是{kind_zh}，不是表格文件"),
    "xls_old": N_(
        "文件“{name}”是旧版 Excel（.xls，97–2003）文件或设了打开密码的工作簿；请在 Excel 或 WPS 中"
        "去掉密码、另存为 .xlsx 后重新上传"
    ),
    "xlsx_is_text": N_(
        "无法读取该文件：“{name}”的扩展名是 {ext}，但内容是文本（CSV）；请把文件改名为 .csv 后重新"
        "上传"
    ),
    "csv_is_xlsx": N_(
        "文件“{name}”的扩展名是 {ext}，但内容是 Excel 工作簿；请把文件改名为 .xlsx 后重新上传"
    ),
    "xlsx_damaged": N_(
        "无法读取该文件：已损坏，不是完整的 .xlsx 工作簿（{reason}）；请在 Excel 或 WPS 中重新保存"
    ),
    "not_a_workbook": N_(
        "文件是 zip 压缩包，但其中没有 Excel 工作簿（xl/workbook.xml），可能是 Word 等其他文件"
    ),
    "too_many_parts": N_("工作簿包含 {count} 个部件，超过上限 {limit}，未读取"),
    "zip_method": N_(
        "工作簿中的“{part}”使用了不支持的压缩或加密方式（{method}）；请在 Excel 或 WPS 中重新保存"
    ),
    "part_too_large": N_(
        "工作簿中的“{part}”解压后为 {size}，超过上限 {limit}（可能是压缩炸弹），未导入"
    ),
    "archive_too_large": N_("工作簿解压后共 {size}，超过上限 {limit}（可能是压缩炸弹），未导入"),
    "xml_dtd": N_(
        "工作簿中的“{part}”含有 DOCTYPE 或实体（ENTITY）声明，出于安全原因不予读取；请在 Excel 或 "
        "WPS 中重新保存"
    ),
    "too_many_sheets": N_("工作簿有 {count} 个工作表，超过上限 {limit}"),
    "too_many_rows": N_(
        "工作表“{sheet}”第 {row} 行有内容，超出上限：每个工作表最多 {limit} 行；请拆分后分别导入"
    ),
    "too_many_columns": N_(
        "工作表“{sheet}”第 {row} 行 {column} 列有内容，超出上限：最多 {limit} 列（A–{last} 列）"
    ),
    "too_many_cells": N_(
        "文件的单元格超过 {limit} 个（到工作表“{sheet}”第 {row} 行时），未导入；请拆分后分别导入"
    ),
    "merge_too_large": N_(
        "工作表“{sheet}”的合并单元格 {range} 覆盖 {cells} 个单元格，超过上限 {limit}"
    ),
    "too_many_merges": N_("工作表“{sheet}”的合并单元格超过 {limit} 处"),
    "cell_too_long": N_(
        "工作表“{sheet}”第 {row} 行 {column} 列的内容有 {length} 个字符，超过单元格上限 {limit} 个"
        "字符（与 Excel 相同），未导入"
    ),
    "row_too_large": N_("工作表“{sheet}”第 {row} 行附近的一行数据超过 {limit}，无法读取"),
    "too_many_strings": N_("工作簿中的“{part}”有超过 {limit} 个共享字符串，未导入"),
    "string_too_large": N_("工作簿中的“{part}”第 {index} 个共享字符串超过 {limit}，无法读取"),
    "slow_too_large": N_(
        "该工作簿的写法需要用较慢的方式读取，而它有 {cells} 个单元格，超过这种方式的上限 {limit} "
        "个；请用 Excel 或 WPS 打开后另存为 .xlsx 再上传"
    ),
    "no_header": N_("工作表“{sheet}”的前 {rows} 行中没有可识别的表头，未导入"),
    "no_table": N_("文件中没有可导入的{form}表格（需要“{anchor}”等列名）"),
    "note_row": N_("说明行，已跳过：{text}"),
    "repeated_header": N_("重复的表头行，已跳过"),
    "instructions_row": N_("填写说明行（不是数据），已跳过：{text}"),
    "example_row": N_("示例行，已跳过：{text}"),
    "skipped_row": N_("按指定跳过此行：{text}"),
    "address_unsplit": N_(
        "无法从“{value}”中分出楼栋、单元和室号；可写成 1单元101室、3-1-101（楼栋-单元-室）、1单元1"
        "层101 或 3-101（本次按{pattern}读），楼栋与楼栋列一致，或把单元、室/门牌号分列填写"
    ),
    "missing_column": N_(
        "表中没有“{field}”列（必填）：{count} 户照常导入，标为待核实（待审核），请入户核实后补填"
    ),
    "missing_member_column": N_(
        "表中没有成员的“{field}”列（必填）：{people} 人（{count} 户）照常导入，标为待核实（待审核"
        "），请入户核实后补填"
    ),
    "date_unreadable": N_(
        "“{value}”不是完整的日期；日期可写 1990-01-02、1990/1/2、1990.1.2、1990年1月2日 或 1990010"
        "2（或 Excel 日期单元格）"
    ),
    "date_not_real": N_(
        "“{value}”不是真实存在的日期，请核对年、月、日；日期可写 1990-01-02、1990/1/2、1990.1.2、1"
        "990年1月2日 或 19900102"
    ),
    "choice_not_allowed": N_("“{value}”不是“{field}”的可选值；可填：{allowed}"),
    "choice_not_close": N_(
        "“{value}”不是“{field}”的可选值；相近的有：{allowed}（共 {count} 项，见导入模板的下拉列表）"
    ),
    "choice_unknown": N_(
        "“{value}”不是“{field}”的可选值（共 {count} 项，见导入模板的下拉列表或填表说明）"
    ),
    "required_blank": N_("“{field}”为空：此项必填{allowed}"),
    "flag_invalid": N_("“{value}”不是“{field}”的值；可填 是/否 或 1/0"),
    "flag_date_missing": N_("“{field}”为是，但“{date}”为空；请填写日期（如 2020-01-02）"),
    "flag_date_ignored": N_("“{field}”为否，“{date}”（{value}）未导入"),
    "living_elsewhere": N_("人户分离：{name} 记为外出人员{where}"),
    "unknown_column": N_("无法识别列名“{header}”，该列未导入（可手工指定对应的字段）"),
    "duplicate_column": N_("该列与 {other} 列对应同一字段“{field}”，未导入"),
    "no_grid": N_("{count} 户的“{field}”写作{values}，视为不属于任何网格，未建立这样的网格"),
    "id_number_as_number": N_(
        "证件号码被 Excel 存成了数字（{value}），末几位已丢失；请把该列设为文本后重新填写"
    ),
    "no_household_key": N_("无法确定属于哪一户：户编号为空，楼栋和室/门牌号也不全"),
    "household_conflict": N_("同一户各行的值不一致：第 {other_row} 行为“{other}”，此行为“{value}”"),
    "id_duplicate_in_file": N_(
        "证件号码与第 {other_row} 行（{other_sheet}）重复，同一人登记在两户"
    ),
    "ids_in_several": N_(
        "本户成员的证件号码分属库中多户（{households}），无法确定对应哪一户，请先核对"
    ),
    "matched_twice": N_("与第 {other_row} 行对应库中同一条记录（{target}），请核对"),
    "extra_phones": N_("另有电话 {phones}，已写入备注"),
    "grid_mismatch": N_("楼栋“{building}”属于“{stored}”，表中为“{value}”，未修改"),
    "member_kept": N_("库中成员 {name} 不在表中，予以保留"),
    "household_rejected": N_("同一户的第 {rows} 行有错误，整户未导入"),
    "changed_meanwhile": N_("校验后该记录已被他人修改，未更新，请重新校验"),
    "not_saved": N_("未能保存：{reason}"),
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
            text = gettext(IMPORT_MESSAGES[code], lang, **self.params)
        else:
            text = Problem(self.code, params=self.params).message(lang)
        if self.subject:
            text = gettext("（{subject}）{text}", lang, subject=self.subject, text=text)
        return text

    def where(self, lang: str = "zh") -> str:
        """Row and column as staff say it: 第5行 E列“证件号码”."""
        parts = []
        if self.row is not None:
            parts.append(gettext("第{row}行", lang, row=self.row))
        if self.column:
            parts.append(gettext("{column}列", lang, column=self.column))
        if self.header:
            parts.append(f"“{self.header}”")
        return " ".join(parts)

    def sort_key(self) -> tuple[Any, ...]:
        """Order by row, then column, then severity."""
        column = (len(self.column), self.column) if self.column else (0, "")
        return (self.row or 0, column, LEVELS.get(self.level, 3))


def level_text(level: str, lang: str = "zh") -> str:
    """错误 / 警告 / 提示."""
    return gettext(LEVEL_WORDS[level], lang) if level in LEVEL_WORDS else level


__all__ = ["ERROR", "INFO", "MESSAGES", "WARNING", "Issue", "IMPORT_MESSAGES", "level_text"]
