"""Storefronts and units go through the same review as households."""

from __future__ import annotations

import pytest

from census.services import records, review
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
