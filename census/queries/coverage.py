"""The coverage (进度) read model: each building's doors, kept from the households and visits.

What happened at a door depends only on the households and visits of its building
(``census.fieldwork.outcomes``), so the model keeps the doors and figures building by
building and, when a household or a visit changes, makes again only the doors of the
buildings it was and is in. The tables of the coverage page (buildings, grids, the total,
the doors flagged for staff, every door for the export) are made from the buildings' kept
figures, once per change.

Buildings are grouped as their doors are (by the folded name, ``fold``): a household whose
building is typed with a stray space is at the same doors as the building's others. The
tables are exactly those of ``building_rows``, ``revisits`` and ``sorted_dwellings`` over
every door at once. Two doors that sort alike (rooms "01" and "1") are in one building, and
a building's doors are made from its households by id, then its visits by id, as the full
computation meets them: the stable sort keeps them in that order here too.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from census.domain.address import fold
from census.fieldwork import coverage
from census.fieldwork.assignments import grid_names
from census.fieldwork.outcomes import Dwelling, build_dwellings
from census.queries.records import Doc, Records

Member = tuple[str, int]  # ("households" or "visits", id)


@dataclass(frozen=True)
class Tables:
    """The coverage page's tables (shared by every request: read only)."""

    buildings: list[coverage.Row]
    grids: list[coverage.Row]
    total: coverage.Figures
    flagged: list[Dwelling]  # still to revisit after three not-home visits, in address order
    made: Mapping[str, int]  # events per person: visits logged, households registered


@dataclass(frozen=True)
class _Building:
    """One building's doors and what they count."""

    doors: list[Dwelling]
    figures: coverage.Figures
    made: Counter[str]


def _place(dwelling: Dwelling) -> tuple[Any, ...]:
    return dwelling.sort_key


class CoverageModel:
    """Doors and figures per building, kept as households and visits change; thread-safe."""

    def __init__(self, records: Records) -> None:
        self._lock = threading.Lock()
        self.buildings = records.buildings
        self.grid_order = grid_names(records.grids, records.buildings)
        self._docs: dict[Member, Doc] = {}
        self._where: dict[Member, str] = {}
        self._members: dict[str, set[Member]] = {}
        self._counted: dict[str, _Building] = {}
        self._tables: Tables | None = None
        self._doors: list[Dwelling] | None = None
        for name in ("households", "visits"):
            for doc_id, doc in records.by_id(name).items():
                self._put((name, doc_id), doc)
        for group in self._members:
            self._count(group)

    def apply(self, fresh: Mapping[str, Mapping[int, Doc | None]]) -> None:
        """Households and visits read again (None: deleted): their buildings counted again."""
        with self._lock:
            touched: set[str] = set()
            for name in ("households", "visits"):
                for doc_id, doc in (fresh.get(name) or {}).items():
                    touched |= self._put((name, doc_id), doc)
            for group in touched:
                self._count(group)
            if touched:
                self._tables = self._doors = None

    def _put(self, member: Member, doc: Doc | None) -> set[str]:
        """Keep a household or visit (or forget it); the buildings it left and joined."""
        touched = set()
        before = self._where.pop(member, None)
        if before is not None:
            self._members[before].discard(member)
            self._docs.pop(member, None)
            touched.add(before)
        group = fold(doc.get("building")) if doc is not None else ""
        if doc is not None and group:
            self._docs[member] = doc
            self._where[member] = group
            self._members.setdefault(group, set()).add(member)
            touched.add(group)
        return touched

    def _count(self, group: str) -> None:
        members = sorted(self._members.get(group, ()))  # households by id, then visits
        if not members:
            self._members.pop(group, None)
            self._counted.pop(group, None)
            return
        households = [self._docs[m] for m in members if m[0] == "households"]
        visits = [self._docs[m] for m in members if m[0] == "visits"]
        doors = sorted(build_dwellings(visits, households).values(), key=_place)
        self._counted[group] = _Building(
            doors, coverage.figures(doors), Counter(coverage.visits_made(doors))
        )

    def building(self, name: str) -> tuple[list[Dwelling], coverage.Figures, int]:
        """One building's doors in address order, their figures, and its households (all,
        with a door or not): what the surveyor's home and building pages show of it."""
        with self._lock:
            group = fold(name)
            found = self._counted.get(group)
            households = sum(1 for m in self._members.get(group, ()) if m[0] == "households")
        if found is None:
            return [], coverage.Figures(), households
        return found.doors, found.figures, households

    def tables(self) -> Tables:
        """Buildings, grids, the total, flagged doors and events per person, as now."""
        with self._lock:
            if self._tables is None:
                counted = {name: found.figures for name, found in self._counted.items()}
                rows = coverage.counted_rows(self.buildings, counted, self.grid_order)
                made: Counter[str] = Counter()
                flagged = []
                for found in self._counted.values():
                    made.update(found.made)
                    flagged += [d for d in found.doors if d.flagged]
                self._tables = Tables(
                    buildings=rows,
                    grids=coverage.grid_rows(rows, self.grid_order),
                    total=coverage.total(rows),
                    flagged=sorted(flagged, key=_place),
                    made=dict(made),
                )
            return self._tables

    def doors(self) -> list[Dwelling]:
        """Every door of the buildings of the list, in address order (for the export)."""
        with self._lock:
            if self._doors is None:
                names = {b["name"] for b in self.buildings}
                found = [
                    d
                    for group, counted in self._counted.items()
                    for d in counted.doors
                    if group in names
                ]
                self._doors = sorted(found, key=_place)
            return self._doors
