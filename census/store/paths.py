"""Dotted field paths (``members.id_number``) over JSON documents, shared by finds and indexes."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import orjson


def split(path: str) -> tuple[str, ...]:
    """Split a dotted path into its keys."""
    return tuple(path.split("."))


def values_at(doc: Any, keys: tuple[str, ...]) -> list[Any]:
    """Return every value found at ``keys`` in ``doc``.

    A list met before the last key is searched element by element, so
    ``members.id_number`` yields one value per member. The value at the last
    key is returned as it is, even when it is a list.
    """
    if not keys:
        return [doc]
    if isinstance(doc, Mapping):
        if keys[0] not in doc:
            return []
        return values_at(doc[keys[0]], keys[1:])
    if isinstance(doc, list):
        found: list[Any] = []
        for item in doc:
            if isinstance(item, Mapping):
                found.extend(values_at(item, keys))
        return found
    return []


class Holding:
    """A value to ``find``: ONE element at the path holds every one of these fields.

    ``find(members=Holding(name="王伟", birth_date="1980-01-02"))`` finds the households
    with a member of that name born that day, where ``find(**{"members.name": "王伟",
    "members.birth_date": "1980-01-02"})`` also finds a 王伟 living with someone born that
    day. The value at the path is a list of dicts (any one of them) or a dict; each field
    is compared as ``find`` compares a value (``==``).
    """

    __slots__ = ("fields",)

    def __init__(self, **fields: Any) -> None:
        if not fields:
            raise ValueError("Holding needs at least one field")
        self.fields = fields

    def held_by(self, value: Any) -> bool:
        """Whether ``value`` (what is stored at the path) holds all the fields in one element."""
        items = value if isinstance(value, list) else [value]
        return any(
            isinstance(item, Mapping)
            and all(key in item and item[key] == wanted for key, wanted in self.fields.items())
            for item in items
        )

    def __repr__(self) -> str:
        return f"Holding({', '.join(f'{k}={v!r}' for k, v in self.fields.items())})"


def matches(doc: Mapping[str, Any], criteria: list[tuple[tuple[str, ...], Any]]) -> bool:
    """Tell whether every (keys, value) criterion has a matching value in ``doc``."""
    for keys, wanted in criteria:
        if isinstance(wanted, Holding):
            if not any(wanted.held_by(value) for value in values_at(doc, keys)):
                return False
        elif not any(value == wanted for value in values_at(doc, keys)):
            return False
    return True


def is_empty(value: Any) -> bool:
    """Tell whether a value is too empty to take part in a unique check."""
    return value is None or (isinstance(value, str | list | dict) and not value)


def index_key(value: Any) -> Hashable:
    """Turn a JSON value into a dict key that is equal exactly when the values are.

    Scalars are their own key (so 1, 1.0 and True collide, as they do under
    ``==``); lists and dicts become their canonical JSON text.
    """
    if isinstance(value, list | dict):
        return ("json", orjson.dumps(value, option=orjson.OPT_SORT_KEYS))
    key: Hashable = value
    return key
