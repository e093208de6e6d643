"""Append-only collections (the audit log, record versions): added to, never changed."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from census.store import APPEND_ONLY, AppendOnly, Store, StoreError


@pytest.mark.parametrize("name", sorted(APPEND_ONLY))
def test_append_only_collections_refuse_update_and_delete(
    name: str, store: Store, reopen: Callable[[], Store]
) -> None:
    entries = store.collection(name)
    assert entries.append_only
    first = entries.insert({"action": "login", "actor": "admin"})
    entries.insert_many([{"action": "edit"}, {"action": "print"}])
    with pytest.raises(AppendOnly) as refused:
        entries.update(first, {"action": "nothing happened"})
    assert isinstance(refused.value, StoreError) and refused.value.collection == name
    with pytest.raises(AppendOnly):
        entries.update(first, {"action": "x"}, expected_rev=1)
    with pytest.raises(AppendOnly):
        entries.delete(first)
    with pytest.raises(AppendOnly):
        entries.delete(10_000)  # refused before looking: no probing for ids either
    assert [e["action"] for e in entries.scan()] == ["login", "edit", "print"]
    store.close()
    assert [e["_rev"] for e in reopen().collection(name).scan()] == [1, 1, 1]


def test_other_collections_stay_editable(store: Store) -> None:
    households = store.collection("households")
    assert not households.append_only
    doc_id = households.insert({"notes": "a"})
    assert households.update(doc_id, {"notes": "b"}) == 2
    households.delete(doc_id)
    assert len(households) == 0
