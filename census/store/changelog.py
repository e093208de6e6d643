"""Which documents the writes touched, by collection and write number.

A stamp (``Store.stamp``) says *that* a collection changed; a read model that keeps rows
per document also needs to know *which* documents changed, so that it reads those again
and keeps the rest. Each backend numbers the writes of a collection (the numbers its
stamp is made of) and notes here the ids every write of this process touched, under the
number that write got. Between two stamps, the read model asks for the ids of every number
in between: if each of them is known, those ids are all that changed; if one is missing
(another process wrote it, or it is too old to be kept), the TinyDB store cannot tell and the
read model reads everything again. The PostgreSQL store asks its change journal for the
numbers missing here (``known``) and notes what it finds.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable

KEEP = 4096  # write numbers remembered per collection; further back, read everything again


class ChangeLog:
    """The ids touched by each numbered write of a collection, for the last ``keep`` writes."""

    def __init__(self, keep: int = KEEP) -> None:
        self._keep = keep
        self._lock = threading.Lock()
        self._ids: dict[str, dict[int, frozenset[int] | None]] = {}
        self._numbers: dict[str, deque[int]] = {}

    def note(self, name: str, number: int, ids: Iterable[int] | None) -> None:
        """Write ``number`` of collection ``name`` touched ``ids`` (None: it cannot be told)."""
        touched = None if ids is None else frozenset(ids)
        with self._lock:
            found = self._ids.setdefault(name, {})
            numbers = self._numbers.setdefault(name, deque())
            if number not in found:
                numbers.append(number)
            found[number] = touched
            while len(numbers) > self._keep:
                found.pop(numbers.popleft(), None)

    @property
    def keep(self) -> int:
        """How many write numbers are remembered per collection."""
        return self._keep

    def known(self, name: str, before: int, after: int) -> tuple[set[int], list[int]] | None:
        """The ids noted for writes ``before + 1`` to ``after``, and the numbers not noted.

        None if a write in between was noted as not known (no other source can tell it).
        """
        with self._lock:
            found = self._ids.get(name, {})
            ids: set[int] = set()
            lacking: list[int] = []
            for number in range(before + 1, after + 1):
                if number not in found:
                    lacking.append(number)
                    continue
                touched = found[number]
                if touched is None:
                    return None
                ids |= touched
            return ids, lacking

    def between(self, name: str, before: int, after: int) -> set[int] | None:
        """The ids touched by writes ``before + 1`` to ``after``; None if one is not known."""
        if after == before:
            return set()
        if after < before or after - before > self._keep:
            return None
        with self._lock:
            found = self._ids.get(name, {})
            ids: set[int] = set()
            for number in range(before + 1, after + 1):
                touched = found.get(number)
                if touched is None:  # not noted here, or noted as not known
                    return None
                ids |= touched
            return ids
