"""Shared fixtures: an app on a real TinyDB data folder, logged-in clients, record factories."""

from __future__ import annotations

import re
import uuid

import psycopg
import pytest

from census.app import create_app
from census.services.accounts import add_user
from census.translations import stale_catalogs
from census.web.current import get_store

PASSWORD = "secret-pass-1"
FAST_HASH = "pbkdf2:sha256:1000"  # production uses scrypt; see test_passwords_are_stored_hashed
ACCOUNTS = {
    "admin": ("admin", []),
    "reviewer": ("reviewer", []),
    "surveyor1": ("surveyor", ["第一网格"]),
    "surveyor2": ("surveyor", ["第二网格"]),
}
BUILDINGS = (
    {"name": "1栋", "grid": "第一网格", "type": "residential", "expected_dwellings": 12},
    {"name": "2栋", "grid": "第二网格", "type": "residential", "expected_dwellings": 12},
    {"name": "民族大院", "grid": "第一网格", "type": "compound", "expected_dwellings": 8},
)


# The fixtures that connect to the PostgreSQL server (tests/store/conftest.py, test_app_postgres).
PG_FIXTURES = frozenset({"pg_server", "pg_url"})


def pytest_sessionstart(session):
    """English pages come from the compiled catalogue: a .po edited since is stopped here."""
    stale = stale_catalogs()
    if stale:
        names = ", ".join(str(p) for p in stale)
        raise pytest.UsageError(f"{names} is newer than its .mo: run `make translations`")


def pytest_collection_modifyitems(items):
    """Mark ``postgres`` every test that takes a PostgreSQL fixture, even if its mark was
    forgotten, so that ``-m "not postgres"`` (``make test-fast``) never needs the server."""
    for item in items:
        if PG_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture
def app(tmp_path):
    """An app with its own data folder, three buildings and one account per role."""
    app = create_app(
        {
            "DATA_DIR": str(tmp_path / "data"),
            "SECRET_KEY": "test-secret",
            "TESTING": True,
            "FSYNC": False,
            "COMMUNITY_NAME": "佐斯腾社区",
        }
    )
    store = get_store(app)
    for building in BUILDINGS:
        store.collection("buildings").insert(dict(building))
    for name, (role, grids) in ACCOUNTS.items():
        add_user(store, name, role, PASSWORD, grids=grids, hash_method=FAST_HASH)
    yield app
    store.close()


@pytest.fixture
def store(app):
    """The app's store, to assert on what landed."""
    return get_store(app)


@pytest.fixture
def client(app):
    """A browser-like test client (cookies kept, CSRF on)."""
    return app.test_client()


def csrf_token(client, url: str) -> str:
    """The CSRF token of the form on a page, as a browser would send it back."""
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, f"no CSRF token on {url}"
    return match.group(1)


class Auth:
    """Log a test client in and out as a named account."""

    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = PASSWORD):
        token = csrf_token(self.client, "/login")
        return self.client.post(
            "/login", data={"username": username, "password": password, "csrf_token": token}
        )

    def logout(self):
        token = csrf_token(self.client, "/survey/")
        return self.client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client):
    """``auth.login("surveyor1")``."""
    return Auth(client)


PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def connections_named(name: str) -> int:
    """How many connections to the test server carry ``application_name`` ``name`` now."""
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (name,)
        ).fetchone()
    return int(row[0]) if row else 0


@pytest.fixture
def pg_url():
    """A schema of its own in the test database, dropped afterwards."""
    schema = f"census_app_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
    except psycopg.OperationalError as exc:  # pragma: no cover - a machine without the server
        pytest.fail(f"PostgreSQL is needed at {PG_URL}: {exc}")
    yield f"{PG_URL}?options=-c%20search_path%3D{schema}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")
