"""The roles an account can have, defined once: the web, the CLI and the services import them.

Three roles, in the order lists show them: an admin runs the accounts, assignments and
questionnaires and alone may ask for full ID numbers (each time logged); a reviewer checks
and approves what surveyors submit and sees the whole community; a surveyor sees only the
buildings assigned to them. Admins and reviewers together are the staff.

Roles are stored as these plain strings (``users`` documents, audit entries, comments), so
they stay plain strings here, not an Enum a store or a template would have to convert.
"""

from __future__ import annotations

from typing import Final, Literal

Role = Literal["admin", "reviewer", "surveyor"]

ADMIN: Final = "admin"
REVIEWER: Final = "reviewer"
SURVEYOR: Final = "surveyor"
ROLES: Final[tuple[Role, ...]] = (ADMIN, REVIEWER, SURVEYOR)  # the order lists show
STAFF: Final[tuple[Role, ...]] = (ADMIN, REVIEWER)  # they see the whole community
# 街道: the street office's staff read every community's figures side by side (the street
# pages of a deployment of several communities) and no record of any; not a community role.
STREET: Final = "street"
ACCOUNT_ROLES: Final[tuple[str, ...]] = (*ROLES, STREET)  # what an account may be


def N_(text: str) -> str:  # noqa: N802 - the marker pybabel extracts; translated where shown
    """Mark a label for the catalogue without translating it (this layer has no request)."""
    return text


# What the pages call each role: Chinese catalogue keys, translated by the page's gettext.
LABELS: Final[dict[str, str]] = {
    ADMIN: N_("管理员"),
    REVIEWER: N_("审核人员"),
    SURVEYOR: N_("调查员"),
    STREET: N_("街道人员"),
}


def is_role(value: object) -> bool:
    """True for one of the three roles (anything else is refused where a role is set)."""
    return value in ROLES


def rank(role: str) -> int:
    """A role's place in lists (admins first); an unknown role comes last."""
    return ROLES.index(role) if role in ROLES else len(ROLES)
