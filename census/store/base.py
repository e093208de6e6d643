"""The storage interface every backend implements (TinyDB now, PostgreSQL later).

Documents are JSON-serialisable dicts. The store assigns each one a positive
integer id and a revision ``_rev`` that starts at 1 and grows by one on every
update. ``id`` and ``_rev`` are reserved keys: they are added to every document
a collection returns and ignored in documents passed in.

Everything a collection returns is a fresh deep copy; changing it never
changes the store. (``scan_shared`` alone trades that for speed, for readers only.)
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Hashable, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import Any

from .media import Media

Doc = dict[str, Any]
Predicate = Callable[[Doc], bool]

# Collections that record what happened (the audit log, every saved version of a record):
# every backend refuses ``update`` and ``delete`` on them with ``AppendOnly``, whoever asks.
APPEND_ONLY = frozenset({"audit", "versions"})
# Where the TinyDB backend keeps the numbers ``Store.next_number`` hands out.
COUNTERS = "counters"


class Collection(abc.ABC):
    """A named set of documents with ids, revisions, unique keys and equality lookups."""

    name: str

    @property
    def append_only(self) -> bool:
        """True for collections whose documents may be added but never changed or removed."""
        return self.name in APPEND_ONLY

    @abc.abstractmethod
    def insert(self, doc: Doc, *, unique: Sequence[str] = ()) -> int:
        """Store a copy of ``doc`` with ``_rev = 1`` and return its new id.

        For each path in ``unique`` whose value in ``doc`` is not empty, raise
        ``DuplicateKey`` if another document holds the same value there.
        """

    @abc.abstractmethod
    def insert_many(self, docs: Sequence[Doc], *, unique: Sequence[str] = ()) -> list[int]:
        """Store copies of ``docs`` (each with ``_rev = 1``) at once; return their ids in order.

        All or nothing: a ``DuplicateKey`` (against stored documents, or within the
        batch, where its ``existing_id`` is 0) stores none of them, and a crash during
        the write leaves none of them after recovery. Backends write the batch in one
        durable step (one fsync), which is what makes importing thousands of households
        fast.
        """

    @abc.abstractmethod
    def restore_many(self, docs: Sequence[Doc], *, last_id: int = 0) -> None:
        """Store copies of documents that keep their own ``id`` and ``_rev`` (a restore).

        Every document must carry an ``id`` (a positive int) and a ``_rev`` (>= 1); none
        of the ids may be taken (``DuplicateKey("id", id)``, nothing stored). All or
        nothing, like ``insert_many``; allowed on append-only collections too. Ids handed
        out afterwards continue above the highest restored id, and above ``last_id``
        where the backend remembers ids it gave out and then deleted (PostgreSQL).
        No unique checks: the documents come from a store that made them.
        """

    @abc.abstractmethod
    def get(self, doc_id: int) -> Doc | None:
        """Return a copy of the document (with ``id`` and ``_rev``), or None."""

    @abc.abstractmethod
    def update(
        self,
        doc_id: int,
        doc: Doc,
        *,
        expected_rev: int | None = None,
        unique: Sequence[str] = (),
    ) -> int:
        """Replace the whole document and return its new revision.

        Raises ``NotFound`` if it is missing, ``Conflict`` if ``expected_rev``
        is given and differs, ``DuplicateKey`` as in ``insert``, ``AppendOnly`` on an
        append-only collection.
        """

    @abc.abstractmethod
    def delete(self, doc_id: int, *, expected_rev: int | None = None) -> None:
        """Remove the document; ``NotFound`` if missing, ``Conflict`` on a stale revision.

        ``AppendOnly`` on an append-only collection.
        """

    @abc.abstractmethod
    def find(self, **equals: object) -> list[Doc]:
        """Return the documents whose fields equal the given values, ordered by id.

        A dotted path (``find(**{"members.id_number": x})``) looks inside
        nested dicts, and inside lists of dicts, where any element matches.
        """

    def find_any(self, alternatives: Sequence[Mapping[str, object]]) -> list[Doc]:
        """The documents matching any of ``alternatives`` (each what ``find`` takes), each
        once, ordered by id: the several lookups of one question (a household's members by
        ID number, or by name and birth date) asked at once. A backend behind a network
        asks them in one query."""
        found: dict[int, Doc] = {}
        for equals in alternatives:
            for doc in self.find(**equals):
                found.setdefault(doc["id"], doc)
        return [found[doc_id] for doc_id in sorted(found)]

    @abc.abstractmethod
    def scan(self, predicate: Predicate | None = None) -> list[Doc]:
        """Return every document (or those the predicate accepts), ordered by id."""

    def scan_shared(self) -> list[Doc]:
        """Every document, ordered by id, to read and never to modify: cheaper than ``scan``.

        Each document is a dict of its own (with ``id`` and ``_rev``), but the lists and
        dicts inside it may be the store's own (TinyDB keeps every document in memory):
        changing one would change the store behind its back. Writes replace stored
        documents and never change them in place, so what this returned stays as it was.
        Backends that keep nothing in memory return ``scan()``.
        """
        return self.scan()

    @abc.abstractmethod
    def count(self, **equals: object) -> int:
        """Count the documents that ``find(**equals)`` would return."""

    @abc.abstractmethod
    def ensure_index(self, path: str) -> None:
        """Declare an equality index on ``path`` so lookups on it avoid a full scan."""

    @abc.abstractmethod
    def __len__(self) -> int:
        """Return the number of documents."""

    def find_one(self, **equals: object) -> Doc | None:
        """Return the first document (lowest id) that matches, or None."""
        found = self.find(**equals)
        return found[0] if found else None


class Store(abc.ABC):
    """A data folder (or database) holding named collections."""

    data_dir: Path | None  # the data folder; None for a database (PostgreSQL)
    media: Media  # the files kept with records (photos)

    @abc.abstractmethod
    def collection(self, name: str) -> Collection:
        """Return the collection called ``name``, the same object on every call."""

    @abc.abstractmethod
    def stamp(self, *names: str) -> Hashable:
        """A cheap value that changes whenever one of these collections changes.

        With no names, it covers every collection. Compare stamps only for equality, and
        only stamps of the same store and the same names: if two calls return equal stamps,
        no write to those collections was committed between them, by this process or
        (PostgreSQL) any other. A stamp may also change without a write (a refused update,
        for one) but never the other way round, so anything computed from documents read
        *after* taking a stamp may be kept under that stamp until the stamp changes.

        Collections not created yet have a stamp too; reading a stamp changes nothing.
        """

    def changed_ids(
        self, before: Hashable, after: Hashable, *names: str
    ) -> dict[str, set[int]] | None:
        """Which documents of these collections changed between two stamps, if the store knows.

        ``before`` and ``after`` are stamps of the same ``names`` (``stamp(*names)``), taken
        in that order. The answer names, for each collection, the ids of every document a
        write counted between the two stamps touched (inserted, replaced or deleted: read
        them again to see what they hold now; an id may be named that ended up unchanged).
        It is None when some of those writes cannot be told: too far back to be remembered
        (on PostgreSQL, where another server's writes are told by the change journal, further
        back than the journal keeps, or made by a version without it), or failed half-way.
        A read model that keeps rows per document then reads everything again. The base
        store keeps no such record and always says None.
        """
        return None

    @abc.abstractmethod
    def atomic(self) -> AbstractContextManager[None]:
        """A block whose writes, to any collections, are stored all together or not at all.

        ``with store.atomic(): ...`` — reads inside see the block's own writes. If an error
        leaves the block (or the final write fails), none of its writes are kept; an error
        caught inside the block does not undo the writes made before it. Blocks nest: the
        outermost one decides. Other writers wait while a block runs (TinyDB) or do not see
        its writes before it ends (PostgreSQL).
        """

    def next_number(self, name: str, floor: int = 1) -> int:
        """Claim the next number of the sequence ``name``: never handed out twice.

        The number is at least ``floor`` and greater than every number claimed before,
        by this process or (PostgreSQL) any other. Called inside ``atomic()``, the claim
        belongs to the block: a block that fails gives its number back on TinyDB (and
        burns it on PostgreSQL, where a sequence may have gaps). This is how the server
        allocates numbers people see (household numbers), never ``len() + 1``.
        """
        with self.atomic():
            counters = self.collection(COUNTERS)
            doc = counters.find_one(name=name)
            value = max(int(floor), int(doc["value"]) + 1 if doc else 1)
            if doc is None:
                counters.insert({"name": name, "value": value}, unique=("name",))
            else:
                counters.update(doc["id"], {"name": name, "value": value})
            return value

    @abc.abstractmethod
    def compact(self) -> None:
        """Run backend-specific maintenance (may do nothing)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the data folder; calling it twice is harmless."""

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
