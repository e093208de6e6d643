"""The blank workbook staff fill in: the Chinese headers, an example, and a notes sheet.

The household template is the person sheet of docs/domain.md §7: one row per person, the
household's columns repeated (or left to 户编号). The notes sheet lists every column: is
it required, which words it takes, which formats are understood.

Every code column has a drop-down list (Excel data validation) of its words, kept on a
hidden sheet (选项: 民族 alone is longer than the 255 characters an inline list may hold);
a word outside the list only warns, since the import also takes short forms (汉, 党员).
The example rows are marked （示例） after the name and the import skips them, so a
template filled in below its example imports as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from census.domain.codes import choice_lists
from census.domain.ids import make_resident_id
from census.sheets.vocabulary import Target, Vocabulary, vocabulary
from census.sheets.writer import sheet_title
from census.surveys.definition import FormDef

NOTES_SHEET = "填表说明"
LISTS_SHEET = "选项"  # hidden: the words of every drop-down list
TEMPLATE_ROWS = 1000  # rows below the header formatted and given drop-downs
EXAMPLE = "（示例）"  # after the name of an example row: the import skips the row
TEXT_COLUMNS = ("id_number", "phone", "uscc")  # typed as text, or Excel drops digits
GENERAL_NOTES = {
    "household": [
        "一行填一人。户编号相同的各行为同一户；不填户编号时，楼栋、单元、室/门牌号都相同的各行为同一户。",
        "每户须有且只有一位“户主”。同一户各行的住房性质等住户信息应一致，只填在第一行也可以。",
        "出生日期、性别可不填，按居民身份证号码自动填写；填了而与号码不符时会报错。",
        "日期可写 1990-01-02、1990/1/2、1990.1.2、1990年1月2日 或 19900102。",
        "多个电话用“；”分隔，第一个记为联系电话，其余写入备注；多个特殊情况用“、”分隔。",
        "再次导入同一文件不会重复登记：按户编号（或成员的证件号码）找到已有住户，只更新变化的内容。",
        "第 2、3 行是示例（姓名后注明“（示例）”），导入时自动跳过，可保留也可删除。",
        "住房性质、与户主关系等列可从下拉列表选择；也可填简写（如 汉、党员），导入时识别。",
    ],
    "storefront": [
        "一行填一个门面/个体工商户。再次导入时按统一社会信用代码（或店名+地址）找到已有记录并更新。",
        "第 2 行是示例（店名后注明“（示例）”），导入时自动跳过，可保留也可删除。",
    ],
    "unit": [
        "一行填一个驻辖区单位。再次导入时按单位名称+地址找到已有记录并更新。",
        "第 2 行是示例（单位名称后注明“（示例）”），导入时自动跳过，可保留也可删除。",
    ],
}


def template_columns(vocab: Vocabulary) -> list[str]:
    """The template's columns, in form order: the grid (when the importer takes one) before
    the building, and on a sheet with a row per person (the household's), the members'
    fields where the roster stands (备注 after them). A field added to the form is a column."""
    keys: list[str] = []
    for f in vocab.form.fields:
        if f.type == "repeat":
            if vocab.per_person:
                keys += [k for k, t in vocab.targets.items() if t.member]
            continue
        if f.key == "building" and "grid" in vocab.targets:
            keys.append("grid")
        keys.append(f.key)
    return keys


def _household_examples() -> list[dict[str, Any]]:
    house = {
        "household_no": "H0001",
        "grid": "第一网格",
        "building": "1栋",
        "unit": "1",
        "room": "101",
        "housing": "自有",
    }
    head = date(1968, 5, 12)
    spouse = date(1970, 9, 3)
    return [
        house
        | {
            "members.name": "张建国" + EXAMPLE,
            "members.relation": "户主",
            "members.id_number": make_resident_id("110105", head, 21, "male"),
            "members.ethnicity": "汉族",
            "members.residence_type": "户籍人口",
            "members.phone": "13912345678",
            "members.political": "中共党员",
            "members.conditions": "退役军人",
        },
        {
            "household_no": "H0001",
            "members.name": "李秀兰" + EXAMPLE,
            "members.relation": "配偶",
            "members.id_number": make_resident_id("110105", spouse, 22, "female"),
            "members.ethnicity": "回族",
            "members.residence_type": "户籍人口",
        },
    ]


# The example rows of each form's template (column key -> cell), under the headers.
EXAMPLES: dict[str, Callable[[], list[dict[str, Any]]]] = {
    "household": _household_examples,
    "storefront": lambda: [
        {
            "name": "佐斯腾拉面馆" + EXAMPLE,
            "address": "佐斯腾路10号",
            "category": "餐饮",
            "operator_name": "马明",
            "operator_phone": "13912345678",
            "employees": 3,
            "status": "营业",
        }
    ],
    "unit": lambda: [
        {
            "name": "佐斯腾小学" + EXAMPLE,
            "kind": "学校",
            "address": "佐斯腾路41号",
            "staff_count": 60,
        }
    ],
}


def _examples(form: FormDef) -> list[dict[str, Any]]:
    return EXAMPLES[form.name]() if form.name in EXAMPLES else []


def _allowed(target: Target) -> str:
    """Which words or formats a column takes."""
    if target.choices == "ethnicity":
        return "民族全称，如 汉族、回族、维吾尔族；也可简写为 汉、回、维吾尔"
    if target.choices:
        entries = target.items if target.items is not None else choice_lists()[target.choices]
        words = "、".join(names["zh"] for names in entries.values())
        return words + ("（可填多个，用“、”分隔）" if target.type == "select_many" else "")
    return {
        "date": "日期，如 1990-01-02；也可写 1990/1/2、1990.1.2、1990年1月2日 或 19900102",
        "id_number": "居民身份证 18 位，末位可为 X（第一代 15 位号码自动升级为 18 位）；"
        "请保持该列为文本格式",
        "phone": "手机 11 位，或座机如 0991-1234567",
        "yes_no": "是 / 否",
        "integer": "整数",
        "uscc": "18 位统一社会信用代码",
    }.get(target.type, "文字")


def _words(target: Target) -> list[str]:
    """The words a column's drop-down offers (none for a column without a code list)."""
    if target.type == "yes_no":
        return ["是", "否"]
    if not target.choices and target.items is None:
        return []
    entries = target.items if target.items is not None else choice_lists()[target.choices or ""]
    return [names["zh"] for names in entries.values()]


def _drop_downs(book: Workbook, ws: Worksheet, vocab: Vocabulary, keys: list[str]) -> None:
    """A drop-down list on every code column of the first sheet, its words on a hidden sheet.

    One choice (住房性质, 民族) warns on a word outside the list and lets it stand; several
    choices (特殊情况: 残疾、退役军人) show the list without checking, as a cell may hold more
    than one of its words.
    """
    lists: Worksheet | None = None
    used = 0  # columns of the lists sheet filled so far
    for index, key in enumerate(keys, 1):
        target = vocab.targets[key]
        words = _words(target)
        if not words:
            continue
        if lists is None:
            lists = book.create_sheet(LISTS_SHEET)
            lists.sheet_state = "hidden"
        used += 1
        column = get_column_letter(used)
        lists[f"{column}1"] = target.text("zh")
        for n, word in enumerate(words, 2):
            lists[f"{column}{n}"] = word
        several = target.type == "select_many"
        check = DataValidation(
            type="list",
            formula1=f"'{LISTS_SHEET}'!${column}$2:${column}${len(words) + 1}",
            allow_blank=True,
            showErrorMessage=not several,
            errorStyle="warning",
            errorTitle=target.text("zh"),
            error="不在下拉列表中；导入时也识别简写，确认无误可继续" if not several else None,
            promptTitle=target.text("zh"),
            prompt="可填多个，用“、”分隔" if several else "从下拉列表选择",
            showInputMessage=True,
        )
        letter = get_column_letter(index)
        check.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
        ws.add_data_validation(check)


def write_template(target: str | IO[bytes], form: FormDef) -> None:
    """Write the template workbook of a form."""
    vocab = vocabulary(form)
    keys = template_columns(vocab)
    book = Workbook()
    ws = book.active
    ws.title = sheet_title(form.text("zh"))
    bold = Font(bold=True)
    ws.append([vocab.targets[k].text("zh") for k in keys])
    for cell in ws[1]:
        cell.font = bold
    for example in _examples(form):
        ws.append([example.get(k) for k in keys])
    for index, key in enumerate(keys, 1):
        letter = get_column_letter(index)
        title = vocab.targets[key].text("zh")
        ws.column_dimensions[letter].width = max(10, 2 * len(title) + 4)
        if vocab.targets[key].type in TEXT_COLUMNS:
            ws.column_dimensions[letter].width = 22
            for row in range(2, TEMPLATE_ROWS + 1):
                ws.cell(row, index).number_format = "@"
    ws.freeze_panes = "A2"
    notes = book.create_sheet(NOTES_SHEET)
    for text in GENERAL_NOTES.get(form.name, ()):
        notes.append([text])
    notes.append([])
    notes.append(["列名", "必填", "可填的值或格式", "说明"])
    for cell in notes[notes.max_row]:
        cell.font = bold
    for key in keys:
        t = vocab.targets[key]
        f = None if t.extra else form.field(key)
        required = "是" if f is not None and f.required and not f.relevant_source else ""
        if f is not None and f.required and f.relevant_source:
            required = "视情况"
        hint = f.hint_text("zh") if f is not None else ""
        if key == "grid":
            hint = "楼栋所属网格；新楼栋按此登记"
        notes.append([t.text("zh"), required, _allowed(t), hint])
    notes.column_dimensions["A"].width = 16
    notes.column_dimensions["C"].width = 60
    notes.column_dimensions["D"].width = 30
    for row in notes.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    _drop_downs(book, ws, vocab, keys)  # its words' sheet after the notes, hidden
    book.save(target)
