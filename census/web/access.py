"""Who may do what: roles, the surveyor's areas, and the decorator that checks them."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_babel import gettext
from flask_login import UserMixin, current_user, login_required

# The roles are defined in the domain; the views import them from here with the decorator.
from census.domain.roles import ADMIN as ADMIN
from census.domain.roles import LABELS
from census.domain.roles import REVIEWER as REVIEWER
from census.domain.roles import ROLES as ROLES
from census.domain.roles import STAFF as STAFF
from census.domain.roles import SURVEYOR as SURVEYOR
from census.queries.accounts import account


class User(UserMixin):
    """A logged-in account, built from its stored document."""

    def __init__(self, doc: dict[str, Any]):
        self.doc = doc
        self.id = doc["username"]
        self.username = doc["username"]
        self.role = doc["role"]
        self.display_name = doc.get("display_name") or doc["username"]
        self.session_version = int(doc.get("session_version") or 0)

    def get_id(self) -> str:
        """What the session keeps: the username and the account's session version.

        Logout, a password change and deactivation bump the version, and ``load_session``
        then refuses every session made before (a copied cookie included).
        """
        return f"{self.username}:{self.session_version}"

    @property
    def is_staff(self) -> bool:
        """Admins and reviewers see the whole community."""
        return self.role in STAFF

    @property
    def is_admin(self) -> bool:
        """Only admins manage accounts."""
        return bool(self.role == ADMIN)

    @property
    def may_see_full_ids(self) -> bool:
        """Admins, and reviewers once an admin granted it, may ask for full ID numbers."""
        from census.services.accounts import full_id_roles
        from census.web.current import get_store

        return self.role == ADMIN or self.role in full_id_roles(get_store())

    @property
    def grids(self) -> list[str]:
        """Grids assigned to a surveyor."""
        return list(self.doc.get("grids") or [])

    @property
    def buildings(self) -> list[str]:
        """Buildings assigned to a surveyor one by one."""
        return list(self.doc.get("buildings") or [])

    def covers(self, building: dict[str, Any]) -> bool:
        """May this user survey in this building?"""
        if self.is_staff:
            return True
        return building.get("name") in self.buildings or building.get("grid") in self.grids

    def may_open(self, household: dict[str, Any]) -> bool:
        """Staff open any household; a surveyor only the ones they submitted."""
        return self.is_staff or household.get("surveyor") == self.username


def load_session(store: Any, session_id: str) -> User | None:
    """The user a login session belongs to, if the account is active and the session current."""
    username, _sep, version = session_id.rpartition(":")
    if not username or not version.isdigit():
        return None  # a session made before session versions existed: log in again
    doc = account(store, username)
    if not doc or not doc.get("active", True):
        return None
    if int(doc.get("session_version") or 0) != int(version):
        return None
    return User(doc)


def role_label(role: str) -> str:
    """A role as the page's language calls it (管理员 / Admin); an unknown role as stored."""
    return gettext(LABELS[role]) if role in LABELS else role


def roles_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Log-in required, and one of these roles (403 otherwise)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
