"""Full ID numbers for the roles an admin grants them to: admins always, reviewers on grant.

Surveyors never (they learn nothing of households outside their buildings). The grant and
its withdrawal are audited, and every full view by a granted reviewer is logged as it is
for an admin.
"""

from __future__ import annotations

import pytest

from tests.conftest import csrf_token
from tests.web.test_full_ids import ADDRESSES, World, outcome


@pytest.fixture
def world(app, store):
    """Two surveyors' households and the callers of the full-ID tests."""
    return World(app, store)


def grant(world: World, reviewers: bool) -> None:
    admin = world.web("admin")
    token = csrf_token(admin, "/admin/users")
    answer = admin.post(
        "/admin/full-ids", data={"csrf_token": token, "reviewers": "1" if reviewers else "0"}
    )
    assert answer.status_code == 302


def test_reviewers_see_full_numbers_only_once_an_admin_grants_it(world):
    page = f"/households/{world.h1}?full=1"
    api = f"/api/v1/households/{world.h1}?full=1"
    assert outcome(world.web("reviewer").get(page), world.ids1) == "forbidden"
    assert outcome(world.api("reviewer", api), world.ids1) == "forbidden"
    assert "显示完整证件号码" not in world.web("reviewer").get(f"/households/{world.h1}").text

    grant(world, True)
    (granted,) = [e for e in _entries(world) if e["action"] == "grant_full_ids"]
    assert granted["actor"] == "admin" and granted["detail"]["roles"] == ["admin", "reviewer"]
    reviewer = world.web("reviewer")
    assert "显示完整证件号码" in reviewer.get(f"/households/{world.h1}").text
    before = len(world.logged())
    assert outcome(reviewer.get(page), world.ids1) == "full"
    assert outcome(world.api("reviewer", api), world.ids1) == "full"
    new = world.logged()[before:]
    assert [(e["actor"], e["ip"], e["detail"]["count"]) for e in new] == [
        ("reviewer", ADDRESSES["reviewer"], len(world.ids1))
    ] * 2
    # A surveyor never, whatever is granted.
    assert outcome(world.web("surveyor1").get(page), world.ids1) == "forbidden"
    assert outcome(world.api("surveyor1", api), world.ids1) == "forbidden"

    grant(world, False)
    assert outcome(world.web("reviewer").get(page), world.ids1) == "forbidden"
    assert outcome(world.api("reviewer", api), world.ids1) == "forbidden"
    assert [e["detail"]["roles"] for e in _entries(world) if e["action"] == "grant_full_ids"] == [
        ["admin", "reviewer"],
        ["admin"],
    ]


def test_only_an_admin_may_change_the_grant(world):
    reviewer = world.web("reviewer")
    token = csrf_token(reviewer, "/households")
    answer = reviewer.post("/admin/full-ids", data={"csrf_token": token, "reviewers": "1"})
    assert answer.status_code == 403
    assert not [e for e in _entries(world) if e["action"] == "grant_full_ids"]


def _entries(world: World) -> list[dict]:
    from census.services import audit

    return list(reversed(audit.entries(world.store)))
