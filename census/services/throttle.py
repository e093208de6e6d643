"""Login throttling: a few free tries per account and per address, then a growing delay.

Every login attempt first takes a slot for its username and for its client address; the
password is checked only if both had one free, so eight parallel streams get exactly as many
password checks as the limit allows. Failures count while they follow each other: a run
of failures is forgotten once ``WINDOW`` (30 minutes, twice the longest wait, so that a
guesser who tries whenever allowed never starts a new run) passes without one. The first
``PER_USERNAME`` (5) failures of a username in a run cost nothing; after them each try has
to wait, 1 minute after the 5th failure, then twice as long after each further one (2, 4,
8 minutes), at most ``MAX_DELAY`` (15 minutes). An address gets ``PER_ADDRESS`` (20) free
failures (an office may share one) and then the same delays. A successful login gives the
username's slots back and its address slot.

The lock is time-limited by construction: nobody can lock an account out for longer than
15 minutes after their last failure (and ``census user unlock`` ends it at once), while
a guesser gets about one try per quarter of an hour once the delay is at its longest.

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

from census.store import Conflict, DuplicateKey, NotFound, Store

COLLECTION = "login_throttle"
WINDOW = 30 * 60  # seconds without a failure after which a run of failures is forgotten
PER_USERNAME = 5  # free failures per username in a run
PER_ADDRESS = 20  # free failures per client address in a run (an office may share one)
FIRST_DELAY = 60  # seconds to wait after the last free failure; doubled per further one
MAX_DELAY = 15 * 60  # the longest wait
KEPT = 64  # failures kept per counter (more change nothing: the delay is at its longest)
PURGE_EVERY = 50  # new counters between sweeps of expired ones

clock: Callable[[], float] = time.time  # tests move time forward here


@dataclass(frozen=True)
class Attempt:
    """A login attempt that may go ahead (``wait`` == 0) or must wait ``wait`` seconds."""

    username_key: str
    address_key: str
    at: float
    wait: float = 0.0
    delay_if_failed: float = 0.0  # what the username waits if this attempt fails

    @property
    def allowed(self) -> bool:
        return self.wait <= 0

    @property
    def minutes(self) -> int:
        """The wait in whole minutes, rounded up (at least 1)."""
        return max(1, math.ceil(self.wait / 60))


def _keys(username: str, address: str) -> tuple[str, str]:
    return f"user:{username}", f"addr:{address}"


def delay(failures: int, limit: int) -> float:
    """The wait after ``failures`` failures in a run: none below ``limit``, then 1, 2, 4,
    8 minutes, doubling, at most ``MAX_DELAY``."""
    if failures < limit:
        return 0.0
    return float(min(MAX_DELAY, FIRST_DELAY * 2 ** min(failures - limit, 20)))


def _recent(doc: dict[str, Any] | None, now: float, window: float) -> list[float]:
    """The current run of failures: each within ``window`` of the next, the last within
    ``window`` of now (an older run is forgotten)."""
    failures = sorted((doc or {}).get("failures", []))
    if not failures or now - failures[-1] > window:
        return []
    start = len(failures) - 1
    while start > 0 and failures[start] - failures[start - 1] <= window:
        start -= 1
    return failures[start:]


def _take(store: Store, key: str, limit: int, now: float, window: float) -> tuple[float, int]:
    """Take one slot of ``key``: (0, failures in the run now) or (seconds to wait, failures)."""
    counters = store.collection(COLLECTION)
    for _ in range(100):
        doc = counters.find_one(key=key)
        recent = _recent(doc, now, window)
        if recent:
            wait = recent[-1] + delay(len(recent), limit) - now
            if wait > 0:
                return max(1.0, wait), len(recent)
        body = {"key": key, "failures": [*recent, now][-KEPT:]}
        try:
            if doc is None:
                counters.insert(body, unique=("key",))
                if len(counters) % PURGE_EVERY == 0:
                    purge(store, now=now)
            else:
                counters.update(doc["id"], body, expected_rev=doc["_rev"])
        except (Conflict, DuplicateKey, NotFound):
            continue  # another thread or process took a slot meanwhile: count again
        return 0.0, len(recent) + 1
    raise RuntimeError(f"login counter {key} kept changing")  # pragma: no cover


def _give_back(store: Store, key: str, at: float, *, everything: bool = False) -> None:
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
    store: Store,
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
    return Attempt(user_key, addr_key, now, delay_if_failed=delay(used, per_username))


def succeeded(store: Store, attempt: Attempt) -> None:
    """The password was right: forget the username's failures and give the address slot back."""
    _give_back(store, attempt.username_key, attempt.at, everything=True)
    _give_back(store, attempt.address_key, attempt.at)


def unlock(store: Store, username: str) -> bool:
    """Forget a username's failures (``census user unlock``); True if there were any."""
    counters = store.collection(COLLECTION)
    doc = counters.find_one(key=_keys(username, "")[0])
    if doc is None:
        return False
    _give_back(store, doc["key"], 0.0, everything=True)
    return True


def purge(store: Store, *, now: float | None = None, window: float = WINDOW) -> int:
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
