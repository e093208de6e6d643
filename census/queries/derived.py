"""What the staff pages show (台账, 基本情况, 进度, the review queue), kept up with every write.

Every view of these pages needs all 13,000 households of a large community: who lives here
on the date (50,000 persons), every register's count, the summary, each building's doors,
the households waiting for review. ``Derived`` reads the records once (``read_records``, the
one way the read models read them) and keeps what they give. A repeat view costs a stamp
of the store (one small query on PostgreSQL) and a lookup.

A write does not make the next view start over. The store tells which documents the writes
since the last stamp touched (``Store.changed_ids``: on PostgreSQL another server's too, from
the change journal); ``Derived`` reads those documents again and hands the change to each
read model, which replaces what that household (storefront, unit, visit) gave and keeps the
rest:

- a view of the registers and the summary on a date (``View``) keeps each household's share
  of the community (who of it lives here, its person and household rows), every register's
  count and the summary's tally: a changed household's old share is taken out of the counts
  and the tally, its new one put in, and the registers of dwellings count its old and new
  doors again;
- the coverage (``census.queries.coverage``) makes the doors of the changed buildings again;
- the review queue (``census.queries.review``) moves the household between its states;
- the household list (住户, ``Records.address_order``) takes the household out of its place
  in address order and puts it in where it goes now (sorted only after a full read).

When the store cannot tell what changed (writes further back than PostgreSQL's journal
keeps, or made by a version without it; a write failed half-way), when so many changed at
once that reading is cheaper, or
when the buildings or grids changed (a building's grid is every household's grid), the next
view reads everything again, as after a start. Either way what a view shows is what a
computation from scratch on the records of that moment would show
(tests/queries/test_incremental.py compares them write after write).

What a view hands out is shared by every request and thread: rows, records and the
Community must not be modified (counts and figures are copies, free to change). A write
never changes what was handed out: it makes new lists and new views beside the old ones.
"""

from __future__ import annotations

import bisect
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from datetime import date
from typing import Any, TypeVar

from census.domain.charts import summary_charts
from census.domain.gate import Gate, Pending, pending_of
from census.domain.registers import RegisterDef, counts_in, rows_in
from census.domain.residents import (
    Community,
    SortKey,
    door,
    household_order,
    household_share,
)
from census.domain.summary import Tally, figures_from, tally_of
from census.queries.checks import ChecksModel
from census.queries.coverage import CoverageModel
from census.queries.records import AddressOrder, Doc, Records, read_again, read_records
from census.queries.review import ReviewIndex
from census.services.review import APPROVED, state_of
from census.store import Store
from census.util.gcpause import paused_gc

# The collections the registers and the summary are made from.
WATCHED = ("households", "storefronts", "units", "buildings")
# Every collection a read model is made from: the coverage reads the visits and the grids too.
FOLLOWED = (*WATCHED, "visits", "grids")
VIEWS = 4  # dates (or approved-only variants) kept at once: tens of MB each at 13,000 households
# Beyond this many documents changed at once (an import), reading everything again is cheaper
# than taking each one out and putting it back in every view.
REREAD_AFTER = 200

T = TypeVar("T")
Door = tuple[str, str, str]


class _Once:
    """A value made by the first caller who needs it; the others wait for it."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make: Callable[[], Any] | None = make
        self._lock = threading.Lock()
        self._value: Any = None

    @classmethod
    def of(cls, value: Any) -> _Once:
        """One already made."""
        once = cls(lambda: value)
        once.get()
        return once

    def ready(self) -> bool:
        """Made already (without waiting for a caller who is making it)."""
        return self._make is None

    def get(self) -> Any:
        with self._lock:
            if self._make is not None:
                self._value = self._make()
                self._make = None
            return self._value


def _built(make: Callable[..., T], *args: Any) -> T:
    """A read model made from every record, the collector held meanwhile: it makes tens of
    thousands of small objects at once, and each collection they set off would walk every
    object alive (the store's documents, the other communities' read models) for nothing."""
    with paused_gc():
        return make(*args)


# ------------------------------------------------------------------ registers and summary


class _Standing:
    """What a view keeps household by household: the shares, the counts, the tally.

    ``shares`` holds each household's share of the community (the households with nobody
    counted on the date have none), ``order`` their sort keys in address order (a key ends
    with the household's id), ``doors`` the keys of the households present at each door.
    Made once from all the records; afterwards only ``advanced``, which copies what it
    changes: a standing handed to a view is never modified. Every register's count is made
    when first asked for (the street's figures need only the tally), then kept up too.
    """

    def __init__(self, as_of: date, approved: bool, registers: list[RegisterDef]) -> None:
        self.as_of = as_of
        self.approved = approved
        self.registers = registers
        self.shares: dict[int, Community] = {}
        self.keys: dict[int, SortKey] = {}
        self.order: list[SortKey] = []
        self.doors: dict[Door, list[SortKey]] = {}
        self._counts: dict[str, int] | None = None  # None: not made yet, from ``_records``
        self._records: Records | None = None
        self._counting = threading.Lock()
        self.tally = Tally()
        self.community: Community | None = None  # the one joined when it was made, if still so

    @classmethod
    def made(
        cls,
        records: Records,
        as_of: date,
        approved: bool,
        registers: list[RegisterDef],
        like: _Standing | None = None,
    ) -> _Standing:
        """From every household of the records.

        ``like``: a standing of the same records on the same date made already (the other
        of all / approved only): the households both count have the same shares there, so
        they are taken from it, and only the others' shares are made.
        """
        standing = cls(as_of, approved, registers)
        if like is not None and (like.as_of != as_of or like.registers is not registers):
            like = None
        with paused_gc():
            keys = records.order_keys
            keyed = sorted((keys[h["id"]], h) for h in records.households if standing.counted(h))
            for key, household in keyed:
                if like is not None and like.counted(household):
                    share = like.shares.get(key[-1])
                else:
                    share = household_share(household, as_of)
                if share is None:
                    continue
                standing.shares[key[-1]] = share
                standing.keys[key[-1]] = key
                standing.order.append(key)
                if share._present:
                    standing.doors.setdefault(door(household), []).append(key)
            community = standing.joined()
            standing._records = records
            standing.tally = tally_of(community)
            standing.community = community
        return standing

    @property
    def counts(self) -> dict[str, int]:
        """``{register key: number of rows}`` of every register (shared: read only)."""
        with self._counting:
            if self._counts is None:
                assert self._records is not None
                with paused_gc():
                    community = self.community if self.community is not None else self.joined()
                    others = self.others(self._records)
                    self._counts = counts_in(self.registers, community, *others)
                self._records = None
            return self._counts

    def _kept_counts(self) -> dict[str, int] | None:
        """The counts if made already (without making them)."""
        with self._counting:
            return self._counts

    def counted(self, household: Doc) -> bool:
        """Does this view count the household (all of them, or only the approved ones)?"""
        return not self.approved or state_of(household) == APPROVED

    def others(self, records: Records) -> tuple[list[Doc], list[Doc]]:
        """The storefronts and units this view counts (reviewed as households are)."""
        return _others(records, self.approved)

    def joined(self) -> Community:
        """The community of every share, in address order."""
        return Community.joined(self.as_of, (self.shares[key[-1]] for key in self.order))

    def advanced(
        self, records: Records, fresh: Mapping[str, Mapping[int, Doc | None]]
    ) -> _Standing:
        """A new standing with the households, storefronts and units read again."""
        new = _Standing(self.as_of, self.approved, self.registers)
        new.shares, new.keys, new.order = dict(self.shares), dict(self.keys), list(self.order)
        new.doors, new.tally = dict(self.doors), self.tally
        counts = self._kept_counts()
        if counts is None:  # not asked for yet: made from the new records when they are
            new._records = records
        else:
            new._counts = dict(counts)
        with paused_gc():
            for doc_id, doc in (fresh.get("households") or {}).items():
                new._replace(doc_id, doc)
            if new._counts is not None and (fresh.get("storefronts") or fresh.get("units")):
                others = [r for r in self.registers if r.record in ("storefront", "unit")]
                new._counts |= counts_in(others, Community(self.as_of), *self.others(records))
        return new

    def _replace(self, doc_id: int, doc: Doc | None) -> None:
        """Take the household's old share out of everything, put its new one in."""
        old_share, old_key = self.shares.get(doc_id), self.keys.get(doc_id)
        share = None
        if doc is not None and self.counted(doc):
            share = household_share(doc, self.as_of)
        counts = self._counts
        places = {p for p in (_door_of(old_share), _door_of(share)) if p is not None}
        before = self._door_counts(places) if counts is not None else {}
        if old_key is not None:
            del self.shares[doc_id], self.keys[doc_id]
            self.order.pop(bisect.bisect_left(self.order, old_key))
            place = _door_of(old_share)
            if place is not None:
                kept = [k for k in self.doors[place] if k != old_key]
                if kept:
                    self.doors[place] = kept
                else:
                    del self.doors[place]
        if doc is not None and share is not None:
            key = household_order(doc)
            self.shares[doc_id], self.keys[doc_id] = share, key
            bisect.insort(self.order, key)
            place = _door_of(share)
            if place is not None:
                there = self.doors[place] = list(self.doors.get(place, ()))
                bisect.insort(there, key)
        if counts is not None:
            _add(counts, self._door_counts(places), before)
            mine = [r for r in self.registers if r.record in ("person", "household")]
            _add(counts, _share_counts(mine, share), _share_counts(mine, old_share))
        if old_share is not None:
            self.tally = self.tally - tally_of(old_share)
        if share is not None:
            self.tally = self.tally + tally_of(share)

    def _door_counts(self, doors: set[Door]) -> dict[str, int]:
        """The dwelling registers' counts over these doors: what the households there give."""
        registers = [r for r in self.registers if r.record == "dwelling"]
        total: dict[str, int] = {}
        if not registers:
            return total
        for place in doors:
            keys = self.doors.get(place)
            if keys:
                there = Community.joined(self.as_of, (self.shares[k[-1]] for k in keys))
                _add(total, counts_in(registers, there, [], []), {})
        return total


def _others(records: Records, approved: bool) -> tuple[list[Doc], list[Doc]]:
    """Storefronts and units, all of them or only the approved ones (``census.domain.gate``)."""
    gate = Gate(approved)
    return gate.keep(records.storefronts), gate.keep(records.units)


def _door_of(share: Community | None) -> Door | None:
    """The door of a share's household, if anybody of it lives there."""
    if share is None or not share._present:
        return None
    return door(share._present[0][0])


def _share_counts(registers: list[RegisterDef], share: Community | None) -> dict[str, int]:
    """What one household's share gives the counts of these registers."""
    if share is None or not registers:
        return {}
    return counts_in(registers, share, [], [])


def _add(counts: dict[str, int], plus: Mapping[str, int], minus: Mapping[str, int]) -> None:
    for key in plus.keys() | minus.keys():
        counts[key] = counts.get(key, 0) + plus.get(key, 0) - minus.get(key, 0)


class View:
    """The registers and the summary on one date, for the records of one moment.

    The standing (shares, counts, tally) is made on first use, or carried over from the
    view of the moment before and advanced by the write in between; everything else (a
    register's rows, the charts, what pages derive) is made on first use and kept.
    """

    def __init__(
        self,
        records: _Once,
        as_of: date,
        approved: bool,
        registers: list[RegisterDef],
        standing: _Once | None = None,
        like: View | None = None,
    ) -> None:
        self.as_of = as_of
        self.approved = approved
        self._records = records
        self._registers = registers
        # the other view of this date on the same records, whose shares a new standing takes
        self._like = like if like is not None and like._records is records else None
        self._standing = standing or _Once(self._made)
        self._lock = threading.RLock()
        self._parts: dict[Hashable, Any] = {}

    def _made(self) -> _Standing:
        like, self._like = self._like, None
        kept = like._standing.get() if like is not None and like._standing.ready() else None
        return _Standing.made(self.records, self.as_of, self.approved, self._registers, kept)

    def advanced(self, records: _Once, fresh: Mapping[str, Mapping[int, Doc | None]]) -> View:
        """The view of the same date after a write: its standing advanced, if it had one."""
        standing = None
        if self._standing.ready():
            carried = self._standing.get().advanced(records.get(), fresh)
            standing = _Once.of(carried)
        return View(records, self.as_of, self.approved, self._registers, standing)

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

    @property
    def standing(self) -> _Standing:
        """Shares, counts and tally (made now if this view has none yet)."""
        return self._standing.get()  # type: ignore[no-any-return]

    def households(self) -> list[Doc]:
        """The households the view counts: all of them, or only the approved ones."""
        if not self.approved:
            return self.records.households
        return self.memo(
            "approved", lambda: [h for h in self.records.households if state_of(h) == APPROVED]
        )

    def others(self) -> tuple[list[Doc], list[Doc]]:
        """The storefronts and units the view counts: all of them, or only the approved ones."""
        if not self.approved:
            return self.records.storefronts, self.records.units
        return self.memo("approved others", lambda: _others(self.records, True))

    def pending(self) -> Pending:
        """The records not approved yet that an output on this date would count under 全部:
        the households somebody of which is on the records that day, storefronts, units."""
        records = self.records
        return self.memo(
            "pending",
            lambda: pending_of(records.households, records.storefronts, records.units, self.as_of),
        )

    def community(self) -> Community:
        """Who lives here on the date."""

        def make() -> Community:
            standing = self.standing
            return standing.community if standing.community is not None else standing.joined()

        return self.memo("community", make)

    def counts(self) -> dict[str, int]:
        """``{register key: number of rows}`` for every register (a copy)."""
        return dict(self.standing.counts)

    def rows(self, reg: RegisterDef) -> list[Doc]:
        """One register's rows in its order (shared: read only)."""

        def make() -> list[Doc]:
            storefronts, units = self.others()
            if reg.record in ("storefront", "unit"):  # no need to find who lives here
                return rows_in(reg, Community(self.as_of), storefronts, units)
            return rows_in(reg, self.community(), storefronts, units)

        return self.memo(("rows", reg.key), make)

    def figures(self) -> dict[str, Any]:
        """Every figure of the summary (a copy)."""
        figures = self.memo("figures", lambda: figures_from(self.standing.tally, *self.others()))
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


# ------------------------------------------------------------------ the read models together


class Derived:
    """One app's read models for the current records; kept up with writes, thread-safe."""

    def __init__(self, store: Store, registers: list[RegisterDef], *, views: int = VIEWS) -> None:
        self.store = store
        self.registers = registers
        self._max_views = max(1, views)
        self._lock = threading.Lock()
        self._stamp: Hashable = None
        self._records: _Once | None = None
        self._views: OrderedDict[tuple[date, bool], View] = OrderedDict()
        self._coverage: _Once | None = None
        self._review: _Once | None = None
        self._checks: _Once | None = None
        self.full_reads = 0  # times everything was read (start-up, or writes not told apart)

    def _current(self) -> _Once:
        """The records as they are now: the same, advanced by the writes since, or afresh.

        Call with the lock held. The stamp is taken before anything is read: whatever is
        read after it is at least as new, so it may be kept under it.
        """
        stamp = self.store.stamp(*FOLLOWED)
        if self._records is not None and stamp == self._stamp:
            return self._records
        changed = None
        if self._records is not None and self._records.ready():
            changed = self.store.changed_ids(self._stamp, stamp, *FOLLOWED)
        if (
            changed is None
            or changed.get("buildings")
            or changed.get("grids")
            or sum(len(ids) for ids in changed.values()) > REREAD_AFTER
        ):
            self._start_over()
        elif any(changed.values()):
            assert self._records is not None
            old = self._records.get()
            fresh = read_again(self.store, old, changed)
            self._records = records = _Once.of(old.updated(fresh))
            for key, view in list(self._views.items()):
                self._views[key] = view.advanced(records, fresh)
            # a model still being made from the records before is made again from these
            if self._coverage is not None and self._coverage.ready():
                self._coverage.get().apply(fresh)
            else:
                self._coverage = None
            if self._review is not None and self._review.ready():
                self._review.get().apply(fresh)
            else:
                self._review = None
            if self._checks is not None and self._checks.ready():
                self._checks.get().apply(fresh)
            else:
                self._checks = None
        self._stamp = stamp
        assert self._records is not None
        return self._records

    def _start_over(self) -> None:
        def read() -> Records:
            self.full_reads += 1
            return read_records(self.store)

        self._records = _Once(read)
        self._views.clear()
        self._coverage = self._review = self._checks = None

    def view(self, as_of: date, approved: bool = False) -> View:
        """The view of the records as they are now, on ``as_of``."""
        with self._lock:
            records = self._current()
            key = (as_of, approved)
            view = self._views.get(key)
            if view is None:
                like = self._views.get((as_of, not approved))
                view = View(records, as_of, approved, self.registers, like=like)
                self._views[key] = view
                while len(self._views) > self._max_views:
                    self._views.popitem(last=False)
            else:
                self._views.move_to_end(key)
            return view

    def address_order(self) -> AddressOrder:
        """The households in address order, whole and building by building, as now."""
        with self._lock:
            records = self._current()
        return records.get().address_order()  # type: ignore[no-any-return]

    def coverage(self) -> CoverageModel:
        """Each building's doors and the coverage tables, as the records are now."""
        with self._lock:
            records = self._current()
            if self._coverage is None:
                self._coverage = _Once(lambda: _built(CoverageModel, records.get()))
            model = self._coverage
        return model.get()  # type: ignore[no-any-return]

    def review(self) -> ReviewIndex:
        """The households by review state, as the records are now."""
        with self._lock:
            records = self._current()
            if self._review is None:
                self._review = _Once(lambda: _built(ReviewIndex, records.get()))
            model = self._review
        return model.get()  # type: ignore[no-any-return]

    def checks(self, today: date) -> ChecksModel:
        """Every household's findings of the consistency checks on ``today``, as now."""
        with self._lock:
            records = self._current()
            kept = self._checks
            if kept is None or (kept.ready() and kept.get().today != today):
                kept = self._checks = _Once(lambda: _built(ChecksModel, records.get(), today))
        return kept.get()  # type: ignore[no-any-return]
