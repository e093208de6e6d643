"""Tablets coming back into signal together: many new households at the same moment.

Real ``census serve`` processes (one on a TinyDB folder; two on one PostgreSQL schema),
eight clients released by a barrier, fifty distinct households each. Every household is
stored once, with a number of its own, and none is refused: the server allocates
household numbers inside the block that stores the household, so it never races itself.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from census.store import open_store
from tests.servers import Client, household, prepare, servers, settings
from tests.store.conftest import pg_server, pg_url  # noqa: F401, F811  (fixtures)

CLIENTS, EACH = 8, 50


def _post_all(targets, token):
    barrier = threading.Barrier(CLIENTS)

    def run(c: int):
        client = Client(targets[c % len(targets)], token)
        barrier.wait()
        try:
            return [client.post("/api/v1/households", household(c * EACH + k)) for k in range(EACH)]
        finally:
            client.close()

    with ThreadPoolExecutor(CLIENTS) as pool:
        return [answer for answers in pool.map(run, range(CLIENTS)) for answer in answers]


def _check(answers, store):
    statuses = Counter(status for status, _ in answers)
    refused = [body for status, body in answers if status != 201][:3]
    assert statuses == {201: CLIENTS * EACH}, (statuses, refused)
    stored = store.collection("households").scan()
    assert len(stored) == CLIENTS * EACH
    numbers = [h["household_no"] for h in stored]
    assert len(set(numbers)) == len(numbers)
    assert {a["id"] for _, a in answers} == {h["id"] for h in stored}


@pytest.mark.slow
def test_eight_tablets_at_once_on_tinydb_refuse_none(tmp_path):
    data = tmp_path / "data"
    token = prepare(data)
    with servers(1, settings(data)) as started:
        answers = _post_all(started, token)
    with open_store(str(data)) as store:
        _check(answers, store)


@pytest.mark.postgres
@pytest.mark.slow
def test_two_servers_on_one_postgres_refuse_none(tmp_path, pg_url):  # noqa: F811
    token = prepare(tmp_path / "a", pg_url)
    env = settings(tmp_path / "a", pg_url)
    with (
        servers(1, env) as first,
        servers(1, env | {"CENSUS_DATA_DIR": str(tmp_path / "b")}) as second,
    ):
        answers = _post_all(first + second, token)
    with open_store(pg_url) as store:
        _check(answers, store)


def test_a_folder_from_before_the_counter_numbers_on_after_its_households(app, store):
    from census.services import records
    from tests.factories import make_household

    for n in (1, 2, 3):  # stored by an older version: numbers, no counter
        store.collection("households").insert(make_household(room=f"{n}01") | {
            "household_no": f"H{n:04d}"
        })  # fmt: skip
    form = app.extensions["census"].surveys["household"]
    first = records.save(store, form, make_household(room="401"), user="admin")
    second = records.save(store, form, make_household(room="402"), user="admin")
    assert (first.record["household_no"], second.record["household_no"]) == ("H0004", "H0005")
