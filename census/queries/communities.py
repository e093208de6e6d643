"""The communities of a street deployment, as its first store lists them.

The deployment's own store (its data folder or database) is the first community, named by
``census init --community``; the others are listed in its ``communities`` collection in the
order they were added (``census.services.communities``), each with a store of its own
(``census.street.places``).
"""

from __future__ import annotations

from dataclasses import dataclass

from census.store import Store

COLLECTION = "communities"
HOME = ""  # the code of the deployment's own store, the first community


@dataclass(frozen=True)
class Community:
    """A community of the street: its code (its folder, schema and URL) and its name."""

    code: str
    name: str

    @property
    def is_home(self) -> bool:
        """The first community, kept in the deployment's own store."""
        return self.code == HOME


def added(store: Store) -> list[Community]:
    """The communities added to the deployment (not the first), in the order they came."""
    rows = sorted(store.collection(COLLECTION).scan(), key=lambda row: row["id"])
    return [Community(str(row["code"]), str(row["name"])) for row in rows]


def find(store: Store, code: str) -> Community | None:
    """The added community coded ``code``, if there is one."""
    row = store.collection(COLLECTION).find_one(code=code)
    return Community(str(row["code"]), str(row["name"])) if row else None
