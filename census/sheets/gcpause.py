"""Pausing Python's cycle collector while an import builds its many small objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Hold Python's cycle collector while an import builds millions of small objects.

    Each collection walks every object alive, and an import of 50,000 persons keeps
    millions of them (rows, records, problems) alive on purpose, so the collector ran
    hundreds of times for nothing and cost a third of the import. The objects built
    here hold no reference cycles; reference counting frees them as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
