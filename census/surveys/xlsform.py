"""XLSForm (.xlsx) -> our definition dict, read with pyxform: the pipeline of the survey forms.

1. pyxform reads the workbook (``get_xlsform``): every sheet as rows, empty rows kept, so
   a row's index gives its row number in the sheet.
2. Our checks on those rows: a type or a column the tool cannot do (calculate, geopoint,
   images, choice_filter, repeat_count …) is a problem naming its sheet, row and column.
3. pyxform builds the JSON survey (``workbook_to_json``), with its own checks (unbalanced
   groups, unknown lists …): its errors are reported as they come, with their row.
4. The JSON survey becomes our definition: groups flattened (a group's ``relevant`` joins
   each of its questions'), one repeat, select lists kept with the survey, labels per
   language, ``${f} = 'x'`` skip logic in our expression language, constraints as the
   rules our forms check (min, max, max_length, pattern, past). What cannot be said in
   our terms is again a problem with its row and column.

A file with any problem is refused as a whole: a survey that half works is worse than
none. Things that change nothing about the data (an ``appearance``, a message column, a
comment column) are ignored and listed as notes.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from pyxform import aliases
from pyxform.errors import PyXFormError
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import get_xlsform

# Names a question may not take: keys every stored record already has, and the names a
# web form already uses (WTForms' own attributes, the CSRF field, the form's buttons).
RESERVED_KEYS = {
    "id", "_rev", "uuid", "created_at", "created_by", "updated_at", "updated_by",
    "submission_hash", "surveyor", "visited_at", "visit_outcome", "review_state",
    "reviewed_by", "reviewed_at", "merged_into", "merged_from", "merged_at",
    "data", "errors", "process", "post_process", "populate_obj", "validate",
    "validate_on_submit", "hidden_tag", "is_submitted", "meta", "definition", "warnings",
    "csrf_token", "save", "add_item", "remove_item",
}  # fmt: skip

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
        "zh": "“{sheet}”表不支持（{feature}）",
        "en": "The sheet “{sheet}” is not supported ({feature})",
    },
    "setting": {
        "zh": "设置“{column}”不支持",
        "en": "The setting “{column}” is not supported",
    },
    "nested_repeat": {
        "zh": "重复组里不能再有重复组（只支持一层重复）",
        "en": "A repeat inside a repeat is not supported (one level only)",
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
        "zh": "表达式“{expr}”引用的“{name}”不在同一层（重复组内外的问题不能互相引用）",
        "en": "“{expr}” refers to “{name}” across a repeat (inside and outside cannot mix)",
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


@dataclass
class Translation:
    """A translated XLSForm: our definition dict and the notes on what was ignored."""

    definition: dict[str, Any]
    notes: list[XLSFormProblem]


# --- 1-2. the rows as the sheet has them -----------------------------------------------------

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


def _kind(raw_type: str) -> tuple[str, str]:
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


class _Sheet:
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


def _letters(data: bytes) -> dict[str, dict[str, str]]:
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


def _row_checks(survey: _Sheet, notes: list[XLSFormProblem]) -> list[XLSFormProblem]:
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
        what, arg = _kind(raw_type)
        if what == "other":
            problems.append(survey.problem("type", number, "type", value=arg))
        elif what == "or_other":
            problems.append(survey.problem("or_other", number, "type", value=arg))
        elif what == "metadata":
            notes.append(survey.problem("metadata", number, "type", value=arg))
    return problems


def _other_sheet_checks(sheets: dict[str, _Sheet], notes: list[XLSFormProblem]) -> list:
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


# --- 3-4. the JSON survey -> our fields ------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
      \$\{(?P<ref>[^}]*)\}
    | (?P<str>'[^']*'|"[^"]*")
    | (?P<num>\d+(?:\.\d+)?)
    | (?P<op><=|>=|!=|=|<|>)
    | (?P<lp>\() | (?P<rp>\)) | (?P<comma>,)
    | (?P<word>[A-Za-z_][\w:.-]*)
    | (?P<dot>\.(?![\w.]))
    | (?P<bad>\S+?)
    )""",
    re.VERBOSE,
)


class _Unsupported(Exception):
    def __init__(self, part: str):
        super().__init__(part)
        self.part = part


def _tokens(text: str) -> list[tuple[str, str]]:
    out = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            break
        pos = m.end()
        kind = m.lastgroup or "bad"
        value = m.group(kind)
        if kind == "word" and value.lower() in ("and", "or"):
            kind = value.lower()
        if kind == "bad" or (kind == "word" and value in ("div", "mod")):
            raise _Unsupported(value)
        out.append((kind, value))
    return out


class _Parser:
    """XLSForm expressions (a part of XPath) -> a small tree: or, and, not, cmp, calls, values."""

    def __init__(self, text: str):
        self.items = _tokens(text)
        self.pos = 0

    def peek(self) -> tuple[str, str]:
        return self.items[self.pos] if self.pos < len(self.items) else ("end", "")

    def take(self, kind: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token[0] == "end" or (kind and token[0] != kind):
            raise _Unsupported(token[1] or "…")
        self.pos += 1
        return token

    def parse(self) -> tuple:
        tree = self.or_()
        if self.peek()[0] != "end":
            raise _Unsupported(self.peek()[1])
        return tree

    def or_(self) -> tuple:
        parts = [self.and_()]
        while self.peek()[0] == "or":
            self.take()
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else ("or", parts)

    def and_(self) -> tuple:
        parts = [self.cmp()]
        while self.peek()[0] == "and":
            self.take()
            parts.append(self.cmp())
        return parts[0] if len(parts) == 1 else ("and", parts)

    def cmp(self) -> tuple:
        left = self.primary()
        if self.peek()[0] == "op":
            op = self.take()[1]
            return ("cmp", op, left, self.primary())
        return left

    def primary(self) -> tuple:
        kind, value = self.take()
        if kind == "lp":
            inner = self.or_()
            self.take("rp")
            return ("group", inner)
        if kind == "ref":
            return ("ref", value.strip())
        if kind == "str":
            return ("str", value[1:-1])
        if kind == "num":
            return ("num", float(value) if "." in value else int(value))
        if kind == "dot":
            return ("dot",)
        if kind == "word" and self.peek()[0] == "lp":
            self.take("lp")
            args = []
            while self.peek()[0] != "rp":
                args.append(self.or_())
                if self.peek()[0] == "comma":
                    self.take()
            self.take("rp")
            return ("call", value, args)
        raise _Unsupported(value)


def _literal(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class _Form:
    """What the translation knows of the survey: each question's row, type and level."""

    def __init__(self, survey: _Sheet):
        self.survey = survey
        self.rows: dict[tuple[str, ...], int] = {}
        self.by_name: dict[str, int] = {}
        stack: list[str] = []
        for number, row in survey.numbered():
            what, _arg = _kind(str(row.get("type") or ""))
            name = str(row.get("name") or "").strip()
            if what in ("end_group", "end_repeat"):
                if stack:
                    stack.pop()
                continue
            if name:
                self.rows.setdefault((*stack, name), number)
                self.by_name.setdefault(name, number)
            if what in ("begin_group", "begin_repeat"):
                stack.append(name)
        self.types: dict[str, str] = {}  # question name -> our type
        self.level: dict[str, str | None] = {}  # question name -> its repeat (None: top)

    def row(self, path: tuple[str, ...]) -> int | None:
        return self.rows.get(path) or self.by_name.get(path[-1] if path else "")

    def problem(self, code: str, path: tuple[str, ...], column: str | None, **params: Any):
        return self.survey.problem(code, self.row(path), column, **params)

    def relevant(self, tree: tuple, expr: str, level: str | None) -> str:
        """A relevant expression in our language, read at a level (top, or inside a repeat)."""
        kind = tree[0]
        if kind in ("or", "and"):
            return f" {kind} ".join(f"({self.relevant(t, expr, level)})" for t in tree[1])
        if kind == "group":
            return self.relevant(tree[1], expr, level)
        if kind == "call" and tree[1] == "not" and len(tree[2]) == 1:
            return f"not ({self.relevant(tree[2][0], expr, level)})"
        if kind == "call" and tree[1] in ("true", "false") and not tree[2]:
            return "True" if tree[1] == "true" else "False"
        if kind == "call" and tree[1] == "selected" and len(tree[2]) == 2:
            ref, code = tree[2]
            if ref[0] != "ref" or code[0] != "str":
                raise _Unsupported("selected(…)")
            name = self.ref(ref[1], expr, level)
            if self.types[name] == "select_many":
                return f"{_literal(code[1])} in {name}"
            return f"{name} == {_literal(code[1])}"
        if kind == "ref":  # a bare ${x}: answered
            name = self.ref(tree[1], expr, level)
            return name if self.types[name] == "select_many" else f"{name} != None"
        if kind == "cmp":
            return self.comparison(tree, expr, level)
        raise _Unsupported(_show(tree))

    def comparison(self, tree: tuple, expr: str, level: str | None) -> str:
        _kind_, op, left, right = tree
        if right[0] == "ref" and left[0] != "ref":
            flipped = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(op, op)
            return self.comparison(("cmp", flipped, right, left), expr, level)
        if left[0] != "ref" or right[0] not in ("ref", "str", "num"):
            raise _Unsupported(_show(tree))
        name = self.ref(left[1], expr, level)
        kind = self.types[name]
        if right[0] == "ref":
            other = self.ref(right[1], expr, level)
            if op in ("=", "!="):  # numbers typed in the browser are text: compare as text
                raise _Unsupported(_show(tree))
            return f"{name} {op} {other}"
        value = right[1]
        if kind == "select_many":
            raise _Unsupported(_show(tree))  # use selected()
        if op in ("=", "!=") and value == "":
            return f"{name} {'==' if op == '=' else '!='} None"
        if kind in ("integer", "decimal") and right[0] == "num":
            if kind == "decimal":
                raise _Unsupported(_show(tree))
            if op in ("=", "!="):
                # the browser reads numbers as text; a range compares alike on both sides
                same = f"{name} >= {value} and {name} <= {value}"
                return same if op == "=" else f"not ({same})"
            return f"{name} {op} {value}"
        if right[0] == "num":
            value = str(value)
        if op in ("=", "!="):
            return f"{name} {'==' if op == '=' else '!='} {_literal(value)}"
        if kind == "date":
            return f"{name} {op} {_literal(value)}"
        raise _Unsupported(_show(tree))

    def ref(self, name: str, expr: str, level: str | None) -> str:
        if name not in self.types:
            raise _BadRef("reference", name)
        if self.level[name] != level:
            raise _BadRef("scope", name)
        return name


class _BadRef(Exception):
    def __init__(self, code: str, name: str):
        super().__init__(name)
        self.code, self.name = code, name


def _show(tree: tuple) -> str:
    kind = tree[0]
    if kind == "ref":
        return "${" + tree[1] + "}"
    if kind == "str":
        return f"'{tree[1]}'"
    if kind == "num":
        return str(tree[1])
    if kind == "dot":
        return "."
    if kind == "call":
        return f"{tree[1]}({', '.join(_show(a) for a in tree[2])})"
    if kind == "cmp":
        return f"{_show(tree[2])} {tree[1]} {_show(tree[3])}"
    if kind == "group":
        return f"({_show(tree[1])})"
    return f" {kind} ".join(_show(t) for t in tree[1])


def _atoms(tree: tuple) -> list[tuple]:
    if tree[0] == "and":
        return [a for t in tree[1] for a in _atoms(t)]
    if tree[0] == "group":
        return _atoms(tree[1])
    return [tree]


def _subject(side: tuple) -> bool:
    """The answer itself (.) or its length, as a side of a constraint's comparison."""
    return side == ("dot",) or side == ("call", "string-length", [("dot",)])


def _constraint(tree: tuple, kind: str) -> dict[str, Any]:
    """A constraint as our rules (min, max, max_length, pattern, past); raises _Unsupported."""
    rules: dict[str, Any] = {}
    for atom in _atoms(tree):
        if atom[0] == "call" and atom[1] == "regex" and kind == "text":
            args = atom[2]
            if len(args) == 2 and args[0] == ("dot",) and args[1][0] == "str":
                pattern = args[1][1]
                if pattern.startswith("^") and pattern.endswith("$"):
                    pattern = pattern[1:-1]
                else:  # XPath regex() finds the pattern anywhere in the answer
                    pattern = f".*(?:{pattern}).*"
                rules["pattern"] = pattern
                continue
            raise _Unsupported(_show(atom))
        if atom[0] != "cmp":
            raise _Unsupported(_show(atom))
        _c, op, left, right = atom
        if _subject(right) and not _subject(left):  # 0 <= . reads as . >= 0
            op = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(op, op)
            left, right = right, left
        if left == ("dot",) and right[0] == "num" and kind == "integer":
            n = right[1]
            if not isinstance(n, int) or op in ("=", "!="):
                raise _Unsupported(_show(atom))
            if op in (">", ">="):
                low = n + 1 if op == ">" else n
                rules["min"] = max(rules.get("min", low), low)
            else:
                high = n - 1 if op == "<" else n
                rules["max"] = min(rules.get("max", high), high)
            continue
        if left == ("dot",) and right == ("call", "today", []) and op == "<=" and kind == "date":
            rules["past"] = True
            continue
        if (
            left == ("call", "string-length", [("dot",)])
            and right[0] == "num"
            and isinstance(right[1], int)
            and op in ("<", "<=")
            and kind == "text"
        ):
            rules["max_length"] = right[1] - 1 if op == "<" else right[1]
            continue
        raise _Unsupported(_show(atom))
    return rules


_LANG_CODE = re.compile(r"\(\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?\s*\)\s*$")
_LANG_NAMES = {"chinese": "zh", "中文": "zh", "汉语": "zh", "english": "en", "英文": "en"}


def _lang(name: str) -> str:
    found = _LANG_CODE.search(name)
    if found:
        return found.group(1).lower()
    return _LANG_NAMES.get(name.strip().lower(), name.strip().lower())


def _texts(value: Any, fallback: str) -> dict[str, str]:
    """A label or hint per language, with a zh text (the default language, else the first)."""
    if value is None or value == "" or value == {}:
        return {"zh": fallback}
    if isinstance(value, str):
        return {"zh": value}
    texts: dict[str, str] = {}
    for name, text in value.items():
        if text in (None, ""):
            continue
        texts.setdefault(_lang(str(name)), str(text))
    if "zh" not in texts:
        texts["zh"] = texts.get("default") or next(iter(texts.values()), fallback)
    texts.pop("default", None)
    return texts


class _Translator:
    def __init__(self, form: _Form, problems: list[XLSFormProblem], notes: list[XLSFormProblem]):
        self.form, self.problems, self.notes = form, problems, notes
        self.repeat: str | None = None
        self.lists: set[str] = set()

    def collect(self, children: list[dict[str, Any]], level: str | None) -> None:
        """Record each question's type and level (for references) before translating."""
        for child in children:
            kind = child.get("type")
            if kind == "group":
                self.collect(child.get("children") or [], level)
            elif kind == "repeat":
                self.collect(child.get("children") or [], child["name"])
            elif kind in ("select one", "select all that apply"):
                name = child["name"]
                self.form.types[name] = "select_one" if kind == "select one" else "select_many"
                self.form.level[name] = level
            elif kind in PLAIN_TYPES:
                self.form.types[child["name"]] = PLAIN_TYPES[kind]
                self.form.level[child["name"]] = level

    def expression(self, text: str, path: tuple[str, ...], level: str | None) -> str | None:
        try:
            return self.form.relevant(_Parser(text).parse(), text, level)
        except _Unsupported as exc:
            self.problems.append(
                self.form.problem("expression", path, "relevant", expr=text, part=exc.part)
            )
        except _BadRef as exc:
            self.problems.append(
                self.form.problem(exc.code, path, "relevant", expr=text, name=exc.name)
            )
        return None

    def fields(
        self,
        children: list[dict[str, Any]],
        path: tuple[str, ...],
        level: str | None,
        inherited: list[str],
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for child in children:
            kind = child.get("type")
            name = str(child.get("name") or "")
            here = (*path, name)
            control = child.get("control") or {}
            if kind == "group" and control.get("bodyless"):
                continue  # pyxform's own meta group (instanceID)
            bind = child.get("bind") or {}
            relevant = inherited
            if bind.get("relevant"):
                own = self.expression(str(bind["relevant"]), here, level)
                relevant = [*inherited, own] if own else inherited
            if kind == "group":
                out += self.fields(child.get("children") or [], here, level, relevant)
                continue
            if kind in METADATA or kind == "calculate":
                continue  # noted (metadata) or refused (calculate) from the rows already
            if not name.isidentifier():
                self.problems.append(self.form.problem("name", here, "name", value=name))
                continue
            if name in RESERVED_KEYS:
                self.problems.append(self.form.problem("reserved", here, "name", value=name))
                continue
            if kind == "repeat":
                out.append(self.repeat_field(child, here, level, relevant))
                continue
            item = self.question(child, here, level)
            if item is None:
                continue
            if relevant:
                item["relevant"] = " and ".join(f"({r})" for r in relevant)
                if len(relevant) == 1:
                    item["relevant"] = relevant[0]
            out.append(item)
        return out

    def repeat_field(
        self, child: dict[str, Any], here: tuple[str, ...], level: str | None, relevant: list[str]
    ) -> dict[str, Any]:
        name = child["name"]
        if level is not None:
            self.problems.append(self.form.problem("nested_repeat", here, "type"))
        elif self.repeat is not None:
            self.problems.append(
                self.form.problem("second_repeat", here, "type", other=self.repeat)
            )
        else:
            self.repeat = name
        label = _texts(child.get("label"), name)
        item: dict[str, Any] = {
            "key": name,
            "type": "repeat",
            "label": label,
            "item_label": dict(label),
            "fields": self.fields(child.get("children") or [], here, name, []),
        }
        if child.get("hint"):
            item["hint"] = _texts(child["hint"], "")
        if relevant:
            item["relevant"] = " and ".join(f"({r})" for r in relevant)
        return item

    def question(
        self, child: dict[str, Any], here: tuple[str, ...], level: str | None
    ) -> dict[str, Any] | None:
        kind = child.get("type")
        name = child["name"]
        bind = child.get("bind") or {}
        ours = {"select one": "select_one", "select all that apply": "select_many"}.get(
            kind or ""
        ) or PLAIN_TYPES.get(kind or "")
        if ours is None:
            self.problems.append(self.form.problem("type", here, "type", value=kind))
            return None
        item: dict[str, Any] = {
            "key": name,
            "type": ours,
            "label": _texts(child.get("label"), name),
        }
        if child.get("hint"):
            item["hint"] = _texts(child["hint"], "")
        appearance = str((child.get("control") or {}).get("appearance") or "")
        if ours == "text" and "multiline" in appearance.split():
            item["type"] = "textarea"
        if ours == "decimal":
            item["type"] = "text"
            item["pattern"] = r"-?\d+(\.\d+)?"
            item.setdefault("hint", {"zh": "填数字，可带小数", "en": "A number, decimals allowed"})
        if ours in ("select_one", "select_many"):
            item["choices"] = child.get("itemset") or child.get("list_name")
            self.lists.add(item["choices"])
        required = bind.get("required")
        if required not in (None, ""):
            flag = aliases.yes_no.get(str(required).strip())
            if flag is None:
                self.problems.append(
                    self.form.problem("required", here, "required", value=required)
                )
            elif flag:
                item["required"] = True
        constraint = bind.get("constraint")
        if constraint:
            try:
                item.update(_constraint(_Parser(str(constraint)).parse(), ours))
            except _Unsupported:
                self.problems.append(
                    self.form.problem("constraint", here, "constraint", expr=constraint)
                )
        default = child.get("default")
        if default not in (None, ""):
            value = self.default(str(default), ours, here)
            if value is not None:
                item["default"] = value
        return item

    def default(self, value: str, kind: str, here: tuple[str, ...]) -> Any:
        why = None
        if "${" in value or "(" in value:
            why = {"zh": "不能用表达式", "en": "no expressions"}
        elif kind == "integer" and not re.fullmatch(r"-?\d+", value):
            why = {"zh": "应为整数", "en": "not a whole number"}
        elif kind == "date" and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            why = {"zh": "应为 YYYY-MM-DD", "en": "not YYYY-MM-DD"}
        if why:
            self.problems.append(
                self.form.problem("default", here, "default", value=value, why=why)
            )
            return None
        return value


def _choice_lists(survey_json: dict[str, Any], used: set[str]) -> dict[str, Any]:
    lists: dict[str, Any] = {}
    for name, entries in (survey_json.get("choices") or {}).items():
        if name not in used:
            continue
        lists[name] = {
            str(e["name"]): _texts(e.get("label"), str(e["name"])) for e in entries if "name" in e
        }
    return lists


def _duplicates(fields: list[dict[str, Any]], form: _Form, problems: list) -> None:
    seen: set[str] = set()
    for f in fields:
        if f["key"] in seen:
            problems.append(form.problem("duplicate", (f["key"],), "name", value=f["key"]))
        seen.add(f["key"])
        if f["type"] == "repeat":
            _duplicates(f["fields"], form, problems)


def _pyxform_problem(exc: Exception, sheets: dict[str, _Sheet]) -> XLSFormProblem:
    """pyxform's own error, placed at its row (and column, when its message names one)."""
    text = str(exc)
    context = getattr(exc, "context", None) or {}
    row = context.get("row")
    found = re.search(r"\[row\s*:\s*(\d+)\]", text)
    if row is None and found:
        row = int(found.group(1))
    sheet = "choices" if "'choices'" in text else "settings" if "'settings'" in text else "survey"
    named = re.search(r"the '([\w:]+)' (?:value|column)", text)
    column = named.group(1) if named else None
    if sheet in sheets and row:
        return sheets[sheet].problem("pyxform", int(row), column, detail=text)
    return XLSFormProblem(
        "pyxform", sheet, int(row) if row else None, column, params={"detail": text}
    )


def translate(data: bytes, *, name: str = "survey") -> Translation:
    """An XLSForm's bytes -> our definition dict (``form``, ``title``, ``choices``, ``fields``).

    Raises XLSFormError naming every problem (sheet, row, column) when the form uses what
    the tool does not support. ``name`` is the form name used when the settings give none.
    """
    notes: list[XLSFormProblem] = []
    try:
        book = get_xlsform(data, file_type=".xlsx")
    except (PyXFormError, OSError, ValueError, KeyError) as exc:
        raise XLSFormError([XLSFormProblem("read", params={"detail": str(exc)})]) from None
    letters = _letters(data)
    sheets = {
        sheet: _Sheet(sheet, getattr(book, sheet) or [], letters.get(sheet, {}))
        for sheet in ("survey", "choices", "settings", "external_choices", "entities", "osm")
    }
    problems = _row_checks(sheets["survey"], notes) + _other_sheet_checks(sheets, notes)
    if problems:
        raise XLSFormError(problems)
    try:
        survey_json = workbook_to_json(book, form_name=name, fallback_form_name=name, warnings=[])
    except PyXFormError as exc:
        raise XLSFormError([_pyxform_problem(exc, sheets)]) from None
    form = _Form(sheets["survey"])
    translator = _Translator(form, problems, notes)
    translator.collect(survey_json.get("children") or [], None)
    fields = translator.fields(survey_json.get("children") or [], (), None, [])
    _duplicates(fields, form, problems)
    if not fields and not problems:
        problems.append(XLSFormProblem("definition", params={"detail": "没有问题 / no questions"}))
    if problems:
        raise XLSFormError(problems)
    settings = (book.settings or [{}])[0] if book.settings else {}
    form_id = str(settings.get("form_id") or settings.get("set_form_id") or "").strip()
    title_text = settings.get("form_title") or settings.get("set_form_title")
    definition = {
        "form": form_id or name,
        "title": {"zh": str(title_text or form_id or name)},
        "choices": _choice_lists(survey_json, translator.lists),
        "fields": fields,
    }
    return Translation(definition, notes)


def row_of(data: bytes, key: str) -> int | None:
    """The survey-sheet row of a question, to place a later definition error."""
    try:
        book = get_xlsform(data, file_type=".xlsx")
    except PyXFormError:
        return None
    return _Form(_Sheet("survey", book.survey or [], {})).by_name.get(key)
