"""Accounts and API tokens: hashed passwords, hashed tokens, roles and assigned areas.

Every account carries a ``session_version``: a login session remembers the version it was
made with, and the web layer refuses a session whose version is not the account's any more.
Logging out, changing or resetting the password and deactivating the account bump it, so a
copied session cookie stops working at once on every app server.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

from census.domain import passwords
from census.domain.roles import ACCOUNT_ROLES, ADMIN, REVIEWER
from census.services import audit
from census.store import Conflict, Store

DEFAULT_HASH = "scrypt"
_dummy_hashes: dict[str, str] = {}


class UserError(ValueError):
    """A user cannot be created or changed as asked."""


def _check_role(role: str) -> None:
    """Refuse anything but one of the roles (``census.domain.roles``)."""
    if role not in ACCOUNT_ROLES:
        raise UserError(
            f"角色应为 {'/'.join(ACCOUNT_ROLES)} / role must be one of {', '.join(ACCOUNT_ROLES)}"
        )


def add_user(
    store: Store,
    username: str,
    role: str,
    password: str,
    *,
    display_name: str = "",
    grids: list[str] | None = None,
    buildings: list[str] | None = None,
    hash_method: str = DEFAULT_HASH,
    actor: str | None = None,
    check_policy: bool = False,
) -> int:
    """Create an account; the password is stored only as a salted hash.

    ``hash_method`` is werkzeug's; tests pass a cheap one so that each test's accounts
    are made in milliseconds, as Django's test settings do. With ``actor`` (whoever creates
    the account) the new role and areas go into the audit log. ``check_policy`` applies the
    password policy (``census.domain.passwords``): every place a person chooses a password (``census
    user add``, the admin pages, password changes) asks for it; the demo's accounts and the
    test fixtures do not, and only an 8-character floor holds for them.
    """
    _check_role(role)
    if not username or not username.replace("_", "").replace("-", "").isalnum():
        raise UserError(
            "用户名只能包含字母、数字、- 和 _ / username: letters, digits, - and _ only"
        )
    if check_policy:
        problem = passwords.problem(password, username, role)
        if problem:
            raise UserError(problem)
    elif len(password) < 8:
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
        "session_version": 1,
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


def set_role(store: Store, username: str, role: str, *, actor: str) -> dict[str, Any]:
    """Give an account another role; the change (before and after) is audited."""
    _check_role(role)
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


def get_user(store: Store, username: str) -> dict[str, Any]:
    """The account called ``username``; ``UserError`` if there is none."""
    user = store.collection("users").find_one(username=username)
    if user is None:
        raise UserError(f"没有用户 {username} / no user {username}")
    return user


def _change(store: Store, username: str, change: Any) -> dict[str, Any]:
    """Apply ``change(user) -> new fields`` to the account, again if someone wrote meanwhile."""
    users = store.collection("users")
    while True:
        user = get_user(store, username)
        fields = change(user)
        body: dict[str, Any] = {k: v for k, v in user.items() if k not in ("id", "_rev")} | fields
        try:
            rev = users.update(user["id"], body, expected_rev=user["_rev"])
        except Conflict:
            continue
        return body | {"id": user["id"], "_rev": rev}


def _next_version(user: dict[str, Any]) -> dict[str, Any]:
    return {"session_version": int(user.get("session_version") or 0) + 1}


def end_sessions(store: Store, username: str) -> dict[str, Any]:
    """End every login session of the account (logout does this); returns the account."""
    return _change(store, username, _next_version)


def set_password(
    store: Store,
    username: str,
    password: str,
    *,
    actor: str,
    current: str | None = None,
    hash_method: str = DEFAULT_HASH,
) -> dict[str, Any]:
    """A new password, under the policy; every session of the account ends.

    ``current`` (the user changing their own password) must be the password now; an admin
    resetting someone's password gives none. Audited as ``password_change`` or
    ``password_reset``.
    """
    user = get_user(store, username)
    if current is not None and not check_password_hash(user["password_hash"], current):
        raise UserError("当前密码不正确 / the current password is wrong")
    problem = passwords.problem(password, username, user["role"])
    if problem:
        raise UserError(problem)
    if check_password_hash(user["password_hash"], password):
        raise UserError("新密码不能与原密码相同 / the new password must differ from the old one")
    hashed = generate_password_hash(password, method=hash_method)
    with store.atomic():
        changed = _change(store, username, lambda u: _next_version(u) | {"password_hash": hashed})
        own = actor == username and current is not None
        audit.record(
            store, actor, "password_change" if own else "password_reset", f"users/{username}"
        )
    return changed


def set_active(store: Store, username: str, active: bool, *, actor: str) -> dict[str, Any]:
    """Deactivate (or reactivate) an account: a deactivated one cannot log in, its sessions
    end and its API tokens are revoked. Audited as ``user_deactivate`` / ``user_activate``."""
    user = get_user(store, username)
    if not active and user["role"] == ADMIN:
        others = [
            u
            for u in store.collection("users").find(role=ADMIN)
            if u["username"] != username and u.get("active", True)
        ]
        if not others:
            raise UserError("不能停用最后一个管理员 / the last active admin cannot be deactivated")
    with store.atomic():
        changed = _change(store, username, lambda u: _next_version(u) | {"active": active})
        revoked = 0 if active else _drop_tokens(store, username)
        audit.record(
            store,
            actor,
            "user_activate" if active else "user_deactivate",
            f"users/{username}",
            tokens_revoked=revoked,
        )
    return changed


def _dummy_hash(method: str = DEFAULT_HASH) -> str:
    """A hash of a random password made like real ones: checked when no account matches."""
    found = _dummy_hashes.get(method)
    if found is None:
        found = _dummy_hashes.setdefault(
            method, generate_password_hash(secrets.token_urlsafe(16), method=method)
        )
    return found


def authenticate(store: Store, username: str, password: str) -> dict[str, Any] | None:
    """The user's document when the password is right and the account active.

    The same hash is computed whether or not the account exists (a dummy one made with the
    default method when it does not), and whether or not it is active: how long a login
    takes says nothing about which usernames exist.
    """
    user = store.collection("users").find_one(username=username)
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    right = check_password_hash(user["password_hash"], password)
    return user if right and user.get("active", True) else None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    store: Store, username: str, *, days: int | None = None, actor: str | None = None
) -> str:
    """A new bearer token for the API; only its hash is kept.

    With ``days`` the token stops working that many days from now. With ``actor`` the
    creation is audited (``token_create``); the token itself never is.
    """
    user = get_user(store, username)
    if not user.get("active", True):
        raise UserError(f"用户 {username} 已停用 / user {username} is deactivated")
    token = secrets.token_urlsafe(32)
    now = datetime.now()
    doc = {
        "token_hash": _digest(token),
        "token_id": _digest(token)[:8],
        "username": username,
        "created_at": now.isoformat(timespec="seconds"),
    }
    if days is not None:
        if days < 1:
            raise UserError("有效期至少 1 天 / a token lasts at least one day")
        doc["expires_at"] = (now + timedelta(days=days)).isoformat(timespec="seconds")
    with store.atomic():
        store.collection("tokens").insert(doc)
        if actor is not None:
            audit.record(
                store,
                actor,
                "token_create",
                f"users/{username}",
                token_id=doc["token_id"],
                expires_at=doc.get("expires_at", ""),
            )
    return token


def list_tokens(store: Store, username: str | None = None) -> list[dict[str, Any]]:
    """The tokens (of one account, or all) without their hashes: id, user, created, expiry."""
    rows = store.collection("tokens").find(username=username) if username else None
    if rows is None:
        rows = store.collection("tokens").scan()
    now = datetime.now().isoformat(timespec="seconds")
    return [
        {
            "token_id": row.get("token_id") or row["token_hash"][:8],
            "username": row["username"],
            "created_at": row.get("created_at", ""),
            "expires_at": row.get("expires_at", ""),
            "expired": bool(row.get("expires_at")) and row["expires_at"] <= now,
        }
        for row in rows
    ]


def _drop_tokens(store: Store, username: str, token_id: str | None = None) -> int:
    tokens = store.collection("tokens")
    dropped = 0
    for row in tokens.find(username=username):
        if token_id and (row.get("token_id") or row["token_hash"][:8]) != token_id:
            continue
        tokens.delete(row["id"])
        dropped += 1
    return dropped


def revoke_tokens(store: Store, username: str, *, actor: str, token_id: str | None = None) -> int:
    """Revoke the account's API tokens (or the one with ``token_id``); audited; how many."""
    get_user(store, username)
    with store.atomic():
        count = _drop_tokens(store, username, token_id)
        audit.record(
            store,
            actor,
            "token_revoke",
            f"users/{username}",
            count=count,
            token_id=token_id or "*",
        )
    return count


def user_for_token(store: Store, token: str) -> dict[str, Any] | None:
    """The active user an unexpired, unrevoked bearer token belongs to."""
    row = store.collection("tokens").find_one(token_hash=_digest(token))
    if not row:
        return None
    expires = row.get("expires_at")
    if expires and expires <= datetime.now().isoformat(timespec="seconds"):
        return None
    user = store.collection("users").find_one(username=row["username"])
    return user if user and user.get("active", True) else None


FULL_IDS_KEY = "full_ids"  # the settings row naming the roles that may ask for full ID numbers


def full_id_roles(store: Store) -> frozenset[str]:
    """The roles that may ask for full ID numbers: admins always, reviewers if granted."""
    row = store.collection("settings").find_one(key=FULL_IDS_KEY)
    granted = set(row.get("roles") or ()) if row else set()
    return frozenset({ADMIN} | (granted & {REVIEWER}))  # never surveyors


def grant_full_ids(store: Store, reviewers: bool, *, actor: str) -> frozenset[str]:
    """Let reviewers ask for full ID numbers (or stop them); audited as a change of access."""
    settings = store.collection("settings")
    wanted = {"key": FULL_IDS_KEY, "roles": [ADMIN, REVIEWER] if reviewers else [ADMIN]}
    with store.atomic():
        row = settings.find_one(key=FULL_IDS_KEY)
        if row:
            settings.update(row["id"], wanted)
        else:
            settings.insert(wanted, unique=("key",))
        audit.record(store, actor, "grant_full_ids", "settings/full_ids", roles=wanted["roles"])
    return full_id_roles(store)
