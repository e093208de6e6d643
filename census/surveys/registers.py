"""Register definitions: forms/registers.yaml -> validated ``RegisterDef`` (see domain.registers).

Each register's rule and columns are checked against the survey forms beside the file: a
broken definition raises ``DefinitionError`` naming the file, the register and the problem,
so the app refuses to start rather than show a wrong list.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

import yaml

from census.domain.expr import ExpressionError, compile_expr, variables
from census.domain.registers import (
    _T,
    DERIVED,
    DWELLING_FIELDS,
    RECORD_TYPES,
    REGISTER_KEYS,
    RESERVED_KEYS,
    Column,
    RegisterDef,
)
from census.domain.rules import predicate
from census.surveys.definition import DefinitionError, FieldDef, FormDef, load_surveys
from census.util.i18n import in_each_language
from census.util.resources import FORMS_DIR

__all__ = ["DefinitionError", "column_info", "load_registers", "parse_registers"]


@cache
def _surveys(folder: str) -> dict[str, FormDef]:
    return load_surveys(Path(folder))


def column_info(record: str, surveys: dict[str, FormDef] | None = None) -> dict[str, Column]:
    """Every field a register of this record type may read or show."""
    surveys = surveys or _surveys(str(FORMS_DIR.resolve()))
    found: dict[str, Column] = {}
    household = surveys["household"]

    def add(fields: Iterable[FieldDef]) -> None:
        for f in fields:
            if f.type != "repeat":
                found[f.key] = Column(f.key, dict(f.label), f.type, f.choices)

    if record == "person":
        add(f for f in household.fields if f.key not in ("members", "notes"))
        add(household.field("members").fields)
    elif record == "household":
        add(f for f in household.fields if f.key != "members")
    elif record == "dwelling":
        add(f for f in household.fields if f.key in DWELLING_FIELDS)
    else:
        add(surveys[record].fields)
    for key, (records, msgid) in DERIVED.items():
        if record in records:
            kind = "integer" if key in ("age", "residents", "households", "member_index") else ""
            found[key] = Column(key, in_each_language(msgid), kind or "text")
    return found


def _names(value: object, source: str, where: str, what: str) -> _T:
    if isinstance(value, str) and value:
        return {"zh": value}
    if not isinstance(value, dict) or not value.get("zh"):
        raise DefinitionError(source, where, f"{what} needs at least a zh text")
    return {str(k): str(v) for k, v in value.items()}


def _register(raw: object, n: int, source: str, surveys: dict[str, FormDef] | None) -> RegisterDef:
    where = f"register #{n}"
    if not isinstance(raw, dict):
        raise DefinitionError(source, where, "a register must be a mapping with key, name, record")
    key = raw.get("key")
    if not isinstance(key, str) or not key.isidentifier():
        raise DefinitionError(source, where, f"key “{key}” must be a snake_case identifier")
    where = f"register {key}"
    if key in RESERVED_KEYS:
        raise DefinitionError(source, where, f"the key “{key}” is reserved")
    unknown = set(raw) - REGISTER_KEYS
    if unknown:
        raise DefinitionError(source, where, f"unknown setting(s): {', '.join(sorted(unknown))}")
    record = raw.get("record")
    if record not in RECORD_TYPES:
        raise DefinitionError(
            source, where, f"record “{record}” is not one of {', '.join(RECORD_TYPES)}"
        )
    info = column_info(record, surveys)
    rule_source = str(raw.get("rule") or "").strip()
    rule = None
    if rule_source:
        try:
            rule = compile_expr(rule_source)
        except ExpressionError as exc:
            raise DefinitionError(source, where, f"rule: {exc}") from None
        missing = variables(rule) - set(info)
        if missing:
            raise DefinitionError(
                source,
                where,
                f"rule refers to unknown field(s) of a {record}: {', '.join(sorted(missing))}",
            )
    columns = raw.get("columns")
    if not isinstance(columns, list) or not columns:
        raise DefinitionError(source, where, "columns must be a non-empty list of field keys")
    for column in columns:
        if column not in info:
            raise DefinitionError(source, where, f"column “{column}” is not a field of a {record}")
    order = raw.get("order", ["address"])
    order = [order] if isinstance(order, str) else order
    if not isinstance(order, list):
        raise DefinitionError(source, where, "order must be a field key or a list of them")
    for item in order:
        if not isinstance(item, str) or item.lstrip("-") not in info:
            raise DefinitionError(source, where, f"order “{item}” is not a field of a {record}")
    include_away = raw.get("include_away", False)
    if not isinstance(include_away, bool) or (include_away and record != "person"):
        raise DefinitionError(source, where, "include_away is true or false, for person registers")
    group_by = raw.get("group_by")
    if group_by is not None and group_by not in info:
        raise DefinitionError(source, where, f"group_by “{group_by}” is not a field of a {record}")
    return RegisterDef(
        key=key,
        name=_names(raw.get("name"), source, where, "name"),
        record=record,
        rule_source=rule_source,
        rule=rule,
        columns=tuple(columns),
        order=tuple(order),
        include_away=include_away,
        group_by=group_by,
        note=_names(raw["note"], source, where, "note") if raw.get("note") else {},
        info=info,
        matches=predicate(rule),
    )


def parse_registers(
    raw: object, source: str, surveys: dict[str, FormDef] | None = None
) -> list[RegisterDef]:
    """Validate a loaded registers file (``{"registers": [...]}``) into RegisterDefs."""
    if not isinstance(raw, dict) or not isinstance(raw.get("registers"), list):
        raise DefinitionError(source, "top level", "needs “registers:”, a list of registers")
    registers = [_register(r, n, source, surveys) for n, r in enumerate(raw["registers"], 1)]
    seen: set[str] = set()
    for reg in registers:
        if reg.key in seen:
            raise DefinitionError(source, f"register {reg.key}", "the key is used twice")
        seen.add(reg.key)
    return registers


def load_registers(path: Path | None = None) -> list[RegisterDef]:
    """Read forms/registers.yaml (or another file) into validated register definitions."""
    path = Path(path) if path else FORMS_DIR / "registers.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DefinitionError(path.name, "YAML", str(exc)) from None
    # Rules and columns are checked against the survey forms beside the file, if any.
    beside = path.parent if (path.parent / "household.yaml").exists() else FORMS_DIR
    return parse_registers(raw, path.name, _surveys(str(beside.resolve())))
