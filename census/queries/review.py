"""The review queue's read model: the records by review state, oldest change first.

The queue page shows one kind of record (households, storefronts or units) and one state
at a time (待审核 by default), filtered by grid, building or surveyor, oldest change first.
Scanning and copying 13,000 households for it took most of a second; the index keeps, per
collection and state, the keys the queue sorts by, and moves a record from one state's list
to another's when it is saved, reviewed or merged. The filters and the order are still
``census.services.review.queue``'s, run over that state's records only.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Mapping
from typing import Any

from census.queries.records import Doc, Records
from census.services.review import COLLECTION, COLLECTIONS, SUBMITTED, queue, state_of

Key = tuple[str, int]  # (updated_at, id): the queue's order
ALL = "all"


def _key(doc: Doc) -> Key:
    return (doc.get("updated_at") or "", doc["id"])


class ReviewIndex:
    """Households, storefronts and units by review state, kept as they change; thread-safe."""

    def __init__(self, records: Records) -> None:
        self._kinds = {name: _StateIndex(records.by_id(name)) for name in COLLECTIONS}

    def apply(self, fresh: Mapping[str, Mapping[int, Doc | None]]) -> None:
        """Records read again (None: deleted): each moved to its state's list."""
        for name, kind in self._kinds.items():
            if fresh.get(name):
                kind.apply(fresh[name])

    def queue(self, *, collection: str = COLLECTION, **filters: Any) -> list[Doc]:
        """``census.services.review.queue`` over one collection's records (households unless
        told), from the state's list."""
        return self._kinds[collection].queue(**filters)

    def counts(self, state: str = SUBMITTED) -> dict[str, int]:
        """How many records of each collection are in a state (merged households left out)."""
        return {name: kind.count(state) for name, kind in self._kinds.items()}


class _StateIndex:
    """One collection's records by review state (merged ones left out)."""

    def __init__(self, docs: Mapping[int, Doc]) -> None:
        self._lock = threading.Lock()
        self._docs: dict[int, Doc] = {}
        self._keys: dict[int, tuple[str, Key]] = {}
        self._states: dict[str, list[Key]] = {ALL: []}
        for doc_id, doc in docs.items():
            self._enter(doc_id, doc, sort=False)
        for keys in self._states.values():
            keys.sort()

    def apply(self, fresh: Mapping[int, Doc | None]) -> None:
        """Records read again (None: deleted): each moved to its state's list."""
        with self._lock:
            for doc_id, doc in fresh.items():
                self._leave(doc_id)
                if doc is not None:
                    self._enter(doc_id, doc, sort=True)

    def count(self, state: str) -> int:
        """How many records are in a state ("all": every one)."""
        with self._lock:
            return len(self._states.get(state or ALL, ()))

    def _enter(self, doc_id: int, doc: Doc, *, sort: bool) -> None:
        self._docs[doc_id] = doc
        if doc.get("merged_into"):
            return
        state, key = state_of(doc), _key(doc)
        self._keys[doc_id] = (state, key)
        for name in (state, ALL):
            keys = self._states.setdefault(name, [])
            if sort:
                bisect.insort(keys, key)
            else:
                keys.append(key)

    def _leave(self, doc_id: int) -> None:
        self._docs.pop(doc_id, None)
        found = self._keys.pop(doc_id, None)
        if found is None:
            return
        state, key = found
        for name in (state, ALL):
            keys = self._states[name]
            del keys[bisect.bisect_left(keys, key)]

    def queue(
        self,
        *,
        grids: Mapping[str, str],
        grid: str = "",
        building: str = "",
        surveyor: str = "",
        state: str = SUBMITTED,
    ) -> list[Doc]:
        """``census.services.review.queue`` over every record, from the state's list."""
        with self._lock:
            keys = self._states[ALL] if not state or state == ALL else self._states.get(state, [])
            candidates = [self._docs[doc_id] for _at, doc_id in keys]
        return queue(
            candidates, grids=grids, grid=grid, building=building, surveyor=surveyor, state=state
        )
