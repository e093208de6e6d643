"""Where one request's time went: its thread's CPU, the database, the wait for a connection.

With ``CENSUS_SERVER_TIMING=true`` every answer carries a ``Server-Timing`` header
(shown by a browser's developer tools, read by ``bench/street.py``)::

    Server-Timing: app;dur=41.2, cpu;dur=9.8, db;dur=27.0;desc="14", pool;dur=0.0;desc="3"

``app`` is the request's wall time inside the application, ``cpu`` the CPU its thread
spent, ``db`` the time spent waiting on the database's answers (``desc``: round trips,
each statement and each commit one) and ``pool`` the time spent waiting for a pooled
connection (``desc``: connections borrowed), ``lock`` the time spent waiting for another
request's edit of the same record. What ``app`` holds beyond these is time
the thread was ready but not running: other threads of the process held the interpreter
(the GIL), or the machine's other processes the CPU.

Off by default: the figures say how long a server works on a request, which nobody but
its operators needs to know.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

_local = threading.local()


@dataclass
class Spent:
    """One request's clocks at its start, and the parts counted since."""

    wall: float = field(default_factory=time.perf_counter)
    cpu: float = field(default_factory=time.thread_time)
    parts: dict[str, list[float]] = field(default_factory=dict)  # name: [seconds, times]

    def add(self, name: str, seconds: float) -> None:
        part = self.parts.setdefault(name, [0.0, 0])
        part[0] += seconds
        part[1] += 1

    def header(self) -> str:
        """The ``Server-Timing`` value, in milliseconds."""
        wall = (time.perf_counter() - self.wall) * 1000
        cpu = (time.thread_time() - self.cpu) * 1000
        items = [f"app;dur={wall:.1f}", f"cpu;dur={cpu:.1f}"]
        for name in ("db", "pool", "lock"):
            seconds, times = self.parts.get(name, (0.0, 0))
            items.append(f'{name};dur={seconds * 1000:.1f};desc="{int(times)}"')
        return ", ".join(items)


def current() -> Spent | None:
    """What the request this thread serves has counted so far (None: nothing is counted)."""
    return getattr(_local, "spent", None)


def begin() -> None:
    """Start counting for the request this thread now serves."""
    _local.spent = Spent()


def end() -> Spent | None:
    """Stop counting; what was counted (None when nothing was started on this thread)."""
    spent = getattr(_local, "spent", None)
    _local.spent = None
    return spent


@contextmanager
def counted(name: str) -> Iterator[None]:
    """Count the block's wall time under ``name`` in the request being served, if any."""
    spent = current()
    if spent is None:
        yield
        return
    began = time.perf_counter()
    try:
        yield
    finally:
        spent.add(name, time.perf_counter() - began)


def parse(value: str) -> dict[str, tuple[float, int]]:
    """A ``Server-Timing`` value read back: name → (milliseconds, the count in desc or 0)."""
    found: dict[str, tuple[float, int]] = {}
    for item in value.split(","):
        name, *params = (p.strip() for p in item.split(";"))
        fields = dict(p.split("=", 1) for p in params if "=" in p)
        try:
            found[name] = (float(fields.get("dur", 0)), int(fields.get("desc", "0").strip('"')))
        except ValueError:
            continue
    return found


class ServerTiming:
    """WSGI middleware: counts each request from its first byte read to its answer's
    headers (session and login included) and adds the ``Server-Timing`` header."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        begin()

        def timed_start(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            spent = end()
            if spent is not None:
                headers.append(("Server-Timing", spent.header()))
            return start_response(status, headers, *rest)

        try:
            return self.app(environ, timed_start)
        finally:
            end()
