"""Work-record registers (工作台账): a survey definition plus its ``register:`` settings -> rows.

Every survey that is not part of the census itself — the five work records of forms/ and the
surveys staff add — gets a register: its records in a period, with the columns, order and
grouping its definition names (or, for a staff-added survey without settings, its first
questions, newest first). Cells are the words staff read: code labels, 是/否, repeats
summed up on one line, links resolved (张伟（H0012 3栋2单元301）) and ID numbers masked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from census.domain import display, expr
from census.domain.address import natural_key
from census.domain.contact import mask_phone
from census.domain.ids import mask_id
from census.surveys.definition import DefinitionError, FieldDef, FormDef
from census.util.i18n import NC_, gettext
from census.worklog.links import Links
from census.worklog.periods import Period, to_day

REGISTER_KEYS = {"name", "date", "columns", "order", "group_by", "rule"}
DEFAULT_COLUMNS = 8
ID = "id"  # the record id: the order of entry, for surveys without a date

_T = dict[str, str]


@dataclass(frozen=True, eq=False)
class WorkRegister:
    """The register of one survey: which columns, which date places a record in a period."""

    form: FormDef
    name: _T
    date: str | None
    columns: tuple[str, ...]
    order: tuple[str, ...]
    group_by: str | None = None
    fields: dict[str, FieldDef] = field(default_factory=dict, repr=False)
    # Which records are on it (as a household register's rule, over the survey's answered and
    # calculated fields); None: every record of the survey.
    rule: dict[str, Any] | None = None

    def admits(self, record: dict[str, Any]) -> bool:
        """Is the record on this register (its rule holds for it)?"""
        return self.rule is None or expr.truth(expr.evaluate(self.rule, record))

    @property
    def key(self) -> str:
        """The register's address: the form's name."""
        return self.form.name

    def title(self, lang: str = "zh") -> str:
        """The register's name in a language."""
        return self.name.get(lang) or self.name["zh"]

    def column_label(self, key: str, lang: str = "zh") -> str:
        """The heading of a column: the field's label."""
        return self.fields[key].text(lang)


def _problem(form: FormDef, problem: str) -> DefinitionError:
    return DefinitionError(form.source or form.name, "register", problem)


def _default_settings(form: FormDef) -> dict[str, Any]:
    """A staff-added survey without register settings: its first questions, newest first."""
    date = next((f.key for f in form.fields if f.type == "date"), None)
    # a note holds no answer; a long text does not fit a register line
    shown = [f.key for f in form.fields if f.type not in ("textarea", "note")][:DEFAULT_COLUMNS]
    return {
        "name": {k: gettext("{title}台账", k, title=v) for k, v in form.title.items()},
        "date": date,
        "columns": shown,
        "order": [f"-{date}"] if date else [f"-{ID}"],
    }


def _rule(form: FormDef, source: Any, fields: dict[str, FieldDef]) -> dict[str, Any] | None:
    """A register's rule, compiled and checked against the survey's own fields."""
    if source is None or (isinstance(source, str) and not source.strip()):
        return None
    if not isinstance(source, str):
        raise _problem(form, "rule must be an expression (text)")
    try:
        tree = expr.compile_expr(source.strip())
    except expr.ExpressionError as exc:
        raise _problem(form, f"rule: {exc}") from None
    unknown = expr.variables(tree) - set(fields)
    if unknown:
        raise _problem(form, f"rule refers to unknown field(s): {', '.join(sorted(unknown))}")
    return tree


def register_for(form: FormDef) -> WorkRegister:
    """The register of a survey, its settings checked against the survey's own fields."""
    raw = form.register if form.register is not None else _default_settings(form)
    unknown = set(raw) - REGISTER_KEYS
    if unknown:
        raise _problem(form, f"unknown setting(s): {', '.join(sorted(unknown))}")
    fields = {f.key: f for f in form.fields}
    name = raw.get("name") or {"zh": form.title["zh"]}
    if isinstance(name, str):
        name = {"zh": name}
    if not isinstance(name, dict) or not name.get("zh"):
        raise _problem(form, "name needs at least a zh text")
    date = raw.get("date")
    if date is not None and (date not in fields or fields[date].type != "date"):
        raise _problem(form, f"date “{date}” is not a date field of the form")
    columns = raw.get("columns")
    if not isinstance(columns, list) or not columns:
        raise _problem(form, "columns must be a non-empty list of field keys")
    for key in columns:
        if key not in fields:
            raise _problem(form, f"column “{key}” is not a field of the form")
    order = raw.get("order") or ([f"-{date}"] if date else [f"-{ID}"])
    order = [order] if isinstance(order, str) else order
    for item in order:
        if not isinstance(item, str) or (item.lstrip("-") not in fields and item.lstrip("-") != ID):
            raise _problem(form, f"order “{item}” is not a field of the form")
    group_by = raw.get("group_by")
    if group_by is not None and (group_by not in fields or fields[group_by].type == "repeat"):
        raise _problem(form, f"group_by “{group_by}” is not a field of the form")
    return WorkRegister(
        rule=_rule(form, raw.get("rule"), fields),
        form=form,
        name={str(k): str(v) for k, v in name.items()},
        date=date,
        columns=tuple(columns),
        order=tuple(order),
        group_by=group_by,
        fields=fields,
    )


# --- cells ----------------------------------------------------------------------------------


def value_text(
    f: FieldDef, value: Any, links: Links | None, lang: str = "zh", full: bool = False
) -> str:
    """One stored value as staff read it: a repeat's entries on one line, a link resolved,
    anything else as every output writes it (``census.domain.display``)."""
    if display.blank(value):
        return ""
    if f.type == "repeat":
        return _repeat_text(f, value, links, lang, full)
    if f.ref and links is not None:
        found = links.resolve(f, value)
        if found.problem and f.ref == "person" and "/" not in str(value) and not full:
            return found.text(lang).replace(str(value), mask_id(str(value)), 1)
        return found.text(lang)
    return display.value_text(f, value, lang, masked=not full)


def _repeat_text(
    f: FieldDef, items: Iterable[dict[str, Any]], links: Links | None, lang: str, full: bool
) -> str:
    """Entries as 张三（申请人，139****5678）；李四（被申请人）: the first answer, then the rest."""
    entries = []
    for item in items or []:
        texts: list[str] = []
        for sub in f.fields:
            value = (item or {}).get(sub.key)
            found = links.person(value) if sub.ref == "person" and value and links else None
            if found is not None and found.person is not None:
                text = found.person.name  # the entry says where; the name is enough here
            else:
                text = value_text(sub, value, links, lang, full)
            if sub.type == "phone" and not full:
                text = mask_phone(text)
            if text and text not in texts:
                texts.append(text)
        if texts:
            rest = gettext(NC_("punctuation", "，"), lang).join(texts[1:])
            entries.append(
                gettext("{name}（{rest}）", lang, name=texts[0], rest=rest) if rest else texts[0]
            )
    return gettext(NC_("punctuation", "；"), lang).join(entries)


@dataclass
class Row:
    """One record of a register: the stored record and its cells by column key."""

    record: dict[str, Any]
    cells: dict[str, str]
    broken_links: int = 0

    @property
    def id(self) -> Any:
        """The record's id."""
        return self.record.get("id")


def _sort_key(reg: WorkRegister, key: str) -> Callable[[dict[str, Any]], Any]:
    f = reg.fields.get(key)

    def value(record: dict[str, Any]) -> Any:
        v = record.get(key)
        if key == ID:
            return (0, v or 0, ())
        if v is None or v == "" or v == []:
            return (1, 0, ())
        if f is not None and f.ref:
            return (0, 0, natural_key(str(v)))
        if isinstance(v, bool | int | float):
            return (0, v, ())
        return (0, 0, natural_key(str(v)))

    return value


def in_period(reg: WorkRegister, record: dict[str, Any], period: Period | None) -> bool:
    """Does a record fall into a period (by the register's date field)?"""
    if period is None:
        return True
    if reg.date is None:  # a survey without dates: by the day it was entered
        return to_day(record.get("created_at")) in period
    return to_day(record.get(reg.date)) in period


def ordered(reg: WorkRegister, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records in the register's order."""
    for item in reversed(reg.order):
        records = sorted(records, key=_sort_key(reg, item.lstrip("-")), reverse=item[0] == "-")
    return records


def register_rows(
    reg: WorkRegister,
    records: Iterable[dict[str, Any]],
    links: Links | None,
    *,
    period: Period | None = None,
    lang: str = "zh",
    full: bool = False,
) -> list[Row]:
    """The rows of a register in a period (all records when no period), in its order."""
    chosen = ordered(reg, [r for r in records if in_period(reg, r, period) and reg.admits(r)])
    rows = []
    for record in chosen:
        cells = {
            key: value_text(reg.fields[key], record.get(key), links, lang, full)
            for key in reg.columns
        }
        broken = sum(1 for text in cells.values() if "（未找到）" in text or "（不唯一）" in text)
        rows.append(Row(record, cells, broken))
    return rows


def group_counts(reg: WorkRegister, rows: list[Row], lang: str = "zh") -> list[tuple[str, int]]:
    """Rows per value of the register's group_by field, in the order of its choices."""
    if not reg.group_by:
        return []
    f = reg.fields[reg.group_by]
    counts: dict[str, int] = {}
    for row in rows:
        value = row.record.get(reg.group_by)
        for v in value if isinstance(value, list) else [value]:
            if v is None or v == "":
                continue
            counts[str(v)] = counts.get(str(v), 0) + 1
    if f.choices:
        known = [(text, counts.get(code, 0)) for code, text in f.options(lang)]
        extra = [(code, n) for code, n in counts.items() if code not in f.codes]
        return [(name, n) for name, n in known if n] + extra
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def matches(row: Row, q: str) -> bool:
    """A search word in any cell (case and spaces ignored)."""
    q = q.replace(" ", "").upper()
    return any(q in text.replace(" ", "").upper() for text in row.cells.values())


def sheet(reg: WorkRegister, rows: list[Row], lang: str = "zh") -> tuple[list[str], list[list]]:
    """The register as one spreadsheet table: headings, then one line per record."""
    headers = [reg.column_label(key, lang) for key in reg.columns]
    body = []
    for row in rows:
        line: list[Any] = []
        for key in reg.columns:
            value = row.record.get(key)
            f = reg.fields[key]
            if f.type == "integer" and isinstance(value, int):
                line.append(value)  # numbers stay numbers, to be summed in Excel
            elif f.type == "date" and to_day(value) is not None:
                line.append(to_day(value))
            else:
                line.append(row.cells[key])
        body.append(line)
    return headers, body
