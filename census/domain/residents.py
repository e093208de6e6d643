"""Who lives here on a date: residents, present households and dwellings, in address order.

Registers and the summary both start from one ``Community`` built here, so a person counts
the same way everywhere: active on the date (still ``active``, or moved out / died after
it), moved in on or before it, born on or before it. ``away`` persons are kept apart:
they are on the 外出人员 register but are not residents (DOMAIN.md §5, §6).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

RESIDENT_TYPES = ("registered", "floating")
AWAY = "away"
# Household fields copied onto each person row (DOMAIN.md §4).
HOUSEHOLD_FIELDS = (
    "household_no",
    "building",
    "unit",
    "room",
    "housing",
    "landlord_name",
    "landlord_phone",
    "hardship",
    "grid",
)


def to_date(value: Any) -> date | None:
    """An ISO date string (or a date) as a date; None when blank or unreadable."""
    if isinstance(value, date):
        return value
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def age_on(birth: date | None, day: date) -> int | None:
    """Whole years completed on ``day`` (a 29 February birthday counts from 1 March)."""
    if birth is None:
        return None
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def active_on(person: dict[str, Any], day: date) -> bool:
    """Was this roster entry living in the community's records on ``day``?"""
    if (person.get("status") or "active") != "active":
        ended = to_date(person.get("status_date"))
        if ended is None or ended <= day:
            return False
    moved_in = to_date(person.get("move_in_date"))
    if moved_in is not None and moved_in > day:
        return False
    born = to_date(person.get("birth_date"))
    return born is None or born <= day


@lru_cache(maxsize=65536)
def natural_key(text: str) -> tuple[Any, ...]:
    """Sort key that puts 2栋 before 10栋 and 302 before 1101."""
    parts = re.split(r"(\d+)", text or "")
    return tuple(int(p) if i % 2 else p for i, p in enumerate(parts))


def address_key(record: dict[str, Any]) -> tuple[Any, ...]:
    """Address order: building, unit, room, each in natural order."""
    return (
        natural_key(record.get("building") or ""),
        natural_key(record.get("unit") or ""),
        natural_key(record.get("room") or ""),
    )


def address_text(record: dict[str, Any]) -> str:
    """Building, unit and room as staff write them: 3栋2单元301."""
    unit = record.get("unit") or ""
    return (
        f"{record.get('building') or ''}{unit + '单元' if unit else ''}{record.get('room') or ''}"
    )


def as_list(value: Any) -> list[Any]:
    """A multi-select value as a list (None and '' become [])."""
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


@dataclass
class Community:
    """Everyone active on one date, and the households and dwellings they live in."""

    as_of: date
    residents: list[dict[str, Any]] = field(default_factory=list)
    away: list[dict[str, Any]] = field(default_factory=list)
    households: list[dict[str, Any]] = field(default_factory=list)
    dwellings: list[dict[str, Any]] = field(default_factory=list)

    def persons(self, include_away: bool = False) -> list[dict[str, Any]]:
        """Residents, with the away persons in their address places when asked for."""
        if not include_away:
            return self.residents
        return sorted(self.residents + self.away, key=lambda r: r["_order"])


def _person_row(
    person: dict[str, Any], index: int, household: dict[str, Any], head: str, as_of: date
) -> dict[str, Any]:
    row = dict(person)
    row["head_name"] = head
    row["conditions"] = as_list(person.get("conditions"))
    row["residence_type"] = person.get("residence_type") or "registered"
    row["age"] = age_on(to_date(person.get("birth_date")), as_of)
    row["member_index"] = index
    for key in HOUSEHOLD_FIELDS:
        row[key] = household.get(key)
    row["hardship"] = as_list(household.get("hardship"))
    row["household_id"] = household.get("id")
    row["address"] = address_text(household)
    return row


def _household_row(household: dict[str, Any], residents: list[dict[str, Any]]) -> dict[str, Any]:
    row = {k: v for k, v in household.items() if k != "members"}
    head = next((p for p in residents if p.get("relation") == "head"), residents[0])
    row.update(
        household_id=household.get("id"),
        address=address_text(household),
        hardship=as_list(household.get("hardship")),
        grid=household.get("grid"),
        residents=len(residents),
        head_name=head.get("name"),
        head_id_number=head.get("id_number"),
        head_phone=head.get("phone"),
        head_ethnicity=head.get("ethnicity"),
        member_names="、".join(p.get("name") or "" for p in residents),
        members=residents,
    )
    return row


def _dwelling_rows(households: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (building, unit, room) with a present household; rented if any is."""
    grouped: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for h in households:
        door = (h.get("building") or "", h.get("unit") or "", h.get("room") or "")
        grouped.setdefault(door, []).append(h)
    rows = []
    for (building, unit, room), group in grouped.items():
        rented = [h for h in group if h.get("housing") == "rented"]
        first = rented[0] if rented else group[0]
        tenants = [p for h in rented for p in h["members"]]
        rows.append(
            {
                "building": building,
                "unit": unit,
                "room": room,
                "address": first["address"],
                "grid": first.get("grid"),
                "housing": first.get("housing"),
                "landlord_name": first.get("landlord_name"),
                "landlord_phone": first.get("landlord_phone"),
                "households": len(group),
                "household_nos": "、".join(h.get("household_no") or "" for h in group),
                "residents": sum(h["residents"] for h in group),
                "tenants": "、".join(p.get("name") or "" for p in tenants),
                "household_ids": [h.get("household_id") for h in group],
            }
        )
    return rows


def build_community(households: Iterable[dict[str, Any]], as_of: date) -> Community:
    """Residents, away persons, present households and dwellings on ``as_of``, address order."""
    ordered = sorted(
        households,
        key=lambda h: (address_key(h), natural_key(h.get("household_no") or ""), h.get("id") or 0),
    )
    community = Community(as_of)
    order = 0
    for household in ordered:
        members = household.get("members") or []
        # head first, then roster order
        ranked = sorted(
            range(len(members)), key=lambda i: (members[i].get("relation") != "head", i)
        )
        head = members[ranked[0]].get("name") if members else None
        residents = []
        for index in ranked:
            person = members[index]
            if not active_on(person, as_of):
                continue
            row = _person_row(person, index, household, head or "", as_of)
            row["_order"] = order
            order += 1
            if row["residence_type"] == AWAY:
                community.away.append(row)
            elif row["residence_type"] in RESIDENT_TYPES:
                residents.append(row)
        if residents:
            community.residents.extend(residents)
            community.households.append(_household_row(household, residents))
    community.dwellings = _dwelling_rows(community.households)
    return community


def person_rows(
    households: list[dict[str, Any]], as_of: date, include_away: bool = False
) -> list[dict[str, Any]]:
    """One row per resident on ``as_of`` (and away person, when asked), in address order."""
    return build_community(households, as_of).persons(include_away)
