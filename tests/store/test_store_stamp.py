"""The store's stamp: a cheap value that changes whenever a collection does.

The backend-neutral tests run on TinyDB and PostgreSQL (the ``store`` fixture); the last
ones are about PostgreSQL, where several stores (processes) write to one database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from psycopg import sql

from census.store import DuplicateKey, Store, StoreError, open_store

Factory = Callable[..., dict[str, Any]]
WATCHED = ("households", "storefronts", "units", "buildings")


def test_reading_leaves_the_stamp_as_it_was(store: Store, make_household: Factory) -> None:
    households = store.collection("households")
    doc_id = households.insert(make_household())
    before = store.stamp(*WATCHED)
    households.get(doc_id)
    households.find(status="draft")
    households.find_one(status="draft")
    households.scan()
    households.count()
    len(households)
    households.ensure_index("phone")
    store.collection("units")  # a collection created by looking at it
    assert store.stamp(*WATCHED) == before
    assert hash(before) == hash(store.stamp(*WATCHED))  # usable as a dictionary key


def test_every_kind_of_write_gives_a_stamp_never_seen_before(
    store: Store, make_household: Factory
) -> None:
    households = store.collection("households")
    seen = [store.stamp("households")]
    first = households.insert(make_household())
    seen.append(store.stamp("households"))
    second, _third = households.insert_many([make_household(), make_household()])
    seen.append(store.stamp("households"))
    households.update(first, make_household(status="done"))
    seen.append(store.stamp("households"))
    households.update(first, make_household(status="draft"), unique=["uuid"], expected_rev=2)
    seen.append(store.stamp("households"))
    households.delete(second)
    seen.append(store.stamp("households"))
    households.delete(first, expected_rev=3)
    seen.append(store.stamp("households"))
    assert len(set(seen)) == len(seen)


def test_a_collection_not_made_yet_has_a_stamp_that_its_first_write_changes(
    store: Store,
) -> None:
    before = store.stamp("complaints")
    assert store.stamp("complaints") == before
    store.collection("complaints").insert({"text": "the lift is broken"})
    assert store.stamp("complaints") != before


def test_writes_elsewhere_leave_the_stamp_of_the_watched_collections(
    store: Store, make_household: Factory
) -> None:
    store.collection("households").insert(make_household())
    watched, everything = store.stamp(*WATCHED), store.stamp()
    store.collection("audit").insert({"action": "view_full_ids"})
    store.collection("users").insert({"username": "admin"})
    assert store.stamp(*WATCHED) == watched
    assert store.stamp() != everything  # the whole store did change
    everything = store.stamp()
    store.collection("units").insert({"name": "派出所"})
    assert store.stamp(*WATCHED) != watched
    assert store.stamp() != everything


def test_one_stamp_for_several_collections_changes_with_any_of_them(store: Store) -> None:
    seen = {store.stamp(*WATCHED)}
    for name in WATCHED:
        store.collection(name).insert({"name": name})
        stamp = store.stamp(*WATCHED)
        assert stamp not in seen, name
        seen.add(stamp)


def test_refused_inserts_leave_the_stamp(store: Store, make_household: Factory) -> None:
    households = store.collection("households")
    households.insert(make_household(uuid="taken"), unique=["uuid"])
    before = store.stamp("households")
    with pytest.raises(DuplicateKey):
        households.insert(make_household(uuid="taken"), unique=["uuid"])
    with pytest.raises(DuplicateKey):
        households.insert_many(
            [make_household(uuid="free"), make_household(uuid="taken")], unique=["uuid"]
        )
    with pytest.raises(TypeError):
        households.insert({"when": object()})
    assert store.stamp("households") == before
    assert len(households) == 1


def test_a_stamp_from_before_a_reopen_never_matches_one_after_a_write(
    reopen: Callable[[], Store], make_household: Factory
) -> None:
    first = reopen()
    first.collection("households").insert(make_household())
    old = first.stamp(*WATCHED)
    first.close()
    second = reopen()
    second.collection("households").insert(make_household())
    assert second.stamp(*WATCHED) != old


def test_a_closed_store_has_no_stamp(reopen: Callable[[], Store]) -> None:
    store = reopen()
    store.close()
    with pytest.raises(StoreError):
        store.stamp("households")


def test_writes_from_many_threads_all_land_and_change_the_stamp(
    store: Store, make_household: Factory
) -> None:
    households = store.collection("households")
    before = store.stamp("households")
    start = threading.Barrier(8)
    stamps: list[Any] = []

    def write() -> None:
        start.wait()
        for _ in range(5):
            households.insert(make_household())
            stamps.append(store.stamp("households"))

    threads = [threading.Thread(target=write) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(households) == 40
    assert len(stamps) == 40 and before not in stamps
    assert store.stamp("households") != before


# ---------------------------------------------------------------- PostgreSQL: many writers


@pytest.mark.postgres
def test_a_write_through_another_store_changes_the_stamp(
    pg_url: str, make_household: Factory
) -> None:
    with open_store(pg_url) as first, open_store(pg_url) as second:
        doc_id = first.collection("households").insert(make_household())
        before = first.stamp(*WATCHED)
        assert second.stamp(*WATCHED) == before
        second.collection("households").update(doc_id, make_household(status="done"))
        assert first.stamp(*WATCHED) != before
        before = first.stamp(*WATCHED)
        second.collection("households").delete(doc_id)
        assert first.stamp(*WATCHED) != before


@pytest.mark.postgres
def test_plain_and_checked_writes_racing_on_one_document_never_deadlock(
    pg_url: str, make_household: Factory
) -> None:
    """Every write takes its collection's counter before the document: no waiting in a circle."""
    with open_store(pg_url) as first, open_store(pg_url) as second:
        households = [first.collection("households"), second.collection("households")]
        ids = [households[0].insert(make_household(uuid=f"u-{n}")) for n in range(2)]
        # (as prepare_store does at start: creating an index while writers queue makes them
        # wait for the server's deadlock check, a second, before it lets them through)
        households[0].ensure_index("uuid")
        before = first.stamp("households")
        start = threading.Barrier(12)
        failures: list[BaseException] = []

        def write(n: int) -> None:
            start.wait()
            try:
                for round_ in range(8):
                    doc_id = ids[(n + round_) % 2]
                    doc = make_household(uuid=f"u-{doc_id}-{n}-{round_}")
                    if (n + round_) % 3 == 0:
                        households[n % 2].update(doc_id, doc, unique=["uuid"])
                    else:
                        households[n % 2].update(doc_id, doc)
                    if round_ % 4 == 3:
                        extra = households[n % 2].insert(make_household(), unique=["uuid"])
                        households[n % 2].delete(extra)
            except BaseException as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

        threads = [threading.Thread(target=write, args=(n,)) for n in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        assert first.stamp("households") != before
        assert [d["_rev"] for d in households[1].scan()] == [1 + 12 * 4, 1 + 12 * 4]


@pytest.mark.postgres
def test_a_database_made_before_the_stamp_gets_its_counter_on_open(
    pg_url: str, pg_server: str
) -> None:
    schema = pg_url.rsplit("search_path%3D", 1)[1]
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(sql.SQL("SET search_path = {}").format(sql.Identifier(schema)))
        conn.execute(
            """
            CREATE TABLE census_collections (name text PRIMARY KEY, last_id bigint NOT NULL
                DEFAULT 0);
            CREATE TABLE census_documents (
                collection text NOT NULL REFERENCES census_collections (name),
                id bigint NOT NULL CHECK (id > 0), rev integer NOT NULL CHECK (rev > 0),
                doc jsonb NOT NULL CHECK (jsonb_typeof(doc) = 'object'),
                PRIMARY KEY (collection, id));
            INSERT INTO census_collections VALUES ('units', 1);
            INSERT INTO census_documents VALUES ('units', 1, 1, '{"name": "派出所"}');
            """
        )
    with open_store(pg_url) as store:
        before = store.stamp(*WATCHED)
        assert store.collection("units").get(1) == {"id": 1, "_rev": 1, "name": "派出所"}
        store.collection("units").update(1, {"name": "社区卫生服务站"})
        assert store.stamp(*WATCHED) != before
    with open_store(pg_url) as store:  # and the next open leaves it alone
        assert store.collection("units").get(1)["_rev"] == 2
