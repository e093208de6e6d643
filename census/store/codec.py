"""Strict, fast JSON encoding and deep copies of documents (orjson)."""

from __future__ import annotations

from typing import Any, TypeVar

import orjson

# What ``clone`` copies: a document, or a list (of documents); the copy has the same type.
_Container = TypeVar("_Container", bound=dict[str, Any] | list[Any])

# orjson would quietly turn datetimes into strings that read back as strings;
# refusing them keeps "what you read is what you stored" true.
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME


def dumps(value: object) -> bytes:
    """Encode as compact UTF-8 JSON; TypeError for anything JSON cannot hold."""
    return orjson.dumps(value, option=_OPTIONS)


def loads(data: bytes) -> Any:
    """Decode JSON produced by ``dumps``."""
    return orjson.loads(data)


def clone(value: _Container) -> _Container:
    """Return a deep copy that shares nothing with ``value``."""
    copy: _Container = orjson.loads(orjson.dumps(value, option=_OPTIONS))
    return copy
