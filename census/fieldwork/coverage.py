"""Coverage: how far the survey has come, per building, grid and surveyor.

Figures, over the dwellings of the buildings counted (see ``outcomes`` for a dwelling's
events and state):

- **expected** (应有户数): the buildings' ``expected_dwellings``, summed;
- **visited** (已走访): dwellings with at least one event — any visit in the log, whatever
  its outcome, or a registered household. It measures the legwork: doors knocked on.
- **registered** (已登记): dwellings whose state is ``completed`` (a household is stored).
- **vacant** (空置): dwellings whose state is ``vacant``.
- **completed** (已完成) = registered + vacant: doors with nothing left to do. A vacant flat
  counts because there is no household to register there — staff ask "how many doors are
  finished?", and a building with three empty flats would otherwise never reach 100%.
  Registered and vacant are also shown apart, so the figure hides nothing.
- **to revisit** (待回访): dwellings whose state is ``not_home`` or ``refused``.
- **flagged** (需关注): of those, the ones with three or more ``not_home`` visits.

visited = completed + to revisit, always. Progress is completed / expected, capped at 100%
for the bar (the figures themselves are never capped: a building with more doors than
expected shows e.g. 13 / 12, which tells staff the expected figure is wrong).

Per surveyor the figures are over the buildings **assigned** to them (one by one or by
grid) — their area's progress, whoever knocked — with, beside them, the number of visits
they recorded themselves. A building assigned to two surveyors counts for both.
Dwellings in buildings that are not in the buildings list are left out of every figure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from census.fieldwork.assignments import covers
from census.fieldwork.outcomes import Dwelling, natural


@dataclass(frozen=True)
class Figures:
    """The coverage figures of a set of dwellings (see the module doc for each one)."""

    expected: int = 0
    visited: int = 0
    registered: int = 0
    vacant: int = 0
    revisit: int = 0
    flagged: int = 0

    @property
    def completed(self) -> int:
        """Registered or vacant: nothing left to do at these doors."""
        return self.registered + self.vacant

    @property
    def completed_pct(self) -> int | None:
        """completed / expected in whole percent, at most 100; None without an expected figure."""
        return _pct(self.completed, self.expected)

    @property
    def visited_pct(self) -> int | None:
        """visited / expected in whole percent, at most 100; None without an expected figure."""
        return _pct(self.visited, self.expected)

    def __add__(self, other: Figures) -> Figures:
        return Figures(*(getattr(self, k) + getattr(other, k) for k in self.__dataclass_fields__))


EMPTY = Figures()


def _pct(part: int, whole: int) -> int | None:
    if not whole:
        return None
    return min(100, part * 100 // whole)


def figures(dwellings: Iterable[Dwelling], expected: int = 0) -> Figures:
    """Count the dwellings by state."""
    counts = {"visited": 0, "registered": 0, "vacant": 0, "revisit": 0, "flagged": 0}
    for d in dwellings:
        if not d.events:
            continue
        counts["visited"] += 1
        state = d.state
        if state == "completed":
            counts["registered"] += 1
        elif state == "vacant":
            counts["vacant"] += 1
        elif d.to_revisit:
            counts["revisit"] += 1
            counts["flagged"] += d.flagged
    return Figures(expected=expected, **counts)


@dataclass(frozen=True)
class Row:
    """One line of a coverage table: a building, grid or surveyor and its figures."""

    name: str
    figures: Figures
    detail: str = ""  # a grid's name for a building; a surveyor's display name
    visits_made: int | None = None  # surveyors only


def _by_building_name(dwellings: Iterable[Dwelling]) -> dict[str, list[Dwelling]]:
    grouped: dict[str, list[Dwelling]] = {}
    for d in dwellings:
        grouped.setdefault(d.building, []).append(d)
    return grouped


def _grid_rank(grid_order: Sequence[str]) -> Callable[[str], tuple[int, str]]:
    rank = {name: n for n, name in enumerate(grid_order)}
    return lambda grid: (rank.get(grid, len(rank)), grid)


def building_rows(
    buildings: Sequence[Mapping[str, Any]],
    dwellings: Iterable[Dwelling],
    grid_order: Sequence[str] = (),
) -> list[Row]:
    """One row per building: grids in the given order (then by name), buildings 2栋 before 10栋."""
    grouped = _by_building_name(dwellings)
    counted = {name: figures(found) for name, found in grouped.items()}
    return counted_rows(buildings, counted, grid_order)


def counted_rows(
    buildings: Sequence[Mapping[str, Any]],
    counted: Mapping[str, Figures],
    grid_order: Sequence[str] = (),
) -> list[Row]:
    """``building_rows`` from each building's figures, counted already (by dwellings' building).

    A read model that keeps each building's figures makes the table without counting
    every door again.
    """
    rows = [
        Row(
            b["name"],
            replace(counted.get(b["name"], EMPTY), expected=int(b.get("expected_dwellings") or 0)),
            b.get("grid") or "",
        )
        for b in buildings
    ]
    rank = _grid_rank(grid_order)
    return sorted(rows, key=lambda r: (rank(r.detail), natural(r.name)))


def _sum(rows: Iterable[Row]) -> Figures:
    total = Figures()
    for row in rows:
        total = total + row.figures
    return total


def grid_rows(building_rows_: Sequence[Row], grid_order: Sequence[str] = ()) -> list[Row]:
    """One row per grid (in the given order, then by name): the sum of its buildings."""
    grids: dict[str, list[Row]] = {}
    for row in building_rows_:
        grids.setdefault(row.detail, []).append(row)
    rank = _grid_rank(grid_order)
    return [Row(name, _sum(grids[name])) for name in sorted(grids, key=rank)]


def total(building_rows_: Sequence[Row]) -> Figures:
    """The whole community: the sum of every building."""
    return _sum(building_rows_)


def surveyor_rows(
    surveyors: Sequence[Mapping[str, Any]],
    buildings: Sequence[Mapping[str, Any]],
    building_rows_: Sequence[Row],
    visits_by: Callable[[str], int],
) -> list[Row]:
    """One row per surveyor over their assigned buildings, with the visits they recorded."""
    by_name = {row.name: row for row in building_rows_}
    rows = []
    for user in surveyors:
        mine = [by_name[b["name"]] for b in buildings if covers(user, b) and b["name"] in by_name]
        rows.append(
            Row(
                user["username"],
                _sum(mine),
                user.get("display_name") or user["username"],
                visits_by(user["username"]),
            )
        )
    return sorted(rows, key=lambda r: r.name)


def visits_made(dwellings: Iterable[Dwelling]) -> dict[str, int]:
    """Events per person: visits they logged and households they registered."""
    counts: dict[str, int] = {}
    for d in dwellings:
        for e in d.events:
            counts[e.by] = counts.get(e.by, 0) + 1
    return counts
