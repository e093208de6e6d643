"""Cleaning a submitted record against its definition: coerce, normalise, skip logic, rules.

The web form and the JSON API both call ``clean`` so that one set of rules decides what is
stored. Problems carry field paths such as ``members[1].id_number`` (0-based, as in JSON).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from census.domain.contact import check_phone, check_uscc, normalise_phone
from census.domain.expr import evaluate, matches, stored, truth
from census.domain.ids import (
    RESIDENT_ID,
    check_person_id,
    is_resident_id,
    mask_id,
    normalise_id,
    upgrade_id,
)
from census.domain.problems import WARNING, Problem, naming
from census.surveys.definition import SILENT_TYPES, FieldDef, FormDef
from census.surveys.jsonbody import text_problem
from census.surveys.photos import read_photo
from census.util.i18n import N_, in_each_language

_YES = {"yes", "y", "true", "1", "是", "on"}
_NO = {"no", "n", "false", "0", "否", "off"}


def _path(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


# Without a max_length of its own, no text is longer than this (a person types it).
DEFAULT_MAX_LENGTH = {"text": 500, "textarea": 5000}
MAX_REPEAT_ITEMS = 200
MAX_REPEAT_DEPTH = 3  # a repeat inside a repeat inside a repeat, as XLSForms may hold
# The message of a broken constraint when its form gives none.
BROKEN_RULE = N_("不符合填写要求")
_SCALAR = (str, int, float, bool, date)


def _shown(value: Any) -> str:
    """A value as a message may quote it: short, and text whatever it was."""
    return str(value)[:40]


def _coerce(f: FieldDef, value: Any, path: str, today: date, out: list[Problem]) -> Any:
    """Turn one raw value into its stored form, adding problems for what cannot be.

    Every write comes through here (forms, API, imports, life events): a value of the
    wrong shape (a list where one answer is wanted, an object anywhere), or text holding
    control characters or lone surrogates, is a problem at its path and never stored.
    """
    if f.type == "select_many":
        if _blank(value):
            return []
        if isinstance(value, dict) or (
            isinstance(value, list) and not all(isinstance(i, str | int) for i in value)
        ):
            out.append(Problem("type_invalid", path))
            return []
        items = value if isinstance(value, list) else re.split(r"[,，;；、\s]+", str(value))
        items = [str(i).strip() for i in items if str(i).strip()]
        for item in items:
            if item not in f.codes:
                out.append(Problem("choice_invalid", path, {"value": _shown(item)}))
        return list(dict.fromkeys(items))
    if f.type == "image" and isinstance(value, str) and value.strip():
        return read_photo(value, path, out, keep_location=f.keep_location)  # a data URL
    if not _blank(value) and not isinstance(value, _SCALAR):
        out.append(Problem("type_invalid", path))
        return None
    if isinstance(value, str):
        bad = text_problem(value, path)
        if bad is not None:
            out.append(bad)
            return None
        value = value.strip()
    if _blank(value):
        return None
    if f.type in ("text", "textarea"):
        value = str(value)
        limit = f.max_length or DEFAULT_MAX_LENGTH[f.type]
        if len(value) > limit:
            out.append(Problem("text_too_long", path, {"max": limit}))
        if f.pattern and not matches(f.pattern, value, whole=True):  # \d is 0-9, as on the tablet
            out.append(Problem("pattern_mismatch", path))
        return value
    if f.type == "integer":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not re.fullmatch(r"-?\d{1,15}", str(value)):
            out.append(Problem("integer_invalid", path))
            return str(value)
        number = int(value)
        if f.min is not None and number < f.min:
            out.append(Problem("integer_min", path, {"min": f.min}))
        if f.max is not None and number > f.max:
            out.append(Problem("integer_max", path, {"max": f.max}))
        return number
    if f.type == "date":
        try:
            day = value if isinstance(value, date) else date.fromisoformat(str(value))
        except ValueError:
            out.append(Problem("date_invalid", path))
            return str(value)
        if f.past and day > today:
            out.append(Problem("date_future", path))
        return day.isoformat()
    if f.type == "select_one":
        value = str(value)
        if value not in f.codes:
            out.append(Problem("choice_invalid", path, {"value": _shown(value)}))
        return value
    if f.type == "yes_no":
        word = str(value).strip().lower()
        if value is True or word in _YES:
            return True
        if value is False or word in _NO:
            return False
        out.append(Problem("yes_no_invalid", path))
        return str(value)
    if f.type == "phone":
        phone = normalise_phone(str(value))
        out.extend(Problem(p.code, path, p.params, p.level) for p in check_phone(phone))
        return phone
    if f.type == "uscc":
        code = normalise_id(str(value)).upper()
        out.extend(Problem(p.code, path, p.params, p.level) for p in check_uscc(code))
        return code
    if f.type == "id_number":
        return normalise_id(str(value))  # checked with its siblings in _check_id
    if f.type == "geopoint":
        return _geopoint(str(value), path, out)

    if f.type in ("calculate", "hidden"):
        return value if isinstance(value, str) else stored(value)
    return value


_GEO_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _geopoint(text: str, path: str, out: list[Problem]) -> str:
    """A location as ODK keeps it, "lat lon alt accuracy" (altitude and accuracy optional):
    numbers, a latitude within ±90, a longitude within ±180, an accuracy not negative."""
    parts = text.replace(",", " ").split()
    ok = 2 <= len(parts) <= 4 and all(_GEO_NUMBER.fullmatch(p) for p in parts)
    if ok:
        lat, lon = float(parts[0]), float(parts[1])
        ok = -90 <= lat <= 90 and -180 <= lon <= 180
        ok = ok and (len(parts) < 4 or float(parts[3]) >= 0)
    if not ok:
        out.append(Problem("geopoint_invalid", path))
        return text
    return " ".join(parts)


def _worked_out(f: FieldDef, value: Any) -> Any:
    """A calculation's result as the field keeps it: an integer as a whole number (else
    the text it is), a text as text, a calculate as the number or text it came to."""
    value = stored(value)
    if value is None or f.type in ("calculate", "hidden"):
        return value
    if isinstance(value, bool):
        return value if f.type == "yes_no" else ("true" if value else "false")
    if f.type == "integer":
        return value if isinstance(value, int) else str(value)
    return str(value)


def _calculate(
    fields: tuple[FieldDef, ...], record: dict[str, Any], env: Any, raw: dict[str, Any]
) -> None:
    """Work out the calculated fields in form order (a calculate, a read-only question, a
    default with an expression on a question left blank); the browser's value is not used."""
    for f in fields:
        if f.calculation is None or f.type == "repeat":
            continue
        if f.type == "calculate" or f.read_only or _blank(record.get(f.key)):
            record[f.key] = _worked_out(f, evaluate(f.calculation, env))


def _check_id(f: FieldDef, record: dict[str, Any], prefix: str, out: list[Problem]) -> set[str]:
    """Check an ID number; fill blank birth date and sex from a resident ID, flag conflicts.

    A valid 15-digit resident ID is stored as its 18 digits, with a note (``id_upgraded``)
    that names both; the version history keeps the number as typed (``typed_ids`` in
    ``census.services.records``). A blank ID type is filled when the number is a valid
    resident ID, as the birth date and sex are.

    Returns the blank fields that were to be filled from an ID that has errors: asking for
    them as well ("required") would only repeat the ID's own message.
    """
    number = record.get(f.key)
    if not number:
        return set()
    id_type = record.get(f.id_type_field) if f.id_type_field else None
    longer = upgrade_id(number) if is_resident_id(id_type, number) else None
    if longer is not None:
        # shown masked, as every page shows ID numbers; kept whole for the version history
        params = {"number": mask_id(longer), "old": mask_id(number), "stored": longer}
        params["typed"] = number
        out.append(Problem("id_upgraded", _path(prefix, f.key), params, WARNING))
        record[f.key] = number = longer
    birth_key, sex_key = f.birth_date_field, f.sex_field
    given_birth = record.get(birth_key) if birth_key else None
    given_sex = record.get(sex_key) if sex_key else None
    try:
        birth = date.fromisoformat(given_birth) if isinstance(given_birth, str) else None
    except ValueError:
        birth = None
    problems, derived_birth, derived_sex = check_person_id(
        id_type, number, birth_date=birth, sex=given_sex if isinstance(given_sex, str) else None
    )
    for p in problems:
        where = {"birth_date_mismatch": birth_key, "sex_mismatch": sex_key}.get(p.code) or f.key
        out.append(Problem(p.code, _path(prefix, where), p.params, p.level))
    if birth_key and given_birth is None and derived_birth:
        record[birth_key] = derived_birth.isoformat()
    if sex_key and given_sex is None and derived_sex:
        record[sex_key] = derived_sex
    if f.id_type_field and id_type is None and derived_birth:
        record[f.id_type_field] = RESIDENT_ID
    if any(p.is_error and p.path == "id_number" for p in problems):
        return {k for k in (birth_key, sex_key) if k and record.get(k) is None}
    return set()


class _Env(dict):  # type: ignore[type-arg]
    """What expressions read: the record, and (for a repeat entry) the record around it."""

    def __init__(self, record: dict[str, Any], extra: dict[str, Any]):
        super().__init__()
        self.record, self.extra = record, extra

    def get(self, key: Any, default: Any = None) -> Any:
        if key in self.record:
            return self.record[key]
        return self.extra.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.record or key in self.extra

    def __getitem__(self, key: Any) -> Any:
        return self.get(key)


def _clean_record(
    fields: tuple[FieldDef, ...],
    raw: dict[str, Any],
    prefix: str,
    today: date,
    out: list[Problem],
    outer: dict[str, Any] | None = None,
    position: int | None = None,
) -> dict[str, Any]:
    record: dict[str, Any] = {}
    env = _Env(record, {"__today__": today.isoformat(), "__outer__": outer or {}})
    if position is not None:
        env.extra["__position__"] = position
    for f in fields:
        if f.type == "repeat":
            continue
        value = raw.get(f.key)
        if f.type == "note" or (f.read_only and f.calculation is None):
            value = None  # nothing typed in: a note has no answer, read-only keeps its default
        if _blank(value) and f.default is not None and (f.key not in raw or f.read_only):
            value = f.default
        if f.type == "note":
            record[f.key] = None
            continue
        record[f.key] = _coerce(f, value, _path(prefix, f.key), today, out)
    _calculate(fields, record, env, raw)
    excused: set[str] = set()
    for f in fields:
        if f.type == "id_number":
            excused |= _check_id(f, record, prefix, out)
    repeats = [f for f in fields if f.type == "repeat"]
    # An entry of a repeat inside a repeat reads its own answers, then its row's, then the
    # form's: one mapping of every level around it, nearest first (``__outer__``).
    around = {**(outer or {}), **record} if outer else record
    for f in repeats:
        record[f.key] = _clean_repeat(f, raw.get(f.key), _path(prefix, f.key), today, out, around)
    if repeats:
        _calculate(fields, record, env, raw)  # sums and counts over the entries
    for f in fields:
        # Skip logic: an irrelevant answer is not kept, and is never required.
        path = _path(prefix, f.key)
        if f.relevant is not None and not truth(evaluate(f.relevant, env)):
            record[f.key] = [] if f.type in ("select_many", "repeat") else None
            out[:] = [
                p for p in out if p.path != path and not p.path.startswith((path + "[", path + "."))
            ]
        elif f.type in SILENT_TYPES:
            continue
        elif f.type == "repeat" and f.count is not None:
            _check_count(f, record[f.key], env, path, out)
        elif f.choice_filter is not None and not _blank(record[f.key]):
            for code in record[f.key] if isinstance(record[f.key], list) else [record[f.key]]:
                if not f.offered(str(code), env):  # a street of another district
                    out.append(Problem("choice_invalid", path, {"value": _shown(code)}))
        elif _blank(record[f.key]):
            asked = f.required or (
                f.required_if is not None and truth(evaluate(f.required_if, env))
            )
            if asked and f.key not in excused and not f.read_only:  # nobody can answer it
                out.append(Problem("required", path))
        elif f.constraint is not None and not truth(evaluate(f.constraint, env)):
            if not any(p.path == path and p.level != WARNING for p in out):
                texts = f.constraint_message or {}
                rule = in_each_language(BROKEN_RULE)  # when the form says nothing of its own
                said = {
                    "zh": texts.get("zh") or rule["zh"],
                    "en": texts.get("en") or texts.get("zh") or rule["en"],
                }
                out.append(Problem("constraint_failed", path, said))
    return record


def _check_count(
    f: FieldDef, entries: list[dict[str, Any]], env: Any, path: str, out: list[Problem]
) -> None:
    """repeat_count: as many entries as the count works out to (a number, or an answer)."""
    value = stored(evaluate(f.count, env))
    try:
        wanted = int(float(value)) if value not in (None, "") else 0
    except (TypeError, ValueError):
        return  # the count's answer is itself wrong, and refused at its own field
    wanted = max(0, min(wanted, MAX_REPEAT_ITEMS))
    if len(entries) != wanted:
        label = f.label.get("zh") or f.key
        params = {"repeat": label, "expected": wanted, "count": len(entries)}
        out.append(Problem("repeat_count_mismatch", path, params))


def _clean_repeat(
    f: FieldDef,
    raw: Any,
    path: str,
    today: date,
    out: list[Problem],
    outer: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    if not _blank(raw) and not isinstance(raw, list):
        out.append(Problem("type_invalid", path))
    items = raw if isinstance(raw, list) else []
    if path.count("[") >= MAX_REPEAT_DEPTH:  # deeper than any definition goes
        out.append(Problem("type_invalid", path))
        items = []
    if len(items) > MAX_REPEAT_ITEMS:
        out.append(Problem("too_many_items", path, {"max": MAX_REPEAT_ITEMS}))
        items = []
    for n, item in enumerate(items):
        if not isinstance(item, dict) and not _blank(item):
            out.append(Problem("type_invalid", f"{path}[{n}]"))
    # A roster row left entirely blank on a form is not a member; paths keep the index
    # that the client sent, so that messages land beside the right row.
    kept = [
        (n, item)
        for n, item in enumerate(items)
        if isinstance(item, dict) and any(not _blank(v) for v in item.values())
    ]
    cleaned = []
    for n, item in kept:
        found: list[Problem] = []
        cleaned.append(
            _clean_record(f.fields, item, f"{path}[{n}]", today, found, outer, len(cleaned) + 1)
        )
        out.extend(naming(found, cleaned[-1].get("name")))  # "张伟：…" in a list of warnings
    if len(cleaned) < f.min_items:
        out.append(Problem("members_empty", path))
    if f.exactly_one and cleaned:
        count = sum(1 for item in cleaned if evaluate(f.exactly_one["when"], item))
        if count != 1:
            out.append(Problem(f.exactly_one["problem"], path, {"count": count}))
    id_fields = [s.key for s in f.fields if s.type == "id_number"]
    for key in id_fields:
        seen: dict[str, int] = {}
        for (n, _), item in zip(kept, cleaned, strict=True):
            number = item.get(key)
            if number and number in seen:
                out.append(
                    Problem(
                        "id_duplicate_in_household",
                        f"{path}[{n}].{key}",
                        {"other": seen[number] + 1},
                    )
                )
            elif number:
                seen[number] = n
    return cleaned


def clean(
    form: FormDef, raw: dict[str, Any], *, today: date | None = None
) -> tuple[dict[str, Any], list[Problem]]:
    """Return the record as it would be stored, and every problem found (errors and warnings)."""
    problems: list[Problem] = []
    record = _clean_record(form.fields, raw, "", today or date.today(), problems)
    return record, problems


def unknown_keys(form: FormDef, raw: dict[str, Any], allowed: set[str]) -> list[Problem]:
    """Keys of an API body that the definition does not know (typos must not vanish silently)."""
    problems = []
    known = {f.key for f in form.fields} | allowed
    for key in raw:
        if key not in known:
            problems.append(Problem("unknown_field", key, {"field": key}))
    _unknown_in_entries(form.fields, raw, "", problems)
    return problems


def _unknown_in_entries(
    fields: tuple[FieldDef, ...], raw: dict[str, Any], prefix: str, problems: list[Problem]
) -> None:
    """Unknown keys in the entries of each repeat, and of the repeats inside them."""
    for f in fields:
        if f.type == "repeat" and isinstance(raw.get(f.key), list):
            # person_id, and the list of fields to verify a client read with the record (it
            # may send it back; ``clean`` keeps neither, only the stored record says that)
            sub = {s.key for s in f.fields} | {"person_id", "pending_fields"}
            for n, item in enumerate(raw[f.key]):
                where = f"{_path(prefix, f.key)}[{n}]"
                for key in item if isinstance(item, dict) else []:
                    if key not in sub:
                        problems.append(Problem("unknown_field", f"{where}.{key}", {"field": key}))
                if isinstance(item, dict) and where.count("[") < MAX_REPEAT_DEPTH:
                    _unknown_in_entries(f.fields, item, where, problems)


def has_errors(problems: list[Problem]) -> bool:
    """True when any problem blocks saving."""
    return any(p.level != WARNING for p in problems)
