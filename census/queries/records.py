"""The records the read models are made from: the one way they read the store.

``read_records`` reads every household, storefront, unit and visit once (``scan_shared``:
the documents are the store's own, read only), ``read_again`` the few a write touched;
``Records`` holds them by id. ``census.queries.derived`` keeps them up with the writes and
hands them to each read model (registers and summary, coverage, review queue, checks).
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Iterable, Mapping
from functools import cached_property
from typing import Any

from census.domain.address import address_key, natural_key, room_part, unit_part
from census.domain.residents import SortKey
from census.store import Store
from census.util.gcpause import paused_gc

BY_ID = ("households", "storefronts", "units", "visits")  # kept document by document

Doc = dict[str, Any]
# Writes a household list not asked for in between may be behind before it is sorted again
# (each keeps the records before it alive until then).
ORDER_CHAIN = 50


class Records:
    """The records the read models are made from, as the store gave them at one moment.

    Households, storefronts and units carry their building's grid when they have none of
    their own. The documents may share their insides with the store (``scan_shared``):
    read only.
    """

    def __init__(
        self, docs: Mapping[str, Mapping[int, Doc]], buildings: list[Doc], grids: list[Doc]
    ) -> None:
        self._docs = {name: dict(docs.get(name, {})) for name in BY_ID}
        self.buildings = buildings
        self.grids = grids
        self._lock = threading.Lock()
        self._order: AddressOrder | None = None
        # the records before a write and the households it changed, while the order is unmade
        self._order_before: tuple[Records, Mapping[int, Doc | None], int] | None = None

    def by_id(self, name: str) -> Mapping[int, Doc]:
        """The documents of a collection kept by id (households, storefronts, units, visits)."""
        return self._docs[name]

    @cached_property
    def households(self) -> list[Doc]:
        """Every household, by id."""
        return _in_id_order(self._docs["households"])

    @cached_property
    def order_keys(self) -> dict[int, SortKey]:
        """Every household's ``household_order`` key, by id: made once for these records and
        shared by the views of every date and the household list (``order_keys``)."""
        with paused_gc():
            return order_keys(self._docs["households"].values())

    @cached_property
    def storefronts(self) -> list[Doc]:
        """Every storefront, by id."""
        return _in_id_order(self._docs["storefronts"])

    @cached_property
    def units(self) -> list[Doc]:
        """Every unit, by id."""
        return _in_id_order(self._docs["units"])

    @cached_property
    def visits(self) -> list[Doc]:
        """Every visit of the log, by id."""
        return _in_id_order(self._docs["visits"])

    def address_order(self) -> AddressOrder:
        """The households in address order (the household list's), made on first use: sorted,
        or the order of the records before moved by the households a write changed."""
        with self._lock:
            if self._order is None:
                with paused_gc():  # 13,000 keys and rows made at once
                    self._order = self._made_order()
                self._order_before = None
            return self._order

    def _made_order(self) -> AddressOrder:
        if self._order_before is not None:
            before, changes, _ = self._order_before
            return before.address_order().updated(before.by_id("households"), changes)
        return AddressOrder.sorted(self.households, self.order_keys)

    def updated(self, fresh: Mapping[str, Mapping[int, Doc | None]]) -> Records:
        """These records with the documents read again (None: deleted), as new records."""
        docs: dict[str, dict[int, Doc]] = {}
        for name in BY_ID:
            kept = self._docs[name]
            changes = fresh.get(name) or {}
            if changes:
                kept = dict(kept)
                for doc_id, doc in changes.items():
                    if doc is None:
                        kept.pop(doc_id, None)
                    else:
                        kept[doc_id] = doc
            docs[name] = kept
        records = Records(docs, self.buildings, self.grids)
        with self._lock:
            behind = self._order_before[2] if self._order is None and self._order_before else 0
            if self._order is not None or 0 < behind < ORDER_CHAIN:
                # the list is moved on by the changed households when asked for, not sorted
                records._order_before = (self, fresh.get("households") or {}, behind + 1)
        return records


OrderKey = tuple[Any, int]


class AddressOrder:
    """Every household in address order (``address_key``, then id: the order sorting the
    households by id by address gives), and building by building. Shared: read only."""

    sorts = 0  # times every household was sorted (the tests count them)

    def __init__(
        self, keys: list[OrderKey], docs: list[Doc], texts: dict[int, str] | None = None
    ) -> None:
        self._keys = keys
        self.households = docs
        self._texts: dict[int, str] = texts if texts is not None else {}
        self._lock = threading.Lock()
        self._buildings: dict[Any, list[Doc]] | None = None

    @classmethod
    def sorted(
        cls, households: Iterable[Doc], keys: Mapping[int, SortKey] | None = None
    ) -> AddressOrder:
        """Every household sorted (``keys``: their ``household_order`` keys, if made)."""
        cls.sorts += 1
        if keys is None:
            pairs = sorted(((address_key(h), h["id"]), h) for h in households)
        else:
            pairs = sorted(((keys[h["id"]][0], h["id"]), h) for h in households)
        return cls([k for k, _ in pairs], [h for _, h in pairs])

    def updated(self, before: Mapping[int, Doc], changes: Mapping[int, Doc | None]) -> AddressOrder:
        """This order with the changed households (None: deleted) taken out from where they
        were (``before``: the households of ids this order was made of) and put in where they
        go now: a new order beside this one."""
        keys, docs = list(self._keys), list(self.households)
        for doc_id, doc in changes.items():
            old = before.get(doc_id)
            if old is not None:
                at = bisect.bisect_left(keys, (address_key(old), doc_id))
                if at < len(keys) and keys[at][1] == doc_id:
                    del keys[at], docs[at]
            if doc is not None:
                key = (address_key(doc), doc_id)
                at = bisect.bisect_left(keys, key)
                keys.insert(at, key)
                docs.insert(at, doc)
        texts = {i: t for i, t in self._texts.items() if i not in changes}
        return AddressOrder(keys, docs, texts)

    def matching(self, rows: list[Doc], word: str, text_of: Callable[[Doc], str]) -> list[Doc]:
        """The rows (of this order) whose search text holds ``word``, in their order. Each
        household's text is made by ``text_of`` once and kept, for the next order too while
        the household does not change: one ``text_of`` for every call (the list's search)."""
        texts, found = self._texts, []
        for h in rows:
            text = texts.get(h["id"])
            if text is None:
                text = texts[h["id"]] = text_of(h)
            if word in text:
                found.append(h)
        return found

    def in_building(self, building: str) -> list[Doc]:
        """The households of one building, in address order."""
        with self._lock:
            if self._buildings is None:
                grouped: dict[Any, list[Doc]] = {}
                for h in self.households:
                    grouped.setdefault(h.get("building"), []).append(h)
                self._buildings = grouped
        return self._buildings.get(building, [])


def order_keys(households: Iterable[Doc]) -> dict[int, SortKey]:
    """``household_order`` of each household, by id, for many at once: a unit's or room's
    canonical form is worked out once per distinct text (thousands of households share
    "1单元" or "301"), not once per household. The keys are ``household_order``'s."""
    units: dict[Any, Any] = {}
    rooms: dict[Any, Any] = {}

    def part(memo: dict[Any, Any], value: Any, canonical: Callable[[object], str]) -> Any:
        if value is not None and type(value) is not str:  # noqa: E721  (an exact str only)
            return natural_key(canonical(value))
        found = memo.get(value)
        if found is None:
            found = memo[value] = natural_key(canonical(value))
        return found

    keys: dict[int, SortKey] = {}
    for h in households:
        address = (
            natural_key(h.get("building")),
            part(units, h.get("unit"), unit_part),
            part(rooms, h.get("room"), room_part),
        )
        keys[h["id"]] = (address, natural_key(h.get("household_no") or ""), h.get("id") or 0)
    return keys


def _in_id_order(docs: Mapping[int, Doc]) -> list[Doc]:
    return [docs[doc_id] for doc_id in sorted(docs)]


def _with_grid(record: Doc, grids: Mapping[Any, Any]) -> Doc:
    """A record with its building's grid, unless it has its own (its top level is ours)."""
    if not record.get("grid"):
        record["grid"] = grids.get(record.get("building"))
    return record


def read_records(store: Store) -> Records:
    """Read every record the read models are made from: the one full read of the store.

    The documents come from ``scan_shared``: their insides may be the store's own, so
    nothing made from them may be modified (their top level is theirs: the grid goes there).
    """
    with paused_gc():
        buildings = store.collection("buildings").scan_shared()
        grids = {b.get("name"): b.get("grid") for b in buildings}
        docs: dict[str, dict[int, Doc]] = {}
        for name in BY_ID:
            found = store.collection(name).scan_shared()
            if name != "visits":
                found = [_with_grid(doc, grids) for doc in found]
            docs[name] = {doc["id"]: doc for doc in found}
        return Records(docs, buildings, store.collection("grids").scan_shared())


def read_again(
    store: Store, records: Records, ids: Mapping[str, Iterable[int]]
) -> dict[str, dict[int, Doc | None]]:
    """The documents with these ids as the store holds them now (None: deleted)."""
    grids = {b.get("name"): b.get("grid") for b in records.buildings}
    fresh: dict[str, dict[int, Doc | None]] = {}
    for name in BY_ID:
        collection = store.collection(name)
        found: dict[int, Doc | None] = {}
        for doc_id in sorted(ids.get(name, ())):
            doc = collection.get(doc_id)
            found[doc_id] = doc if doc is None or name == "visits" else _with_grid(doc, grids)
        if found:
            fresh[name] = found
    return fresh


def community_records(store: Store) -> tuple[list[Doc], list[Doc], list[Doc]]:
    """Households and storefronts (each with its building's grid) and units, from the store.

    Read afresh on every call (the command line's one-off figures); pages use ``Derived``.
    """
    records = read_records(store)
    return records.households, records.storefronts, records.units
