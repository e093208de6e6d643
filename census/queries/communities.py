"""The communities of a street deployment, as its first store lists them.

The deployment's own store (its data folder or database) is the first community, named by
``census init --community``; the others are listed in its ``communities`` collection in the
order they were added (``census.services.communities``), each with a store of its own
(``census.street.places``). An entry says whether that store was made (``made``): an entry
is written before its store is made, and one whose store could not be made then (the
database down, the disk full, the process killed) is made by the next opening of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from census.store import Store

COLLECTION = "communities"
HOME = ""  # the code of the deployment's own store, the first community


@dataclass(frozen=True)
class Community:
    """A community of the street: its code (its folder, schema and URL) and its name."""

    code: str
    name: str
    # Was its store made: False from its entry until its store exists and is named. Entries
    # of older versions say nothing: made the old way, at once.
    made: bool = field(default=True, compare=False)

    @property
    def is_home(self) -> bool:
        """The first community, kept in the deployment's own store."""
        return self.code == HOME


def added(store: Store) -> list[Community]:
    """The communities added to the deployment (not the first), in the order they came."""
    rows = sorted(store.collection(COLLECTION).scan(), key=lambda row: row["id"])
    return [_community(row) for row in rows]


def added_in_database(url: str) -> list[Community]:
    """The communities added to the deployment whose first community is the database (and
    schema) at ``url``; it is opened for the moment, never created (``StoreMissing``)."""
    from census.store import open_store

    store = open_store(url, create=False)
    try:
        return added(store)
    finally:
        store.close()


def find(store: Store, code: str) -> Community | None:
    """The added community coded ``code``, if there is one."""
    row = store.collection(COLLECTION).find_one(code=code)
    return _community(row) if row else None


def _community(row: dict[str, Any]) -> Community:
    return Community(str(row["code"]), str(row["name"]), made=row.get("made") is not False)
