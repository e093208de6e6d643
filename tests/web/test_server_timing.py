"""CENSUS_SERVER_TIMING: each answer says where its time went (app, CPU, database, pool)."""

from __future__ import annotations

import threading
import time
import uuid

import psycopg

from census.app import create_app
from census.services.accounts import add_user, create_token
from census.util.timing import parse
from census.web.current import get_store
from tests.conftest import PG_URL
from tests.factories import make_household
from tests.web.test_app_postgres import pg_app


def _ready(app):
    store = get_store(app)
    store.collection("buildings").insert({"name": "1栋", "grid": "第一网格"})
    add_user(store, "admin", "admin", "secret-pass-1", hash_method="pbkdf2:sha256:1000")
    return store, {"Authorization": f"Bearer {create_token(store, 'admin')}"}


def _save(client, headers):
    body = make_household(members=2) | {"uuid": str(uuid.uuid4())}
    return client.post("/api/v1/households", json=body, headers=headers)


def test_no_header_unless_asked(tmp_path, pg_url):
    app = pg_app(tmp_path, pg_url)
    store, headers = _ready(app)
    try:
        response = _save(app.test_client(), headers)
        assert response.status_code == 201
        assert "Server-Timing" not in response.headers
    finally:
        store.close()


def test_a_save_that_waits_on_a_row_lock_shows_the_wait_as_database_time(tmp_path, pg_url):
    app = pg_app(tmp_path, pg_url, SERVER_TIMING="true")
    store, headers = _ready(app)
    client = app.test_client()
    try:
        first = _save(client, headers)
        assert first.status_code == 201
        quick = parse(first.headers["Server-Timing"])
        assert quick["db"][1] >= 3  # round trips: the save reads and writes several times
        assert quick["pool"][1] >= 1
        assert quick["app"][0] >= quick["db"][0]
        schema = pg_url.rsplit("%3D", 1)[1]
        held = threading.Event()

        def hold_the_households_lock() -> None:
            with psycopg.connect(PG_URL) as conn:
                conn.execute(
                    f"SELECT 1 FROM {schema}.census_collections WHERE name = 'households' "
                    "FOR UPDATE"
                )
                held.set()
                time.sleep(0.8)

        holder = threading.Thread(target=hold_the_households_lock)
        holder.start()
        assert held.wait(10)
        slow = _save(client, headers)
        holder.join()
        assert slow.status_code == 201
        spent = parse(slow.headers["Server-Timing"])
        assert spent["db"][0] >= 500, spent  # the wait for the lock, on the database's side
        assert spent["cpu"][0] < 400, spent  # not on this thread's CPU
        assert spent["app"][0] >= spent["db"][0]
    finally:
        store.close()


def test_on_tinydb_the_header_has_no_database_wait(tmp_path):
    app = create_app(
        {
            "DATA_DIR": str(tmp_path / "data"),
            "SECRET_KEY": "x",
            "FSYNC": False,
            "SERVER_TIMING": "true",
        }  # fmt: skip
    )
    store, headers = _ready(app)
    try:
        response = _save(app.test_client(), headers)
        assert response.status_code == 201
        spent = parse(response.headers["Server-Timing"])
        assert spent["db"] == (0.0, 0)
        assert spent["app"][0] > 0
    finally:
        store.close()


def test_the_header_reads_back():
    assert parse('app;dur=41.2, cpu;dur=9.8, db;dur=27.0;desc="14", pool;dur=0.0;desc="3"') == {
        "app": (41.2, 0),
        "cpu": (9.8, 0),
        "db": (27.0, 14),
        "pool": (0.0, 3),
    }
    assert parse("garbage;dur=x, app;dur=1") == {"app": (1.0, 0)}
