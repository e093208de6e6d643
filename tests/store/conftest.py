"""Fixtures for the store tests: every backend-neutral test runs once per backend."""

from __future__ import annotations

import itertools
import os
import secrets
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from census.store import Store, open_store

# Tests that take ``store`` or ``reopen`` run on each of these. Tests of one backend's own
# machinery (TinyDB's journal, kill -9, folder lock; PostgreSQL's sharing between
# processes) open their folder or URL themselves and run on that backend only.
BACKENDS = ["tinydb", pytest.param("postgres", marks=pytest.mark.postgres)]

# The server CI and every developer machine run; the store tests need it (they fail without).
PG_URL = os.environ.get("CENSUS_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")

ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"


def id_number(region: str, birth: str, serial: int) -> str:
    """Build a resident ID number with a correct GB 11643 check digit."""
    body = f"{region}{birth}{serial % 1000:03d}"
    return body + ID_CHECK[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def household(n: int, **overrides: Any) -> dict[str, Any]:
    """Return a realistic household document numbered ``n``."""
    doc: dict[str, Any] = {
        "uuid": f"5f0c1e2a-0000-4000-8000-{n:012d}",
        "address": {
            "community": "幸福社区",
            "building": n % 30 + 1,
            "room": f"{n % 6 + 1}0{n % 4 + 1}",
        },
        "head_name": "王建国",
        "phone": f"139{n:08d}",
        "status": "draft" if n % 3 else "submitted",
        "members": [
            {
                "name": "王建国",
                "relation": "户主",
                "sex": "男",
                "id_number": id_number("650102", "19700315", 2 * n + 1),
            },
            {
                "name": "李秀英",
                "relation": "配偶",
                "sex": "女",
                "id_number": id_number("650102", "19720820", 2 * n),
            },
            {
                "name": "王小明",
                "relation": "子",
                "sex": "男",
                "id_number": id_number("650104", f"2005{n % 12 + 1:02d}01", n + 11),
            },
        ],
    }
    doc.update(overrides)
    return doc


@pytest.fixture
def make_household() -> Callable[..., dict[str, Any]]:
    """Return a factory of distinct households: ``make_household(status="done")``."""
    counter = itertools.count(1)
    return lambda **overrides: household(next(counter), **overrides)


def with_search_path(url: str, schema: str) -> str:
    """Return ``url`` with its tables kept in ``schema`` (libpq's ``options`` parameter)."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query) + [("options", f"-c search_path={schema}")]
    return parts._replace(
        query=urllib.parse.urlencode(query, quote_via=urllib.parse.quote)
    ).geturl()


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The test database's URL, once the server has answered (no server: fail, never skip)."""
    try:
        with psycopg.connect(PG_URL, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        problem = str(exc).strip()
    else:
        return PG_URL
    pytest.fail(
        f"PostgreSQL is not reachable at {PG_URL}: start it, or point "
        f"CENSUS_TEST_DATABASE_URL at a server where this user may create schemas.\n{problem}",
        pytrace=False,
    )


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A URL whose tables land in a fresh schema, dropped after the test (runs never collide)."""
    schema = f"census_test_{secrets.token_hex(6)}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    yield with_search_path(pg_server, schema)
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The name of the backend under test."""
    return str(request.param)


@pytest.fixture
def target(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """What ``open_store`` opens for this test: a data folder, or a database URL."""
    if backend == "tinydb":
        return str(tmp_path / "data")
    if backend == "postgres":
        return str(request.getfixturevalue("pg_url"))
    raise AssertionError(f"unknown backend {backend}")


@pytest.fixture
def reopen(target: str) -> Iterator[Callable[[], Store]]:
    """Return a function that opens this test's store again; all are closed at the end."""
    opened: list[Store] = []

    def open_again() -> Store:
        store = open_store(target)
        opened.append(store)
        return store

    yield open_again
    for store in opened:
        store.close()


@pytest.fixture
def store(reopen: Callable[[], Store]) -> Store:
    """An open, empty store for the backend under test."""
    return reopen()
