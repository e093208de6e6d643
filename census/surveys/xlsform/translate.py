"""Steps 3–4: pyxform's JSON survey -> our definition dict; the pipeline's entry, ``translate``.

Groups are flattened (a group's ``relevant`` joins each of its questions'), repeats are
kept (several, and repeats inside repeats up to ``MAX_REPEAT_DEPTH`` levels), select lists
stay with the survey, labels and hints keep every language (``zh``
from ``label::中文 (zh)``, else the default or first language).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pyxform import aliases
from pyxform.errors import PyXFormError
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import get_xlsform

from census.surveys.xlsform.expressions import (
    BadRef,
    Parser,
    Scope,
    Unsupported,
    constraint_rules,
)
from census.surveys.xlsform.prepare import canonical_type, prepare
from census.surveys.xlsform.problems import XLSFormError, XLSFormProblem
from census.surveys.xlsform.sheets import (
    METADATA,
    Sheet,
    column_letters,
    kind_of,
    other_sheet_checks,
    row_checks,
)
from census.util.i18n import N_, in_each_language

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


@dataclass
class Translation:
    """A translated XLSForm: our definition dict and the notes on what was ignored."""

    definition: dict[str, Any]
    notes: list[XLSFormProblem]


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


class _Form:
    """Where each question of the survey sheet is: its row, by its path of group names."""

    def __init__(self, survey: Sheet):
        self.survey = survey
        self.rows: dict[tuple[str, ...], int] = {}
        self.by_name: dict[str, int] = {}
        stack: list[str] = []
        for number, row in survey.numbered():
            what, _arg = kind_of(str(row.get("type") or ""))
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

    def row(self, path: tuple[str, ...]) -> int | None:
        return self.rows.get(path) or self.by_name.get(path[-1] if path else "")

    def column_of(self, path: tuple[str, ...], names: tuple[str, ...]) -> str:
        """The header of the cell that holds a value of a question (calculation, count …)."""
        number = self.row(path)
        row = self.survey.rows[number - 2] if number else {}
        for header, value in row.items():
            if value not in (None, "") and header.strip().lower() in names:
                return header
        return names[0]

    def problem(self, code: str, path: tuple[str, ...], column: str | None, **params: Any):
        return self.survey.problem(code, self.row(path), column, **params)


# pyxform's question types -> ours. Types not here are left out (LEFT_OUT) or refused.
_TYPES = {
    "text": "text", "string": "text", "integer": "integer", "int": "integer",
    "decimal": "decimal", "date": "date", "select one": "select_one",
    "select all that apply": "select_many", "note": "note", "calculate": "calculate",
    "hidden": "hidden", "geopoint": "geopoint", "barcode": "text", "time": "time",
    "dateTime": "datetime", "range": "range", "acknowledge": "yes_no", "trigger": "yes_no",
    "rank": "select_many", "photo": "image", "image": "image",
}  # fmt: skip
# Questions the form works without, left out with a note at their cell (their answers are
# blank to the expressions that read them).
LEFT_OUT = {
    "audio": N_("录音题暂不支持"),
    "background-audio": N_("录音题暂不支持"),
    "video": N_("视频题暂不支持"),
    "file": N_("文件题暂不支持"),
    "geotrace": N_("轨迹题暂不支持"),
    "geoshape": N_("区域题暂不支持"),
    "osm": N_("OpenStreetMap 题暂不支持"),
    "select one external": N_("外部选项题暂不支持"),
    "from_file": N_("选项文件题暂不支持（未随问卷上传选项文件）"),
    "xml-external": N_("外部数据暂不支持"),
    "csv-external": N_("外部数据暂不支持"),
}
_KNOWN = {*_TYPES, *LEFT_OUT, *METADATA, "group", "repeat"}
# Repeats inside repeats, as deep as a household roster's members' children go (ODK has
# no bound; the server, the page and the export each walk this many levels).
MAX_REPEAT_DEPTH = 3
_TIME = r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?"
_DATETIME = r"\d{4}-\d{2}-\d{2}[T ]" + _TIME
_FILL = re.compile(r"\$\{\s*([^}]*?)\s*\}")


def _bind(child: dict[str, Any]) -> dict[str, Any]:
    """The question's bind, with the old ``bind:relevant`` headers (one colon) read too."""
    bind = dict(child.get("bind") or {})
    for key, value in child.items():
        if (
            isinstance(key, str)
            and key.lower().startswith("bind:")
            and not key.startswith("bind::")
        ):
            bind.setdefault(key[5:], value)
    return bind


def _kind(child: dict[str, Any]) -> str:
    """A question's type as we translate it: pyxform's aliases (gps, q int …) read."""
    return canonical_type(str(child.get("type") or ""), _KNOWN)[0]


def _flag(value: Any) -> bool | None:
    """yes / no / true() … as True or False; None when it is an expression."""
    if isinstance(value, bool):
        return value
    return aliases.yes_no.get(str(value).strip())


class _Translator:
    def __init__(self, form: _Form, problems: list[XLSFormProblem], notes: list[XLSFormProblem]):
        self.form, self.problems, self.notes = form, problems, notes
        self.scope = Scope()
        self.lists: set[str] = set()
        self.filtered: set[str] = set()  # lists a choice_filter reads the columns of

    def collect(self, children: list[dict[str, Any]], level: str | None) -> None:
        """Record each question's type and level (for references) before translating."""
        for child in children:
            kind = _kind(child)
            name = str(child.get("name") or "")
            if kind == "group":
                self.collect(child.get("children") or [], level)
                continue
            self.scope.level[name] = level
            if kind == "repeat":
                self.scope.types[name] = "repeat"
                self.scope.repeats.add(name)
                self.collect(child.get("children") or [], name)
            elif kind in _TYPES and not self.from_file(child):
                self.scope.types[name] = _TYPES[kind]
                if child.get("choices"):
                    self.scope.labels[name] = {
                        str(e["name"]): _texts(e.get("label"), str(e["name"]))["zh"]
                        for e in child["choices"]
                        if "name" in e
                    }
            elif kind in METADATA:
                self.scope.types[name] = "metadata:" + kind
            else:
                self.scope.types[name] = "left_out"

    @staticmethod
    def from_file(child: dict[str, Any]) -> bool:
        itemset = str(child.get("itemset") or "")
        return child.get("type") in ("select one", "select all that apply") and (
            "." in itemset and "list_name" not in child
        )

    def expression(
        self, text: str, here: tuple[str, ...], level: str | None, column: str, dot: str = ""
    ) -> str | None:
        """A condition of the question at ``here`` in our language; a problem at its cell."""
        return self._translated(text, here, level, column, dot, value=False)

    def value(
        self, text: str, here: tuple[str, ...], level: str | None, column: str, dot: str = ""
    ) -> str | None:
        """A calculation (or a default with a function) in our language."""
        return self._translated(text, here, level, column, dot, value=True)

    def _translated(
        self, text: str, here: tuple, level: str | None, column: str, dot: str, value: bool
    ) -> str | None:
        try:
            tree = Parser(text).parse()
            if value:
                return self.scope.calculation(tree, level, dot)
            return self.scope.relevant(tree, text, level, dot)
        except Unsupported as exc:
            self.problems.append(
                self.form.problem("expression", here, column, expr=text, part=exc.part)
            )
        except BadRef as exc:
            self.problems.append(
                self.form.problem(exc.code, here, column, expr=text, name=exc.name)
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
            kind = _kind(child)
            name = str(child.get("name") or "")
            here = (*path, str(child.get("row_name") or name))
            control = child.get("control") or {}
            if kind == "group" and control.get("bodyless"):
                continue  # pyxform's own meta group (instanceID)
            bind = _bind(child)
            relevant = inherited
            if bind.get("relevant") and _flag(bind["relevant"]) is not True:
                own = self.expression(str(bind["relevant"]), here, level, "relevant")
                relevant = [*inherited, own] if own else inherited
            if kind == "group":
                out += self.fields(child.get("children") or [], here, level, relevant)
                continue
            if kind in METADATA:
                self.notes.append(self.form.problem("metadata", here, "type", value=kind))
                continue
            left_out = LEFT_OUT.get("from_file" if self.from_file(child) else kind)
            if left_out is not None:
                feature = in_each_language(left_out)
                self.notes.append(self.form.problem("left_out", here, "type", feature=feature))
                continue
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
        if len(self.scope.around(level)) >= MAX_REPEAT_DEPTH:
            self.problems.append(
                self.form.problem("nested_repeat", here, "type", max=MAX_REPEAT_DEPTH)
            )
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
        count = (child.get("control") or {}).get("jr:count")
        if count not in (None, ""):
            column = self.form.column_of(here, ("repeat_count", "count", "jr:count"))
            if re.fullmatch(r"\s*\d+\s*", str(count)):
                item["count"] = str(int(count))
            else:
                found = self.value(str(count), here, level, column)
                if found is not None:
                    item["count"] = found
        return item

    def question(
        self, child: dict[str, Any], here: tuple[str, ...], level: str | None
    ) -> dict[str, Any] | None:
        kind = _kind(child)
        name = child["name"]
        bind = _bind(child)
        _alias, brought = canonical_type(str(child.get("type") or ""), _KNOWN)
        if brought and not bind.get("constraint"):
            bind["constraint"] = brought  # phone number: digits only, as pyxform binds it
        ours = _TYPES.get(kind)
        if ours is None:
            self.problems.append(
                self.form.problem("type", here, "type", value=kind, max=MAX_REPEAT_DEPTH)
            )
            return None
        item: dict[str, Any] = {"key": name, "type": ours}
        if child.get("xml_name"):
            item["name"] = child["xml_name"]  # the form's own name, for exports
        if ours not in ("calculate", "hidden"):
            item["label"] = _texts(child.get("label"), name if ours != "note" else "")
        else:
            item["label"] = _texts(child.get("label"), name)
        if child.get("hint"):
            item["hint"] = _texts(child["hint"], "")
        appearance = str((child.get("control") or {}).get("appearance") or "")
        if ours == "text" and "multiline" in appearance.split():
            item["type"] = "textarea"
        if ours == "decimal":
            item["type"] = "text"
            item["pattern"] = r"-?\d+(\.\d+)?"
            item.setdefault("hint", in_each_language(N_("填数字，可带小数")))
        if ours == "time":
            item.update(type="text", pattern=_TIME)
            item.setdefault("hint", in_each_language(N_("时:分，如 09:30")))
        if ours == "datetime":
            item.update(type="text", pattern=_DATETIME)
            item.setdefault("hint", in_each_language(N_("如 2026-03-15 09:30")))
        if ours == "range":
            self.range(child, item)
        if ours == "image":
            self.photo(child, item)
        if kind == "rank":
            self.notes.append(self.form.problem("rank", here, "type"))
        if ours in ("select_one", "select_many"):
            item["choices"] = child.get("itemset") or child.get("list_name")
            self.lists.add(item["choices"])
            if child.get("choice_filter"):
                self.choice_filter(child, item, here, level)
        if _flag(bind.get("readonly", "")) is True:
            item["read_only"] = True
        self.rules(bind, item, here, level, ours)
        calculation = bind.get("calculate")
        if calculation not in (None, "") and ours != "note":
            column = self.form.column_of(here, ("calculation", "calculate"))
            found = self.value(str(calculation), here, level, column)
            if found is not None:
                item["calculation"] = found
        elif ours == "note" and calculation not in (None, ""):
            column = self.form.column_of(here, ("calculation", "calculate"))
            found = self.value(str(calculation), here, level, column)
            if found is not None:
                item["type"], item["read_only"], item["calculation"] = "text", True, found
        if item.get("read_only"):  # nobody can answer it: ODK does not ask for it either
            item.pop("required", None)
            item.pop("required_if", None)
        default = child.get("default")
        if default not in (None, "") and "calculation" not in item:
            self.default(str(default), item, here, level)
        self.fills(item, here, level)
        return item

    def choice_filter(
        self, child: dict[str, Any], item: dict[str, Any], here: tuple[str, ...], level: str | None
    ) -> None:
        """A cascading select: which of its choices are offered, from the choices' columns."""
        columns = {"name", "label"}
        for entry in child.get("choices") or []:
            columns |= {str(k) for k in entry}
        self.scope.choice_columns = columns
        try:
            found = self.expression(str(child["choice_filter"]), here, level, "choice_filter")
        finally:
            self.scope.choice_columns = set()
        for word in self.scope.bare_words:
            self.notes.append(
                self.form.problem(
                    "bare_word", here, "choice_filter", expr=child["choice_filter"], value=word
                )
            )
        self.scope.bare_words = []
        if found is not None:
            item["choice_filter"] = found
            self.filtered.add(item["choices"])

    def photo(self, child: dict[str, Any], item: dict[str, Any]) -> None:
        """A photo: ODK's max-pixels sets the longest side the tablet resizes it to. The
        place it was taken (EXIF GPS) is always taken out: pyxform allows no parameter
        but ``app`` and ``max-pixels``, so an XLSForm cannot ask to keep it."""
        found = re.search(r"max-pixels\s*=\s*(\d+)", str(child.get("parameters") or ""))
        if found:
            item["max_pixels"] = max(64, min(int(found.group(1)), 8000))

    def range(self, child: dict[str, Any], item: dict[str, Any]) -> None:
        """A range as an integer between its start and end (decimal steps: a number)."""
        params = child.get("parameters") or {}
        values = [str(params.get(k, d)) for k, d in (("start", 1), ("end", 10), ("step", 1))]
        if all(re.fullmatch(r"-?\d+", v) for v in values):
            low, high = sorted(int(v) for v in values[:2])
            item.update(type="integer", min=low, max=high)
        else:
            item.update(type="text", pattern=r"-?\d+(\.\d+)?")

    def rules(
        self,
        bind: dict[str, Any],
        item: dict[str, Any],
        here: tuple[str, ...],
        level: str | None,
        ours: str,
    ) -> None:
        """required (yes, or a condition) and constraint (our rules, or an expression)."""
        required = bind.get("required")
        if required not in (None, ""):
            flag = _flag(required)
            if flag:
                item["required"] = True
            elif flag is None:
                found = self.expression(str(required), here, level, "required")
                if found is not None:
                    item["required_if"] = found
        constraint = bind.get("constraint")
        if constraint:
            try:
                item.update(constraint_rules(Parser(str(constraint)).parse(), ours))
            except Unsupported:
                found = self.expression(str(constraint), here, level, "constraint", dot=item["key"])
                if found is not None:
                    item["constraint"] = found
                    message = bind.get("jr:constraintMsg")
                    if message:
                        item["constraint_message"] = _texts(message, "")

    def default(self, value: str, item: dict[str, Any], here: tuple, level: str | None) -> None:
        """A default: a value as it is, or an expression (today()) worked out when blank."""
        kind = item["type"]
        if "${" in value or re.search(r"[\w-]\(", value):
            found = self.value(value, here, level, "default")
            if found is not None:
                item["calculation"] = found
            return
        why = None
        if kind == "integer" and not re.fullmatch(r"-?\d+", value):
            why = in_each_language(N_("应为整数"))
        elif kind == "date" and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            why = in_each_language(N_("应为 YYYY-MM-DD"))
        elif kind == "select_many":
            item["default"] = value.split()
            return
        if why:
            self.problems.append(
                self.form.problem("default", here, "default", value=value, why=why)
            )
            return
        item["default"] = value

    def fills(self, item: dict[str, Any], here: tuple[str, ...], level: str | None) -> None:
        """``${name}`` in a label or a hint: each name must be a question this one can read
        (its own row's, a row's around it in a repeat inside a repeat, or the form's)."""
        for column in ("label", "hint"):
            for text in (item.get(column) or {}).values():
                for name in _FILL.findall(text):
                    if name not in self.scope.types:
                        self.problems.append(
                            self.form.problem("reference", here, column, expr=text, name=name)
                        )
                    elif self.scope.level.get(name) not in (None, *self.scope.around(level)):
                        self.problems.append(
                            self.form.problem("scope", here, column, expr=text, name=name)
                        )


_CHOICE_KEYS = {"name", "label", "media", "image", "audio", "video", "big-image"}


def _choice_data(survey_json: dict[str, Any], filtered: set[str]) -> dict[str, Any]:
    """The other columns of the lists a choice_filter reads: {list: {code: {column: text}}}."""
    data: dict[str, Any] = {}
    for name, entries in (survey_json.get("choices") or {}).items():
        if name not in filtered:
            continue
        data[name] = {
            str(e["name"]): {
                str(k): str(v)
                for k, v in e.items()
                if k not in _CHOICE_KEYS and not isinstance(v, dict) and v is not None
            }
            for e in entries
            if "name" in e
        }
    return data


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


def _pyxform_problem(exc: Exception, sheets: dict[str, Sheet]) -> XLSFormProblem:
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


def _settings(book: Any) -> dict[str, str]:
    """The settings row with pyxform's aliases read: form_title / title, form_id / id_string."""
    row = (book.settings or [{}])[0] if book.settings else {}
    found: dict[str, str] = {}
    for header, value in row.items():
        key = str(header).strip().lower()
        key = {"set_form_title": "form_title", "title": "form_title"}.get(key, key)
        key = {"set_form_id": "form_id", "id_string": "form_id"}.get(key, key)
        if value not in (None, ""):
            found.setdefault(key, str(value).strip())
    return found


def read_book(data: bytes, suffix: str) -> Any:
    """The workbook as pyxform reads it (.xlsx with openpyxl, .xls with xlrd)."""
    try:
        return get_xlsform(data, file_type=suffix)
    except (PyXFormError, OSError, ValueError, KeyError, TypeError) as exc:
        raise XLSFormError([XLSFormProblem("read", params={"detail": str(exc)})]) from None
    except Exception as exc:  # noqa: BLE001 - xlrd and openpyxl raise their own errors
        raise XLSFormError([XLSFormProblem("read", params={"detail": str(exc)})]) from None


def translate(data: bytes, *, name: str = "survey", suffix: str = ".xlsx") -> Translation:
    """An XLSForm's bytes -> our definition dict (``form``, ``title``, ``choices``, ``fields``).

    What pyxform accepts is accepted: a question or a column the tool cannot use is left
    out with a note at its cell. Raises XLSFormError naming every problem (sheet, row,
    column) when the form cannot work as written. ``name`` is the form name used when the
    settings give none; ``suffix`` is ``.xlsx`` or ``.xls``.
    """
    suffix = ".xls" if suffix.lower() == ".xls" else ".xlsx"
    notes: list[XLSFormProblem] = []
    book = read_book(data, suffix)
    letters = column_letters(data, suffix)
    sheets = {
        sheet: Sheet(sheet, getattr(book, sheet) or [], letters.get(sheet, {}))
        for sheet in ("survey", "choices", "settings", "external_choices", "entities", "osm")
    }
    problems = row_checks(sheets["survey"], notes) + other_sheet_checks(sheets, notes)
    try:
        survey_json = workbook_to_json(book, form_name=name, fallback_form_name=name, warnings=[])
    except PyXFormError as exc:
        raise XLSFormError([_pyxform_problem(exc, sheets)]) from None
    form = _Form(sheets["survey"])
    translator = _Translator(form, problems, notes)
    children, _renamed = prepare(survey_json.get("children") or [])
    translator.collect(children, None)
    fields = translator.fields(children, (), None, [])
    _duplicates(fields, form, problems)
    if not fields and not problems:
        problems.append(XLSFormProblem("definition", params={"detail": "没有问题 / no questions"}))
    if problems:
        raise XLSFormError(problems)
    settings = _settings(book)
    form_id = settings.get("form_id", "")
    title_text = settings.get("form_title")
    definition = {
        "form": form_id or name,
        "title": {"zh": str(title_text or form_id or name)},
        "choices": _choice_lists(survey_json, translator.lists),
        "fields": fields,
    }
    if translator.filtered:
        definition["choice_data"] = _choice_data(survey_json, translator.filtered)
    return Translation(definition, notes)


def row_of(data: bytes, key: str, suffix: str = ".xlsx") -> int | None:
    """The survey-sheet row of a question, to place a later definition error."""
    try:
        book = get_xlsform(data, file_type=".xls" if suffix == ".xls" else ".xlsx")
    except Exception:  # noqa: BLE001 - the file was read once already; a place is a bonus
        return None
    return _Form(Sheet("survey", book.survey or [], {})).by_name.get(key)
