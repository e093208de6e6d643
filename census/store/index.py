"""In-memory equality indexes: value at a dotted path -> ids of the documents holding it."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import Any

from .paths import index_key, split, values_at


class EqualityIndex:
    """Maps each value found at one path to the set of document ids that hold it."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._keys = split(path)
        self._ids: dict[Hashable, set[int]] = {}

    def add(self, doc_id: int, doc: Mapping[str, Any] | None) -> None:
        """Record the values of a newly stored document."""
        if doc is None:
            return
        for value in values_at(doc, self._keys):
            self._ids.setdefault(index_key(value), set()).add(doc_id)

    def remove(self, doc_id: int, doc: Mapping[str, Any] | None) -> None:
        """Forget the values of a document that is being replaced or removed."""
        if doc is None:
            return
        for value in values_at(doc, self._keys):
            key = index_key(value)
            ids = self._ids.get(key)
            if ids is not None:
                ids.discard(doc_id)
                if not ids:
                    del self._ids[key]

    def rebuild(self, docs: Iterable[tuple[int, Mapping[str, Any]]]) -> None:
        """Forget everything and index these documents."""
        self._ids.clear()
        for doc_id, doc in docs:
            self.add(doc_id, doc)

    def lookup(self, value: Any) -> set[int]:
        """Return the ids of the documents that hold ``value`` (do not mutate it)."""
        try:
            return self._ids.get(index_key(value), _EMPTY)
        except TypeError:  # an unhashable value nobody can have stored, e.g. a set
            return _EMPTY


_EMPTY: set[int] = set()
