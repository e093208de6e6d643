"""Who may do what: roles, the surveyor's areas, and the decorator that checks them."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import UserMixin, current_user, login_required

ADMIN, REVIEWER, SURVEYOR = "admin", "reviewer", "surveyor"
ROLES = (ADMIN, REVIEWER, SURVEYOR)
STAFF = (ADMIN, REVIEWER)


class User(UserMixin):
    """A logged-in account, built from its stored document."""

    def __init__(self, doc: dict[str, Any]):
        self.doc = doc
        self.id = doc["username"]
        self.username = doc["username"]
        self.role = doc["role"]
        self.display_name = doc.get("display_name") or doc["username"]

    @property
    def is_staff(self) -> bool:
        """Admins and reviewers see the whole community."""
        return self.role in STAFF

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
