"""Stored records brought back to the shape their form promises, so that reading never fails.

Every write goes through ``clean``, so a record stored by this version has the shape of
its form. A record stored otherwise (by an older version, by hand, restored from an old
backup) may not: a number where text belongs, a list where one code belongs, a roster that
is not a list. Pages, exports and prints read records as their form says they are; rather
than guard every reader, the app conforms such records once when it opens the store:
every value keeps its content, shown as text where its type was wrong, and the record's
previous version stays in its history.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from census.domain.display import yes_no
from census.domain.ids import mask_id
from census.surveys.definition import FieldDef, FormDef
from census.surveys.jsonbody import clean_text

# Bookkeeping every record kind may carry, all of them text.
TEXT_META = (
    "uuid",
    "surveyor",
    "visited_at",
    "visit_outcome",
    "review_state",
    "reviewed_by",
    "reviewed_at",
    "household_no",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "merged_into",
    "merged_at",
)
_TEXT_TYPES = ("text", "textarea", "select_one", "date", "id_number", "phone", "uscc")
_CHECKED = ("repeat", "select_many", "integer", "yes_no", *_TEXT_TYPES)  # what _value changes


def as_text(value: Any) -> str:
    """Any stored value as the text a page shows for it."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, int | float):
        return str(value)
    try:
        text = orjson.dumps(value, default=str).decode()
    except TypeError:  # a lone surrogate or an integer past 64 bits inside: still shown
        text = json.dumps(value, ensure_ascii=False, default=str)
    return clean_text(text)


def _value(f: FieldDef, value: Any) -> Any:
    if value is None:
        return [] if f.type in ("select_many", "repeat") else None
    if f.type == "repeat":
        items = value if isinstance(value, list) else [value]
        rows = [item if isinstance(item, dict) else {"notes": as_text(item)} for item in items]
        return [_record(f.fields, row) for row in rows]
    if f.type == "select_many":
        items = value if isinstance(value, list) else [value]
        return [as_text(item) for item in items if item is not None]
    if f.type == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return as_text(value)
    if f.type == "yes_no":
        return value if isinstance(value, bool) else as_text(value)
    if f.type in _TEXT_TYPES:
        return as_text(value)
    return value


def _record(fields: tuple[FieldDef, ...], doc: dict[str, Any]) -> dict[str, Any]:
    out = dict(doc)
    for f in fields:
        if f.key in out:
            out[f.key] = _value(f, out[f.key])
    return out


def conform(form: FormDef, doc: dict[str, Any]) -> dict[str, Any] | None:
    """``doc`` in its form's shape, or None when it already is (the common case)."""
    if _in_shape(form.fields, doc) and _meta_in_shape(doc):
        return None  # seen at a glance, nothing copied (every record, at every start)
    return _conformed(form, doc)


_CHECKED_BY_KEY: dict[int, tuple[tuple[FieldDef, ...], dict[str, FieldDef]]] = {}


def _checked(fields: tuple[FieldDef, ...]) -> dict[str, FieldDef]:
    """The fields ``_value`` may change, by key (kept per tuple of fields: a form's own)."""
    known = _CHECKED_BY_KEY.get(id(fields))
    if known is None or known[0] is not fields:
        if len(_CHECKED_BY_KEY) > 256:  # forms read again and again: start again
            _CHECKED_BY_KEY.clear()
        known = (fields, {f.key: f for f in fields if f.type in _CHECKED})
        _CHECKED_BY_KEY[id(fields)] = known
    return known[1]


def _in_shape(fields: tuple[FieldDef, ...], doc: dict[str, Any]) -> bool:
    """True when ``_record`` would give ``doc`` back unchanged (False: it may not)."""
    checked = _checked(fields)
    for key, value in doc.items():
        f = checked.get(key)
        if f is None:
            continue
        if value is None:
            if f.type in ("select_many", "repeat"):
                return False
        elif f.type == "repeat":
            if not isinstance(value, list):
                return False
            for item in value:
                if not isinstance(item, dict) or not _in_shape(f.fields, item):
                    return False
        elif f.type == "select_many":
            if not isinstance(value, list):
                return False
            for item in value:
                if not (isinstance(item, str) and item.isprintable()):
                    return False
        elif isinstance(value, str):
            if not value.isprintable():
                return False
        elif f.type == "integer":
            if not isinstance(value, int) or isinstance(value, bool):
                return False
        elif f.type == "yes_no":
            if not isinstance(value, bool):
                return False
        else:  # a text type holding something else
            return False
    return True


def _meta_in_shape(doc: dict[str, Any]) -> bool:
    for key in TEXT_META:
        value = doc.get(key)
        if value is not None and not (isinstance(value, str) and value.isprintable()):
            return False
    return "merged_from" not in doc or isinstance(doc["merged_from"], list)


def _conformed(form: FormDef, doc: dict[str, Any]) -> dict[str, Any] | None:
    """The whole conforming, copies and all: ``doc`` in shape, or None if it was."""
    out = _record(form.fields, doc)
    for key in TEXT_META:
        if out.get(key) is not None and not isinstance(out[key], str):
            out[key] = as_text(out[key])
        elif isinstance(out.get(key), str):
            out[key] = clean_text(out[key])
    if "merged_from" in out and not isinstance(out["merged_from"], list):
        out["merged_from"] = [out["merged_from"]]
    return None if out == doc else out


def masked(form: FormDef, record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with every ID-number field of its form masked (110105********002X).

    The form says which fields are ID numbers (type ``id_number``, in repeats too), so a new
    form's numbers are masked without anyone listing them.
    """
    return _masked(form.fields, record)


def _masked(fields: tuple[FieldDef, ...], doc: dict[str, Any]) -> dict[str, Any]:
    out = dict(doc)
    for f in fields:
        value = out.get(f.key)
        if f.type == "id_number" and isinstance(value, str):
            out[f.key] = mask_id(value)
        elif f.type == "repeat" and isinstance(value, list):
            out[f.key] = [_masked(f.fields, v) if isinstance(v, dict) else v for v in value]
    return out


def id_numbers(form: FormDef, record: dict[str, Any]) -> list[str]:
    """Every ID number a record holds (its form's ``id_number`` fields, in repeats too).

    What a full view discloses, counted for the audit log's "how many".
    """
    return _id_numbers(form.fields, record)


def _id_numbers(fields: tuple[FieldDef, ...], doc: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for f in fields:
        value = doc.get(f.key)
        if f.type == "id_number" and isinstance(value, str) and value.strip():
            found.append(value)
        elif f.type == "repeat" and isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    found += _id_numbers(f.fields, item)
    return found


def unmasked(
    form: FormDef, sent: dict[str, Any], stored: dict[str, Any], *, moved: bool = False
) -> dict[str, Any]:
    """An edit sent back with the masked ID numbers it was shown, given its stored numbers.

    A client that read a record (numbers masked) and sends it back whole must not lose the
    numbers: a masked value that is exactly the mask of the stored number at the same place
    (the same member: by ``person_id``, else by position) is the stored number. Any other
    value is the client's, checked as usual (a mask of something else is refused).

    ``moved`` (the web form, whose roster rows shift when one is removed and carry no
    ``person_id``): a masked value left over is also the stored number when it is the mask
    of exactly one number of this record. A mask never reaches a number the record lacks.
    """
    out = _unmasked(form.fields, sent, stored)
    if not moved:
        return out
    by_mask: dict[str, list[str]] = {}
    for number in id_numbers(form, stored):
        by_mask.setdefault(mask_id(number), []).append(number)
    unique = {m: found[0] for m, found in by_mask.items() if len(set(found)) == 1}
    return _remasked(form.fields, out, unique)


def _remasked(
    fields: tuple[FieldDef, ...], doc: dict[str, Any], unique: dict[str, str]
) -> dict[str, Any]:
    out = dict(doc)
    for f in fields:
        value = out.get(f.key)
        if f.type == "id_number" and isinstance(value, str) and "*" in value:
            out[f.key] = unique.get(value.strip(), value)
        elif f.type == "repeat" and isinstance(value, list):
            out[f.key] = [
                _remasked(f.fields, v, unique) if isinstance(v, dict) else v for v in value
            ]
    return out


def _unmasked(
    fields: tuple[FieldDef, ...], sent: dict[str, Any], stored: dict[str, Any]
) -> dict[str, Any]:
    out = dict(sent)
    for f in fields:
        value, before = out.get(f.key), stored.get(f.key)
        if f.type == "id_number" and isinstance(value, str) and "*" in value:
            if isinstance(before, str) and before and mask_id(before) == value.strip():
                out[f.key] = before
        elif f.type == "repeat" and isinstance(value, list) and isinstance(before, list):
            rows = [r for r in before if isinstance(r, dict)]
            by_person = {r.get("person_id"): r for r in rows if r.get("person_id")}
            out[f.key] = [
                _unmasked(f.fields, row, by_person.get(row.get("person_id")) or _at(rows, n))
                if isinstance(row, dict)
                else row
                for n, row in enumerate(value)
            ]
    return out


def _at(rows: list[dict[str, Any]], n: int) -> dict[str, Any]:
    return rows[n] if n < len(rows) else {}
