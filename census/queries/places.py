"""The address tree as pages read it: buildings and grids (written by ``services.places``)."""

from __future__ import annotations

from typing import Any

from census.domain.address import natural_sorted
from census.store import Store

Doc = dict[str, Any]


def buildings(store: Store) -> list[Doc]:
    """Every building of the tree, in the order they were added."""
    return store.collection("buildings").scan()


def building(store: Store, name: str) -> Doc | None:
    """The building called ``name``, or None when the tree has no such building."""
    return store.collection("buildings").find_one(name=name)


def buildings_by_name(store: Store) -> dict[str, Doc]:
    """Every building by its name."""
    return {b["name"]: b for b in buildings(store)}


def building_names(store: Store) -> list[str]:
    """The names of the buildings in natural order (2栋 before 10栋), as filters list them."""
    return natural_sorted(b["name"] for b in buildings(store))


def grid_of_building(store: Store) -> dict[str, Any]:
    """Each building's grid by building name, as stored (None or "" for none)."""
    return {b["name"]: b.get("grid") for b in buildings(store)}


def grids(store: Store) -> list[Doc]:
    """Every grid of the tree, in the order they were added."""
    return store.collection("grids").scan()


def grid_revisions(store: Store) -> list[tuple[int, Any]]:
    """Each grid's id and revision, in id order: changes whenever a grid does."""
    return sorted((g["id"], g.get("_rev")) for g in store.collection("grids").scan_shared())
