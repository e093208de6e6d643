"""PostgreSQL's change journal: every server tells which documents another server's writes
touched (``Store.changed_ids``), from ``census_changes``, written in the writing transaction.

Two stores on one schema play two servers; one test runs the writer in a process of its own.
A write the journal does not have (pruned, or made by a version without it) must make the
answer None, never a set that misses it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from psycopg import sql

from census.store import Conflict, NotFound, open_store, pgsql
from census.store.pgstore import PgStore

pytestmark = pytest.mark.postgres

Factory = Callable[..., dict[str, Any]]
NAMES = ("households", "units")


def changed(store: Any, before: object) -> dict[str, set[int]] | None:
    return store.changed_ids(before, store.stamp(*NAMES), *NAMES)  # type: ignore[no-any-return]


def journal(pg_server: str, pg_url: str) -> list[tuple[str, int, list[int]]]:
    schema = pg_url.rsplit("search_path%3D", 1)[1]
    with psycopg.connect(pg_server, autocommit=True) as conn:
        query = sql.SQL("SELECT collection, number, ids FROM {}.census_changes ORDER BY 1, 2")
        return [tuple(row) for row in conn.execute(query.format(sql.Identifier(schema)))]


def test_every_kind_of_write_of_another_server_is_told(
    pg_url: str, make_household: Factory
) -> None:
    with open_store(pg_url) as reader, open_store(pg_url) as writer:
        households, units = writer.collection("households"), writer.collection("units")
        reader.collection("households")
        first = households.insert(make_household())

        def after(write: Callable[[], object]) -> dict[str, set[int]] | None:
            before = reader.stamp(*NAMES)
            write()
            return changed(reader, before)

        assert after(lambda: households.insert(make_household(), unique=["uuid"])) == {
            "households": {first + 1},
            "units": set(),
        }
        assert after(lambda: households.insert_many([make_household()] * 3)) == {
            "households": {first + 2, first + 3, first + 4},
            "units": set(),
        }
        assert after(
            lambda: households.insert_many([make_household(), make_household()], unique=["uuid"])
        ) == {"households": {first + 5, first + 6}, "units": set()}
        assert after(lambda: households.update(first, make_household(status="done"))) == {
            "households": {first},
            "units": set(),
        }
        assert after(lambda: households.update(first + 1, make_household(), unique=["uuid"])) == {
            "households": {first + 1},
            "units": set(),
        }
        assert after(lambda: households.delete(first + 2)) == {
            "households": {first + 2},
            "units": set(),
        }
        assert after(lambda: units.restore_many([{"id": 70, "_rev": 2, "name": "卫生站"}])) == {
            "households": set(),
            "units": {70},
        }
        assert after(lambda: units.restore_many([], last_id=90)) == {
            "households": set(),
            "units": set(),
        }

        def block() -> None:
            with writer.atomic():
                households.update(first + 3, make_household(status="done"))
                units.insert({"name": "派出所"})

        assert after(block) == {"households": {first + 3}, "units": {91}}

        def refused() -> None:
            with pytest.raises(Conflict):
                households.update(first + 4, make_household(), expected_rev=9)
            with pytest.raises(NotFound):
                households.delete(first + 400)

        assert after(refused) == {"households": {first + 4, first + 400}, "units": set()}
        assert reader.journal_reads == 10  # one query each time, none for its own writes


def test_a_write_between_two_of_this_server_is_not_lost(
    pg_url: str, make_household: Factory
) -> None:
    with open_store(pg_url) as mine, open_store(pg_url) as theirs:
        ours = mine.collection("households")
        kept = ours.insert(make_household())
        before = mine.stamp(*NAMES)
        one = ours.insert(make_household())
        theirs.collection("households").update(kept, make_household(status="done"))
        two = ours.insert(make_household())
        theirs.collection("units").insert({"name": "派出所"})
        three = ours.insert(make_household())
        assert changed(mine, before) == {"households": {one, kept, two, three}, "units": {1}}


def test_writes_further_back_than_the_journal_keeps_are_not_told(
    pg_url: str, pg_server: str, make_household: Factory
) -> None:
    with open_store(pg_url) as reader, open_store(pg_url) as writer:
        assert isinstance(writer, PgStore)
        writer.journal_keep = 3
        households = writer.collection("households")
        reader.collection("households")
        ids = [households.insert(make_household()) for _ in range(2)]
        before = reader.stamp(*NAMES)
        ids += [households.insert(make_household()) for _ in range(3)]
        assert [n for _, n, _ in journal(pg_server, pg_url)] == [3, 4, 5]  # 1 and 2 pruned
        with open_store(pg_url) as early:
            assert changed(early, before) == {"households": set(ids[2:]), "units": set()}
            households.update(ids[0], make_household(status="done"))  # prunes write 3
            assert [n for _, n, _ in journal(pg_server, pg_url)] == [4, 5, 6]
            assert changed(reader, before) is None
            # what a server read from the journal before it was pruned, it keeps
            assert changed(early, before) == {"households": {ids[0], *ids[2:]}, "units": set()}
        middle = reader.stamp(*NAMES)
        households.delete(ids[1])
        assert changed(reader, middle) == {"households": {ids[1]}, "units": set()}


def test_a_database_made_before_the_journal_gets_it_on_open(
    pg_url: str, pg_server: str, make_household: Factory
) -> None:
    """Its writes so far have no rows: a reader that needs them reads everything, as before."""
    with open_store(pg_url) as store:
        store.collection("households").insert(make_household())
    schema = pg_url.rsplit("search_path%3D", 1)[1]
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP TABLE {}.census_changes").format(sql.Identifier(schema)))
    with open_store(pg_url) as reader:  # the version with the journal opens it
        before = reader.stamp(*NAMES)
        with psycopg.connect(pg_url, autocommit=True) as conn:  # an older server writes
            conn.execute("UPDATE census_collections SET changes = changes + 1")
        with open_store(pg_url) as writer:
            doc_id = writer.collection("households").insert(make_household())
            assert changed(reader, before) is None
            after = reader.stamp(*NAMES)
            writer.collection("households").update(doc_id, make_household(status="done"))
            assert changed(reader, after) == {"households": {doc_id}, "units": set()}
    assert [n for _, n, _ in journal(pg_server, pg_url)] == [3, 4]


WRITER = """
import sys
from census.store import open_store

with open_store(sys.argv[1]) as store:
    households = store.collection("households")
    first = households.insert({"name": "甲"})
    households.update(int(sys.argv[2]), {"name": "乙"})
    households.delete(first)
    households.insert_many([{"name": "丙"}, {"name": "丁"}])
"""


def test_the_writes_of_another_process_are_told(pg_url: str, make_household: Factory) -> None:
    with open_store(pg_url) as reader:
        kept = reader.collection("households").insert(make_household())
        before = reader.stamp(*NAMES)
        subprocess.run(
            [sys.executable, "-c", textwrap.dedent(WRITER), pg_url, str(kept)],
            check=True,
            timeout=60,
        )
        assert reader.collection("households").get(kept)["name"] == "乙"
        assert changed(reader, before) == {
            "households": {kept, kept + 1, kept + 2, kept + 3},
            "units": set(),
        }


def test_a_reader_following_writers_at_work_misses_no_write(pg_url: str) -> None:
    """Three servers write at once while a fourth keeps a copy of every document by reading
    again only what the journal names: at the end its copy is the collection."""
    with open_store(pg_url) as reader:
        households = reader.collection("households")
        seed = households.insert_many([{"n": n, "v": 0} for n in range(20)])
        mirror = {doc["id"]: doc for doc in households.scan()}
        stamp = reader.stamp(*NAMES)
        failures: list[BaseException] = []

        def write(k: int) -> None:
            try:
                with open_store(pg_url) as writer:
                    theirs = writer.collection("households")
                    for step in range(60):
                        target = seed[(k * 7 + step) % len(seed)]
                        if step % 4 == 0:
                            theirs.insert({"n": 100 * k + step, "v": 0})
                        elif step % 9 == 0:
                            with writer.atomic():
                                theirs.update(target, {"n": target, "v": step, "k": k})
                                writer.collection("units").insert({"k": k})
                        else:
                            theirs.update(target, {"n": target, "v": step, "k": k})
            except BaseException as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

        threads = [threading.Thread(target=write, args=(k,)) for k in range(3)]
        for thread in threads:
            thread.start()
        follows = 0
        finished = False
        while not finished:
            finished = not any(thread.is_alive() for thread in threads)
            now = reader.stamp(*NAMES)
            found = reader.changed_ids(stamp, now, *NAMES)
            assert found is not None  # every number is in the journal (it keeps 4096)
            for doc_id in found["households"]:
                doc = households.get(doc_id)
                if doc is None:
                    mirror.pop(doc_id, None)
                else:
                    mirror[doc_id] = doc
            follows += bool(found["households"])
            stamp = now
        assert failures == []
        assert mirror == {doc["id"]: doc for doc in households.scan()}
        assert follows > 1


def test_what_a_block_read_of_its_own_writes_is_not_kept_past_its_rollback(
    pg_url: str, make_household: Factory
) -> None:
    """Inside a block the journal shows the block's own rows; rolled back, their numbers go
    to the next writer, whose ids must be the ones told."""
    with open_store(pg_url) as mine, open_store(pg_url) as theirs:
        households = mine.collection("households")
        kept = households.insert(make_household())
        before = mine.stamp(*NAMES)
        with pytest.raises(RuntimeError), mine.atomic():
            households.update(kept, make_household(status="done"))
            assert changed(mine, before) == {"households": {kept}, "units": set()}
            raise RuntimeError("the block fails")
        other = theirs.collection("households").insert(make_household())
        assert changed(mine, before) == {"households": {other}, "units": set()}


def test_rows_a_write_did_not_prune_go_when_a_server_opens(
    pg_url: str, pg_server: str, make_household: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows written while another server kept more writes stay until the next open."""
    with open_store(pg_url) as store:
        households = store.collection("households")
        for _ in range(5):
            households.insert(make_household())
        assert isinstance(store, PgStore)
        store.journal_keep = 3
        households.insert(make_household())  # write 6 prunes write 3 only
    assert [n for _, n, _ in journal(pg_server, pg_url)] == [1, 2, 4, 5, 6]
    monkeypatch.setattr(pgsql, "JOURNAL_KEEP", 3)
    with open_store(pg_url):
        assert [n for _, n, _ in journal(pg_server, pg_url)] == [4, 5, 6]
