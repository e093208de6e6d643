"""Pausing Python's cycle collector while many small objects are made at once."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Hold Python's cycle collector while a bulk step makes many small objects.

    Decoding 13,000 households, making 50,000 resident rows or planning an import of 50,000
    persons builds millions of dicts, lists and strings, and each collection they set off
    walks every object alive (the whole store included): a third to two thirds of such a
    step went on collecting nothing. These objects hold no reference cycles, so reference
    counting frees them as usual; the collector resumes afterwards if it was on.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def freeze_long_lived() -> None:
    """Put every object alive now out of the cycle collector's sight (after one collection).

    For what a server keeps as long as it runs (the stores' documents, the read models of
    every community: millions of objects for a street): left in sight, each full
    collection walked them all, seconds at a street's size, in the middle of some request.
    Frozen objects are still freed by reference counting when dropped.
    """
    gc.collect()
    gc.freeze()
