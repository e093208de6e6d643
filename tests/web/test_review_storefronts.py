"""Storefronts and units go through the same review as households."""

from __future__ import annotations

import pytest

from census.services import records, review
from tests.conftest import csrf_token
from tests.factories import make_storefront

UNIT = {"name": "第三小学", "kind": "school", "address": "文化路1号", "key_unit": True}


@pytest.fixture
def forms(app):
    return app.extensions["census"].surveys


def state(store, collection, record_id):
    return store.collection(collection).get(record_id)["review_state"]


def test_surveyors_submit_staff_and_imports_store_approved(store, forms):
    mine = records.save(store, forms["storefront"], make_storefront(), user="surveyor1")
    assert state(store, "storefronts", mine.id) == "submitted"
    staff = records.save(store, forms["storefront"], make_storefront(name="B"), user="reviewer")
    assert state(store, "storefronts", staff.id) == "approved"
    unit = records.save(store, forms["unit"], UNIT, user="surveyor1")
    assert state(store, "units", unit.id) == "submitted"
    # an import (save_many, as the importer saves) and the system store approved
    imported = records.save_many(store, forms["unit"], [UNIT | {"name": "医院"}], user="admin")
    assert state(store, "units", imported[0].id) == "approved"
    system = records.save(store, forms["storefront"], make_storefront(name="C"), user="system")
    assert state(store, "storefronts", system.id) == "approved"
    # a staff edit keeps the state; a surveyor's edit submits again
    review.act(
        store, mine.id, "approve", username="reviewer", role="reviewer", collection="storefronts"
    )
    records.save(
        store, forms["storefront"], make_storefront(name="改名"), user="admin", record_id=mine.id
    )
    assert state(store, "storefronts", mine.id) == "approved"
    records.save(store, forms["storefront"], make_storefront(), user="surveyor1", record_id=mine.id)
    assert state(store, "storefronts", mine.id) == "submitted"


def test_return_comment_and_bulk_approve_a_unit(store, forms):
    unit = records.save(store, forms["unit"], UNIT, user="surveyor1").id
    with pytest.raises(review.ReviewError):  # a return needs its comment
        review.act(store, unit, "return", username="reviewer", role="reviewer", collection="units")
    review.act(
        store, unit, "return", username="reviewer", role="reviewer", collection="units",
        comment="地址写全",
    )  # fmt: skip
    assert state(store, "units", unit) == "returned"
    [(returned, comment)] = review.returned_to(store, "surveyor1", "units")
    assert returned["id"] == unit and comment["text"] == "地址写全"
    assert review.returned_to(store, "surveyor1") == []  # no household of theirs
    assert [c["key"] for c in review.thread(store, unit, "units")] == [f"units/{unit}"]
    done, skipped = review.bulk_approve(
        store, [unit], username="reviewer", role="reviewer", collection="units"
    )
    assert done == [unit] and skipped == []
    assert state(store, "units", unit) == "approved"
    with pytest.raises(ValueError):
        review.act(store, unit, "approve", username="admin", role="admin", collection="users")


def post(client, url, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/survey/"), **data})


def test_a_storefront_from_submission_to_counted(app, client, auth, store):
    """submit → queue → return with a comment → fix → approve → counted."""
    auth.login("surveyor1")
    new = "/survey/storefront/new?building=1栋"
    sent = client.post(new, data=make_storefront() | {"csrf_token": csrf_token(client, new)})
    assert sent.status_code == 302
    shop = store.collection("storefronts").find_one(name="红柳烤肉店")
    sid = shop["id"]
    assert shop["review_state"] == "submitted"
    auth.logout()

    auth.login("reviewer")
    households = client.get("/review/").get_data(as_text=True)
    assert f"/review/records/storefront/{sid}" not in households  # households by default
    queue = client.get("/review/?kind=storefronts").get_data(as_text=True)
    assert f"/review/records/storefront/{sid}" in queue and "红柳烤肉店" in queue
    assert "门面 <small>待审核 1</small>" in queue
    page = client.get(f"/review/records/storefront/{sid}").get_data(as_text=True)
    assert "红柳烤肉店" in page and "退回修改" in page and "审核通过" in page
    refused = post(client, f"/review/records/storefront/{sid}/return", comment=" ")
    assert refused.status_code == 302 and state(store, "storefronts", sid) == "submitted"
    post(client, f"/review/records/storefront/{sid}/return", comment="经营者电话漏填")
    assert state(store, "storefronts", sid) == "returned"
    auth.logout()

    auth.login("surveyor1")
    home = client.get("/survey/").get_data(as_text=True)
    assert "退回修改的门面和单位" in home and "经营者电话漏填" in home
    assert f"/survey/storefront/{sid}/edit" in home
    assert "经营者电话漏填" in client.get(f"/review/records/storefront/{sid}").get_data(
        as_text=True
    )
    assert post(client, f"/review/records/storefront/{sid}/approve").status_code == 302
    assert state(store, "storefronts", sid) == "returned"  # a surveyor cannot approve
    fixed = make_storefront(operator_phone="13912345678") | {"_rev": "2"}
    assert post(client, f"/survey/storefront/{sid}/edit", **fixed).status_code == 302
    assert state(store, "storefronts", sid) == "submitted"
    assert "经营者电话漏填" not in client.get("/survey/").get_data(as_text=True)
    auth.logout()
    auth.login("surveyor2")  # another grid's surveyor opens nothing of it
    assert client.get(f"/review/records/storefront/{sid}").status_code == 403
    auth.logout()

    auth.login("admin")
    before = client.get("/summary").get_data(as_text=True)
    assert "个体工商户及门面0家" in before  # not counted while it waits
    done = post(client, "/review/approve", kind="storefronts", ids=[str(sid)], back="/review/")
    assert done.status_code == 302 and state(store, "storefronts", sid) == "approved"
    assert "已审核通过 1 条" in client.get("/review/?kind=storefronts").get_data(as_text=True)
    assert "个体工商户及门面1家" in client.get("/summary").get_data(as_text=True)
    thread = [c["text"] for c in review.thread(store, sid, "storefronts")]
    assert thread == ["经营者电话漏填"]
    versions = records.history(store, "storefronts", sid)
    assert [v["action"] for v in versions] == ["review_approve", "edit", "review_return", "create"]
