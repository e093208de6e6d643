"""Login throttling: a few tries per account and per address in a sliding window.

Every login attempt first takes a slot for its username and for its client address; the
password is checked only if both had one free, so eight parallel streams get exactly as many
password checks as the limit allows. A successful login gives the username's slots back and
its address slot; failures stay counted until they are older than the window. The lock is
time-limited by construction: nobody can lock an account out for longer than one window
after their last failure (and ``census user unlock`` ends it at once).

The counters live in the store (collection ``login_throttle``), not in the process: with
PostgreSQL every app server sees the same counts. Each counter is one document updated
with ``expected_rev``, so two processes taking the last slot at once make one ``Conflict``,
and the loser reads again.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from census.store import Conflict, DuplicateKey, NotFound

COLLECTION = "login_throttle"
WINDOW = 15 * 60  # seconds
PER_USERNAME = 5  # failures per username in the window
PER_ADDRESS = 20  # failures per client address in the window (an office may share one)
PURGE_EVERY = 50  # new counters between sweeps of expired ones

clock: Callable[[], float] = time.time  # tests move time forward here


@dataclass(frozen=True)
class Attempt:
    """A login attempt that may go ahead (``wait`` == 0) or must wait ``wait`` seconds."""

    username_key: str
    address_key: str
    at: float
    wait: float = 0.0
    last: bool = False  # this attempt took the username's last free slot

    @property
    def allowed(self) -> bool:
        return self.wait <= 0

    @property
    def minutes(self) -> int:
        """The wait in whole minutes, rounded up (at least 1)."""
        return max(1, math.ceil(self.wait / 60))


def _keys(username: str, address: str) -> tuple[str, str]:
    return f"user:{username}", f"addr:{address}"


def _recent(doc: dict[str, Any] | None, now: float, window: float) -> list[float]:
    return [t for t in (doc or {}).get("failures", []) if t > now - window]


def _take(store: Any, key: str, limit: int, now: float, window: float) -> tuple[float, int]:
    """Take one slot of ``key``: (0, slots now used) or (seconds to wait, limit)."""
    counters = store.collection(COLLECTION)
    for _ in range(100):
        doc = counters.find_one(key=key)
        recent = _recent(doc, now, window)
        if len(recent) >= limit:
            oldest = sorted(recent)[len(recent) - limit]
            return max(1.0, oldest + window - now), limit
        body = {"key": key, "failures": [*recent, now]}
        try:
            if doc is None:
                counters.insert(body, unique=("key",))
                if len(counters) % PURGE_EVERY == 0:
                    purge(store, now=now)
            else:
                counters.update(doc["id"], body, expected_rev=doc["_rev"])
        except (Conflict, DuplicateKey, NotFound):
            continue  # another thread or process took a slot meanwhile: count again
        return 0.0, len(body["failures"])
    raise RuntimeError(f"login counter {key} kept changing")  # pragma: no cover


def _give_back(store: Any, key: str, at: float, *, everything: bool = False) -> None:
    """Return the slot taken at ``at`` (or all slots) of ``key``."""
    counters = store.collection(COLLECTION)
    for _ in range(100):
        doc = counters.find_one(key=key)
        if doc is None:
            return
        try:
            failures = list(doc.get("failures", []))
            if at in failures and not everything:
                failures.remove(at)
            if everything or not failures:
                counters.delete(doc["id"], expected_rev=doc["_rev"])
            else:
                counters.update(
                    doc["id"], {"key": key, "failures": failures}, expected_rev=doc["_rev"]
                )
            return
        except (Conflict, NotFound):
            continue


def begin(
    store: Any,
    username: str,
    address: str,
    *,
    per_username: int = PER_USERNAME,
    per_address: int = PER_ADDRESS,
    window: float = WINDOW,
) -> Attempt:
    """Take a slot for this username and this address, or say how long to wait."""
    now = clock()
    user_key, addr_key = _keys(username, address)
    wait, _used = _take(store, addr_key, per_address, now, window)
    if wait:
        return Attempt(user_key, addr_key, now, wait)
    wait, used = _take(store, user_key, per_username, now, window)
    if wait:
        _give_back(store, addr_key, now)  # a refusal is no password check: not counted
        return Attempt(user_key, addr_key, now, wait)
    return Attempt(user_key, addr_key, now, last=used >= per_username)


def succeeded(store: Any, attempt: Attempt) -> None:
    """The password was right: forget the username's failures and give the address slot back."""
    _give_back(store, attempt.username_key, attempt.at, everything=True)
    _give_back(store, attempt.address_key, attempt.at)


def unlock(store: Any, username: str) -> bool:
    """Forget a username's failures (``census user unlock``); True if there were any."""
    counters = store.collection(COLLECTION)
    doc = counters.find_one(key=_keys(username, "")[0])
    if doc is None:
        return False
    _give_back(store, doc["key"], 0.0, everything=True)
    return True


def purge(store: Any, *, now: float | None = None, window: float = WINDOW) -> int:
    """Remove counters whose failures are all older than the window; return how many."""
    now = clock() if now is None else now
    counters = store.collection(COLLECTION)
    removed = 0
    for doc in counters.scan():
        if not _recent(doc, now, window):
            try:
                counters.delete(doc["id"], expected_rev=doc["_rev"])
                removed += 1
            except (Conflict, NotFound):
                pass
    return removed
