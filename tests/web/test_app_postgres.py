"""The whole app on PostgreSQL: records in the database, local files in the data folder."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from census.app import create_app, get_store
from census.users import add_user
from tests.factories import make_household

URL = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
def pg_url():
    """A schema of its own in the test database, dropped afterwards."""
    schema = f"census_app_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(URL, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
    except psycopg.OperationalError as exc:  # pragma: no cover - a machine without the server
        pytest.fail(f"PostgreSQL is needed at {URL}: {exc}")
    yield f"{URL}?options=-c%20search_path%3D{schema}"
    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


def test_a_household_saved_through_the_api_lands_in_postgres(tmp_path, pg_url):
    app = create_app(
        {
            "DATA_DIR": str(tmp_path / "local"),
            "DATABASE_URL": pg_url,
            "SECRET_KEY": "x",
            "FSYNC": False,
        }
    )
    store = get_store(app)
    try:
        store.collection("buildings").insert({"name": "1栋", "grid": "第一网格"})
        add_user(store, "admin", "admin", "secret-pass-1", hash_method="pbkdf2:sha256:1000")
        from census.users import create_token

        token = create_token(store, "admin")
        body = make_household(members=2) | {"uuid": str(uuid.uuid4())}
        client = app.test_client()
        response = client.post(
            "/api/v1/households", json=body, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 201, response.json
    finally:
        store.close()
    schema = pg_url.rsplit("%3D", 1)[1]
    with psycopg.connect(URL) as conn:
        rows = conn.execute(
            f"SELECT doc->>'room' FROM {schema}.census_documents WHERE collection = 'households'"
        ).fetchall()
    assert rows == [("101",)]
    # The local folder holds no records: nothing went to TinyDB files.
    assert not (tmp_path / "local" / "census.json").exists()
