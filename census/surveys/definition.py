"""Survey definitions: a YAML file -> dict -> validated FormDef (the pipeline of pyxform).

A broken definition raises DefinitionError naming the file, the field and the problem, so
the app refuses to start rather than show a half-working form.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from census.domain.codes import choice_lists
from census.domain.expr import ExpressionError, compile_expr, evaluate, string, variables
from census.util.i18n import N_, ByLanguage
from census.util.resources import FORMS_DIR

FIELD_TYPES = {
    "text",
    "textarea",
    "integer",
    "date",
    "select_one",
    "select_many",
    "id_number",
    "phone",
    "yes_no",
    "uscc",
    "repeat",
    # from XLSForms: a text shown in the form (no answer), a value worked out (calculate,
    # stored, not shown), a value carried along unseen (hidden), a place from the tablet
    "note",
    "calculate",
    "hidden",
    "geopoint",
    "image",  # a photo from the tablet's camera or its files, kept with the record
}
# Fields that take no answer typed in: a note stores nothing, the others what is worked out.
SILENT_TYPES = {"note", "calculate", "hidden"}
FIELD_KEYS = {
    "key",
    "type",
    "label",
    "hint",
    "required",
    "choices",
    "relevant",
    "default",
    "min",
    "max",
    "max_length",
    "pattern",
    "past",
    "fields",
    "item_label",
    "min_items",
    "exactly_one",
    "id_type_field",
    "birth_date_field",
    "sex_field",
    "ref",
    "calculation",
    "read_only",
    "required_if",
    "constraint",
    "constraint_message",
    "count",
    "choice_filter",
    "max_pixels",
    "keep_location",
    "name",
}
# "choices": code lists of this form alone (staff-added surveys bring their own);
# "register": how census.worklog lists the records (checked there, at start-up too);
# "list": the columns of the form's list page (ListColumn), else its first six fields.
# "choice_data": the other columns of a form's own lists ({list: {code: {column: text}}}),
# which a field's choice_filter reads as __c_<column>.
# The roles a form's records play beyond their fields, each true or false (FormDef says
# what each means): the household form has them all, a storefront or a staff survey none.
ROLE_KEYS = ("numbered", "in_address_tree", "door_visits", "person_checks")
FORM_KEYS = {
    "form", "collection", "title", "fields", "choices", "register", "list", "choice_data",
    *ROLE_KEYS,
}  # fmt: skip
# The fields a role needs: a household number is stored in household_no; a record in the
# address tree names its building; a door is a building and a room; the person checks
# read a roster.
NUMBER_FIELD = "household_no"
ROLE_FIELDS = {
    "numbered": (NUMBER_FIELD,),
    "in_address_tree": ("building",),
    "door_visits": ("building", "room"),
}
CHOICE_PREFIX = "__c_"
DEFAULT_LIST_COLUMNS = 6
# The list column of a record's address (building, unit and room as one: 1栋3单元101室) in a
# form with a building field and no field of this name.
ADDRESS_COLUMN = "address"
ADDRESS_LABEL = ByLanguage(N_("地址"))
# A text field may name a household (its 户编号) or a person of the register (户编号/姓名 or
# an ID number); census.worklog resolves the link, the record keeps what was typed.
REF_KINDS = {"household", "person"}


# A form's own code lists: list name -> (qualified name <form>.<list>, {code: labels}).
_Lists = dict[str, tuple[str, dict[str, dict[str, str]]]]


class DefinitionError(ValueError):
    """A survey definition that cannot be used; the message says file, field and problem."""

    def __init__(self, source: str, where: str, problem: str):
        super().__init__(f"{source}: {where}: {problem}")
        self.source, self.where, self.problem = source, where, problem


@dataclass(frozen=True, eq=False)
class FieldDef:
    """One question of a survey (or a repeat group holding questions)."""

    key: str
    type: str
    label: dict[str, str]
    hint: dict[str, str] = field(default_factory=dict)
    required: bool = False
    choices: str | None = None
    relevant: dict[str, Any] | None = None
    relevant_source: str | None = None
    default: Any = None
    min: int | None = None
    max: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    past: bool = False
    fields: tuple[FieldDef, ...] = ()
    item_label: dict[str, str] = field(default_factory=dict)
    min_items: int = 0
    exactly_one: dict[str, Any] | None = None
    id_type_field: str | None = None
    birth_date_field: str | None = None
    sex_field: str | None = None
    ref: str | None = None
    choice_items: dict[str, dict[str, str]] | None = None  # a list of the form's own
    # From XLSForms: a value worked out from the answers (a calculate; any question's
    # default when blank, or always when read_only), a condition that makes it required,
    # a condition its answer must meet (with the form's own message), a repeat's count.
    calculation: dict[str, Any] | None = None
    read_only: bool = False
    required_if: dict[str, Any] | None = None
    constraint: dict[str, Any] | None = None
    constraint_message: dict[str, str] = field(default_factory=dict)
    count: dict[str, Any] | None = None
    # A cascading select: the choices offered are those its filter holds for (a choice's
    # columns read as __c_<column>, its code as __c_name); choice_attrs holds the columns.
    choice_filter: dict[str, Any] | None = None
    choice_attrs: dict[str, dict[str, str]] = field(default_factory=dict)
    # A photo: its longest side in the browser (ODK's max-pixels), and whether the place
    # it was taken (EXIF GPS) is kept; by default it is taken out on the server.
    max_pixels: int | None = None
    keep_location: bool = False
    # The name an XLSForm gave the question when it is no key (label-test, tel.office, a
    # loop's question per choice): exports head its column with it.
    name: str | None = None

    def choice_env(self, code: str) -> dict[str, Any]:
        """What the choice_filter reads of one choice: its code, label and other columns."""
        attrs = self.choice_attrs.get(code, {})
        names = self._entries().get(code) or {}
        env = {f"{CHOICE_PREFIX}{k}": v for k, v in attrs.items()}
        env[f"{CHOICE_PREFIX}name"] = code
        env.setdefault(f"{CHOICE_PREFIX}label", names.get("zh", code))
        return env

    def offered(self, code: str, env: Any) -> bool:
        """Is a choice offered given the answers (always, without a choice_filter)?"""
        if self.choice_filter is None:
            return True
        from census.domain.expr import truth

        merged = _Merged(self.choice_env(code), env)
        return truth(evaluate(self.choice_filter, merged))

    def text(self, lang: str = "zh") -> str:
        """The label in a language, falling back to Chinese."""
        return self.label.get(lang) or self.label["zh"]

    def filled(self, lang: str, record: dict[str, Any], outer: dict[str, Any] | None = None) -> str:
        """The label with its ``${name}`` fills taken from the record (a note, a question
        that names the person it asks about)."""
        return fill(self.text(lang), record, outer)

    def asked(self, record: dict[str, Any]) -> bool:
        """Is the question asked of this record (its ``relevant`` holds, or it has none)?

        A page leaves out what was not asked: no landlord for an owned home.
        """
        return self.relevant is None or bool(evaluate(self.relevant, record))

    def hint_text(self, lang: str = "zh") -> str:
        """The hint in a language, or ''."""
        return self.hint.get(lang) or self.hint.get("zh", "")

    def options(self, lang: str = "zh") -> list[tuple[str, str]]:
        """(code, label) pairs of a select field."""
        entries = self._entries()
        return [(code, names.get(lang) or names["zh"]) for code, names in entries.items()]

    def word(self, code: str, lang: str = "zh") -> str:
        """The word of one of its codes in a language (the form's own list or choices.yaml);
        the code itself when the list does not know it (``census.domain.display``)."""
        names = self._entries().get(code)
        return (names.get(lang) or names["zh"]) if names else code

    @property
    def codes(self) -> set[str]:
        """The codes a select field accepts."""
        return set(self._entries())

    def _entries(self) -> dict[str, dict[str, str]]:
        if self.choice_items is not None:
            return self.choice_items
        return choice_lists()[self.choices] if self.choices else {}


class _Merged(dict):  # type: ignore[type-arg]
    """A choice's columns in front of the answers, as a choice_filter reads them."""

    def __init__(self, first: dict[str, Any], rest: Any):
        super().__init__(first)
        self.rest = rest

    def get(self, key: Any, default: Any = None) -> Any:
        return super().get(key, default) if dict.__contains__(self, key) else self.rest.get(key)

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or key in self.rest


_FILL = re.compile(r"\$\{\s*([^}]*?)\s*\}")


def fill(text: str, record: dict[str, Any], outer: dict[str, Any] | None = None) -> str:
    """``${name}`` in a label or a hint replaced by the answer (blank when none); a list's
    codes joined with spaces, numbers without a needless .0 — as the browser fills them."""
    if "${" not in text:
        return text

    def answer(found: re.Match[str]) -> str:
        name = found.group(1)
        value = record.get(name) if name in record else (outer or {}).get(name)
        return string(value)

    return _FILL.sub(answer, text)


@dataclass(frozen=True)
class ListColumn:
    """One column of a form's list page, from the form's ``list:`` key.

    ``kind`` says what a row shows: ``field`` a field of the record; ``head`` a roster
    field of the record's head (``members.name``: the head's name); ``count`` how many
    entries the roster holds; ``address`` building, unit and room as one text.
    """

    key: str
    kind: str
    label: dict[str, str]
    field: FieldDef | None = None

    def text(self, lang: str = "zh") -> str:
        """The column title in a language."""
        return self.label.get(lang) or self.label["zh"]


@dataclass(frozen=True, eq=False)
class FormDef:
    """A whole survey: name, storage collection, title and fields."""

    name: str
    collection: str
    title: dict[str, str]
    fields: tuple[FieldDef, ...]
    source: str = ""
    choice_lists: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    register: dict[str, Any] | None = None
    list_columns: tuple[ListColumn, ...] = ()
    # What the household form's records are besides their answers; every code that used
    # to ask "is this the household form?" asks the form for one of these instead.
    numbered: bool = False
    """Records get a household number (户编号, ``household_no``): a save claims the next
    one from the community's counter when none is typed, and keeps it on later edits; no
    two records hold the same; an import finds a record by it, and with a roster reads a
    sheet of one row per person, grouped into records by the number."""
    in_address_tree: bool = False
    """Records are in one of the community's buildings: a surveyor's in a building the
    tree lacks (or in none) is refused, a staff member's, an import's or a repair's adds
    the building, so every output sees the record. Without it a building is a place
    written down (a storefront's courtyard), checked only when it is one of ours."""
    door_visits: bool = False
    """A record is what a door visit registers: a save is a completed visit at its door
    (surveyor, time, outcome kept with it); the surveyor goes back to the building's doors
    after saving; pages name it by its door (and head) rather than by a name; an import
    that lacks a required column leaves those fields for the surveyor's visit."""
    person_checks: bool = False
    """The roster is checked as a household's: ID numbers against birth date and sex, one
    head and the relations to them (``domain.checks.check_household``), and each active
    person against the people of the other households (same ID number, or same name and
    birth date)."""

    @property
    def roster(self) -> FieldDef | None:
        """The repeat field that holds the record's people (a household's members), or None.

        Pages, prints and exports ask the form for it rather than knowing its key.
        """
        return next((f for f in self.fields if f.type == "repeat"), None)

    @property
    def has_members(self) -> bool:
        """Does a record of this form hold a roster of people?"""
        return self.roster is not None

    def people(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        """The record's roster entries ([] for a form without a roster)."""
        roster = self.roster
        return list(record.get(roster.key) or []) if roster is not None else []

    def head(self, record: dict[str, Any]) -> dict[str, Any]:
        """The roster entry the roster's ``exactly_one`` rule picks (the household head),
        else the first entry, else {}: whom a list names for the whole record."""
        people = self.people(record)
        rule = self.roster.exactly_one if self.roster is not None else None
        if rule is not None:
            found = next((p for p in people if evaluate(rule["when"], p)), None)
            if found is not None:
                return found
        return people[0] if people else {}

    def field(self, key: str) -> FieldDef:
        """The field with this key (top level or inside a repeat, as ``members.name``)."""
        head, _, rest = key.partition(".")
        for f in self.fields:
            if f.key == head:
                return f if not rest else next(s for s in f.fields if s.key == rest)
        raise KeyError(key)

    def text(self, lang: str = "zh") -> str:
        """The title in a language."""
        return self.title.get(lang) or self.title["zh"]


def follow_ups(fields: tuple[FieldDef, ...]) -> dict[str, list[FieldDef]]:
    """Each field that leads, with the follow-up questions asked after it, in form order.

    A follow-up is a field whose ``relevant`` reads only the leading field just before it
    (or before the follow-ups already after it): 迁出/死亡日期 after 状态, 户籍地址 after
    人员类别, 房东姓名 and 房东电话 after 住房性质. A table shows a follow-up's answer in its
    leading field's cell ("已迁出 2025-03-01") instead of a column mostly empty.
    """
    groups: dict[str, list[FieldDef]] = {}
    lead: FieldDef | None = None
    for f in fields:
        reads = variables(f.relevant) if f.relevant is not None else set()
        if lead is not None and reads == {lead.key}:
            groups[lead.key].append(f)
        else:
            lead = f
            groups[f.key] = []
    return groups


def _list_columns(raw: Any, fields: tuple[FieldDef, ...], source: str) -> tuple[ListColumn, ...]:
    """The ``list:`` key: entries ``key`` or ``{key: …, label: {zh: …, en: …}}``."""
    by_key = {f.key: f for f in fields}
    roster = next((f for f in fields if f.type == "repeat"), None)
    if raw is None:  # the first questions that hold answers (a note holds none)
        answered = [f for f in fields if f.type != "note"]
        return tuple(
            ListColumn(f.key, "count" if f.type == "repeat" else "field", f.label, f)
            for f in answered[:DEFAULT_LIST_COLUMNS]
        )
    if not isinstance(raw, list) or not raw:
        raise DefinitionError(source, "list", "must be a non-empty list of field keys")
    columns = []
    for entry in raw:
        spec = entry if isinstance(entry, dict) else {"key": entry}
        key = spec.get("key")
        where = f"list {key}"
        if not isinstance(key, str) or set(spec) - {"key", "label"}:
            raise DefinitionError(source, where, "an entry is a key or {key: …, label: …}")
        head, _, sub = key.partition(".")
        if sub and roster is not None and head == roster.key:
            found = next((s for s in roster.fields if s.key == sub), None)
            if found is None:
                raise DefinitionError(source, where, f"“{sub}” is not a field of {head}")
            column = ListColumn(key, "head", found.label, found)
        elif key in by_key:
            found = by_key[key]
            kind = "count" if found is roster else "field"
            column = ListColumn(key, kind, found.label, found)
        elif key == ADDRESS_COLUMN and "building" in by_key:
            column = ListColumn(key, "address", dict(ADDRESS_LABEL))
        else:
            raise DefinitionError(source, where, "names no field of the form")
        if "label" in spec:
            label = _labels(spec["label"], source, where, "label")
            column = ListColumn(column.key, column.kind, label, column.field)
        columns.append(column)
    return tuple(columns)


def _labels(value: Any, source: str, where: str, name: str) -> dict[str, str]:
    if isinstance(value, str):
        return {"zh": value}
    if not isinstance(value, dict) or "zh" not in value:
        raise DefinitionError(source, where, f"{name} needs at least a zh text")
    return {str(k): str(v) for k, v in value.items()}


def _expression(
    raw: dict[str, Any], name: str, source: str, where: str, siblings: set[str], outer: set[str]
) -> dict[str, Any] | None:
    """One of a field's expressions compiled; its names are fields beside it, or (inside a
    repeat) fields of the form outside, marked ``outer`` for the evaluators."""
    text = raw.get(name)
    if text is None:
        return None
    try:
        tree = compile_expr(str(text))
    except ExpressionError as exc:
        raise DefinitionError(source, where, f"{name}: {exc}") from None
    missing = {v for v in variables(tree) - siblings - outer if not v.startswith(CHOICE_PREFIX)}
    if missing:
        raise DefinitionError(
            source, where, f"{name} refers to unknown field(s): {', '.join(sorted(missing))}"
        )
    return _mark_outer(tree, siblings, outer)


def _mark_outer(tree: dict[str, Any], siblings: set[str], outer: set[str]) -> dict[str, Any]:
    if "var" in tree:
        name = tree["var"]
        return dict(tree, outer=True) if name not in siblings and name in outer else tree
    out = dict(tree)
    for key in ("args", "list"):
        if key in tree:
            out[key] = [_mark_outer(t, siblings, outer) for t in tree[key]]
    return out


def _field(
    raw: Any,
    source: str,
    where: str,
    siblings: set[str],
    local: _Lists | None = None,
    outer: set[str] | None = None,
    data: dict[str, Any] | None = None,
) -> FieldDef:
    if not isinstance(raw, dict):
        raise DefinitionError(source, where, "a field must be a mapping with key and type")
    key = raw.get("key")
    if not isinstance(key, str) or not key.isidentifier():
        raise DefinitionError(source, where, f"key “{key}” must be a snake_case identifier")
    where = f"field {key}" if "." not in where else f"{where.rsplit('.', 1)[0]}.{key}"
    unknown = set(raw) - FIELD_KEYS
    if unknown:
        raise DefinitionError(source, where, f"unknown setting(s): {', '.join(sorted(unknown))}")
    ftype = raw.get("type")
    if ftype not in FIELD_TYPES:
        raise DefinitionError(
            source, where, f"type “{ftype}” is not one of {', '.join(sorted(FIELD_TYPES))}"
        )
    choices = raw.get("choices")
    local = local or {}
    items = None
    attrs = (data or {}).get(choices) if isinstance(choices, str) else None
    if ftype in ("select_one", "select_many"):
        if choices in local:  # the form's own list, known as <form>.<list> everywhere else
            choices, items = local[choices]
        elif choices not in choice_lists():
            raise DefinitionError(
                source, where, f"choices “{choices}” is not a list in choices.yaml"
            )
        default = raw.get("default")
        known = items or choice_lists()[choices]
        wanted = default if isinstance(default, list) and ftype == "select_many" else [default]
        if default is not None and any(d not in known for d in wanted):
            raise DefinitionError(source, where, f"default “{default}” is not one of its choices")
    elif choices is not None:
        raise DefinitionError(source, where, f"a {ftype} field takes no choices")
    outer = outer or set()
    relevant_source = raw.get("relevant")
    relevant = _expression(raw, "relevant", source, where, siblings, outer)
    exprs = {
        name: _expression(raw, name, source, where, siblings, outer)
        for name in ("calculation", "required_if", "constraint", "count", "choice_filter")
    }
    if exprs["choice_filter"] is not None and ftype not in ("select_one", "select_many"):
        raise DefinitionError(source, where, "choice_filter is a setting of a select")
    if exprs["count"] is not None and ftype != "repeat":
        raise DefinitionError(source, where, "count is a setting of a repeat")
    children: tuple[FieldDef, ...] = ()
    exactly_one = None
    if ftype == "repeat":
        subs = raw.get("fields")
        if not isinstance(subs, list) or not subs:
            raise DefinitionError(source, where, "a repeat needs a non-empty list of fields")
        names = {s.get("key") for s in subs if isinstance(s, dict)}
        children = tuple(
            _field(s, source, f"{where}.{i + 1}", names, local, (siblings | outer) - names, data)
            for i, s in enumerate(subs)
        )
        _unique_keys(children, source, where)
        if raw.get("exactly_one"):
            rule = raw["exactly_one"]
            try:
                exactly_one = {"when": compile_expr(rule["when"]), "problem": rule["problem"]}
            except (KeyError, TypeError, ExpressionError) as exc:
                raise DefinitionError(source, where, f"exactly_one: {exc}") from None
    for ref in ("id_type_field", "birth_date_field", "sex_field"):
        if raw.get(ref) is not None and raw[ref] not in siblings:
            raise DefinitionError(source, where, f"{ref} “{raw[ref]}” is not a field beside it")
    if raw.get("ref") is not None and (ftype != "text" or raw["ref"] not in REF_KINDS):
        raise DefinitionError(
            source, where, f"ref “{raw['ref']}” needs a text field and one of household, person"
        )
    return FieldDef(
        key=key,
        type=ftype,
        label=_labels(raw.get("label", key), source, where, "label"),
        hint=_labels(raw["hint"], source, where, "hint") if "hint" in raw else {},
        required=bool(raw.get("required", False)),
        choices=choices,
        relevant=relevant,
        relevant_source=relevant_source,
        default=raw.get("default"),
        min=raw.get("min"),
        max=raw.get("max"),
        max_length=raw.get("max_length"),
        pattern=raw.get("pattern"),
        past=bool(raw.get("past", False)),
        fields=children,
        item_label=_labels(raw["item_label"], source, where, "item_label")
        if "item_label" in raw
        else {},
        min_items=int(raw.get("min_items", 0)),
        exactly_one=exactly_one,
        id_type_field=raw.get("id_type_field"),
        birth_date_field=raw.get("birth_date_field"),
        sex_field=raw.get("sex_field"),
        ref=raw.get("ref"),
        choice_items=items,
        calculation=exprs["calculation"],
        read_only=bool(raw.get("read_only", False)),
        required_if=exprs["required_if"],
        constraint=exprs["constraint"],
        constraint_message=_labels(raw["constraint_message"], source, where, "constraint_message")
        if raw.get("constraint_message")
        else {},
        count=exprs["count"],
        choice_filter=exprs["choice_filter"],
        choice_attrs={str(k): dict(v) for k, v in (attrs or {}).items()},
        max_pixels=_max_pixels(raw.get("max_pixels"), ftype, source, where),
        keep_location=bool(raw.get("keep_location", False)),
        name=str(raw["name"]) if raw.get("name") else None,
    )


def _max_pixels(value: Any, ftype: str, source: str, where: str) -> int | None:
    if value is None:
        return None
    if ftype != "image" or not isinstance(value, int) or not 64 <= value <= 8000:
        raise DefinitionError(source, where, "max_pixels is a whole number (64–8000) of a photo")
    return value


def _unique_keys(fields: tuple[FieldDef, ...], source: str, where: str) -> None:
    seen: set[str] = set()
    for f in fields:
        if f.key in seen:
            raise DefinitionError(source, f"{where} field {f.key}", "the key is used twice")
        seen.add(f.key)


def _local_lists(raw: Any, form: str, source: str) -> _Lists:
    """A form's own ``choices:`` ({list: {code: labels}}), each list named <form>.<list>."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise DefinitionError(source, "choices", "must map list names to {code: label}")
    lists = {}
    for name, entries in raw.items():
        where = f"choices {name}"
        if not isinstance(name, str) or not isinstance(entries, dict) or not entries:
            raise DefinitionError(source, where, "a list maps codes to labels")
        items = {}
        for code, names in entries.items():
            if not isinstance(code, str | int) or isinstance(code, bool) or str(code) == "":
                raise DefinitionError(source, where, f"code “{code}” must be text (quote it)")
            items[str(code)] = _labels(names, source, f"{where} {code}", "label")
        lists[name] = (f"{form}.{name}", items)
    return lists


def parse_definition(raw: Any, source: str) -> FormDef:
    """Validate a loaded definition dict into a FormDef."""
    if not isinstance(raw, dict):
        raise DefinitionError(source, "top level", "a definition must be a mapping")
    unknown = set(raw) - FORM_KEYS
    if unknown:
        raise DefinitionError(
            source, "top level", f"unknown setting(s): {', '.join(sorted(unknown))}"
        )
    for required in ("form", "collection", "fields"):
        if not raw.get(required):
            raise DefinitionError(source, "top level", f"“{required}” is missing")
    items = raw["fields"]
    if not isinstance(items, list):
        raise DefinitionError(source, "fields", "must be a list")
    names = {f.get("key") for f in items if isinstance(f, dict)}
    lists = _local_lists(raw.get("choices"), str(raw["form"]), source)
    data = raw.get("choice_data") or {}
    if not isinstance(data, dict):
        raise DefinitionError(
            source, "choice_data", "must map list names to {code: {column: text}}"
        )
    fields = tuple(
        _field(f, source, f"field #{i + 1}", names, lists, None, data) for i, f in enumerate(items)
    )
    _unique_keys(fields, source, "top level")
    register = raw.get("register")
    if register is not None and not isinstance(register, dict):
        raise DefinitionError(source, "register", "must be a mapping (name, date, columns …)")
    return FormDef(
        name=str(raw["form"]),
        collection=str(raw["collection"]),
        title=_labels(raw.get("title", raw["form"]), source, "title", "title"),
        fields=fields,
        source=source,
        choice_lists=dict(lists.values()),
        register=register,
        list_columns=_list_columns(raw.get("list"), fields, source),
        **_roles(raw, fields, source),
    )


def _roles(raw: dict[str, Any], fields: tuple[FieldDef, ...], source: str) -> dict[str, bool]:
    """The form's roles (``ROLE_KEYS``), false unless set; each needs the fields it reads."""
    keys = {f.key for f in fields}
    roles = {}
    for name in ROLE_KEYS:
        value = raw.get(name, False)
        if not isinstance(value, bool):
            raise DefinitionError(source, name, "is true or false")
        missing = [key for key in ROLE_FIELDS.get(name, ()) if key not in keys]
        if value and missing:
            raise DefinitionError(source, name, f"needs the field(s) {', '.join(missing)}")
        if value and name == "person_checks" and not any(f.type == "repeat" for f in fields):
            raise DefinitionError(source, name, "needs a repeat of people (a roster)")
        roles[name] = value
    return roles


# Definitions already read, by file name and content: a street server opens every community
# with the same forms folder, and each definition is parsed once, not once per community.
_READ: dict[tuple[str, str], FormDef] = {}
_READ_LOCK = threading.Lock()


def load_definition(path: Path) -> FormDef:
    """Read one YAML definition file."""
    text = path.read_text(encoding="utf-8")
    key = (path.name, text)
    with _READ_LOCK:
        known = _READ.get(key)
    if known is not None:
        return known  # a FormDef is frozen: the same one serves every community
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DefinitionError(path.name, "YAML", str(exc)) from None
    form = parse_definition(raw, path.name)
    with _READ_LOCK:
        if len(_READ) > 256:  # forms edited over and over in one process: start again
            _READ.clear()
        return _READ.setdefault(key, form)


SURVEYS = ("household", "storefront", "unit")
# Community work records (工作台账, census.worklog): loaded when their file is in the folder.
WORK_RECORDS = ("visit", "mediation", "activity", "volunteer", "service_case")


def load_surveys(folder: Path = FORMS_DIR) -> dict[str, FormDef]:
    """All survey definitions of the forms folder, keyed by form name.

    The census forms must be there; work records are loaded when present. Surveys that
    staff add live in the data folder and join these at start-up (census.surveys.custom).
    """
    found = {name: load_definition(folder / f"{name}.yaml") for name in SURVEYS}
    for name in WORK_RECORDS:
        if (folder / f"{name}.yaml").exists():
            found[name] = load_definition(folder / f"{name}.yaml")
    return found
