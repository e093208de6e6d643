"""Review: states, who may move a record between them, the queue, comments, bulk approval."""

from __future__ import annotations

import pytest

from census.services import audit, records, review
from census.store import Conflict
from tests.conftest import csrf_token
from tests.factories import form_fields, make_household


@pytest.fixture
def defn(app):
    return app.extensions["census"].surveys["household"]


def submit(store, defn, user="surveyor1", **overrides):
    result = records.save(store, defn, make_household(**overrides), user=user)
    assert result.saved
    return result.id


def post(client, url, **data):
    token = csrf_token(client, "/survey/")
    return client.post(url, data={"csrf_token": token, **data})


def state(store, record_id):
    return store.collection("households").get(record_id)["review_state"]


# action -> state before -> {who: allowed}; "owner" is surveyor1, who submitted the record.
MAY = [
    ("approve", "submitted", {"admin": True, "reviewer": True, "owner": False, "other": False}),
    ("approve", "returned", {"admin": True, "reviewer": True, "owner": False}),
    ("approve", "approved", {"admin": False, "reviewer": False}),
    ("return", "submitted", {"admin": True, "reviewer": True, "owner": False}),
    ("return", "approved", {"reviewer": True, "owner": False}),
    ("return", "returned", {"reviewer": False}),
    ("resubmit", "returned", {"owner": True, "other": False, "reviewer": False, "admin": False}),
    ("resubmit", "submitted", {"owner": False}),
    ("comment", "submitted", {"owner": True, "reviewer": True, "other": False}),
]
WHO = {
    "admin": ("admin", "admin"),
    "reviewer": ("reviewer", "reviewer"),
    "owner": ("surveyor1", "surveyor"),
    "other": ("surveyor2", "surveyor"),
}


@pytest.mark.parametrize(("action", "before", "expected"), MAY)
def test_who_may_make_each_transition(action, before, expected):
    record = {"review_state": before, "surveyor": "surveyor1", "created_by": "surveyor1"}
    for who, allowed in expected.items():
        username, role = WHO[who]
        assert review.may(action, record, username=username, role=role) is allowed, (who, action)


def test_saving_sets_the_state_surveyors_submit_staff_keep(store, defn):
    mine = submit(store, defn)
    assert state(store, mine) == "submitted"
    staff_made = submit(store, defn, user="reviewer", room="102")
    assert state(store, staff_made) == "approved"
    review.act(store, mine, "approve", username="reviewer", role="reviewer")
    records.save(store, defn, make_household(notes="错字"), user="admin", record_id=mine)
    assert state(store, mine) == "approved"  # a staff edit keeps the state
    records.save(store, defn, make_household(notes="补充"), user="surveyor1", record_id=mine)
    assert state(store, mine) == "submitted"  # any surveyor edit goes back to review


def test_return_with_a_comment_fix_and_resubmit_then_approve(client, auth, store, defn):
    hid = submit(store, defn)
    auth.login("reviewer")
    refused = post(client, f"/review/households/{hid}/return", comment=" ")
    assert refused.status_code == 302 and state(store, hid) == "submitted"
    assert "退回时请填写意见" in client.get(f"/households/{hid}").get_data(as_text=True)
    post(client, f"/review/households/{hid}/return", comment="电话号码少一位，请核对")
    assert state(store, hid) == "returned"
    auth.logout()

    auth.login("surveyor1")
    home = client.get("/survey/").get_data(as_text=True)
    assert "退回修改的记录" in home and "电话号码少一位，请核对" in home
    assert f"/survey/household/{hid}/edit" in home
    assert post(client, f"/review/households/{hid}/approve").status_code == 302
    assert state(store, hid) == "returned"  # a surveyor cannot approve
    fixed = form_fields(make_household(notes="已核对电话"))
    response = post(client, f"/survey/household/{hid}/edit", _rev="2", **fixed)
    assert response.status_code == 302 and state(store, hid) == "submitted"
    assert "退回修改的记录" not in client.get("/survey/").get_data(as_text=True)
    auth.logout()

    auth.login("admin")
    post(client, f"/review/households/{hid}/approve", comment="已核实")
    record = store.collection("households").get(hid)
    assert (record["review_state"], record["reviewed_by"]) == ("approved", "admin")
    page = client.get(f"/households/{hid}").get_data(as_text=True)
    assert "电话号码少一位，请核对" in page and "已核实" in page  # the whole thread
    actions = [e["action"] for e in audit.entries(store) if e["target"] == f"households/{hid}"]
    assert actions[:4] == ["review_approve", "edit", "review_return", "create"]
    versions = records.history(store, "households", hid)
    assert [v["action"] for v in versions] == ["review_approve", "edit", "review_return", "create"]


def test_a_surveyor_resubmits_without_changes_and_others_cannot(client, auth, store, defn):
    hid = submit(store, defn)
    review.act(store, hid, "return", username="reviewer", role="reviewer", comment="请确认人数")
    auth.login("surveyor2")
    assert post(client, f"/review/households/{hid}/resubmit").status_code == 403
    auth.logout()
    auth.login("surveyor1")
    post(client, f"/review/households/{hid}/comment", comment="人数无误")
    post(client, f"/review/households/{hid}/resubmit")
    assert state(store, hid) == "submitted"
    assert [c["text"] for c in review.thread(store, hid)] == ["请确认人数", "人数无误"]


def test_the_queue_filters_by_grid_building_surveyor_and_state(client, auth, store, defn):
    first = submit(store, defn, room="101")
    second = submit(store, defn, user="surveyor2", building="2栋", room="201")
    compound = submit(store, defn, building="民族大院", room="3")
    review.act(store, compound, "return", username="admin", role="admin", comment="x")
    auth.login("reviewer")

    def listed(query=""):
        page = client.get(f"/review/?{query}").get_data(as_text=True)
        found = store.collection("households").scan()
        return {h["id"] for h in found if f'/households/{h["id"]}"' in page}

    assert listed() == {first, second}
    assert listed("grid=第一网格") == {first}
    assert listed("building=2栋") == {second}
    assert listed("surveyor=surveyor2") == {second}
    assert listed("state=returned") == {compound}
    assert listed("state=all&grid=第一网格") == {first, compound}
    assert client.get("/review/").status_code == 200
    auth.logout()
    auth.login("surveyor1")
    assert client.get("/review/").status_code == 403


def test_bulk_approve(client, auth, store, defn):
    ids = [submit(store, defn, room=f"{n}01") for n in range(1, 4)]
    review.act(store, ids[2], "approve", username="admin", role="admin")
    auth.login("reviewer")
    response = post(client, "/review/approve", ids=[str(i) for i in ids], back="/review/")
    assert response.status_code == 302
    assert [state(store, i) for i in ids] == ["approved"] * 3
    page = client.get("/review/?state=approved").get_data(as_text=True)
    assert "已审核通过 2 户" in page and "1 户不是待审核状态" in page
    bulk = [e for e in audit.entries(store, action="review_approve") if e["detail"].get("bulk")]
    assert sorted(e["target"] for e in bulk) == [f"households/{i}" for i in ids[:2]]


def test_registers_can_be_limited_to_approved_records(store, defn):
    approved = submit(store, defn, user="admin")
    pending = submit(store, defn, room="102")
    households = store.collection("households").scan()
    legacy = dict(households[0], id=99)
    legacy.pop("review_state")  # saved before review existed
    assert [h["id"] for h in review.approved_only([*households, legacy])] == [approved, 99]
    assert pending not in [h["id"] for h in review.approved_only(households)]
    assert review.approved_only_requested({"approved": "1"})
    assert review.approved_only_requested({})  # approved only is the pages' default now
    assert not review.approved_only_requested({"all": "1"})


def test_a_return_refused_as_stale_keeps_neither_its_comment_nor_a_state(store, defn):
    hid = submit(store, defn)
    seen = store.collection("households").get(hid)["_rev"]
    review.act(store, hid, "comment", username="reviewer", role="reviewer", comment="先看看")
    records.set_meta(
        store, "households", hid, {"visit_outcome": "completed"}, user="admin", action="touch"
    )  # someone else changed the record meanwhile
    with pytest.raises(Conflict):
        review.act(
            store,
            hid,
            "return",
            username="reviewer",
            role="reviewer",
            comment="人数不对",
            expected_rev=seen,
        )
    assert [c["text"] for c in review.thread(store, hid)] == ["先看看"]
    assert state(store, hid) == "submitted"
