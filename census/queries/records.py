"""The records the read models are made from: the one way they read the store.

``read_records`` reads every household, storefront, unit and visit once (``scan_shared``:
the documents are the store's own, read only), ``read_again`` the few a write touched;
``Records`` holds them by id. ``census.queries.derived`` keeps them up with the writes and
hands them to each read model (registers and summary, coverage, review queue, checks).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import Any

from census.store import Store
from census.util.gcpause import paused_gc

BY_ID = ("households", "storefronts", "units", "visits")  # kept document by document

Doc = dict[str, Any]


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

    def by_id(self, name: str) -> Mapping[int, Doc]:
        """The documents of a collection kept by id (households, storefronts, units, visits)."""
        return self._docs[name]

    @cached_property
    def households(self) -> list[Doc]:
        """Every household, by id."""
        return _in_id_order(self._docs["households"])

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
        return Records(docs, self.buildings, self.grids)


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
