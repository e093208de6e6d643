"""A street of 12 communities on PostgreSQL in one process stays within its connection budget.

Every community has a store of its own (schema ``<schema>_<code>``); they all borrow from the
process's one pool of CENSUS_DATABASE_CONNECTIONS. Requests to every community at once (a
threading.Barrier lets each round go together): reads and new households through the API.
The connections are counted in pg_stat_activity by the test's own application_name, all
along; every request has to answer as without the load (200 or 201).
"""

from __future__ import annotations

import threading
import time
import uuid as uuids
from collections.abc import Iterator

import psycopg
import pytest
from werkzeug.test import Client

from census.services.accounts import add_user, create_token
from census.services.communities import add_community
from census.store import open_store
from census.store.pgstore import application_name
from census.street.deployment import Deployment
from census.web.current import context
from tests.conftest import FAST_HASH, PASSWORD, connections_named
from tests.factories import make_household

pytestmark = pytest.mark.postgres

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
BUDGET = 10
COMMUNITIES = 12  # the first and 11 added
PER_COMMUNITY = 4  # threads asking each community at once
ROUNDS = 6


@pytest.fixture
def street(tmp_path) -> Iterator[tuple[Deployment, str, dict[str, str]]]:
    tag = uuids.uuid4().hex[:8]
    schema, name = f"census_budget_{tag}", f"census budget {tag}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = (
        f"{PG_URL}?application_name={name.replace(' ', '%20')}&options=-c%20search_path%3D{schema}"
    )
    deployment = Deployment({"DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": url,
                             "TESTING": True, "FSYNC": False, "PRINT_WORKERS": 0,
                             "DATABASE_CONNECTIONS": BUDGET})  # fmt: skip
    tokens: dict[str, str] = {}
    try:
        home = deployment.census
        for n in range(1, COMMUNITIES):
            add_community(home.store, f"第{n}社区", f"c{n:02d}", home_name=home.community_name(),
                          actor="test")  # fmt: skip
        for community in deployment.communities():
            store = context(deployment.app_of(community.code, create=True)).store
            store.collection("buildings").insert({"name": "1栋", "grid": "", "type": "residential"})
            add_user(store, "admin", "admin", PASSWORD, hash_method=FAST_HASH)
            tokens[community.code] = create_token(store, "admin")
        yield deployment, name, tokens
    finally:
        deployment.close()
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            for n in range(1, COMMUNITIES):
                conn.execute(f"DROP SCHEMA IF EXISTS {schema}_c{n:02d} CASCADE")


def test_twelve_communities_under_load_hold_no_more_than_the_budget(street):
    deployment, name, tokens = street
    assert len(tokens) == COMMUNITIES
    jobs = [code for code in tokens for _ in range(PER_COMMUNITY)]
    barrier = threading.Barrier(len(jobs))
    answers: list[tuple[str, int, str]] = []
    lock = threading.Lock()
    done = threading.Event()
    most = [0]

    def watch() -> None:
        while not done.is_set():
            most[0] = max(most[0], connections_named(name))
            time.sleep(0.005)

    def ask(code: str, n: int) -> None:
        client = Client(deployment)
        headers = {"Authorization": f"Bearer {tokens[code]}", "X-Census-Community": code}
        for round_ in range(ROUNDS):
            barrier.wait(timeout=120)
            if (n + round_) % 2:
                body = make_household(room=f"{n}{round_:02d}") | {"uuid": uuids.uuid4().hex}
                got = client.post("/api/v1/households", json=body, headers=headers)
            else:
                got = client.get("/api/v1/households", headers=headers)
            with lock:
                answers.append((code, got.status_code, got.get_data(as_text=True)[:300]))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    threads = [threading.Thread(target=ask, args=(code, n)) for n, code in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    done.set()
    watcher.join()
    most[0] = max(most[0], connections_named(name))
    wrong = [answer for answer in answers if answer[1] not in (200, 201)]
    assert not wrong, wrong[:5]
    assert len(answers) == len(jobs) * ROUNDS
    assert 0 < most[0] <= BUDGET, f"{most[0]} connections open at once, the budget is {BUDGET}"
    made = sum(
        len(context(deployment.app_of(code)).store.collection("households").scan())
        for code in tokens
    )
    assert made == len(jobs) * ROUNDS // 2  # every new household stored once


def test_a_process_names_its_connections_unless_the_url_does(pg_url):
    with open_store(pg_url, fsync=False) as store:
        with store.connection() as conn:
            row = conn.execute("SELECT current_setting('application_name')").fetchone()
    assert row is not None and row[0] == application_name()


def test_a_request_that_waits_too_long_for_a_connection_gets_a_503_in_words(tmp_path, monkeypatch):
    from census.store import pgstore

    monkeypatch.setattr(pgstore, "POOL_WAIT", 1.0)  # a pool made now waits 1 s, not 30
    tag = uuids.uuid4().hex[:8]
    schema = f"census_budget_{tag}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = f"{PG_URL}?application_name=census%20wait%20{tag}&options=-c%20search_path%3D{schema}"
    deployment = Deployment({"DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": url,
                             "TESTING": True, "FSYNC": False, "PRINT_WORKERS": 0,
                             "DATABASE_CONNECTIONS": 2})  # fmt: skip
    try:
        store = deployment.census.store
        add_user(store, "admin", "admin", PASSWORD, hash_method=FAST_HASH)
        headers = {"Authorization": f"Bearer {create_token(store, 'admin')}"}
        pool = store._shared.pool
        held = [pool.getconn(), pool.getconn()]  # both connections of the budget busy
        try:
            got = Client(deployment).get("/api/v1/households", headers=headers)
        finally:
            for conn in held:
                pool.putconn(conn)
        assert got.status_code == 503, got.get_data(as_text=True)
        assert got.get_json()["error"] == "community_unavailable"
        assert "暂不可用" in got.get_json()["message"], got.get_json()
        assert "连接都在使用中" in got.get_json()["message"], got.get_json()
        again = Client(deployment).get("/api/v1/households", headers=headers)
        assert again.status_code == 200  # free again: served as before
    finally:
        deployment.close()
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.mark.parametrize("value", ["abc", "1", "0"])
def test_a_budget_that_is_no_number_of_two_or_more_is_said_in_one_line(tmp_path, value):
    from click.testing import CliRunner

    from census.cli import main

    env = {"CENSUS_DATA_DIR": str(tmp_path / "data"), "CENSUS_DATABASE_URL": PG_URL,
           "CENSUS_DATABASE_CONNECTIONS": value}  # fmt: skip
    result = CliRunner().invoke(main, ["user", "unlock", "nobody"], env=env)
    assert result.exit_code == 1, result.output
    assert "CENSUS_DATABASE_CONNECTIONS must be a whole number of at least 2" in result.output
    assert "Traceback" not in result.output
