"""A fix made from a page kept before the return: a resubmission, not a conflict.

The surveyor's tablet kept the household's edit page at revision 1; a reviewer returns the
household (revision 2: the review state only). The fix sent from the kept page carries
``base_revision`` 1. Only the review changed in between, so it applies to revision 2 as any
fix of a returned household does (submitted, revision 3), and no conflict waits for a
reviewer. When an answer changed in between, it is a conflict as before.
"""

from __future__ import annotations

import uuid as uuidlib

import pytest

from census.app import create_app
from census.fieldwork import CONFLICTS
from census.services import records, review
from census.services.accounts import add_user, create_token
from census.surveys.conform import masked
from census.surveys.definition import load_surveys
from census.web.current import get_store
from tests.conftest import ACCOUNTS, BUILDINGS, FAST_HASH, PASSWORD
from tests.factories import make_household


@pytest.fixture(params=["tinydb", "postgres"])
def app(request, tmp_path):
    """The app of tests/conftest.py, on a data folder and on PostgreSQL: the versions the
    decision reads are the store's."""
    config = {"DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": "test-secret", "FSYNC": False}
    if request.param == "postgres":
        config["DATABASE_URL"] = request.getfixturevalue("pg_url")
    app = create_app(config | {"TESTING": True})
    store = get_store(app)
    for building in BUILDINGS:
        store.collection("buildings").insert(dict(building))
    for name, (role, grids) in ACCOUNTS.items():
        add_user(store, name, role, PASSWORD, grids=grids, hash_method=FAST_HASH)
    yield app
    store.close()


@pytest.fixture
def token(store):
    return create_token(store, "surveyor1")


@pytest.fixture
def household(client, token):
    """A household of three registered by surveyor1 over the API: (id, the body sent)."""
    body = make_household(members=3, notes="首次登记") | {"uuid": str(uuidlib.uuid4())}
    response = client.post("/api/v1/households", json=body, headers=_auth(token))
    assert response.status_code == 201, response.json
    return response.json["id"], body


def _auth(token):
    return {"Authorization": f"Bearer {token}"}


def _put(client, token, record_id, body, base):
    edit = dict(body) | {"base_revision": base, "uuid": str(uuidlib.uuid4())}
    return client.put(f"/api/v1/households/{record_id}", json=edit, headers=_auth(token))


def _return(store, record_id):
    review.act(
        store,
        record_id,
        "return",
        username="admin",
        role="admin",
        comment="第二位成员的电话少一位",
        fields=["members[1].phone"],
        form=load_surveys()["household"],
    )


def _fixed(body):
    """The kept page's answers with the phone corrected."""
    members = [dict(m) for m in body["members"]]
    members[1]["phone"] = "13912345699"
    return body | {"members": members}


def test_a_fix_from_before_the_return_is_a_resubmission(client, store, token, household):
    record_id, body = household
    _return(store, record_id)
    assert store.collection("households").get(record_id)["_rev"] == 2

    response = _put(client, token, record_id, _fixed(body), base=1)

    assert response.status_code == 200, response.json
    assert response.json["revision"] == 3
    stored = store.collection("households").get(record_id)
    assert stored["_rev"] == 3
    assert stored["review_state"] == "submitted"
    assert stored["members"][1]["phone"] == "13912345699"
    assert store.collection(CONFLICTS).count() == 0
    newest = records.history(store, "households", record_id)[0]
    assert newest["action"] == "edit"
    assert newest["detail"]["base_revision"] == 1 and newest["detail"]["applied_on"] == 2


def test_a_return_and_an_approval_since_are_review_only_too(client, store, token, household):
    record_id, body = household
    _return(store, record_id)
    review.act(store, record_id, "approve", username="admin", role="admin")
    _return(store, record_id)  # revision 4: returned, approved, returned again

    response = _put(client, token, record_id, _fixed(body), base=1)

    assert response.status_code == 200, response.json
    stored = store.collection("households").get(record_id)
    assert (stored["_rev"], stored["review_state"]) == (5, "submitted")
    assert store.collection(CONFLICTS).count() == 0


def test_an_answer_changed_since_still_makes_a_conflict(client, store, token, household):
    record_id, body = household
    _return(store, record_id)
    current = store.collection("households").get(record_id)
    raw = {k: v for k, v in current.items() if k not in ("id", "_rev")} | {"notes": "社区核实"}
    saved = records.save(
        store,
        load_surveys()["household"],
        raw,
        user="admin",
        record_id=record_id,
        expected_rev=current["_rev"],
    )
    assert saved.saved, saved.problems

    response = _put(client, token, record_id, _fixed(body), base=1)

    assert response.status_code == 409, response.json
    assert response.json["error"] == "edit_conflict"
    assert response.json["current_revision"] == 3
    stored = store.collection("households").get(record_id)
    assert stored["_rev"] == 3 and stored["notes"] == "社区核实"
    assert stored["review_state"] == "returned"
    assert stored["members"][1]["phone"] != "13912345699"
    assert store.collection(CONFLICTS).count() == 1


def test_a_page_from_before_a_member_was_deleted_makes_a_conflict_not_a_refusal(
    client, store, token, household
):
    """The page showed three members with their ID numbers masked; staff deleted the second
    since. The masks are of the numbers the page was drawn from (revision 1), so the edit is
    kept for a reviewer with the deleted member's number whole, not refused for a mask."""
    record_id, body = household
    _return(store, record_id)
    current = store.collection("households").get(record_id)
    raw = {k: v for k, v in current.items() if k not in ("id", "_rev")}
    raw["members"] = [current["members"][0], current["members"][2]]
    defn = load_surveys()["household"]
    saved = records.save(
        store, defn, raw, user="admin", record_id=record_id, expected_rev=current["_rev"]
    )
    assert saved.saved, saved.problems
    shown = masked(defn, _fixed(body))
    assert "*" in shown["members"][1]["id_number"]

    response = _put(client, token, record_id, shown, base=1)

    assert response.status_code == 409, response.json
    (conflict,) = store.collection(CONFLICTS).scan()
    assert [m["id_number"] for m in conflict["theirs"]["members"]] == [
        m["id_number"] for m in body["members"]
    ]
    assert len(store.collection("households").get(record_id)["members"]) == 2
