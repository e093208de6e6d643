"""Registers and the summary limited to approved records (?approved=1)."""

from __future__ import annotations

from census.services import records
from tests.factories import make_household


def test_the_summary_can_count_approved_records_only(app, client, auth, store):
    defn = app.extensions["census"].surveys["household"]
    records.save(store, defn, make_household(room="101", members=2), user="admin")
    pending = records.save(store, defn, make_household(room="102", members=3), user="surveyor1")
    assert store.collection("households").get(pending.id)["review_state"] == "submitted"
    auth.login("reviewer")
    everything = client.get("/summary?as_of=2026-01-01").get_data(as_text=True)
    approved = client.get("/summary?as_of=2026-01-01&approved=1").get_data(as_text=True)
    assert "共有居民2户5人" in everything
    assert "共有居民1户2人" in approved
