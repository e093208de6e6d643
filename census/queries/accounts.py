"""The accounts as pages list and look them up (the writers are in ``census.services.accounts``)."""

from __future__ import annotations

from typing import Any

from census.domain.roles import SURVEYOR
from census.store import Store

Doc = dict[str, Any]


def all_accounts(store: Store) -> list[Doc]:
    """Every account, in the order they were made."""
    return store.collection("users").scan()


def account(store: Store, username: str) -> Doc | None:
    """The account called ``username``, or None."""
    return store.collection("users").find_one(username=username)


def surveyors(store: Store) -> list[Doc]:
    """Every surveyor's account, active or not, in the order they were made."""
    return store.collection("users").find(role=SURVEYOR)


def active_surveyors(store: Store) -> list[Doc]:
    """The surveyors whose accounts are active (those the coverage counts)."""
    return [u for u in surveyors(store) if u.get("active", True)]


def display_names(store: Store) -> dict[str, str]:
    """Each account's display name by username (the username where it has none)."""
    return {u["username"]: u.get("display_name") or u["username"] for u in all_accounts(store)}


def usernames_by_name(store: Store) -> dict[str, str]:
    """Username by display name, for a sheet that names people as the export writes them;
    a name two accounts share is left out, and a username stands for itself."""
    found: dict[str, str | None] = {}
    for user in all_accounts(store):
        name = user.get("display_name") or user["username"]
        found[name] = (
            None if name in found and found[name] != user["username"] else user["username"]
        )
    for user in all_accounts(store):
        found[user["username"]] = user["username"]
    return {name: username for name, username in found.items() if username}
