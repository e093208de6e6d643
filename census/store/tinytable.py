"""A TinyDB ``Table`` whose writes cost O(changed documents), not O(table).

Stock ``Table._update_table`` copies the whole table twice and writes the
whole database on every change. Here the updater gets a ``TrackedTable``: a
mapping over the live table that records what was set, removed or fetched
for in-place mutation, and only those documents go to the storage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any, cast

from tinydb import TinyDB
from tinydb.table import Table

from . import codec
from .index import EqualityIndex
from .tinystorage import Change, JournalStorage


class TrackedTable(MutableMapping[int, dict[str, Any]]):
    """A copy-on-write overlay of one live table, int ids outward and str ids inside.

    The live table is never touched: a document fetched with ``table[id]`` is
    a private copy (TinyDB mutates it in place for updates), so an updater
    that fails halfway leaves the database as it was.
    """

    def __init__(self, live: Mapping[str, dict[str, Any]]) -> None:
        self._live = live
        self.cleared = False
        self._set: dict[int, dict[str, Any]] = {}
        self._deleted: set[int] = set()
        self._fetched: dict[int, bytes] = {}  # id -> JSON of the live document when fetched

    def _in_live(self, doc_id: int) -> bool:
        return not self.cleared and str(doc_id) in self._live

    def __contains__(self, doc_id: object) -> bool:
        if doc_id in self._set:
            return True
        return doc_id not in self._deleted and self._in_live(cast(int, doc_id))

    def __getitem__(self, doc_id: int) -> dict[str, Any]:
        if doc_id in self._set:
            return self._set[doc_id]
        if doc_id in self._deleted or not self._in_live(doc_id):
            raise KeyError(doc_id)
        original = codec.dumps(self._live[str(doc_id)])
        copy: dict[str, Any] = codec.loads(original)
        self._set[doc_id] = copy
        self._fetched[doc_id] = original
        return copy

    def __setitem__(self, doc_id: int, doc: dict[str, Any]) -> None:
        self._set[doc_id] = doc
        self._deleted.discard(doc_id)
        self._fetched.pop(doc_id, None)

    def __delitem__(self, doc_id: int) -> None:
        if doc_id not in self:
            raise KeyError(doc_id)
        self._set.pop(doc_id, None)
        self._fetched.pop(doc_id, None)
        if self._in_live(doc_id):
            self._deleted.add(doc_id)

    def __iter__(self) -> Iterator[int]:
        if not self.cleared:
            for key in self._live:
                doc_id = int(key)
                if doc_id not in self._deleted:
                    yield doc_id
        for doc_id in self._set:
            if not self._in_live(doc_id):
                yield doc_id

    def __len__(self) -> int:
        kept = 0 if self.cleared else len(self._live) - len(self._deleted)
        return kept + sum(1 for doc_id in self._set if not self._in_live(doc_id))

    def clear(self) -> None:
        """Forget every document at once (one journal line, not one per document)."""
        self.cleared = True
        self._set.clear()
        self._deleted.clear()
        self._fetched.clear()

    def deleted(self) -> list[str]:
        """Return the ids of live documents that were removed."""
        return [str(doc_id) for doc_id in sorted(self._deleted)]

    def changed(self) -> dict[str, dict[str, Any]]:
        """Return the documents that were set, or fetched and then really modified."""
        out: dict[str, dict[str, Any]] = {}
        for doc_id, doc in self._set.items():
            original = self._fetched.get(doc_id)
            if original is not None and codec.dumps(doc) == original:
                continue  # only read (e.g. to test a query condition)
            out[str(doc_id)] = doc
        return out


class CensusTable(Table):
    """A TinyDB table that journals only the documents a write changed, with equality indexes."""

    def __init__(self, storage: JournalStorage, name: str, **kwargs: Any) -> None:
        self._indexes: dict[str, EqualityIndex] = {}
        self._generation = storage.generation
        super().__init__(storage, name, **kwargs)

    @property
    def journal_storage(self) -> JournalStorage:
        """The storage, with its precise type."""
        return cast(JournalStorage, self._storage)

    def _update_table(
        self, updater: Callable[[dict[int, Any]], None], *, atomic: bool = False
    ) -> None:
        storage = self.journal_storage
        tracked = TrackedTable(storage.table_data(self.name))
        # TinyDB's updaters only use the mapping protocol, which the overlay provides.
        updater(cast(dict[int, Any], tracked))
        deleted, changed = tracked.deleted(), tracked.changed()
        if tracked.cleared or deleted or changed:
            changes = storage.commit(
                self.name, cleared=tracked.cleared, deleted=deleted, changed=changed, atomic=atomic
            )
            self._maintain_indexes(tracked.cleared, changes)
        self.clear_cache()

    def replace(self, doc_id: int, doc: Mapping[str, Any]) -> None:
        """Replace a whole document (stock ``update`` only merges fields); KeyError if absent."""

        def updater(table: dict[int, Any]) -> None:
            if doc_id not in table:
                raise KeyError(doc_id)
            table[doc_id] = dict(doc)

        self._update_table(updater)

    def insert_batch(self, docs: list[dict[str, Any]]) -> list[int]:
        """Insert many documents with one journal line and one fsync; return their ids."""
        doc_ids: list[int] = []

        def updater(table: dict[int, Any]) -> None:
            for doc in docs:
                # TinyDB leaves this helper unannotated; it returns an int.
                doc_id: int = self._get_next_id()  # type: ignore[no-untyped-call]
                doc_ids.append(doc_id)
                table[doc_id] = doc

        try:
            self._update_table(updater, atomic=True)
        except BaseException:
            self._next_id = None  # nothing was stored: find the next id afresh next time
            raise
        return doc_ids

    def raw(self) -> Mapping[str, dict[str, Any]]:
        """Return the live documents keyed by string id; callers must not modify them."""
        return self.journal_storage.table_data(self.name)

    # -- indexes ------------------------------------------------------------------

    def ensure_index(self, path: str) -> EqualityIndex:
        """Return the index on ``path``, building it on first use."""
        self._check_generation()
        index = self._indexes.get(path)
        if index is None:
            index = EqualityIndex(path)
            index.rebuild((int(key), doc) for key, doc in self.raw().items())
            self._indexes[path] = index
        return index

    def index(self, path: str) -> EqualityIndex | None:
        """Return the index on ``path`` if one was declared."""
        self._check_generation()
        return self._indexes.get(path)

    def _maintain_indexes(self, cleared: bool, changes: list[Change]) -> None:
        if cleared:
            self._rebuild_indexes()
            return
        for index in self._indexes.values():
            for key, old, new in changes:
                index.remove(int(key), old)
                index.add(int(key), new)

    def _check_generation(self) -> None:
        # The storage replaced everything (drop_tables): indexes describe old data.
        if self._generation != self.journal_storage.generation:
            self._generation = self.journal_storage.generation
            self._rebuild_indexes()

    def _rebuild_indexes(self) -> None:
        for index in self._indexes.values():
            index.rebuild((int(key), doc) for key, doc in self.raw().items())


class CensusTinyDB(TinyDB):
    """TinyDB wired to the journal storage and the change-tracking table."""

    table_class = CensusTable  # type: ignore[assignment]  # TinyDB annotates the stock class
    default_storage_class = JournalStorage  # type: ignore[assignment]

    @property
    def journal_storage(self) -> JournalStorage:
        """The storage, with its precise type."""
        return cast(JournalStorage, self.storage)
