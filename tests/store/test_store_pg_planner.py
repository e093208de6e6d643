"""PostgreSQL: member lookups stay index lookups while a community grows one save at a time.

On a new database the planner's statistics say the table is empty, and a GIN index with a
pending list looks dearer than it is: a household's duplicate check then read every
household (a save took 5 ms at 200 households and 17 ms at 3,000). The store refreshes the
statistics itself as it writes and keeps its GIN indexes without a pending list.
"""

from __future__ import annotations

import time

import psycopg
import pytest
from psycopg import sql

from census.store import open_store, pgsql
from census.store.pgstore import PgStore

pytestmark = pytest.mark.postgres

MEMBER = "members.name"


def _plan(url: str, path: str, value: str) -> str:
    """What the planner would do for ``find(**{path: value})`` now, without a fresh ANALYZE."""
    criteria = pgsql.where({path: value})
    query = sql.SQL("EXPLAIN SELECT id FROM {} WHERE collection = %s AND {}").format(
        pgsql.DOCUMENTS, criteria.clause()
    )
    with psycopg.connect(url) as conn:
        return "\n".join(row[0] for row in conn.execute(query, ["households", *criteria.params]))


def _settled(store: PgStore) -> None:
    """Wait until the store's background ANALYZE (if one runs) is done."""
    deadline = time.monotonic() + 30
    while store._analyzing and time.monotonic() < deadline:
        time.sleep(0.05)


def test_one_save_at_a_time_keeps_member_lookups_on_the_index(pg_url: str) -> None:
    with open_store(pg_url) as store:
        assert isinstance(store, PgStore)
        households = store.collection("households")
        households.ensure_index(MEMBER)  # made while the table is empty, as on a new database
        for n in range(1500):  # the app's way: one household per request
            households.insert({"members": [{"name": f"住户{n}"}], "building": "1栋"})
        _settled(store)
        assert store._rows_analyzed >= 1000  # the statistics were refreshed on the way
        plan = _plan(pg_url, MEMBER, "住户7")
        assert [d["id"] for d in households.find(**{MEMBER: "住户7"})] == [8]
    index = pgsql.index_ddl(MEMBER)[0]  # type: ignore[index]
    assert index in plan and "Rows Removed by Filter" not in plan, plan


def test_an_index_made_with_a_pending_list_loses_it_when_the_store_opens(pg_url: str) -> None:
    name, ddl = pgsql.index_ddl(MEMBER)  # type: ignore[misc]
    with open_store(pg_url) as store:
        store.collection("households").insert({"members": [{"name": "甲"}]})
    older = ddl.as_string(None).replace(" WITH (fastupdate = off)", "")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(older)  # as an older version made it: fastupdate on
        options = "SELECT reloptions FROM pg_class WHERE oid = to_regclass(%s)"
        assert conn.execute(options, (name,)).fetchone() == (None,)
    with open_store(pg_url) as store:
        store.collection("households").ensure_index(MEMBER)
        assert store.collection("households").find(**{MEMBER: "甲"})
    with psycopg.connect(pg_url) as conn:
        assert conn.execute(options, (name,)).fetchone() == (["fastupdate=off"],)


def _analyses(url: str) -> int:
    """How many times census_documents was analysed by hand (ANALYZE) so far."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT analyze_count FROM pg_stat_user_tables "
            "WHERE relid = 'census_documents'::regclass"
        ).fetchone()
    return int(row[0]) if row else 0


def test_a_process_new_to_a_large_analysed_table_does_not_analyse_it_again(pg_url: str) -> None:
    """Every server and command starts counting its writes at zero: measured against the
    table's size at its last ANALYZE (by whichever process), 250 saves into 5,000
    documents analyse nothing (each server did, after its first 200 writes into each
    community)."""
    with open_store(pg_url) as store:
        store.collection("households").insert_many(
            [{"members": [{"name": f"住户{n}"}]} for n in range(5000)]
        )
        _settled(store)
    before = _analyses(pg_url)
    assert before >= 1
    with open_store(pg_url) as store:  # another process's store: nothing written by it yet
        assert isinstance(store, PgStore)
        households = store.collection("households")
        for n in range(250):
            households.insert({"members": [{"name": f"新户{n}"}]})
        _settled(store)
        assert store._rows_analyzed >= 4000  # it asked the database: the table is large
    assert _analyses(pg_url) == before
