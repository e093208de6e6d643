"""Steps 3–4: pyxform's JSON survey -> our definition dict; the pipeline's entry, ``translate``.

Groups are flattened (a group's ``relevant`` joins each of its questions'), one repeat is
kept, select lists stay with the survey, labels and hints keep every language (``zh``
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
from census.surveys.xlsform.problems import XLSFormError, XLSFormProblem
from census.surveys.xlsform.sheets import (
    METADATA,
    PLAIN_TYPES,
    Sheet,
    column_letters,
    kind_of,
    other_sheet_checks,
    row_checks,
)

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

    def problem(self, code: str, path: tuple[str, ...], column: str | None, **params: Any):
        return self.survey.problem(code, self.row(path), column, **params)


class _Translator:
    def __init__(self, form: _Form, problems: list[XLSFormProblem], notes: list[XLSFormProblem]):
        self.form, self.problems, self.notes = form, problems, notes
        self.scope = Scope()
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
                self.scope.types[name] = "select_one" if kind == "select one" else "select_many"
                self.scope.level[name] = level
            elif kind in PLAIN_TYPES:
                self.scope.types[child["name"]] = PLAIN_TYPES[kind]
                self.scope.level[child["name"]] = level

    def expression(self, text: str, path: tuple[str, ...], level: str | None) -> str | None:
        try:
            return self.scope.relevant(Parser(text).parse(), text, level)
        except Unsupported as exc:
            self.problems.append(
                self.form.problem("expression", path, "relevant", expr=text, part=exc.part)
            )
        except BadRef as exc:
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
                item.update(constraint_rules(Parser(str(constraint)).parse(), ours))
            except Unsupported:
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
    letters = column_letters(data)
    sheets = {
        sheet: Sheet(sheet, getattr(book, sheet) or [], letters.get(sheet, {}))
        for sheet in ("survey", "choices", "settings", "external_choices", "entities", "osm")
    }
    problems = row_checks(sheets["survey"], notes) + other_sheet_checks(sheets, notes)
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
    return _Form(Sheet("survey", book.survey or [], {})).by_name.get(key)
