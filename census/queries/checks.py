"""The consistency report (/review/checks) kept up with every write.

Each household's findings are its own checks (``check_household``) and the cross checks
with the households that share a person's ID number or name + birth date. A write reads
again the households it touched; their own findings are made again, and the cross
findings of every household that shared a key with the old or the new version of them.
What it hands out equals ``census.domain.checks.check_community`` on the records of that
moment (tests/queries/test_checks_model.py compares them write after write).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import date

from census.domain.checks import Finding, cross_findings, is_merged, member_keys, own_findings
from census.queries.records import Doc, Records

Key = tuple[str, object]  # ("id", number) or ("person", (name, birth date))


class ChecksModel:
    """Every household's findings on one date, kept as households change; thread-safe."""

    def __init__(self, records: Records, today: date) -> None:
        self.today = today
        self._lock = threading.Lock()
        self._docs: dict[int, Doc] = {}
        self._keys: dict[int, list[tuple[Key | None, Key | None]]] = {}
        self._index: dict[Key, set[int]] = {}
        self._own: dict[int, list[Finding]] = {}
        self._cross: dict[int, list[Finding]] = {}
        self._findings: list[Finding] | None = None
        for doc_id, doc in records.by_id("households").items():
            self._put(doc_id, doc)
        for doc_id in self._docs:
            self._check(doc_id, own=True)

    def apply(self, fresh: Mapping[str, Mapping[int, Doc | None]]) -> None:
        """Households read again (None: deleted): they and those sharing a person checked again."""
        changed = fresh.get("households") or {}
        if not changed:
            return
        with self._lock:
            again: set[int] = set()
            for doc_id, doc in changed.items():
                again |= self._sharing(doc_id)
                self._put(doc_id, doc)
                again |= self._sharing(doc_id)
            for doc_id in again | set(changed):
                if doc_id in self._docs:
                    self._check(doc_id, own=doc_id in changed)
            self._findings = None

    def findings(self) -> list[Finding]:
        """Every finding, in household order (shared: read only)."""
        with self._lock:
            if self._findings is None:
                found: list[Finding] = []
                for doc_id in sorted(self._docs):
                    found += self._own[doc_id]
                    found += self._cross[doc_id]
                self._findings = found
            return self._findings

    def _put(self, doc_id: int, doc: Doc | None) -> None:
        """Keep a household (or forget it): its document and the keys of its people."""
        for pair in self._keys.pop(doc_id, ()):
            for key in pair:
                if key is not None:
                    self._index[key].discard(doc_id)
        self._docs.pop(doc_id, None)
        self._own.pop(doc_id, None)
        self._cross.pop(doc_id, None)
        if doc is None or is_merged(doc):
            return
        self._docs[doc_id] = doc
        pairs: list[tuple[Key | None, Key | None]] = [
            (("id", number) if number is not None else None, ("person", key) if key else None)
            for number, key in member_keys(doc)
        ]
        self._keys[doc_id] = pairs
        for pair in pairs:
            for key in pair:
                if key is not None:
                    self._index.setdefault(key, set()).add(doc_id)

    def _sharing(self, doc_id: int) -> set[int]:
        """The households that share a key with this one (as kept now)."""
        return {
            other
            for pair in self._keys.get(doc_id, ())
            for key in pair
            if key is not None
            for other in self._index.get(key, ())
        }

    def _check(self, doc_id: int, *, own: bool) -> None:
        doc = self._docs[doc_id]
        if own or doc_id not in self._own:
            self._own[doc_id] = own_findings(doc, self.today)
        candidates = [
            self._docs[other]
            for pair in self._keys[doc_id]
            for key in pair
            if key is not None
            for other in sorted(self._index.get(key, ()))
        ]
        self._cross[doc_id] = cross_findings(doc, candidates)
