"""Registers (台账): a validated RegisterDef -> its rows and counts on a date.

A register names its record type (person, household, dwelling, storefront or unit), a rule
in the expression language of the survey forms, the columns to show and their order. The
definitions are read from forms/registers.yaml by ``census.surveys.registers`` (a broken one
raises DefinitionError naming the file, the register and the problem, so the app refuses
to start rather than show a wrong list); this module only applies them.

Rows come from ``census.domain.residents``: a person row carries the person's fields, the
household's (building, housing, hardship …), ``age`` on the register date and ``address``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from census.domain.codes import label
from census.domain.display import ID_KEYS, head_name_text, pending_text, value_text, waiting
from census.domain.residents import (
    Community,
    address_key,
    build_community,
    natural_key,
    person_rows,
)
from census.domain.rules import Columns, count
from census.util.gcpause import paused_gc
from census.util.i18n import N_

__all__ = [
    "RECORD_TYPES",
    "Column",
    "RegisterDef",
    "counts_in",
    "format_cell",
    "person_rows",
    "register_counts",
    "register_rows",
]

RECORD_TYPES = ("person", "household", "dwelling", "storefront", "unit")
REGISTER_KEYS = {
    "key", "name", "record", "rule", "columns", "order", "include_away", "group_by", "note",
}  # fmt: skip
RESERVED_KEYS = {"summary", "new", "export", "print"}
ID_COLUMNS = ID_KEYS  # the columns whose values are masked unless full numbers are asked for

_T = dict[str, str]
# Columns that no survey asks for: computed per row. key -> (record types, msgid of the one
# catalogue, census.util.i18n: its English in messages.po).
DERIVED: dict[str, tuple[tuple[str, ...], str]] = {
    "age": (("person",), N_("年龄")),
    "address": (("person", "household", "dwelling"), N_("住址")),
    "grid": (("person", "household", "dwelling"), N_("网格")),
    "household_id": (("person", "household"), N_("住户编号")),
    "member_index": (("person",), N_("成员序号")),
    "residents": (("household", "dwelling"), N_("在住人数")),
    "head_name": (("person", "household"), N_("户主姓名")),
    "head_id_number": (("household",), N_("户主证件号码")),
    "head_phone": (("household",), N_("户主电话")),
    "head_ethnicity": (("household",), N_("户主民族")),
    "member_names": (("household",), N_("家庭成员")),
    "households": (("dwelling",), N_("住户数")),
    "household_nos": (("dwelling",), N_("户编号")),
    "tenants": (("dwelling",), N_("租住人员")),
}
DWELLING_FIELDS = ("building", "unit", "room", "housing", "landlord_name", "landlord_phone")


@dataclass(frozen=True)
class Column:
    """What a register needs to show one field: its label and how to read its value."""

    key: str
    label: _T
    kind: str = "text"  # a survey field type, or "integer" / "text" for derived columns
    choices: str | None = None

    @property
    def type(self) -> str:
        """The field type, under the name ``census.domain.display`` reads."""
        return self.kind

    def word(self, code: str, lang: str = "zh") -> str:
        """The word of one of its codes (the code itself when its list does not know it)."""
        return label(self.choices, code, lang) if self.choices else code


@dataclass(frozen=True, eq=False)
class RegisterDef:
    """One register: which records, which rule, which columns, in which order."""

    key: str
    name: _T
    record: str
    rule_source: str
    rule: dict[str, Any] | None
    columns: tuple[str, ...]
    order: tuple[str, ...] = ("address",)
    include_away: bool = False
    group_by: str | None = None
    note: _T = field(default_factory=dict)
    info: dict[str, Column] = field(default_factory=dict, repr=False)
    matches: Callable[[dict[str, Any]], bool] = field(
        default=lambda row: True, repr=False, compare=False
    )

    def title(self, lang: str = "zh") -> str:
        """The register's name in a language, falling back to Chinese."""
        return self.name.get(lang) or self.name["zh"]

    def column_label(self, key: str, lang: str = "zh") -> str:
        """The heading of a column."""
        names = self.info[key].label if key in self.info else {"zh": key}
        return names.get(lang) or names["zh"]


def _sort_key(key: str) -> Callable[[dict[str, Any]], Any]:
    if key == "address":
        return lambda r: (address_key(r), natural_key(r.get("address") or ""))

    def value(row: dict[str, Any]) -> Any:
        v = row.get(key)
        if v is None:
            return (1, 0, ())  # blanks last
        if isinstance(v, bool | int | float):
            return (0, v, ())
        return (0, 0, natural_key(str(v)))

    return value


def _ordered(reg: RegisterDef, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows in the register's order; rows come in address order, so that order costs nothing."""
    if reg.order == ("address",) and reg.record in ("person", "household", "dwelling"):
        return rows
    for item in reversed(reg.order):
        rows = sorted(rows, key=_sort_key(item.lstrip("-")), reverse=item.startswith("-"))
    return rows


def _source_rows(
    record: str,
    community: Community,
    storefronts: list[dict[str, Any]],
    units: list[dict[str, Any]],
    include_away: bool = False,
) -> list[dict[str, Any]]:
    if record == "person":
        return community.persons(include_away)
    if record == "household":
        return community.households
    if record == "dwelling":
        return community.dwellings
    return list(storefronts if record == "storefront" else units)


def rows_in(
    reg: RegisterDef,
    community: Community,
    storefronts: list[dict[str, Any]],
    units: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """A register's rows from an already built Community (several registers, one build)."""
    rows = _source_rows(reg.record, community, storefronts, units, reg.include_away)
    with paused_gc():
        return _ordered(reg, list(filter(reg.matches, rows)))


def register_rows(
    reg: RegisterDef,
    households: list[dict[str, Any]],
    storefronts: list[dict[str, Any]],
    units: list[dict[str, Any]],
    as_of: date,
) -> list[dict[str, Any]]:
    """The rows of one register on a date, in the register's order."""
    if reg.record in ("storefront", "unit"):  # no need to find who lives here
        return rows_in(reg, Community(as_of), storefronts, units)
    return rows_in(reg, build_community(households, as_of), storefronts, units)


def register_counts(
    registers: list[RegisterDef],
    households: list[dict[str, Any]],
    storefronts: list[dict[str, Any]],
    units: list[dict[str, Any]],
    as_of: date,
) -> dict[str, int]:
    """``{register key: number of rows}`` on a date, every register from one build."""
    with paused_gc():
        return counts_in(registers, build_community(households, as_of), storefronts, units)


def counts_in(
    registers: list[RegisterDef],
    community: Community,
    storefronts: list[dict[str, Any]],
    units: list[dict[str, Any]],
) -> dict[str, int]:
    """``{register key: number of rows}`` from an already built Community.

    Counting needs no rows in order: each field a rule reads is taken out once for every
    register of its record type (``Community.columns``), and the rule is asked once per
    distinct value (``rules.count``).
    """
    counts = {}
    others = {"storefront": Columns(storefronts), "unit": Columns(units)}
    with paused_gc():
        for reg in registers:
            if reg.record in others:
                cols = others[reg.record]
            else:
                cols = community.columns(reg.record, reg.include_away)
            counts[reg.key] = count(reg.rule, cols=cols)
    return counts


def group_counts(reg: RegisterDef, rows: list[dict[str, Any]]) -> list[tuple[Any, int]]:
    """Rows per value of the register's group_by field (e.g. per ethnic group), largest first."""
    if not reg.group_by:
        return []
    counts: dict[Any, int] = {}
    for row in rows:
        value = row.get(reg.group_by)
        for v in value if isinstance(value, list) else [value]:
            counts[v] = counts.get(v, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))


def format_cell(
    reg: RegisterDef,
    row: dict[str, Any],
    key: str,
    lang: str = "zh",
    full_ids: bool = False,
    *,
    mask_phones: bool = False,
) -> str:
    """The text of one cell of a register (the pages, printouts and exports): the value as
    ``census.domain.display`` writes it, an empty cell for nothing, phones masked if asked.
    What an import left to verify says 待核实, and a head not yet confirmed is marked."""
    if key == "head_name":
        return head_name_text(row.get(key), bool(row.get("head_pending")), lang)
    if waiting(row, key):
        return pending_text(lang)
    return value_text(
        reg.info.get(key), row.get(key), lang, masked=not full_ids, mask_phones=mask_phones
    )
