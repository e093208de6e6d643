"""What is wrong with an XLSForm, and where: a code, a sheet, a row, a column, a cell.

Messages live here in Chinese and English, the catalogue of the XLSForm checks; a value of
a problem's params may itself be ``{zh, en}`` (a feature's name, a reason).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Problems and notes, in the languages of the interface.
MESSAGES: dict[str, dict[str, str]] = {
    "read": {"zh": "无法读取文件：{detail}", "en": "The file cannot be read: {detail}"},
    "pyxform": {"zh": "XLSForm 格式错误：{detail}", "en": "The XLSForm is not valid: {detail}"},
    "type": {
        "zh": "题型“{value}”不支持（可用：text、integer、decimal、date、select_one、"
        "select_multiple、begin_group/end_group、begin_repeat/end_repeat）",
        "en": "The type “{value}” is not supported (use text, integer, decimal, date, "
        "select_one, select_multiple, groups and one repeat)",
    },
    "or_other": {
        "zh": "“or_other”（其他请注明）不支持，请在选项中加“其他”并另设一题",
        "en": "“or_other” is not supported; add an “other” choice and a question of its own",
    },
    "column": {
        "zh": "“{column}”列不支持（{feature}）",
        "en": "The column “{column}” is not supported ({feature})",
    },
    "sheet": {
        "zh": "“{sheet}”表（{feature}）暂不支持，已忽略",
        "en": "The sheet “{sheet}” ({feature}) is not supported yet and was ignored",
    },
    "setting": {
        "zh": "设置“{column}”不支持",
        "en": "The setting “{column}” is not supported",
    },
    "nested_repeat": {
        "zh": "重复组嵌套超过 {max} 层",
        "en": "Repeats nested more than {max} levels deep",
    },
    "second_repeat": {
        "zh": "一个问卷只能有一个重复组（已有“{other}”）",
        "en": "A survey may have one repeat only (“{other}” is one already)",
    },
    "name": {
        "zh": "名称“{value}”只能用字母、数字和下划线，且不能以数字开头",
        "en": "The name “{value}” may hold letters, digits and _ only, not starting with a digit",
    },
    "reserved": {
        "zh": "名称“{value}”是系统保留的，请换一个",
        "en": "The name “{value}” is reserved by the system; choose another",
    },
    "duplicate": {
        "zh": "名称“{value}”用了两次（分组展开后也须唯一）",
        "en": "The name “{value}” is used twice (names must stay unique without groups)",
    },
    "expression": {
        "zh": "表达式“{expr}”中的“{part}”不支持",
        "en": "“{part}” in “{expr}” is not supported",
    },
    "reference": {
        "zh": "表达式“{expr}”引用的“{name}”不是问卷中的问题",
        "en": "“{expr}” refers to “{name}”, which is not a question of the survey",
    },
    "scope": {
        "zh": "表达式“{expr}”引用的“{name}”在另一个重复组里（重复组外只能用 sum、count、"
        "min、max、indexed-repeat 读取重复组）",
        "en": "“{expr}” refers to “{name}” in another repeat (outside a repeat, read it with "
        "sum, count, min, max or indexed-repeat)",
    },
    "constraint": {
        "zh": "约束“{expr}”无法转换。支持（可用 and 连接）：. >= 数值、. <= 数值（整数题）、"
        ". <= today()（日期题）、string-length(.) <= 数值、regex(., '…')（文本题）",
        "en": "The constraint “{expr}” cannot be used. Supported, joined with and: . >= n, "
        ". <= n (integer), . <= today() (date), string-length(.) <= n, regex(., '…') (text)",
    },
    "required": {
        "zh": "必填“{value}”不支持，只能填 yes 或 no（不支持条件必填）",
        "en": "required “{value}” is not supported: use yes or no (no conditional required)",
    },
    "default": {
        "zh": "默认值“{value}”不支持（{why}）",
        "en": "The default “{value}” is not supported ({why})",
    },
    "definition": {"zh": "{detail}", "en": "{detail}"},
    "ignored_column": {
        "zh": "“{column}”列只影响显示，已忽略",
        "en": "The column “{column}” only changes the display and was ignored",
    },
    "unknown_column": {
        "zh": "“{column}”不是 XLSForm 的列，已忽略",
        "en": "“{column}” is not an XLSForm column and was ignored",
    },
    "ignored_setting": {
        "zh": "设置“{column}”只影响 ODK 的收发，已忽略",
        "en": "The setting “{column}” only matters to ODK's sending and was ignored",
    },
    "unknown_setting": {
        "zh": "“{column}”不是 XLSForm 的设置，已忽略",
        "en": "“{column}” is not an XLSForm setting and was ignored",
    },
    "left_out": {
        "zh": "{feature}：此题已略去，问卷其余部分照常使用",
        "en": "{feature}: this question was left out; the rest of the survey works",
    },
    "left_out_column": {
        "zh": "“{column}”列：{feature}",
        "en": "The column “{column}”: {feature}",
    },
    "rank": {
        "zh": "排序题按多选题收集（不记录先后顺序）",
        "en": "A rank question is asked as a multiple choice (the order is not kept)",
    },
    "metadata": {
        "zh": "“{value}”元数据已忽略（系统自动记录填表人和时间）",
        "en": "The “{value}” metadata was ignored (the system records who saved and when)",
    },
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
        texts = MESSAGES[self.code]
        params = {"column": self.column or "", "sheet": self.sheet}
        for key, value in self.params.items():  # a value may itself be {zh, en}
            params[key] = (value.get(lang) or value["zh"]) if isinstance(value, dict) else value
        template = texts.get(lang) or texts["zh"]
        try:
            return template.format(**params)
        except (KeyError, IndexError):
            return template

    def where(self, lang: str = "zh") -> str:
        """survey 表第 5 行 constraint 列（G5） / sheet survey, row 5, column constraint (G5)."""
        if "." in self.sheet:  # a file (a YAML definition), not a sheet
            text = self.sheet
        elif lang == "zh":
            text = f"{self.sheet} 表"
            text += f"第 {self.row} 行" if self.row else ""
            text += f" {self.column} 列" if self.column else ""
        else:
            text = f"sheet {self.sheet}"
            text += f", row {self.row}" if self.row else ""
            text += f", column {self.column}" if self.column else ""
        return (
            text + (f"（{self.cell}）" if lang == "zh" else f" ({self.cell})")
            if self.cell
            else text
        )

    def __str__(self) -> str:
        return f"{self.where()}：{self.message()}"


class XLSFormError(ValueError):
    """An XLSForm the tool refuses, with every problem found."""

    def __init__(self, problems: list[XLSFormProblem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems
