"""PostgreSQL backend: one database shared by several stores, threads and processes."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from store_crash import CHILD_ENV

from census.store import Conflict, DuplicateKey, Store, StoreError, open_store, pgsql
from census.store.pgstore import PgStore
from census.store.tinystore import TinyStore

pytestmark = pytest.mark.postgres

Factory = Callable[..., dict[str, Any]]

# A child process: open the store, wait for the common start time, then race the others
# to insert one household with a shared uuid, then write a few of its own.
RACER = """
import sys, time
from census.store import DuplicateKey, open_store
url, tag, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
with open_store(url) as store:
    households = store.collection("households")
    time.sleep(max(0.0, start - time.time()))
    try:
        print("stored", households.insert({"uuid": "shared", "by": tag}, unique=["uuid"]))
    except DuplicateKey as dup:
        print("duplicate", dup.existing_id)
    for n in range(20):
        print("own", households.insert({"uuid": f"{tag}-{n}", "by": tag}, unique=["uuid"]))
"""


@pytest.fixture
def pair(pg_url: str) -> Any:
    """Two stores on one database, as two processes (or two app servers) would have."""
    with open_store(pg_url) as first, open_store(pg_url) as second:
        yield first, second


@pytest.fixture
def reopen_pg(pg_url: str) -> Any:
    """Like ``reopen``, on PostgreSQL only."""
    opened: list[Store] = []

    def open_again() -> Store:
        opened.append(open_store(pg_url))
        return opened[-1]

    yield open_again
    for store in opened:
        store.close()


@pytest.fixture
def store_pg(reopen_pg: Callable[[], Store]) -> Store:
    """An open, empty PostgreSQL store."""
    return reopen_pg()


def test_open_store_picks_the_backend_from_its_target(pg_url: str, tmp_path: Path) -> None:
    with open_store(pg_url) as store:
        assert isinstance(store, PgStore)
    # create_app turns the setting into a Path, which reads "postgresql:/…"
    with open_store(Path(pg_url)) as store:
        assert isinstance(store, PgStore) and store.url == pg_url
    with open_store(tmp_path / "data") as store:
        assert isinstance(store, TinyStore)


def test_an_unreachable_server_is_a_store_error_naming_it_without_the_password() -> None:
    started = time.monotonic()
    for url in (
        "postgresql://census:s3cret@127.0.0.1:1/census",
        "postgresql://127.0.0.1:1/census?user=census&password=s3cret",
    ):
        with pytest.raises(StoreError) as caught:
            open_store(url)
        assert "127.0.0.1:1" in str(caught.value)
        assert "s3cret" not in str(caught.value)
    assert time.monotonic() - started < 30


def test_two_stores_see_each_others_writes_at_once(pair: Any, make_household: Factory) -> None:
    first, second = pair
    doc_id = first.collection("households").insert(make_household(status="draft"))
    seen = second.collection("households").get(doc_id)
    assert seen is not None and seen["status"] == "draft"
    assert second.collection("households").update(doc_id, {**seen, "status": "done"}) == 2
    with pytest.raises(Conflict) as caught:  # first still holds revision 1
        first.collection("households").update(doc_id, make_household(), expected_rev=1)
    assert caught.value.current_rev == 2
    assert [d["id"] for d in first.collection("households").find(status="done")] == [doc_id]


def test_threads_of_two_stores_racing_on_one_uuid_store_one(
    pair: Any, make_household: Factory
) -> None:
    start = threading.Barrier(24)
    outcomes: list[str] = []

    def submit(store: Store, doc: dict[str, Any]) -> None:
        start.wait()
        try:
            store.collection("households").insert(doc, unique=["uuid"])
            outcomes.append("stored")
        except DuplicateKey:
            outcomes.append("duplicate")

    threads = [
        threading.Thread(target=submit, args=(pair[n % 2], make_household(uuid="same-form")))
        for n in range(24)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["duplicate"] * 23 + ["stored"]
    assert pair[1].collection("households").count(uuid="same-form") == 1


def test_updates_racing_to_take_one_value_leave_one_holder(
    pair: Any, make_household: Factory
) -> None:
    households = [store.collection("households") for store in pair]
    ids = [households[0].insert(make_household(uuid=f"u-{n}"), unique=["uuid"]) for n in range(8)]
    start = threading.Barrier(len(ids))
    taken: list[int] = []

    def take(n: int, doc_id: int) -> None:
        start.wait()
        try:
            households[n % 2].update(doc_id, make_household(uuid="wanted"), unique=["uuid"])
            taken.append(doc_id)
        except DuplicateKey as dup:
            assert dup.existing_id in ids

    threads = [threading.Thread(target=take, args=(n, i)) for n, i in enumerate(ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(taken) == 1
    assert [d["id"] for d in households[1].find(uuid="wanted")] == taken


def test_processes_racing_on_one_uuid_store_one(pg_url: str) -> None:
    start = time.time() + 3  # every child is connected by then
    children = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, pg_url, f"p{n}", str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=CHILD_ENV,
        )
        for n in range(4)
    ]
    lines: list[list[str]] = []
    for child in children:
        out, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
        lines.extend(line.split() for line in out.splitlines())
    outcomes = sorted(kind for kind, _ in lines if kind != "own")
    assert outcomes == ["duplicate"] * 3 + ["stored"]
    winner = next(int(doc_id) for kind, doc_id in lines if kind == "stored")
    assert {int(doc_id) for kind, doc_id in lines if kind == "duplicate"} == {winner}
    own = [int(doc_id) for kind, doc_id in lines if kind == "own"]
    assert len(set(own)) == 80 and winner not in own
    with open_store(pg_url) as store:
        households = store.collection("households")
        assert len(households) == 81
        assert [d["id"] for d in households.find(uuid="shared")] == [winner]


def test_ids_are_never_reused_after_deletes(reopen_pg: Callable[[], Store]) -> None:
    store = reopen_pg()
    households = store.collection("households")
    ids = [households.insert({"n": n}) for n in range(3)]
    households.delete(ids[2])
    assert households.insert({"n": 3}) == ids[2] + 1
    for doc in households.scan():
        households.delete(doc["id"])
    store.close()
    again = reopen_pg().collection("households")
    assert len(again) == 0
    assert again.insert({"n": 4}) == ids[2] + 2
    with pytest.raises(DuplicateKey):
        again.insert_many([{"u": "x"}, {"u": "x"}], unique=["u"])
    assert again.insert({"n": 5}) == ids[2] + 3  # a refused batch burns no ids


def test_reopen_keeps_documents_and_indexes(
    reopen_pg: Callable[[], Store], pg_url: str, make_household: Factory
) -> None:
    store = reopen_pg()
    households = store.collection("households")
    households.ensure_index("uuid")
    households.ensure_index("members.id_number")
    doc = make_household()
    doc_id = households.insert(doc)
    store.close()
    again = reopen_pg().collection("households")
    assert again.get(doc_id) == {"id": doc_id, "_rev": 1, **doc}
    with psycopg.connect(pg_url) as conn:
        names = {row[0] for row in conn.execute("SELECT indexname FROM pg_indexes")}
    assert {pgsql.index_ddl(p)[0] for p in ("uuid", "members.id_number")} <= names  # type: ignore[index]


@pytest.mark.parametrize(
    ("path", "value"),
    [("uuid", "u-7"), ("address.building", 7), ("members.id_number", "ID-7")],
)
def test_lookups_use_the_index_ensure_index_made(pg_url: str, path: str, value: Any) -> None:
    with open_store(pg_url) as store:
        households = store.collection("households")
        households.ensure_index(path)
        households.insert_many(
            [
                {
                    "uuid": f"u-{n}",
                    "address": {"building": n},
                    "members": [{"id_number": f"ID-{n}"}],
                }
                for n in range(3000)
            ]
        )
        assert [d["id"] for d in households.find(**{path: value})] == [8]
    criteria = pgsql.where({path: value})
    query = sql.SQL("EXPLAIN SELECT id FROM {} WHERE collection = %s AND {}").format(
        pgsql.DOCUMENTS, criteria.clause()
    )
    with psycopg.connect(pg_url) as conn:
        conn.execute("ANALYZE census_documents")
        plan = "\n".join(row[0] for row in conn.execute(query, ["households", *criteria.params]))
    assert pgsql.index_ddl(path)[0] in plan, plan  # type: ignore[index]


def test_text_postgresql_cannot_hold_is_refused_and_nothing_is_stored(store_pg: Store) -> None:
    households = store_pg.collection("households")
    with pytest.raises(ValueError):
        households.insert({"name": "nul\x00byte"})
    with pytest.raises(ValueError):
        households.insert_many([{"name": "fine"}, {"name": "nul\x00byte"}])
    assert len(households) == 0
    assert households.find(name="nul\x00byte") == []
    assert households.insert({"name": "fine"}) == 1


def test_fsync_off_only_stops_commits_waiting_for_the_disk(pg_url: str) -> None:
    for fsync, expected in ((True, "on"), (False, "off")):
        with open_store(pg_url, fsync=fsync) as store:
            assert isinstance(store, PgStore)
            with store.connection() as conn:
                row = conn.execute("SHOW synchronous_commit").fetchone()
            assert row == (expected,)
            store.collection("households").insert({"fsync": fsync})
    with open_store(pg_url) as store:
        assert len(store.collection("households")) == 2
