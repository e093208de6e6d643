"""``Store.changed_ids``: which documents the writes between two stamps touched.

Read models keep rows per household and read again only the households a write touched;
they must never be told "nothing else changed" when something did. The backend-neutral
tests run on TinyDB and PostgreSQL; the last ones are about two stores (two servers) on one
database, where the other's writes are told by the change journal
(tests/store/test_store_journal.py has the rest of it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from census.store import Conflict, DuplicateKey, NotFound, Store, open_store
from census.store.changelog import ChangeLog

Factory = Callable[..., dict[str, Any]]
NAMES = ("households", "units")


def changed(store: Store, before: object) -> dict[str, set[int]] | None:
    return store.changed_ids(before, store.stamp(*NAMES), *NAMES)


def test_each_kind_of_write_names_the_documents_it_touched(
    store: Store, make_household: Factory
) -> None:
    households, units = store.collection("households"), store.collection("units")
    start = store.stamp(*NAMES)
    assert changed(store, start) == {"households": set(), "units": set()}
    first = households.insert(make_household())
    assert changed(store, start) == {"households": {first}, "units": set()}
    before = store.stamp(*NAMES)
    second, third = households.insert_many([make_household(), make_household()])
    unit = units.insert({"name": "社区卫生服务站"})
    assert changed(store, before) == {"households": {second, third}, "units": {unit}}
    before = store.stamp(*NAMES)
    households.update(first, make_household(status="done"), unique=["uuid"])
    households.delete(second)
    assert changed(store, before) == {"households": {first, second}, "units": set()}
    assert changed(store, start) == {"households": {first, second, third}, "units": {unit}}


def test_an_atomic_block_counts_once_it_is_stored(store: Store, make_household: Factory) -> None:
    households = store.collection("households")
    before = store.stamp(*NAMES)
    with store.atomic():
        one = households.insert(make_household())
        households.update(one, make_household(status="done"))
        two = households.insert(make_household())
    assert changed(store, before) == {"households": {one, two}, "units": set()}


def test_a_block_that_failed_never_hides_a_change(store: Store, make_household: Factory) -> None:
    """Whatever a failed block counted, every document it touched is named or none is known."""
    households = store.collection("households")
    kept = households.insert(make_household())
    before = store.stamp(*NAMES)
    with pytest.raises(RuntimeError), store.atomic():
        households.update(kept, make_household(status="done"))
        households.insert(make_household())
        raise RuntimeError("the block fails")
    found = changed(store, before)
    assert found is None or kept in found["households"] or found["households"] == set()
    # the next write is named, and nothing the failed block did is taken for it
    after = store.stamp(*NAMES)
    households.update(kept, make_household(status="again"))
    assert changed(store, after) == {"households": {kept}, "units": set()}
    assert households.get(kept)["status"] == "again"


def test_refused_writes_name_what_they_tried_or_leave_it_unknown(
    store: Store, make_household: Factory
) -> None:
    households = store.collection("households")
    doc = make_household()
    doc_id = households.insert(doc)
    before = store.stamp(*NAMES)
    with pytest.raises(DuplicateKey):
        households.insert(doc, unique=["uuid"])
    with pytest.raises(Conflict):
        households.update(doc_id, make_household(), expected_rev=7)
    with pytest.raises(NotFound):
        households.delete(doc_id + 100)
    found = changed(store, before)
    assert found is not None  # the refusals are this process's own: still told apart
    assert found["households"] <= {doc_id, doc_id + 100}


def test_stamps_of_other_names_or_of_nothing_tell_nothing(
    store: Store, make_household: Factory
) -> None:
    households = store.collection("households")
    before = store.stamp(*NAMES)
    households.insert(make_household())
    assert store.changed_ids(before, store.stamp("households"), "households") is None
    assert store.changed_ids(store.stamp(), store.stamp(), *NAMES) is None


def test_a_restore_names_the_restored_documents(store: Store, make_household: Factory) -> None:
    before = store.stamp(*NAMES)
    store.collection("households").restore_many(
        [dict(make_household(), id=40, _rev=3), dict(make_household(), id=41, _rev=1)]
    )
    assert changed(store, before) == {"households": {40, 41}, "units": set()}


def test_writes_further_back_than_the_log_are_not_known() -> None:
    log = ChangeLog(keep=3)
    for number in range(1, 6):
        log.note("households", number, [number * 10])
    assert log.between("households", 2, 5) == {30, 40, 50}
    assert log.between("households", 1, 5) is None  # write 2 is forgotten
    assert log.between("households", 5, 4) is None  # a stamp that went back
    log.note("households", 6, None)  # a write whose documents cannot be told
    assert log.between("households", 5, 6) is None
    assert log.between("households", 4, 5) == {50}


# ---------------------------------------------------------------- PostgreSQL: two servers


@pytest.mark.postgres
def test_a_write_of_another_server_is_told_by_the_journal(
    pg_url: str, make_household: Factory
) -> None:
    with open_store(pg_url) as first, open_store(pg_url) as second:
        mine = first.collection("households")
        doc_id = mine.insert(make_household())
        before = first.stamp(*NAMES)
        second.collection("households").update(doc_id, make_household(status="done"))
        assert changed(first, before) == {"households": {doc_id}, "units": set()}
        assert first.journal_reads == 1
        assert changed(second, before) == {"households": {doc_id}, "units": set()}
        assert second.journal_reads == 0  # its own write
        after = first.stamp(*NAMES)
        other = mine.insert(make_household())
        assert changed(first, after) == {"households": {other}, "units": set()}
        assert changed(first, before) == {"households": {doc_id, other}, "units": set()}
        assert first.journal_reads == 1  # noted when read


@pytest.mark.postgres
def test_a_block_rolled_back_on_postgresql_gives_its_numbers_to_the_next_writer(
    pg_url: str, make_household: Factory
) -> None:
    """The other server reuses the numbers a rolled-back block had: they are not ours."""
    with open_store(pg_url) as first, open_store(pg_url) as second:
        kept = first.collection("households").insert(make_household())
        before = first.stamp(*NAMES)
        with pytest.raises(RuntimeError), first.atomic():
            first.collection("households").update(kept, make_household(status="done"))
            raise RuntimeError("the block fails")
        assert first.stamp(*NAMES) == before
        theirs = second.collection("households").insert(make_household())
        assert changed(first, before) == {"households": {theirs}, "units": set()}
        assert changed(second, before) == {"households": {theirs}, "units": set()}
