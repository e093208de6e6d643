"""What is wrong with an XLSForm, and where: a code, a sheet, a row, a column, a cell.

Each code has its msgid of the one catalogue (``census.util.i18n``; the English in
``messages.po``); a value of a problem's params may itself be ``{zh, en}`` (a feature's
name, a reason), and a definition's own problem (``definition``) is said in its own words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from census.util.i18n import N_, gettext

# Problems and notes: code -> msgid.
MESSAGES: dict[str, str] = {
    "read": N_("无法读取文件：{detail}"),
    "pyxform": N_("XLSForm 格式错误：{detail}"),
    "type": N_(
        "题型“{value}”不支持（可用：text、integer、decimal、date、time、dateTime、select_one、"
        "select_multiple、rank、note、calculate、hidden、acknowledge、geopoint、image、"
        "begin_group、begin_repeat；重复组可以有多个，也可以嵌套，最多 {max} 层）"
    ),
    "or_other": N_("“or_other”（其他请注明）不支持，请在选项中加“其他”并另设一题"),
    "column": N_("“{column}”列不支持（{feature}）"),
    "sheet": N_("“{sheet}”表（{feature}）暂不支持，已忽略"),
    "setting": N_("设置“{column}”不支持"),
    "nested_repeat": N_("重复组嵌套超过 {max} 层"),
    "name": N_("名称“{value}”只能用字母、数字和下划线，且不能以数字开头"),
    "reserved": N_("名称“{value}”是系统保留的，请换一个"),
    "duplicate": N_("名称“{value}”用了两次（分组展开后也须唯一）"),
    "expression": N_("表达式“{expr}”中的“{part}”不支持"),
    "reference": N_("表达式“{expr}”引用的“{name}”不是问卷中的问题"),
    "scope": N_(
        "表达式“{expr}”引用的“{name}”在另一个重复组里（重复组外只能用 sum、count、min、max、indexe"
        "d-repeat 读取重复组）"
    ),
    "constraint": N_(
        "约束“{expr}”无法转换。支持（可用 and 连接）：. >= 数值、. <= 数值（整数题）、. <= today()"
        "（日期题）、string-length(.) <= 数值、regex(., '…')（文本题）"
    ),
    "required": N_("必填“{value}”不支持，只能填 yes 或 no（不支持条件必填）"),
    "default": N_("默认值“{value}”不支持（{why}）"),
    "ignored_column": N_("“{column}”列只影响显示，已忽略"),
    "unknown_column": N_("“{column}”不是 XLSForm 的列，已忽略"),
    "ignored_setting": N_("设置“{column}”只影响 ODK 的收发，已忽略"),
    "unknown_setting": N_("“{column}”不是 XLSForm 的设置，已忽略"),
    "left_out": N_("{feature}：此题已略去，问卷其余部分照常使用"),
    "left_out_column": N_("“{column}”列：{feature}"),
    "rank": N_("排序题按多选题收集（不记录先后顺序）"),
    "bare_word": N_("“{expr}”中的“{value}”不是选项表的列，按文字“{value}”读取"),
    "metadata": N_("“{value}”元数据已忽略（系统自动记录填表人和时间）"),
}


@dataclass(frozen=True)
class XLSFormProblem:
    """A finding in an XLSForm: what, and where (sheet, row number, column header, cell)."""

    code: str
    sheet: str = "survey"
    row: int | None = None
    column: str | None = None
    cell: str | None = None
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def message(self, lang: str = "zh") -> str:
        """What is wrong, in a language."""
        params = {"column": self.column or "", "sheet": self.sheet}
        for key, value in self.params.items():  # a value may itself be {zh, en}
            params[key] = (value.get(lang) or value["zh"]) if isinstance(value, dict) else value
        if self.code == "definition":  # already in its own words
            return str(params.get("detail", "{detail}"))
        return gettext(MESSAGES[self.code], lang, **params)

    def where(self, lang: str = "zh") -> str:
        """survey 表第 5 行 constraint 列（G5） / sheet survey, row 5, column constraint (G5)."""
        if "." in self.sheet:  # a file (a YAML definition), not a sheet
            text = self.sheet
        else:
            text = gettext("{sheet} 表", lang, sheet=self.sheet)
            text += gettext("第 {row} 行", lang, row=self.row) if self.row else ""
            text += gettext(" {column} 列", lang, column=self.column) if self.column else ""
        return text + gettext("（{cell}）", lang, cell=self.cell) if self.cell else text

    def __str__(self) -> str:
        return f"{self.where()}：{self.message()}"


class XLSFormError(ValueError):
    """An XLSForm the tool refuses, with every problem found."""

    def __init__(self, problems: list[XLSFormProblem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems
