"""The address tree (grids and buildings): the one place a household's building comes from.

Every output reads households through the buildings: the printed lists go building by
building, the coverage and the filters list the buildings, a building's print refuses a
name the tree does not have. A household stored in a building missing from the tree would
be counted by the summary and exported, yet missing from those — two outputs, two figures.
So a household never lands outside the tree: a building named for the first time is added
(staff, imports, the system) or the save is refused (a surveyor, who may only register in
the buildings assigned to them: ``building_unknown``). Buildings found missing under
records already stored (older data) are added when the store is opened.

``add_buildings`` is the one way a building joins the tree this way; each call is audited
as ``add_building``. A building added by a save gets no grid (``NO_GRID``): nobody said
which, and an import without a 所属网格 column does the same. Outputs show it under
未分网格 (``census.domain.address.grid_name``), after the grids, until staff assign one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from census.domain.problems import Problem
from census.services import audit
from census.store import DuplicateKey, Store

NO_GRID = ""  # stored for a building nobody put in a grid; shown as 未分网格
FEW = 8  # names looked up one by one; more are checked against one read of the buildings


def _name(value: object) -> str:
    """A building's name as records hold it (``clean`` keeps text as typed, outer spaces off)."""
    return str(value or "").strip()


def missing(store: Store, names: Iterable[object]) -> list[str]:
    """The names (in first-seen order) that are no building of the tree."""
    buildings = store.collection("buildings")
    wanted = dict.fromkeys(name for name in map(_name, names) if name)
    if len(wanted) > FEW:
        known = {doc.get("name") for doc in buildings.scan_shared()}
        return [name for name in wanted if name not in known]
    return [name for name in wanted if buildings.find_one(name=name) is None]


def unknown_building(name: object) -> Problem:
    """Why a surveyor's record in a building the community does not have is refused."""
    return Problem("building_unknown", "building", {"building": _name(name)})


def add_buildings(
    store: Store,
    buildings: Iterable[tuple[str, str]],
    *,
    user: str,
    reason: str,
    **detail: Any,
) -> list[str]:
    """Add the (name, grid) buildings the tree does not have yet, and their grids; audited.

    Returns the names added. ``reason`` says what named them (``import``, ``save``,
    ``repair``) and goes into the audit entry with ``detail`` (the record, the file).
    Call it inside the ``atomic()`` block that stores the records naming the buildings:
    a building and the household that brought it are kept together or not at all. A
    building another server added a moment ago is left as it is.
    """
    collection = store.collection("buildings")
    named: dict[str, str] = {}  # each name once (a batch names its buildings many times)
    for name, grid in buildings:
        named.setdefault(_name(name), _name(grid))
    if len(named) > FEW:  # an import's or a repair's hundreds of names: one read
        known = {doc.get("name") for doc in collection.scan_shared()}
        wanted = {name: grid for name, grid in named.items() if name and name not in known}
    else:  # a save's one building: one lookup
        wanted = {
            name: grid
            for name, grid in named.items()
            if name and collection.find_one(name=name) is None
        }
    if not wanted:
        return []
    docs = [{"name": name, "grid": grid} for name, grid in wanted.items()]
    try:
        collection.insert_many(docs, unique=("name",))
        added = list(wanted)
    except DuplicateKey:  # another writer added one of them meanwhile: add the others
        added = []
        for doc in docs:
            try:
                collection.insert(doc, unique=("name",))
            except DuplicateKey:
                continue
            added.append(doc["name"])
    if not added:
        return []
    grids = store.collection("grids")
    known = {g.get("name") for g in grids.scan()}
    fresh = sorted({wanted[name] for name in added if wanted[name]} - known)
    if fresh:
        grids.insert_many([{"name": grid} for grid in fresh])
    audit.record(
        store,
        user,
        "add_building",
        "buildings/" + "、".join(added),
        buildings=added,
        grids=[wanted[name] for name in added],
        reason=reason,
        **detail,
    )
    return added
