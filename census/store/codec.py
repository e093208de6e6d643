"""Strict, fast JSON encoding and deep copies of documents (orjson)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson

# orjson would quietly turn datetimes into strings that read back as strings;
# refusing them keeps "what you read is what you stored" true.
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME


def dumps(value: Any) -> bytes:
    """Encode as compact UTF-8 JSON; TypeError for anything JSON cannot hold."""
    return orjson.dumps(value, option=_OPTIONS)


def loads(data: bytes) -> Any:
    """Decode JSON produced by ``dumps``."""
    return orjson.loads(data)


def clone(value: Any) -> Any:
    """Return a deep copy that shares nothing with ``value``."""
    return orjson.loads(orjson.dumps(value, option=_OPTIONS))


@contextmanager
def paused_gc() -> Iterator[None]:
    """Hold Python's cycle collector while thousands of documents are decoded.

    Decoding 13,000 households makes a million small dicts, lists and strings, which set
    off collections that walk every object alive, again and again: without this, a full
    scan spends two thirds of its time collecting nothing (documents have no cycles, so
    reference counting frees them as usual).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
