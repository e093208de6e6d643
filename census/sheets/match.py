"""Finding what a planned record is in the store, and what importing it would change.

Households are found by 户编号, else by their members' ID numbers; within a household,
members by who they are (``census.domain.persons``: ID number, else name and birth date,
else the name alone when it points to one member). The record to validate is the stored
one with the file's values laid over it: a blank cell keeps what is stored, and a stored
member the file does not list stays.
"""

from __future__ import annotations

from typing import Any

from census.domain import persons
from census.domain.ids import is_resident_id, upgrade_id
from census.queries import lookup
from census.sheets.issues import ERROR, INFO, Issue
from census.sheets.model import Change, Planned, SourceRow
from census.sheets.vocabulary import MEMBERS, Vocabulary
from census.surveys.definition import FormDef

PENDING = "pending_fields"
# Shops and organisations are matched to stored ones on these fields, in this order.
MATCH_KEYS = {"storefront": (("uscc",), ("name", "address")), "unit": (("name", "address"),)}


def form_values(form: FormDef, doc: dict[str, Any]) -> dict[str, Any]:
    """The answers of a stored record, without metadata (members likewise)."""
    values: dict[str, Any] = {}
    for f in form.fields:
        if f.type == "repeat":
            keys = [s.key for s in f.fields]
            values[f.key] = [{k: m.get(k) for k in keys if k in m} for m in doc.get(f.key) or []]
        elif f.key in doc:
            values[f.key] = doc[f.key]
    return values


def _as_stored(member: dict[str, Any]) -> Any:
    """A member's ID number as the store holds it: a 15-digit resident ID as its 18 digits."""
    number = member.get("id_number")
    if isinstance(number, str) and is_resident_id(member.get("id_type"), number):
        return upgrade_id(number) or number
    return number


def match_household(
    store: Any,
    planned: Planned,
    incoming: dict[str, Any],
    members: list[tuple[dict[str, Any], SourceRow]],
    vocab: Vocabulary,
) -> None:
    target = None
    number = incoming.get("household_no")
    if number:
        target = lookup.household_numbered(store, number)
    if target is None:
        holders: dict[int, dict[str, Any]] = {}
        for member, _row in members:
            number = _as_stored(member)
            if number:
                for doc in lookup.households_with_member_id(store, number):
                    holders[doc["id"]] = doc
        if len(holders) == 1:
            target = next(iter(holders.values()))
        elif len(holders) > 1:
            names = "、".join(h.get("household_no") or str(h["id"]) for h in holders.values())
            where = planned.rows[0].where("members.id_number", vocab)
            planned.issues.append(
                Issue("ids_in_several", ERROR, params={"households": names}, **where)
            )
    planned.target = target
    stored = form_values(vocab.form, target) if target else {}
    raw = {k: v for k, v in stored.items() if k != MEMBERS}
    raw.update(incoming)
    merged = [dict(m) for m in stored.get(MEMBERS, [])]
    rows: list[SourceRow | None] = [None] * len(merged)
    same = persons.match_members(merged, [m for m, _row in members]) if target else {}
    for n, (member, row) in enumerate(members):
        index = same.get(n)
        if index is None:
            merged.append(dict(member))
            rows.append(row)
        else:
            merged[index].update(member)
            rows[index] = row
    for index, member in enumerate(merged):
        if rows[index] is None:
            params = {"name": member.get("name") or index + 1}
            where = planned.rows[0].where("members.name", vocab)
            planned.issues.append(Issue("member_kept", INFO, params=params, **where))
    raw[MEMBERS] = merged
    planned.raw, planned.member_rows = raw, rows


def match_record(store: Any, form: FormDef, planned: Planned, incoming: dict[str, Any]) -> None:
    target = None
    for keys in MATCH_KEYS.get(form.name, ()):
        if all(incoming.get(k) for k in keys):
            target = lookup.record_matching(store, form.collection, {k: incoming[k] for k in keys})
            if target:
                break
    planned.target = target
    raw = form_values(form, target) if target else {}
    raw.update(incoming)
    planned.raw = raw


def changes(
    vocab: Vocabulary, stored: dict[str, Any], record: dict[str, Any], meta: dict[str, Any]
) -> list[Change]:
    """Field by field, member by member: what the file would change in the stored record."""
    changes: list[Change] = []
    for f in vocab.form.fields:
        if f.type == "repeat":
            old_members = stored.get(f.key) or []
            for n, member in enumerate(record.get(f.key) or []):
                subject = str(member.get("name") or n + 1)
                if n >= len(old_members):
                    changes.append(Change(f.key, None, member, subject))
                    continue
                for sub in f.fields:
                    old, new = old_members[n].get(sub.key), member.get(sub.key)
                    if _differs(old, new):
                        changes.append(Change(f"{f.key}.{sub.key}", old, new, subject))
        elif _differs(stored.get(f.key), record.get(f.key)):
            changes.append(Change(f.key, stored.get(f.key), record.get(f.key)))
    for key, value in meta.items():
        if key == PENDING:
            continue  # what is left to verify follows from the fields, worked out on save
        old = stored.get(key)
        if key == "surveyor" and not old:
            # the export's 调查员 of a storefront or unit is whoever created it
            old = stored.get("created_by")
        if _differs(old, value):
            changes.append(Change(key, stored.get(key), value))
    return changes


def _differs(old: Any, new: Any) -> bool:
    empty = (None, "", [])
    if old in empty and new in empty:
        return False
    return bool(old != new)
