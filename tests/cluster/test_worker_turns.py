"""One worker process serves several queues (a street's communities) in turn: a queue with
many jobs waiting does not hold back the others, and SIGTERM stops it cleanly."""

from __future__ import annotations

import signal
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

from census.store.pgqueue import TaskQueue
from tests.cluster.conftest import wait_for
from tests.conftest import PG_URL

pytestmark = pytest.mark.postgres
SCRIPT = Path(__file__).with_name("turns_worker.py")


@pytest.fixture
def two_schemas():
    names = [f"census_turns_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        for name in names:
            conn.execute(f"CREATE SCHEMA {name}")
    yield [f"{PG_URL}?options=-c%20search_path%3D{name}" for name in names]
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        for name in names:
            conn.execute(f"DROP SCHEMA {name} CASCADE")


def test_one_worker_takes_the_queues_jobs_in_turn(two_schemas, tmp_path):
    url_a, url_b = two_schemas
    for url, count in ((url_a, 4), (url_b, 2)):  # queued before the worker starts
        queue = TaskQueue(url)
        for n in range(1, count + 1):
            queue.defer("test.turn", n=n)
        queue.close()
    out = tmp_path / "turns.txt"
    out.touch()
    log = tmp_path / "worker.log"
    with log.open("wb") as err:
        worker = subprocess.Popen(
            [sys.executable, str(SCRIPT), url_a, url_b, str(out)],
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        try:
            wait_for(lambda: len(out.read_text().split()) == 6, 60, "six jobs done")
        finally:
            worker.send_signal(signal.SIGTERM)
            code = worker.wait(timeout=30)
    # a, then b, in turn while both have jobs; then what is left of a
    assert out.read_text().split() == ["a1", "b1", "a2", "b2", "a3", "a4"], log.read_text()
    assert code == 0, log.read_text()
    for url in two_schemas:  # done jobs deleted, the worker's rows gone with it
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT count(*) FROM procrastinate_jobs").fetchone() == (0,)
            assert conn.execute("SELECT count(*) FROM procrastinate_workers").fetchone() == (0,)
