"""What the 台账 and 基本情况 pages show, kept until the records change.

Every view of the registers or the summary reads 13,000 households from the store, finds the
50,000 persons who live here on the date and counts them: a second or two. The app keeps
what that gives in one ``Derived`` cache, keyed by the store's stamp of the collections it
reads, the date and whether only approved records count, so a repeat view costs a stamp (one
small query on PostgreSQL) and a dictionary lookup. A write to any of those collections,
through this app or (PostgreSQL) another process, changes the stamp: the next view
recomputes, so a saved household shows on the very next page.

What a view hands out is shared by every request and thread: rows, records and the
Community must not be modified (counts and figures are copies, free to change).
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from census.domain.charts import summary_charts
from census.domain.registers import RegisterDef, counts_in, rows_in
from census.domain.residents import Community, build_community
from census.domain.summary import figures_of
from census.services.review import approved_only
from census.store import Store
from census.util.gcpause import paused_gc

# The collections the registers and the summary are made from.
WATCHED = ("households", "storefronts", "units", "buildings")
VIEWS = 4  # dates (or approved-only variants) kept at once: tens of MB each at 13,000 households

T = TypeVar("T")


@dataclass(frozen=True)
class Records:
    """The records the registers and the summary are made from, as the store gave them."""

    households: list[dict[str, Any]]  # each with its building's grid, unless it has its own
    storefronts: list[dict[str, Any]]  # likewise
    units: list[dict[str, Any]]
    buildings: list[dict[str, Any]]


def read_records(store: Store) -> Records:
    """Read households, storefronts, units and buildings; give records their building's grid.

    The documents come from ``scan_shared``: their insides may be the store's own, so
    nothing made from them may be modified (their top level is theirs: the grid goes there).
    """
    with paused_gc():
        buildings = store.collection("buildings").scan_shared()
        grids = {b.get("name"): b.get("grid") for b in buildings}
        households = store.collection("households").scan_shared()
        storefronts = store.collection("storefronts").scan_shared()
        for record in itertools.chain(households, storefronts):
            if not record.get("grid"):
                record["grid"] = grids.get(record.get("building"))
        units = store.collection("units").scan_shared()
    return Records(households, storefronts, units, buildings)


def community_records(store: Store) -> tuple[list[dict], list[dict], list[dict]]:
    """Households and storefronts (each with its building's grid) and units, from the store.

    Read afresh on every call (the command line's one-off figures); pages use ``Derived``.
    """
    records = read_records(store)
    return records.households, records.storefronts, records.units


class _Once:
    """A value made by the first caller who needs it; the others wait for it."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make: Callable[[], Any] | None = make
        self._lock = threading.Lock()
        self._value: Any = None

    def get(self) -> Any:
        with self._lock:
            if self._make is not None:
                self._value = self._make()
                self._make = None
            return self._value


class View:
    """The registers and the summary on one date: each part made on first use, then kept."""

    def __init__(
        self, records: _Once, as_of: date, approved: bool, registers: list[RegisterDef]
    ) -> None:
        self.as_of = as_of
        self.approved = approved
        self._records = records
        self._registers = registers
        self._lock = threading.RLock()
        self._parts: dict[Hashable, Any] = {}

    def memo(self, key: Hashable, make: Callable[[], T]) -> T:
        """``make()`` the first time ``key`` is asked for; the same object afterwards.

        For whatever a page derives from this view (its charts in a language, the choices of
        a filter): shared like the rest, so read-only.
        """
        with self._lock:
            if key not in self._parts:
                with paused_gc():
                    self._parts[key] = make()
            return self._parts[key]  # type: ignore[no-any-return]

    @property
    def records(self) -> Records:
        """Every record read from the store (approved or not)."""
        return self._records.get()  # type: ignore[no-any-return]

    def households(self) -> list[dict[str, Any]]:
        """The households the view counts: all of them, or only the approved ones."""
        if not self.approved:
            return self.records.households
        return self.memo("approved", lambda: approved_only(self.records.households))

    def community(self) -> Community:
        """Who lives here on the date."""
        return self.memo("community", lambda: build_community(self.households(), self.as_of))

    def counts(self) -> dict[str, int]:
        """``{register key: number of rows}`` for every register (a copy)."""
        records = self.records
        counts = self.memo(
            "counts",
            lambda: counts_in(
                self._registers, self.community(), records.storefronts, records.units
            ),
        )
        return dict(counts)

    def rows(self, reg: RegisterDef) -> list[dict[str, Any]]:
        """One register's rows in its order (shared: read only)."""
        records = self.records

        def make() -> list[dict[str, Any]]:
            if reg.record in ("storefront", "unit"):  # no need to find who lives here
                return rows_in(reg, Community(self.as_of), records.storefronts, records.units)
            return rows_in(reg, self.community(), records.storefronts, records.units)

        return self.memo(("rows", reg.key), make)

    def figures(self) -> dict[str, Any]:
        """Every figure of the summary (a copy)."""
        records = self.records
        figures = self.memo(
            "figures", lambda: figures_of(self.community(), records.storefronts, records.units)
        )
        return {k: dict(v) if isinstance(v, dict) else v for k, v in figures.items()}

    def charts(self, lang: str) -> dict[str, str]:
        """The summary's charts (SVG text) in a language."""

        def make() -> dict[str, str]:
            people = self.community().columns("person")
            # the age pyramid reads each resident's age and sex, and no more
            persons = [
                {"age": age, "sex": sex}
                for age, sex in zip(people["age"], people["sex"], strict=True)
            ]
            return summary_charts(self.figures(), persons, lang)

        return dict(self.memo(("charts", lang), make))


class Derived:
    """One app's cache of views, for the current stamp of the records; bounded, thread-safe."""

    def __init__(self, store: Store, registers: list[RegisterDef], *, views: int = VIEWS) -> None:
        self.store = store
        self.registers = registers
        self._max_views = max(1, views)
        self._lock = threading.Lock()
        self._stamp: Hashable = None
        self._records: _Once | None = None
        self._views: OrderedDict[tuple[date, bool], View] = OrderedDict()

    def view(self, as_of: date, approved: bool = False) -> View:
        """The view of the records as they are now, on ``as_of``."""
        # The stamp is taken before anything is read: whatever is read after it is at least
        # as new, so it may be kept under it.
        stamp = self.store.stamp(*WATCHED)
        with self._lock:
            if self._records is None or stamp != self._stamp:
                self._stamp = stamp
                self._records = _Once(lambda: read_records(self.store))
                self._views.clear()
            key = (as_of, approved)
            view = self._views.get(key)
            if view is None:
                view = self._views[key] = View(self._records, as_of, approved, self.registers)
                while len(self._views) > self._max_views:
                    self._views.popitem(last=False)
            else:
                self._views.move_to_end(key)
            return view
