"""Who lives here on a date: residents, present households and dwellings, in address order.

Registers and the summary both start from one ``Community`` built here, so a person counts
the same way everywhere: active on the date (still ``active``, or moved out / died after
it), moved in on or before it, born on or before it. ``away`` persons are kept apart:
they are on the 外出人员 register but are not residents (docs/domain.md §5, §6).

A community is made of each household's share (``household_share``: the community of that
household alone), joined in address order (``household_order``). Who lives in a household
depends on that household only, so a read model that keeps the shares makes the share of a
household that changed again and joins them: the same community as built from scratch.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from datetime import date
from functools import cached_property, lru_cache
from typing import Any

# Re-exported: callers take the address helpers from here too.
from census.domain.address import NaturalKey
from census.domain.address import address_key as address_key
from census.domain.address import address_text as address_text
from census.domain.address import natural_key as natural_key
from census.domain.display import relation_pending
from census.domain.rules import Columns
from census.util.gcpause import paused_gc

RESIDENT_TYPES = ("registered", "floating")
AWAY = "away"
# Household fields copied onto each person row (docs/domain.md §4).
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


def to_date(value: object) -> date | None:
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


def as_list(value: object) -> list[Any]:
    """A multi-select value as a list (None and '' become [])."""
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def door(record: dict[str, Any]) -> tuple[str, str, str]:
    """A dwelling's identity: (building, unit, room), blanks as ''."""
    return (record.get("building") or "", record.get("unit") or "", record.get("room") or "")


# One person found living here (or away) on the date: the roster entry, its household's
# part of every person row, residence type, age, place in the roster, and the person's place
# among the household's residents and away persons (head first, then roster order).
Entry = tuple[dict[str, Any], dict[str, Any], str, int | None, int, int]
# The keys a person row takes from its household (over the person's own keys of that name).
PART_KEYS = frozenset((*HOUSEHOLD_FIELDS, "household_id", "address", "head_name", "head_pending"))


class Community:
    """Everyone active on one date, and the households and dwellings they live in.

    Building it finds who lives here; rows (person, household, dwelling) are made only
    when something asks for them. Counting needs none: ``columns`` reads each field a
    rule or a figure needs straight from the records. Registers and pages share one
    Community (the app keeps it until the records change): nothing may modify it.

    A community joined from shares (``joined``) takes its person and household rows from
    them: a share makes its rows once, and every community joined from it uses them.
    """

    def __init__(self, as_of: date) -> None:
        self.as_of = as_of
        self._residents: list[Entry] = []
        self._away: list[Entry] = []
        # (household, its part, its residents' first and end positions in _residents)
        # for each household with at least one resident, in address order
        self._present: list[tuple[dict[str, Any], dict[str, Any], int, int]] = []
        self._columns: dict[tuple[str, bool], Columns] = {}
        self._shares: list[Community] | None = None  # what it was joined from; None: a share

    @classmethod
    def joined(cls, as_of: date, shares: Iterable[Community]) -> Community:
        """The community of the households of ``shares`` (their shares, in address order)."""
        community = cls(as_of)
        community._shares = list(shares)
        residents, away, present = community._residents, community._away, community._present
        for share in community._shares:
            offset = len(residents)
            residents += share._residents
            away += share._away
            for household, part, first, end in share._present:
                present.append((household, part, first + offset, end + offset))
        return community

    @cached_property
    def residents(self) -> list[dict[str, Any]]:
        """One row per resident, in address order (heads first within a household)."""
        with paused_gc():
            if self._shares is not None:
                return [row for share in self._shares for row in share.residents]
            return [_person_row(entry) for entry in self._residents]

    @cached_property
    def away(self) -> list[dict[str, Any]]:
        """One row per person of the records living elsewhere (外出人员), in address order."""
        with paused_gc():
            if self._shares is not None:
                return [row for share in self._shares for row in share.away]
            return [_person_row(entry) for entry in self._away]

    @cached_property
    def present(self) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
        """(household record, its resident rows) for households with at least one resident."""
        rows = self.residents
        return [(h, rows[first:end]) for h, _part, first, end in self._present]

    def present_households(self) -> list[tuple[dict[str, Any], int]]:
        """(household record, number of its residents), without making any row."""
        return [(h, end - first) for h, _part, first, end in self._present]

    def resident_count(self) -> int:
        """How many residents."""
        return len(self._residents)

    def away_count(self) -> int:
        """How many persons living elsewhere."""
        return len(self._away)

    def persons(self, include_away: bool = False) -> list[dict[str, Any]]:
        """Residents, with the away persons in their address places when asked for."""
        if not include_away:
            return self.residents
        if self._shares is not None:
            return [row for share in self._shares for row in share.persons(True)]
        # one household: its residents and away persons in roster order, the head first
        places = [entry[5] for entry in self._residents] + [entry[5] for entry in self._away]
        rows = self.residents + self.away
        return [row for _place, row in sorted(zip(places, rows, strict=True), key=_first)]

    @cached_property
    def households(self) -> list[dict[str, Any]]:
        """One row per household with at least one resident, in address order."""
        with paused_gc():
            if self._shares is not None:
                return [row for share in self._shares for row in share.households]
            return [_household_row(h, residents) for h, residents in self.present]

    @cached_property
    def dwellings(self) -> list[dict[str, Any]]:
        """One row per (building, unit, room) with a present household; rented if any is."""
        with paused_gc():
            return [
                {key: derive(group) for key, derive in DWELLING_DERIVED.items()}
                for group in self._dwelling_groups
            ]

    def columns(self, record: str, include_away: bool = False) -> Columns:
        """The fields of the person, household or dwelling rows, for counting and figures.

        Read from the records without making the rows, kept, and shared by every register
        and figure of the record type. With the away persons, person values come in no
        particular order (a count needs none).
        """
        key = (record, include_away and record == "person")
        found = self._columns.get(key)
        if found is None:
            if record == "person":
                found = _PersonColumns(self, key[1])
            elif record == "household":
                found = _HouseholdColumns(self)
            elif record == "dwelling":
                found = _DwellingColumns(self)
            else:
                raise ValueError(f"a community has no {record} rows")
            found = self._columns.setdefault(key, found)
        return found

    def _resident_entries(self, first: int, end: int) -> list[dict[str, Any]]:
        """The roster entries of residents ``first`` to ``end`` (what their rows hold too)."""
        return [entry[0] for entry in self._residents[first:end]]

    @cached_property
    def _dwelling_groups(self) -> list[_Dwelling]:
        grouped: dict[tuple[str, str, str], list[tuple[dict[str, Any], int, int]]] = {}
        for h, _part, first, end in self._present:
            grouped.setdefault(door(h), []).append((h, first, end))
        return [_Dwelling(self._residents, place, group) for place, group in grouped.items()]


def _first(pair: tuple[int, Any]) -> int:
    return pair[0]


def _person_row(entry: Entry) -> dict[str, Any]:
    person, part, kind, age, index, _place = entry
    row = {**person, **part}
    conditions = person.get("conditions")
    if conditions.__class__ is not list:
        row["conditions"] = as_list(conditions)
    row["residence_type"] = kind
    row["age"] = age
    row["member_index"] = index
    return row


def _person_values(entries: list[Entry], name: str) -> list[Any]:
    """``[_person_row(entry).get(name) for entry in entries]``, without making the rows."""
    if name == "residence_type":
        return [entry[2] for entry in entries]
    if name == "age":
        return [entry[3] for entry in entries]
    if name == "member_index":
        return [entry[4] for entry in entries]
    if name == "conditions":
        found = [entry[0].get("conditions") for entry in entries]
        return [c if c.__class__ is list else as_list(c) for c in found]
    if name in PART_KEYS:
        return [entry[1][name] for entry in entries]
    return [entry[0].get(name) for entry in entries]


class _CommunityColumns(Columns):
    """Columns a Community keeps: they hold it weakly, so that it is freed without a cycle."""

    def __init__(self, community: Community) -> None:
        super().__init__([])
        self._owner = weakref.ref(community)

    @property
    def _community(self) -> Community:
        community = self._owner()
        if community is None:
            raise RuntimeError("these columns outlived their Community")
        return community


class _PersonColumns(_CommunityColumns):
    """The fields of a community's person rows (with its away persons, if asked)."""

    def __init__(self, community: Community, include_away: bool) -> None:
        super().__init__(community)
        self._include_away = include_away
        self._size = len(community._residents) + (len(community._away) if include_away else 0)

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The person rows, made only if a rule must see them one by one."""
        community = self._community
        if self._include_away:
            return community.residents + community.away
        return community.residents

    def __len__(self) -> int:
        return self._size

    def column(self, name: str) -> list[Any]:
        community = self._community
        if self._include_away:  # the residents' values (kept), then the away persons'
            return community.columns("person")[name] + _person_values(community._away, name)
        return _person_values(community._residents, name)


# What a household row holds besides the household's own fields: its roster is replaced by
# the resident rows (``members``), and these are read from the residents (row or roster
# entry alike: a row holds its entry's name, ID number, phone and ethnicity). The head is
# the first resident: the head, or when the head does not live here the first who does.
HOUSEHOLD_DERIVED: dict[str, Callable[[dict[str, Any], list[dict[str, Any]]], Any]] = {
    "household_id": lambda h, rs: h.get("id"),
    "address": lambda h, rs: address_text(h),
    "hardship": lambda h, rs: as_list(h.get("hardship")),
    "grid": lambda h, rs: h.get("grid"),
    "residents": lambda h, rs: len(rs),
    "head_name": lambda h, rs: rs[0].get("name"),
    "head_pending": lambda h, rs: relation_pending(rs[0]),  # named, not known to be the head
    "head_id_number": lambda h, rs: rs[0].get("id_number"),
    "head_phone": lambda h, rs: rs[0].get("phone"),
    "head_ethnicity": lambda h, rs: rs[0].get("ethnicity"),
    "member_names": lambda h, rs: "、".join(p.get("name") or "" for p in rs),
    "members": lambda h, rs: rs,  # (rows only)
}


def _household_row(household: dict[str, Any], residents: list[dict[str, Any]]) -> dict[str, Any]:
    row = dict(household)
    del row["members"]
    row.update({key: derive(household, residents) for key, derive in HOUSEHOLD_DERIVED.items()})
    return row


class _HouseholdColumns(_CommunityColumns):
    """The fields of a community's household rows, read from the household records."""

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The household rows, made only if a rule must see them one by one."""
        return self._community.households

    def __len__(self) -> int:
        return len(self._community._present)

    def column(self, name: str) -> list[Any]:
        community = self._community
        if name == "members":
            return [residents for _h, residents in community.present]
        if name in _SAME_IN_PART:  # worked out once already, for the household's persons
            return [part[name] for _h, part, _first, _end in community._present]
        derive = HOUSEHOLD_DERIVED.get(name)
        if derive is None:
            return [h.get(name) for h, _part, _first, _end in community._present]
        return [
            derive(h, community._resident_entries(first, end))
            for h, _part, first, end in community._present
        ]


class _Dwelling:
    """The households present at one door, and which of them rent it."""

    __slots__ = ("door", "households", "rented", "first", "_residents")

    def __init__(
        self,
        residents: list[Entry],
        place: tuple[str, str, str],
        households: list[tuple[dict[str, Any], int, int]],
    ) -> None:
        self._residents = residents  # the community's (not the community: no cycle)
        self.door = place
        self.households = households
        self.rented = [found for found in households if found[0].get("housing") == "rented"]
        self.first = (self.rented or households)[0][0]

    def residents(self, households: list[tuple[dict[str, Any], int, int]]) -> list[Any]:
        """The roster entries of these households' residents."""
        found = self._residents
        return [found[n][0] for _h, first, end in households for n in range(first, end)]


# A dwelling row: its door, and what its first rented household (else its first) says.
DWELLING_DERIVED: dict[str, Callable[[_Dwelling], Any]] = {
    "building": lambda d: d.door[0],
    "unit": lambda d: d.door[1],
    "room": lambda d: d.door[2],
    "address": lambda d: address_text(d.first),
    "grid": lambda d: d.first.get("grid"),
    "housing": lambda d: d.first.get("housing"),
    "landlord_name": lambda d: d.first.get("landlord_name"),
    "landlord_phone": lambda d: d.first.get("landlord_phone"),
    "households": lambda d: len(d.households),
    "household_nos": lambda d: "、".join(h.get("household_no") or "" for h, _f, _e in d.households),
    "residents": lambda d: sum(end - first for _h, first, end in d.households),
    "tenants": lambda d: "、".join(p.get("name") or "" for p in d.residents(d.rented)),
    "household_ids": lambda d: [h.get("id") for h, _f, _e in d.households],
}


class _DwellingColumns(_CommunityColumns):
    """The fields of a community's dwelling rows, without making them."""

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The dwelling rows, made only if a rule must see them one by one."""
        return self._community.dwellings

    def __len__(self) -> int:
        return len(self._community._dwelling_groups)

    def column(self, name: str) -> list[Any]:
        derive = DWELLING_DERIVED.get(name)
        groups = self._community._dwelling_groups
        return [None] * len(groups) if derive is None else [derive(d) for d in groups]


# Household row fields whose value the persons' part holds too (the part's head_name is the
# roster's head, who may not live here: not the same).
_SAME_IN_PART = frozenset(("hardship", "address", "household_id", *HOUSEHOLD_FIELDS))


def _household_part(household: dict[str, Any], first: dict[str, Any]) -> dict[str, Any]:
    """The household's fields that every one of its person rows carries; ``first`` is
    the roster's head (or its first member while the relations wait to be verified)."""
    part = {key: household.get(key) for key in HOUSEHOLD_FIELDS}
    part["hardship"] = as_list(household.get("hardship"))
    part["household_id"] = household.get("id")
    part["address"] = address_text(household)
    part["head_name"] = first.get("name") or ""
    part["head_pending"] = relation_pending(first)
    return part


SortKey = tuple[tuple[NaturalKey, NaturalKey, NaturalKey], NaturalKey, int]


def household_order(household: dict[str, Any]) -> SortKey:
    """Where a household comes in every list: address order, then its number and id."""
    return (
        address_key(household),
        natural_key(household.get("household_no") or ""),
        household.get("id") or 0,
    )


def build_community(households: Iterable[dict[str, Any]], as_of: date) -> Community:
    """Residents, away persons and present households on ``as_of``, in address order.

    This is the hot loop of every register and the summary (50,000 persons at the largest
    communities), so the checks of ``active_on`` and ``age_on`` are written out here; it
    only notes who is found (``Entry``): their rows are made when asked for.
    """
    with paused_gc():
        ordered = sorted(households, key=household_order)
        return Community.joined(as_of, filter(None, (household_share(h, as_of) for h in ordered)))


def household_share(household: dict[str, Any], as_of: date) -> Community | None:
    """The community of this household alone on ``as_of``; None when nobody of it counts.

    A community is its households' shares joined in ``household_order``: a read model
    keeps them and makes only the share of a household that changed again. (One share is
    a handful of objects: callers making thousands pause the collector around them all.)
    """
    members = household.get("members") or []
    if not members:
        return None
    # head first, then roster order (most rosters already start with the head)
    ranked: Iterable[int] = range(len(members))
    if members[0].get("relation") != "head":
        ranked = sorted(ranked, key=lambda i: (members[i].get("relation") != "head", i))
    first = members[next(iter(ranked))]
    part: dict[str, Any] | None = None
    residents: list[Entry] = []
    away: list[Entry] = []
    y, md = as_of.year, (as_of.month, as_of.day)
    place = 0
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
            part = _household_part(household, first)
        age = None if born is None else y - born.year - (md < (born.month, born.day))
        (away if kind == AWAY else residents).append((person, part, kind, age, index, place))
        place += 1
    if part is None:
        return None
    share = Community(as_of)
    share._residents, share._away = residents, away
    if residents:
        share._present.append((household, part, 0, len(residents)))
    return share


def person_rows(
    households: list[dict[str, Any]], as_of: date, include_away: bool = False
) -> list[dict[str, Any]]:
    """One row per resident on ``as_of`` (and away person, when asked), in address order."""
    return build_community(households, as_of).persons(include_away)
