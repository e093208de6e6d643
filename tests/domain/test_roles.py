"""The roles: one enumeration that the services, the CLI and the pages all take theirs from."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from census.cli.accounts import user_add
from census.domain import roles
from census.services.accounts import UserError, add_user

CATALOGUE = Path(roles.__file__).parents[1] / "translations/en/LC_MESSAGES/messages.po"


def test_three_roles_in_the_order_lists_show_them() -> None:
    assert roles.ROLES == ("admin", "reviewer", "surveyor")
    assert roles.STAFF == (roles.ADMIN, roles.REVIEWER)
    listed = sorted(["surveyor", "ghost", "admin", "reviewer"], key=roles.rank)
    assert listed == ["admin", "reviewer", "surveyor", "ghost"]


def test_every_role_has_a_label_in_both_languages() -> None:
    assert list(roles.LABELS) == list(roles.ACCOUNT_ROLES)
    with CATALOGUE.open("rb") as po:
        english = {m.id: m.string for m in read_po(po) if m.id}
    assert all(english.get(label) for label in roles.LABELS.values())


def test_the_cli_and_the_service_accept_exactly_these_roles() -> None:
    option = next(p for p in user_add.params if p.name == "role")
    assert tuple(option.type.choices) == roles.ACCOUNT_ROLES == (*roles.ROLES, "street")
    with pytest.raises(UserError, match="admin/reviewer/surveyor/street"):
        add_user(None, "x1", "superuser", "long enough password 1")  # refused before any read
