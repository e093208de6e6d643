"""Who lives here on a date: residents, present households and dwellings, in address order.

Registers and the summary both start from one ``Community`` built here, so a person counts
the same way everywhere: active on the date (still ``active``, or moved out / died after
it), moved in on or before it, born on or before it. ``away`` persons are kept apart:
they are on the 外出人员 register but are not residents (DOMAIN.md §5, §6).
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from functools import cached_property, lru_cache
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


@lru_cache(maxsize=131072)
def _parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def to_date(value: Any) -> date | None:
    """An ISO date string (or a date) as a date; None when blank or unreadable."""
    if not value:
        return None
    if isinstance(value, str):
        return _parse_date(value)
    return value if isinstance(value, date) else _parse_date(str(value))


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


def door(record: dict[str, Any]) -> tuple[str, str, str]:
    """A dwelling's identity: (building, unit, room), blanks as ''."""
    return (record.get("building") or "", record.get("unit") or "", record.get("room") or "")


class Community:
    """Everyone active on one date, and the households and dwellings they live in.

    Person rows are built at once (every register and figure reads them); household and
    dwelling rows only when something asks for them.
    """

    def __init__(self, as_of: date) -> None:
        self.as_of = as_of
        self.residents: list[dict[str, Any]] = []
        self.away: list[dict[str, Any]] = []
        # (household record, its resident rows) for households with at least one resident
        self.present: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []

    def persons(self, include_away: bool = False) -> list[dict[str, Any]]:
        """Residents, with the away persons in their address places when asked for."""
        if not include_away:
            return self.residents
        return sorted(self.residents + self.away, key=lambda r: r["_order"])

    @cached_property
    def households(self) -> list[dict[str, Any]]:
        """One row per household with at least one resident, in address order."""
        with bulk():
            return [_household_row(h, residents) for h, residents in self.present]

    @cached_property
    def dwellings(self) -> list[dict[str, Any]]:
        """One row per (building, unit, room) with a present household; rented if any is."""
        with bulk():
            return _dwelling_rows(self.households)


def _household_row(household: dict[str, Any], residents: list[dict[str, Any]]) -> dict[str, Any]:
    row = dict(household)
    del row["members"]
    head = residents[0]  # head first; when the head does not live here, the first who does
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
    grouped: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for h in households:
        grouped.setdefault(door(h), []).append(h)
    rows = []
    for (building, unit, room), group in grouped.items():
        rented = [h for h in group if h.get("housing") == "rented"]
        first = rented[0] if rented else group[0]
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
                "tenants": "、".join(p.get("name") or "" for h in rented for p in h["members"]),
                "household_ids": [h.get("household_id") for h in group],
            }
        )
    return rows


def _household_part(household: dict[str, Any], head: str) -> dict[str, Any]:
    """The household's fields that every one of its person rows carries."""
    part = {key: household.get(key) for key in HOUSEHOLD_FIELDS}
    part["hardship"] = as_list(household.get("hardship"))
    part["household_id"] = household.get("id")
    part["address"] = address_text(household)
    part["head_name"] = head
    return part


@contextmanager
def bulk() -> Iterator[None]:
    """Pause the cyclic garbage collector while tens of thousands of rows are made.

    The rows are plain dicts without cycles, but making 50,000 of them sets off collections
    that walk every stored record each time: 40% of the time of a summary. Reference
    counting still frees everything; the collector resumes (if it was on) afterwards.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def build_community(households: Iterable[dict[str, Any]], as_of: date) -> Community:
    """Residents, away persons and present households on ``as_of``, in address order.

    This is the hot loop of every register and the summary (50,000 persons at the largest
    communities), so the checks of ``active_on`` and ``age_on`` are written out here.
    """
    with bulk():
        return _build(households, as_of)


def _build(households: Iterable[dict[str, Any]], as_of: date) -> Community:
    ordered = sorted(
        households,
        key=lambda h: (address_key(h), natural_key(h.get("household_no") or ""), h.get("id") or 0),
    )
    community = Community(as_of)
    residents_out, away_out = community.residents, community.away
    y, md = as_of.year, (as_of.month, as_of.day)
    order = 0
    for household in ordered:
        members = household.get("members") or []
        if not members:
            continue
        # head first, then roster order (most rosters already start with the head)
        ranked: Iterable[int] = range(len(members))
        if members[0].get("relation") != "head":
            ranked = sorted(ranked, key=lambda i: (members[i].get("relation") != "head", i))
        first = members[next(iter(ranked))]
        part: dict[str, Any] | None = None
        residents = []
        for index in ranked:
            person = members[index]
            status = person.get("status")
            if status and status != "active":
                ended = to_date(person.get("status_date"))
                if ended is None or ended <= as_of:
                    continue
            moved_in = person.get("move_in_date")
            if moved_in and (to_date(moved_in) or as_of) > as_of:
                continue
            born = to_date(person.get("birth_date"))
            if born is not None and born > as_of:
                continue
            kind = person.get("residence_type") or "registered"
            if kind != AWAY and kind not in RESIDENT_TYPES:
                continue
            if part is None:
                part = _household_part(household, first.get("name") or "")
            row = {**person, **part}
            conditions = person.get("conditions")
            if conditions.__class__ is not list:
                row["conditions"] = as_list(conditions)
            row["residence_type"] = kind
            row["age"] = None if born is None else y - born.year - (md < (born.month, born.day))
            row["member_index"] = index
            row["_order"] = order
            order += 1
            if kind == AWAY:
                away_out.append(row)
            else:
                residents.append(row)
        if residents:
            residents_out.extend(residents)
            community.present.append((household, residents))
    return community


def person_rows(
    households: list[dict[str, Any]], as_of: date, include_away: bool = False
) -> list[dict[str, Any]]:
    """One row per resident on ``as_of`` (and away person, when asked), in address order."""
    return build_community(households, as_of).persons(include_away)
