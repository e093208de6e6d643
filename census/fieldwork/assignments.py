"""Assignments: which grids and buildings each surveyor works in.

A surveyor's account keeps two lists, ``grids`` and ``buildings``; a building is theirs when
it is named in ``buildings`` or lies in one of their ``grids`` (so a building added to an
assigned grid later is theirs at once). Staff see everything and are never assigned.
Every change goes through ``assign`` and is audited with the lists before and after.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from census.domain.address import natural_key, natural_sorted, place_key
from census.domain.problems import Problem
from census.domain.roles import SURVEYOR
from census.services import audit, places
from census.store import Conflict
from census.surveys.definition import FormDef

MODES = ("replace", "add", "remove")


class AssignmentError(ValueError):
    """An assignment that cannot be made as asked."""


def covers(user: Mapping[str, Any], building: Mapping[str, Any]) -> bool:
    """Is this building in the user's assigned area? (the rule ``access.User.covers`` uses)"""
    return building.get("name") in (user.get("buildings") or []) or building.get("grid") in (
        user.get("grids") or []
    )


NOT_ASSIGNED = Problem("building_not_assigned", "building")


def refusal(store: Any, user: Any, form: FormDef, building_name: str) -> Problem | None:
    """Why this user (an ``access.User``) may not save a record of this form here, or None.

    A household (a form ``in_address_tree``) must be in a building the user covers. A
    surveyor naming a building the community does not have gets ``building_unknown`` (at the
    field ``building``, naming it: a typo, or a building staff must add first); one naming
    another surveyor's building gets ``building_not_assigned``. A storefront may name a
    courtyard or street that is no building of ours, but when it names one of our buildings,
    the user must cover it too. A unit has no building. Staff may everywhere: a household of
    theirs in a new building adds it to the tree (``census.services.places``).
    """
    if user.is_staff:
        return None
    building = store.collection("buildings").find_one(name=building_name) if building_name else None
    if building is None:
        if form.in_address_tree:
            return places.unknown_building(building_name) if building_name else NOT_ASSIGNED
        return None
    if user.covers(building):
        return None
    return Problem("building_not_assigned", "building", {"building": building_name})


def may_register(store: Any, user: Any, form: FormDef, building_name: str) -> bool:
    """May this user save a record of this form in this building? (``refusal`` is None)"""
    return refusal(store, user, form, building_name) is None


def assigned_buildings(
    user: Mapping[str, Any], buildings: Iterable[Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    """The buildings a surveyor covers, in grid and name order."""
    mine = [b for b in buildings if covers(user, b)]
    return sorted(mine, key=lambda b: place_key(b.get("grid"), b["name"]))


def grid_names(
    grids: Iterable[Mapping[str, Any]], buildings: Iterable[Mapping[str, Any]]
) -> list[str]:
    """Every grid: the ones listed, in their order, then others that buildings name."""
    names = [g["name"] for g in grids if g.get("name")]
    names += natural_sorted({b["grid"] for b in buildings if b.get("grid")} - set(names))
    return list(dict.fromkeys(names))


def buildings_by_grid(
    grids: Sequence[str], buildings: Iterable[Mapping[str, Any]]
) -> dict[str, list[Mapping[str, Any]]]:
    """Grid name -> its buildings by name; buildings without a grid under ''."""
    grouped: dict[str, list[Mapping[str, Any]]] = {name: [] for name in grids}
    for b in sorted(buildings, key=lambda b: natural_key(b["name"])):
        grouped.setdefault(b.get("grid") or "", []).append(b)
    return grouped


def plan(
    current: tuple[Sequence[str], Sequence[str]],
    grids: Sequence[str],
    buildings: Sequence[str],
    mode: str = "replace",
) -> tuple[list[str], list[str]]:
    """The (grids, buildings) after replacing with, adding or removing the given names."""
    if mode not in MODES:
        raise AssignmentError(f"mode must be one of {', '.join(MODES)}")
    old_grids, old_buildings = list(current[0]), list(current[1])
    if mode == "replace":
        new_grids, new_buildings = list(grids), list(buildings)
    elif mode == "add":
        new_grids, new_buildings = old_grids + list(grids), old_buildings + list(buildings)
    else:
        new_grids = [g for g in old_grids if g not in grids]
        new_buildings = [b for b in old_buildings if b not in buildings]
    return sorted(dict.fromkeys(new_grids)), sorted(dict.fromkeys(new_buildings))


def check_names(
    grids: Iterable[str], buildings: Iterable[str], known_grids: set[str], known_buildings: set[str]
) -> None:
    """Refuse grids or buildings that do not exist (a typo would assign nothing)."""
    unknown = [g for g in grids if g not in known_grids]
    if unknown:
        raise AssignmentError(f"没有网格 / no grid: {'、'.join(unknown)}")
    unknown = [b for b in buildings if b not in known_buildings]
    if unknown:
        raise AssignmentError(f"没有楼栋 / no building: {'、'.join(unknown)}")


def assign(
    store: Any,
    username: str,
    grids: Sequence[str],
    buildings: Sequence[str],
    *,
    actor: str,
    mode: str = "replace",
    ip: str = "",
) -> dict[str, Any]:
    """Change a surveyor's grids and buildings; audited with before and after. Returns the user."""
    users = store.collection("users")
    all_buildings = store.collection("buildings").scan()
    known_grids = set(grid_names(store.collection("grids").scan(), all_buildings))
    known_buildings = {b["name"] for b in all_buildings}
    names_given = grids if mode != "remove" else []
    check_names(names_given, buildings if mode != "remove" else [], known_grids, known_buildings)
    for _attempt in range(5):
        user = users.find_one(username=username)
        if user is None:
            raise AssignmentError(f"没有用户 {username} / no user {username}")
        if user.get("role") != SURVEYOR:
            raise AssignmentError(
                f"只能给调查员分配 / only surveyors get assignments "
                f"({username}: {user.get('role')})"
            )
        before = (user.get("grids") or [], user.get("buildings") or [])
        new_grids, new_buildings = plan(before, grids, buildings, mode)
        if (new_grids, new_buildings) == (sorted(before[0]), sorted(before[1])):
            return user  # nothing changes, nothing to audit
        changed = dict(user) | {"grids": new_grids, "buildings": new_buildings}
        try:
            with store.atomic():  # the assignment and its audit entry
                rev = users.update(user["id"], changed, expected_rev=user["_rev"])
                audit.record(
                    store,
                    actor,
                    "assign",
                    f"users/{username}",
                    ip=ip,
                    grids_before=list(before[0]),
                    buildings_before=list(before[1]),
                    grids=new_grids,
                    buildings=new_buildings,
                )
        except Conflict:
            continue  # the account changed meanwhile (e.g. a password): apply to the new one
        return changed | {"_rev": rev}
    raise AssignmentError(
        f"用户 {username} 正被频繁修改，请重试 / {username} keeps changing, try again"
    )
