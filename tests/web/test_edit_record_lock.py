"""Edits wait only for edits of the same record: one household's edit held up in this
process leaves another household's edit free to go through, and a uuid taken by another
edit a moment ago is refused, not answered with that edit's answer."""

from __future__ import annotations

import threading
import uuid as uuidlib

import pytest

from census.fieldwork import edits
from census.services.accounts import create_token
from tests.factories import make_household


@pytest.fixture
def token(store):
    return create_token(store, "surveyor1")


def _new(client, token, room):
    body = make_household(members=2, room=room) | {"uuid": str(uuidlib.uuid4())}
    response = client.post(
        "/api/v1/households", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 201, response.json
    return response.json["id"], body


def _put(app, token, record_id, body, notes, uuid=None):
    edit = dict(body) | {"notes": notes, "base_revision": 1, "uuid": uuid or str(uuidlib.uuid4())}
    return app.test_client().put(
        f"/api/v1/households/{record_id}", json=edit, headers={"Authorization": f"Bearer {token}"}
    )


def test_an_edit_held_up_leaves_another_households_edit_free(app, client, store, token):
    first, first_body = _new(client, token, "101")
    second, second_body = _new(client, token, "102")
    answers: dict[str, int] = {}

    def edit(name, record_id, body):
        answers[name] = _put(app, token, record_id, body, f"改过 {name}").status_code

    with edits._one_edit_at_a_time(store, "households", first):  # an edit of the first, going on
        other = threading.Thread(target=edit, args=("second", second, second_body))
        same = threading.Thread(target=edit, args=("first", first, first_body))
        other.start()
        same.start()
        other.join(20)
        assert answers.get("second") == 200  # not kept waiting by the first household's edit
        same.join(0.5)
        assert same.is_alive()  # the first household's second edit waits its turn
    same.join(20)
    assert answers["first"] == 200
    assert store.collection("households").get(second)["notes"] == "改过 second"
    assert store.collection("households").get(first)["notes"] == "改过 first"
    assert edits._LOCKS == {}  # nothing kept for records nobody edits


def test_a_uuid_another_household_took_first_is_refused(app, client, store, token):
    first, first_body = _new(client, token, "101")
    second, second_body = _new(client, token, "102")
    shared = str(uuidlib.uuid4())
    assert _put(app, token, first, first_body, "甲", uuid=shared).status_code == 200
    again = _put(app, token, second, second_body, "乙", uuid=shared)
    assert again.status_code == 409 and again.json["error"] == "uuid_reused"
    assert store.collection("households").get(second)["_rev"] == 1  # unchanged
