"""The TinyDB backend: ``Store`` and ``Collection`` over ``CensusTinyDB`` in one data folder.

One process owns the folder (``census.lock``); inside it, one re-entrant lock
serialises every operation, because waitress answers requests on several
threads and TinyDB itself is not thread-safe. Since no other process writes,
counting the writes in memory gives an exact ``stamp``, and noting the ids each of them
touched an exact ``changed_ids``.
"""

from __future__ import annotations

import operator
import os
import secrets
import threading
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from census.util.gcpause import paused_gc

from . import codec
from .base import Collection, Doc, Predicate, Store
from .changelog import ChangeLog
from .errors import AppendOnly, Conflict, DuplicateKey, NotFound, StoreError
from .lock import FolderLock
from .media import FileMedia
from .paths import Holding, index_key, is_empty, matches, split, values_at
from .tinystorage import COMPACT_MIN_BYTES
from .tinytable import CensusTable, CensusTinyDB

RESERVED = ("id", "_rev")


class TinyStore(Store):
    """A data folder holding TinyDB tables, opened by exactly one process."""

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        fsync: bool = True,
        compact_min_bytes: int = COMPACT_MIN_BYTES,
    ) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.media = FileMedia(self.data_dir / "media", fsync=fsync)  # photos beside the tables
        self._lock = threading.RLock()
        self._closed = True
        self._folder_lock = FolderLock(self.data_dir)
        try:
            self._db = CensusTinyDB(self.data_dir, fsync=fsync, compact_min_bytes=compact_min_bytes)
        except BaseException:
            self._folder_lock.release()
            raise
        self._collections: dict[str, TinyCollection] = {}
        # Writes per collection since this store was opened; the token keeps the stamps of
        # two openings of the folder apart (both start counting at zero).
        self._token = secrets.token_hex(8)
        self._writes: dict[str, int] = {}
        self._all_writes = 0
        self._changes = ChangeLog()  # the ids each counted write touched (``changed_ids``)
        self._closed = False

    def collection(self, name: str) -> TinyCollection:
        """Return the collection (a TinyDB table) called ``name``."""
        if not isinstance(name, str) or not name:
            raise ValueError("a collection needs a non-empty name")
        with self._lock:
            self._check_open()
            found = self._collections.get(name)
            if found is None:
                table = self._db.table(name)
                assert isinstance(table, CensusTable)
                found = self._collections[name] = TinyCollection(self, table)
            return found

    def stamp(self, *names: str) -> Hashable:
        """Writes counted in memory since the folder was opened (exact: one process writes)."""
        with self._lock:
            self._check_open()
            if not names:
                return (self._token, self._all_writes)
            return (self._token, *(self._writes.get(name, 0) for name in names))

    def changed_ids(
        self, before: Hashable, after: Hashable, *names: str
    ) -> dict[str, set[int]] | None:
        """The ids each write counted between the two stamps touched (see ``Store``).

        Exact here as long as the writes are remembered: only this process writes.
        """
        if not (isinstance(before, tuple) and isinstance(after, tuple)):
            return None
        if len(before) != len(names) + 1 or len(after) != len(names) + 1:
            return None
        if before[0] != self._token or after[0] != self._token:
            return None  # a stamp of another opening of the folder
        found: dict[str, set[int]] = {}
        for name, old, new in zip(names, before[1:], after[1:], strict=True):
            ids = self._changes.between(name, int(old), int(new))
            if ids is None:
                return None
            found[name] = ids
        return found

    @contextmanager
    def _writing(self, name: str, ids: Iterable[int] = ()) -> Iterator[list[int]]:
        """Count a write to ``name`` when it is done, or failed half-way (call with the lock).

        The count goes up after the documents changed and under the lock the reads take:
        whoever takes a stamp and then reads sees at least the writes the stamp counts.
        The write's ids (given, or added to the list this yields once an insert knows them)
        are noted under its count; an insert that fails before it knows its ids is noted as
        not known, so that read models read everything again.
        """
        touched = list(ids)
        done = False
        try:
            yield touched
            done = True
        finally:
            count = self._writes[name] = self._writes.get(name, 0) + 1
            self._all_writes += 1
            self._changes.note(name, count, touched if (done or touched) else None)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Writes to any collections journaled as one line: all of them or none (see Store).

        Holds the store's lock throughout, so other threads' writes wait for the block.
        """
        with self._lock:
            self._check_open()
            try:
                with self._db.journal_storage.group():
                    yield
            except BaseException:
                for found in self._collections.values():
                    found._table.clear_cache()  # query results may hold the undone writes
                raise

    def compact(self) -> None:
        """Rewrite census.json from memory and empty the journal."""
        with self._lock:
            self._check_open()
            self._db.journal_storage.compact()

    def close(self) -> None:
        """Compact if needed, close the files and release the folder."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                self._db.close()
            finally:
                self._folder_lock.release()

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"the store for {self.data_dir} is closed")

    def __repr__(self) -> str:
        return f"<TinyStore {self.data_dir}{' closed' if self._closed else ''}>"


class TinyCollection(Collection):
    """One TinyDB table seen through the ``Collection`` interface."""

    def __init__(self, store: TinyStore, table: CensusTable) -> None:
        self.name = table.name
        self._store = store
        self._lock = store._lock
        self._table = table

    def insert(self, doc: Doc, *, unique: Sequence[str] = ()) -> int:
        """Store a copy of ``doc`` with ``_rev = 1`` and return its id."""
        clean = _incoming(doc)
        clean["_rev"] = 1
        with self._lock:
            self._store._check_open()
            self._check_unique(clean, unique, own_id=None)
            with self._store._writing(self.name) as touched:
                new_id = self._table.insert(clean)
                touched.append(new_id)
                return new_id

    def insert_many(self, docs: Sequence[Doc], *, unique: Sequence[str] = ()) -> list[int]:
        """Store copies of ``docs`` in one journal line (one fsync); return their ids."""
        # Shallow copies are enough: the storage keeps what it decodes from the journal
        # line, never these dicts (a deep copy per document here would double the cost).
        clean = []
        for doc in docs:
            if not isinstance(doc, Mapping):
                raise TypeError(f"a document must be a dict, not {type(doc).__name__}")
            shallow = {k: v for k, v in doc.items() if k not in RESERVED}
            shallow["_rev"] = 1
            clean.append(shallow)
        if not clean:
            return []
        with self._lock:
            self._store._check_open()
            for doc in clean:
                self._check_unique(doc, unique, own_id=None)
            self._check_unique_within(clean, unique)
            with self._store._writing(self.name) as touched:
                ids = self._table.insert_batch(clean)
                touched.extend(ids)
                return ids

    def restore_many(self, docs: Sequence[Doc], *, last_id: int = 0) -> None:
        """Store copies of documents with their own ids and revisions, in one journal line.

        TinyDB keeps no id counter apart from the documents: new ids continue above the
        highest id stored, so ``last_id`` changes nothing here.
        """
        restored = _restored(docs)
        if not restored:
            return
        with self._lock:
            self._store._check_open()
            raw = self._table.raw()
            for doc_id in restored:
                if str(doc_id) in raw:
                    raise DuplicateKey("id", doc_id)

            def updater(table: dict[int, Any]) -> None:
                for doc_id, doc in restored.items():
                    table[doc_id] = doc

            with self._store._writing(self.name, restored):
                try:
                    self._table._update_table(updater, atomic=True)
                finally:
                    self._table._next_id = None  # the next id is found afresh (max + 1)

    def get(self, doc_id: int) -> Doc | None:
        """Return a copy of the document, or None."""
        doc_id = operator.index(doc_id)
        with self._lock:
            self._store._check_open()
            raw = self._table.raw().get(str(doc_id))
            return None if raw is None else _outgoing(doc_id, codec.clone(raw))

    def update(
        self,
        doc_id: int,
        doc: Doc,
        *,
        expected_rev: int | None = None,
        unique: Sequence[str] = (),
    ) -> int:
        """Replace the whole document and return its new revision."""
        doc_id = operator.index(doc_id)
        if self.append_only:
            raise AppendOnly(self.name)
        clean = _incoming(doc)
        with self._lock:
            current = self._current_rev(doc_id, expected_rev)
            self._check_unique(clean, unique, own_id=doc_id)
            clean["_rev"] = current + 1
            with self._store._writing(self.name, [doc_id]):
                self._table.replace(doc_id, clean)
            return current + 1

    def delete(self, doc_id: int, *, expected_rev: int | None = None) -> None:
        """Remove the document."""
        doc_id = operator.index(doc_id)
        if self.append_only:
            raise AppendOnly(self.name)
        with self._lock:
            self._current_rev(doc_id, expected_rev)
            with self._store._writing(self.name, [doc_id]):
                self._table.remove(doc_ids=[doc_id])

    def find(self, **equals: object) -> list[Doc]:
        """Return copies of the matching documents, ordered by id."""
        with self._lock:
            self._store._check_open()
            return self._copies(self._matching_ids(equals))

    def find_one(self, **equals: object) -> Doc | None:
        """Return a copy of the matching document with the lowest id, or None."""
        with self._lock:
            self._store._check_open()
            ids = self._matching_ids(equals)
            return self._copies(ids[:1])[0] if ids else None

    def count(self, **equals: object) -> int:
        """Count the matching documents."""
        with self._lock:
            self._store._check_open()
            if len(equals) == 1:
                ((path, value),) = equals.items()
                index = None if isinstance(value, Holding) else self._table.index(path)
                if index is not None:
                    return len(index.lookup(value))
            return len(self._matching_ids(equals))

    def scan(self, predicate: Predicate | None = None) -> list[Doc]:
        """Return copies of all documents, or those ``predicate`` accepts, ordered by id."""
        with self._lock:
            self._store._check_open()
            docs = self._copies(sorted(int(key) for key in self._table.raw()))
        # The predicate sees copies, so it runs outside the lock.
        return docs if predicate is None else [doc for doc in docs if predicate(doc)]

    def scan_shared(self) -> list[Doc]:
        """All documents, ordered by id: a new dict each, holding the stored values.

        Storage never changes a stored document in place (a write decodes a new one from
        its journal line and puts it in the old one's place), so these stay as they were.
        """
        with self._lock:
            self._store._check_open()
            raw = self._table.raw()
            return [_outgoing(doc_id, raw[str(doc_id)]) for doc_id in sorted(map(int, raw))]

    def ensure_index(self, path: str) -> None:
        """Keep an in-memory index of the values at ``path`` (rebuilt on every open)."""
        with self._lock:
            self._store._check_open()
            self._table.ensure_index(path)

    def __len__(self) -> int:
        with self._lock:
            self._store._check_open()
            return len(self._table.raw())

    def __repr__(self) -> str:
        return f"<TinyCollection {self.name!r}>"

    # -- helpers (called with the lock held) ----------------------------------------

    def _current_rev(self, doc_id: int, expected_rev: int | None) -> int:
        """Return the stored revision after checking existence and ``expected_rev``."""
        self._store._check_open()
        raw = self._table.raw().get(str(doc_id))
        if raw is None:
            raise NotFound(self.name, doc_id)
        current = raw.get("_rev", 0)  # documents written by other tools have no revision
        if expected_rev is not None and expected_rev != current:
            raise Conflict(current)
        return int(current)

    def _check_unique(self, doc: Doc, unique: Iterable[str], own_id: int | None) -> None:
        for path in unique:
            # Unique paths are indexed on first use: the check then stays O(1)
            # per value instead of scanning every document on every write.
            index = self._table.ensure_index(path)
            for value in values_at(doc, split(path)):
                if is_empty(value):
                    continue
                holders = index.lookup(value) - {own_id}
                if holders:
                    raise DuplicateKey(path, min(holders))

    def _check_unique_within(self, docs: list[Doc], unique: Iterable[str]) -> None:
        """Two documents of one batch may not share a value of a unique path either."""
        for path in unique:
            keys = split(path)
            seen: dict[Hashable, int] = {}
            for n, doc in enumerate(docs):
                for value in values_at(doc, keys):
                    if is_empty(value):
                        continue
                    key = index_key(value)
                    if key in seen and seen[key] != n:
                        raise DuplicateKey(path, 0)  # 0: the other holder is in this batch
                    seen[key] = n

    def _matching_ids(self, equals: Mapping[str, object]) -> list[int]:
        """Return the ids of the documents matching every criterion, ascending."""
        raw = self._table.raw()
        criteria = [(split(path), value) for path, value in equals.items() if path != "id"]
        if "id" in equals:
            # "id" is not stored in the document, it is the TinyDB doc_id.
            wanted = equals["id"]
            candidates: Iterable[int] = (
                [wanted] if isinstance(wanted, int) and str(wanted) in raw else []
            )
        else:
            sets: list[set[int]] = [
                index.lookup(value)
                for path, value in _indexable(equals)
                if (index := self._table.index(path)) is not None
            ]
            smallest = min(sets, key=len) if sets else None
            candidates = smallest if smallest is not None else (int(key) for key in raw)
        found = [doc_id for doc_id in candidates if matches(raw[str(doc_id)], criteria)]
        found.sort()
        return found

    def _copies(self, ids: list[int]) -> list[Doc]:
        """Deep-copy these documents in one orjson round trip, each with its id."""
        raw = self._table.raw()
        with paused_gc():
            docs = codec.clone([raw[str(doc_id)] for doc_id in ids])
        return [_outgoing(doc_id, doc) for doc_id, doc in zip(ids, docs, strict=True)]


def _indexable(equals: Mapping[str, object]) -> Iterator[tuple[str, object]]:
    """(path, value) pairs an index may answer: a ``Holding``'s fields each at its own path
    (a superset of its documents, checked by ``matches`` after)."""
    for path, value in equals.items():
        if isinstance(value, Holding):
            yield from ((f"{path}.{key}", wanted) for key, wanted in value.fields.items())
        else:
            yield path, value


def _incoming(doc: Mapping[str, Any]) -> Doc:
    """Return a JSON-clean deep copy of a caller's document without the reserved keys."""
    if not isinstance(doc, Mapping):
        raise TypeError(f"a document must be a dict, not {type(doc).__name__}")
    clean: Doc = codec.clone(dict(doc))
    for key in RESERVED:
        clean.pop(key, None)
    return clean


def _restored(docs: Sequence[Doc]) -> dict[int, Doc]:
    """Documents to restore by id: JSON-clean copies keeping ``_rev``, ids checked."""
    out: dict[int, Doc] = {}
    for doc in docs:
        if not isinstance(doc, Mapping):
            raise TypeError(f"a document must be a dict, not {type(doc).__name__}")
        # Shallow copies, as in insert_many: the storage keeps what it decodes from the journal.
        clean = {k: v for k, v in doc.items() if k not in RESERVED}
        doc_id, rev = doc.get("id"), doc.get("_rev")
        if type(doc_id) is not int or doc_id <= 0:
            raise ValueError(f"a restored document needs a positive int id, not {doc_id!r}")
        if type(rev) is not int or rev <= 0:
            raise ValueError(f"a restored document needs a positive int _rev, not {rev!r}")
        if doc_id in out:
            raise DuplicateKey("id", doc_id)
        clean["_rev"] = rev
        out[doc_id] = clean
    return out


def _outgoing(doc_id: int, doc: Doc) -> Doc:
    """Return a stored document as callers see it: ``id`` first, then its fields."""
    return {"id": doc_id, **doc}
