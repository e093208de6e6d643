"""The whole app on PostgreSQL: records in the database, local files in the data folder."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from census.app import create_app
from census.services.accounts import add_user
from census.web.current import get_store
from tests.conftest import PG_URL as URL
from tests.factories import make_household

pytestmark = pytest.mark.postgres


def pg_app(tmp_path, pg_url, **config):
    """The app on this test's schema; its local files (print cache, uploads) in tmp_path."""
    return create_app(
        {
            "DATA_DIR": str(tmp_path / "local"),
            "DATABASE_URL": pg_url,
            "SECRET_KEY": "x",
            "FSYNC": False,
        }
        | config
    )


def test_a_household_saved_through_the_api_lands_in_postgres(tmp_path, pg_url):
    app = pg_app(tmp_path, pg_url)
    store = get_store(app)
    try:
        store.collection("buildings").insert({"name": "1栋", "grid": "第一网格"})
        add_user(store, "admin", "admin", "secret-pass-1", hash_method="pbkdf2:sha256:1000")
        from census.services.accounts import create_token

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


# A census import in another process (a command, another app server) writing to the database.
WRITER = """
import sys
from census.store import open_store
with open_store(sys.argv[1]) as store:
    store.collection("households").insert({
        "building": "1栋", "unit": "1", "room": "102", "housing": "rented",
        "members": [{"name": "马丽", "relation": "head", "birth_date": "1990-05-01",
                     "residence_type": "floating", "ethnicity": "回族", "status": "active"}],
    })
"""


def test_the_registers_on_postgres_count_writes_of_this_app_and_of_other_processes(
    tmp_path, pg_url
):
    import re
    import subprocess
    import sys

    from census.services.accounts import create_token
    from tests.conftest import Auth

    app = pg_app(tmp_path, pg_url, TESTING=True)
    store = get_store(app)
    try:
        store.collection("buildings").insert({"name": "1栋", "grid": "第一网格"})
        add_user(store, "admin", "admin", "secret-pass-1", hash_method="pbkdf2:sha256:1000")
        token = create_token(store, "admin")
        client = app.test_client()
        Auth(client).login("admin")

        def counts() -> dict[str, int]:
            html = client.get("/registers/?as_of=2026-01-01").get_data(as_text=True)
            return {k: int(n) for k, n in re.findall(r'data-register="(\w+)">(\d+)<', html)}

        assert counts()["registered"] == 0
        body = make_household(members=2) | {"uuid": str(uuid.uuid4())}
        response = client.post(
            "/api/v1/households", json=body, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 201, response.json
        assert counts()["registered"] == 2  # the very next view
        assert counts()["floating"] == 0  # (a repeat view, from the cache)
        subprocess.run([sys.executable, "-c", WRITER, pg_url], check=True, timeout=60)
        after = counts()
        assert (after["registered"], after["floating"], after["rental"]) == (2, 1, 1)
        summary = client.get("/summary?as_of=2026-01-01").get_data(as_text=True)
        assert "共有居民2户3人" in summary
    finally:
        store.close()


def test_a_stale_split_on_postgres_leaves_no_household_behind(tmp_path, pg_url):
    from census.services import lifeevents, records
    from census.store import Conflict
    from census.surveys.definition import load_surveys

    app = pg_app(tmp_path, pg_url)
    store = get_store(app)
    form = load_surveys()["household"]
    try:
        saved = records.save(store, form, make_household(members=4), user="admin")
        assert saved.saved
        assert len(records.history(store, "households", saved.id)) == 1  # with its version
        records.set_meta(
            store,
            "households",
            saved.id,
            {"visit_outcome": "completed"},
            user="admin",
            action="touch",
        )
        with pytest.raises(Conflict):
            lifeevents.split(
                store,
                form,
                saved.id,
                [2],
                new_head=2,
                on="2025-06-01",
                user="admin",
                expected_rev=1,
            )
        assert [h["id"] for h in store.collection("households").scan()] == [saved.id]
        assert len(records.history(store, "households", saved.id)) == 2
    finally:
        store.close()
