"""Accounts and API tokens: hashed passwords, hashed tokens, roles and assigned areas."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

from census import audit

ROLES = ("admin", "reviewer", "surveyor")


class UserError(ValueError):
    """A user cannot be created or changed as asked."""


def add_user(
    store: Any,
    username: str,
    role: str,
    password: str,
    *,
    display_name: str = "",
    grids: list[str] | None = None,
    buildings: list[str] | None = None,
    hash_method: str = "scrypt",
    actor: str | None = None,
) -> int:
    """Create an account; the password is stored only as a salted hash.

    ``hash_method`` is werkzeug's; tests pass a cheap one so that each test's accounts
    are made in milliseconds, as Django's test settings do. With ``actor`` (whoever creates
    the account) the new role and areas go into the audit log.
    """
    if role not in ROLES:
        raise UserError(f"角色应为 {'/'.join(ROLES)} / role must be one of {', '.join(ROLES)}")
    if not username or not username.replace("_", "").replace("-", "").isalnum():
        raise UserError(
            "用户名只能包含字母、数字、- 和 _ / username: letters, digits, - and _ only"
        )
    if len(password) < 8:
        raise UserError("密码至少 8 位 / the password needs at least 8 characters")
    users = store.collection("users")
    if users.find_one(username=username):
        raise UserError(f"用户 {username} 已存在 / user {username} exists already")
    doc = {
        "username": username,
        "role": role,
        "display_name": display_name or username,
        "password_hash": generate_password_hash(password, method=hash_method),
        "grids": grids or [],
        "buildings": buildings or [],
        "active": True,
        "created_at": datetime.now().isoformat(timespec="seconds"),
    }
    with store.atomic():  # no account without its audit entry
        new_id = users.insert(doc, unique=("username",))
        if actor is not None:
            audit.record(
                store,
                actor,
                "user_add",
                f"users/{username}",
                role=role,
                grids=grids or [],
                buildings=buildings or [],
            )
    return new_id


def set_role(store: Any, username: str, role: str, *, actor: str) -> dict[str, Any]:
    """Give an account another role; the change (before and after) is audited."""
    if role not in ROLES:
        raise UserError(f"角色应为 {'/'.join(ROLES)} / role must be one of {', '.join(ROLES)}")
    users = store.collection("users")
    user = users.find_one(username=username)
    if user is None:
        raise UserError(f"没有用户 {username} / no user {username}")
    if user["role"] == role:
        return user
    changed = {k: v for k, v in user.items() if k not in ("id", "_rev")} | {"role": role}
    with store.atomic():  # no role change without its audit entry
        rev = users.update(user["id"], changed, expected_rev=user["_rev"])
        audit.record(
            store, actor, "role_change", f"users/{username}", role_before=user["role"], role=role
        )
    return changed | {"id": user["id"], "_rev": rev}


def authenticate(store: Any, username: str, password: str) -> dict[str, Any] | None:
    """The user's document when the password is right and the account active."""
    user = store.collection("users").find_one(username=username)
    if user and user.get("active", True) and check_password_hash(user["password_hash"], password):
        return user
    return None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(store: Any, username: str) -> str:
    """A new bearer token for the API; only its hash is kept."""
    if not store.collection("users").find_one(username=username):
        raise UserError(f"没有用户 {username} / no user {username}")
    token = secrets.token_urlsafe(32)
    store.collection("tokens").insert(
        {
            "token_hash": _digest(token),
            "username": username,
            "created_at": datetime.now().isoformat(timespec="seconds"),
        }
    )
    return token


def user_for_token(store: Any, token: str) -> dict[str, Any] | None:
    """The active user a bearer token belongs to."""
    row = store.collection("tokens").find_one(token_hash=_digest(token))
    if not row:
        return None
    user = store.collection("users").find_one(username=row["username"])
    return user if user and user.get("active", True) else None
