"""Several schemas' stores on one process's pool: an idle connection already set to the
borrower's schema is lent first, so a street's communities taking turns send no
``SET search_path`` (and the database plans no statement again) once each has one; and
every store still reads and writes only its own schema."""

from __future__ import annotations

import random
import secrets
import threading
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from census.store import open_store
from tests.store.conftest import with_search_path

pytestmark = pytest.mark.postgres
SCHEMAS = 4


@pytest.fixture
def schema_urls(pg_server: str) -> Iterator[list[str]]:
    names = [f"census_affine_{secrets.token_hex(4)}" for _ in range(SCHEMAS)]
    with psycopg.connect(pg_server, autocommit=True) as conn:
        for name in names:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    yield [with_search_path(pg_server, name) for name in names]
    with psycopg.connect(pg_server, autocommit=True) as conn:
        for name in names:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))


def test_schemas_taking_turns_reuse_their_own_connections(schema_urls: list[str]) -> None:
    stores = [open_store(url, connections=SCHEMAS) for url in schema_urls]
    try:
        shared = stores[0]._shared  # one pool for the process's stores of this database
        assert all(store._shared is shared for store in stores)
        # each store holds a connection at the same moment: the pool grows to one a schema
        together = threading.Barrier(SCHEMAS)

        def hold(n: int) -> None:
            with stores[n].atomic():
                stores[n].collection("things").insert({"schema": n, "k": "first"})
                together.wait(timeout=30)

        threads = [threading.Thread(target=hold, args=(n,)) for n in range(SCHEMAS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        before = shared.switches
        rng = random.Random(4)
        for step in range(200):  # one thread, the schemas in a random order
            n = rng.randrange(SCHEMAS)
            things = stores[n].collection("things")
            if step % 5 == 0:
                things.insert({"schema": n, "k": step})
            assert {d["schema"] for d in things.find(k="first")} == {n}
        assert shared.switches == before  # in turn, the oldest idle first: about 150
        for n, store in enumerate(stores):
            assert {d["schema"] for d in store.collection("things").scan()} == {n}
    finally:
        for store in stores:
            store.close()
