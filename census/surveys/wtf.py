"""Compile a FormDef into WTForms classes, and map cleaned problems back onto the fields.

WTForms parses the posted form (including ``members-3-name`` roster rows, gaps allowed) and
carries CSRF; the rules themselves live in ``validate.clean`` so that the API shares them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice

from census.domain.display import yes_no
from census.domain.problems import Problem
from census.surveys.definition import SILENT_TYPES, FieldDef, FormDef, fill
from census.surveys.widgets import (
    CheckboxInput,
    ListWidget,
    RadioInput,
    Select,
    TextArea,
    TextInput,
)

_INPUT_KW: dict[str, dict[str, str]] = {
    "integer": {"inputmode": "numeric", "type": "number"},
    "date": {"type": "date"},
    "phone": {"inputmode": "tel", "type": "tel", "autocomplete": "off"},
    "id_number": {"autocomplete": "off", "autocapitalize": "characters", "maxlength": "30"},
    "uscc": {"autocomplete": "off", "autocapitalize": "characters", "maxlength": "18"},
}


class MultiCheckboxField(SelectMultipleField):
    """Several choices as large touch-friendly checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _render_kw(f: FieldDef, lang: str = "zh") -> dict[str, Any]:
    kw: dict[str, Any] = dict(_INPUT_KW.get(f.type, {}))
    kw["data-key"] = f.key
    kw["data-type"] = f.type
    if f.relevant is not None:
        kw["data-relevant"] = json.dumps(f.relevant, ensure_ascii=False)
    if f.calculation is not None:
        kw["data-calculate"] = json.dumps(f.calculation, ensure_ascii=False)
        if f.type in ("calculate", "hidden") or f.read_only:
            kw["data-always"] = "1"  # worked out whatever is typed; else only while blank
    if f.read_only:
        kw["readonly"] = True
    if f.choice_filter is not None:
        kw["data-choice-filter"] = json.dumps(f.choice_filter, ensure_ascii=False)
    # A label or hint with ${name} fills: the page fills it as the answers change.
    if "${" in f.text(lang):
        kw["data-fill-label"] = f.text(lang)
    if "${" in f.hint_text(lang):
        kw["data-fill-hint"] = f.hint_text(lang)
    if f.required:
        kw["data-required"] = "1"
    if f.default is not None:
        kw["data-default"] = str(f.default)
    if f.max_length:
        kw["maxlength"] = str(f.max_length)
    if f.pattern:
        kw["pattern"] = f.pattern
    if f.min is not None:
        kw["min"] = str(f.min)
    if f.max is not None:
        kw["max"] = str(f.max)
    if f.type == "image" and f.max_pixels:
        kw["data-max-pixels"] = str(f.max_pixels)  # ODK's max-pixels: the tablet resizes to it
    return kw


def _choices(f: FieldDef, lang: str) -> list[SelectChoice]:
    if f.choice_filter is None:
        return [SelectChoice(code, text) for code, text in f.options(lang)]
    # a cascading select: each choice carries what its filter reads (forms.js hides it)
    return [
        SelectChoice(
            code,
            text,
            render_kw={"data-choice": json.dumps(f.choice_env(code), ensure_ascii=False)},
        )
        for code, text in f.options(lang)
    ]


def _wtf_field(f: FieldDef, lang: str) -> Any:
    label, hint, kw = f.text(lang), f.hint_text(lang), _render_kw(f, lang)
    if f.type == "repeat":
        sub = _subform(f, lang)
        return FieldList(FormField(sub), label=label, min_entries=1, description=hint)
    if f.type == "select_one":
        choices = [SelectChoice("", "—")] + _choices(f, lang)
        return SelectField(
            label,
            choices=choices,
            validate_choice=False,
            render_kw=kw,
            description=hint,
            default=f.default,
            widget=Select(),
        )
    if f.type == "select_many":
        return MultiCheckboxField(
            label, choices=_choices(f, lang), validate_choice=False, render_kw=kw, description=hint
        )
    if f.type == "yes_no":
        yes, no = yes_no(True, lang), yes_no(False, lang)
        return RadioField(
            label,
            choices=[SelectChoice("yes", yes), SelectChoice("no", no)],
            validate_choice=False,
            render_kw=kw,
            description=hint,
            widget=ListWidget(prefix_label=False),
            option_widget=RadioInput(),
        )
    # a value nobody types (hidden, read-only) is on the page from the start
    shown = f.default if f.read_only or f.type in SILENT_TYPES else None
    if f.type == "textarea":
        return TextAreaField(
            label, render_kw=kw, description=hint, default=shown, widget=TextArea()
        )
    return StringField(label, render_kw=kw, description=hint, default=shown, widget=TextInput())


@cache
def _subform(f: FieldDef, lang: str) -> type[Form]:
    attrs = {s.key: _wtf_field(s, lang) for s in f.fields}
    return type(f"{f.key.title()}ItemForm", (Form,), attrs)


class _SurveyForm(FlaskForm):
    """A survey's form whose labels and hints show their ``${name}`` fills as answered."""

    definition: FormDef
    lang: str

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fill_labels(self)


def _fill(field: Any, kw: dict[str, Any], values: dict[str, Any], outer: dict[str, Any]) -> None:
    if kw.get("data-fill-label"):
        field.label.text = fill(kw["data-fill-label"], values, outer)
    if kw.get("data-fill-hint"):
        field.description = fill(kw["data-fill-hint"], values, outer)


def fill_labels(form: Any) -> None:
    """Fill each ``${name}`` of the labels and hints with the answers the form holds (an
    edit, a refused save); the browser keeps them filled while the surveyor types."""
    defn: FormDef = form.definition
    if not any("${" in str(f.label) + str(f.hint) for f in _all_fields(defn.fields)):
        return
    _fill_level(defn.fields, form, {})


def _fill_level(fields: tuple[FieldDef, ...], form: Any, outer: dict[str, Any]) -> None:
    """One level's labels from its own answers, then the levels around it (``outer``,
    nearest first): a child's label names its member, as the tablet fills it."""
    values = {f.key: form[f.key].data for f in fields if f.type != "repeat"}
    around = {**outer, **values}
    for f in fields:
        field = form[f.key]
        if f.type != "repeat":
            _fill(field, field.render_kw or {}, values, outer)
            continue
        for entry in field.entries:
            _fill_level(f.fields, entry.form, around)


def _all_fields(fields: tuple[FieldDef, ...]) -> list[FieldDef]:
    return [g for f in fields for g in (f, *_all_fields(f.fields))]


@cache
def form_class(defn: FormDef, lang: str = "zh") -> type[FlaskForm]:
    """The WTForms class of a survey in one language (built once, then reused)."""
    attrs: dict[str, Any] = {f.key: _wtf_field(f, lang) for f in defn.fields}
    attrs["definition"] = defn
    attrs["lang"] = lang
    return type(f"{defn.name.title()}Form", (_SurveyForm,), attrs)


def _form_value(f: FieldDef, value: Any) -> Any:
    if f.type == "yes_no":
        return {True: "yes", False: "no"}.get(value, value)
    if f.type == "integer" and value is not None:
        return str(value)
    return value


def record_to_formdata(defn: FormDef, record: dict[str, Any]) -> dict[str, Any]:
    """A stored record as WTForms ``data=`` for editing (repeats inside repeats too)."""
    return _formdata(defn.fields, record)


def _formdata(fields: tuple[FieldDef, ...], record: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for f in fields:
        if f.type == "repeat":
            data[f.key] = [
                _formdata(f.fields, item)
                for item in record.get(f.key) or []
                if isinstance(item, dict)
            ]
        else:
            data[f.key] = _form_value(f, record.get(f.key))
    return data


def formdata_to_raw(defn: FormDef, form: FlaskForm) -> dict[str, Any]:
    """The posted form as a raw record for ``clean`` (the same shape the API receives)."""
    return _raw(defn.fields, form)


def _raw(fields: tuple[FieldDef, ...], form: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for f in fields:
        field = form[f.key]
        if f.type == "repeat":
            raw[f.key] = [_raw(f.fields, entry.form) for entry in field.entries]
        else:
            raw[f.key] = field.data
    return raw


def _repeats(form: Any) -> Iterator[FieldList]:
    """Every repeat of a form, and the repeats inside their entries, at every depth."""
    for field in form:
        if isinstance(field, FieldList):
            yield field
            for entry in field.entries:
                yield from _repeats(entry.form)


def repeat_named(form: Any, name: str) -> FieldList | None:
    """The repeat whose inputs start with ``name`` (``members-0-kids``), if there is one."""
    return next((r for r in _repeats(form) if r.name == name), None)


def entry_named(form: Any, name: str) -> tuple[list[Any], int] | None:
    """The entries of the repeat holding the entry ``name`` (``members-0-kids-1``), and its
    place among them; None when no entry has that name."""
    for repeat in _repeats(form):
        for index, entry in enumerate(repeat.entries):
            if entry.name == name:
                return repeat.entries, index
    return None


def attach_problems(form: FlaskForm, problems: list[Problem], lang: str) -> dict[str, list[str]]:
    """Put each problem beside its field; return those that belong to no single field."""
    leftovers: dict[str, list[str]] = {}
    form.warnings = {}  # type: ignore[attr-defined]
    for problem in problems:
        field = field_at(form, problem.path)
        message = problem.message(lang)
        if field is None:
            leftovers.setdefault(problem.path, []).append(message)
        elif problem.is_error:
            field.errors = list(field.errors) + [message]
        else:
            form.warnings.setdefault(field.name, []).append(message)  # type: ignore[attr-defined]
    return leftovers


def field_at(form: FlaskForm, path: str) -> Any:
    """The WTForms field at ``members[1].id_number`` (or ``members[0].kids[1].k_name``);
    None for a roster as a whole."""
    head, _, rest = path.partition(".")
    name, _, index = head.partition("[")
    field = form[name] if name and name in form else None
    if field is None or not index:
        return None if isinstance(field, FieldList) else field
    try:
        entry = field.entries[int(index.rstrip("]"))]
    except (ValueError, IndexError):
        return None
    if not rest:
        return None
    return field_at(entry.form, rest)
