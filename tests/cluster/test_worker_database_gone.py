"""``census worker`` asked to stop while its database is away (the server down, the
network cut, the database dropped) stops within seconds and says so in a line, without a
traceback. It waited for a connection 30 s at each goodbye to the database and then
printed one (59 s in all on the tree before)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import psycopg
import pytest

from tests.cluster.conftest import Worker
from tests.conftest import PG_URL

pytestmark = pytest.mark.postgres

ADMIN_URL = PG_URL.rsplit("/", 1)[0] + "/postgres"


@pytest.fixture
def database():
    name = f"census_away_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield name
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_a_worker_stops_in_seconds_when_its_database_is_gone(database, tmp_path):
    url = PG_URL.rsplit("/", 1)[0] + f"/{database}"
    env = {"CENSUS_DATABASE_URL": url, "CENSUS_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-m", "census", "init"], env=os.environ | env,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    worker = Worker(env)
    try:
        deadline = time.monotonic() + 60
        while "takes the jobs of queue" not in worker.output():
            assert time.monotonic() < deadline and worker.process.poll() is None, worker.output()
            time.sleep(0.2)
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {database} WITH (FORCE)")
        time.sleep(2)  # the worker finds it gone
        asked = time.monotonic()
        worker.process.send_signal(signal.SIGTERM)
        code = worker.process.wait(timeout=60)
        took = time.monotonic() - asked
        output = worker.output()
    finally:
        worker.stop()  # (killed if still running) and its log closed
    assert code == 0, output
    assert took < 20, (took, output)
    assert "Traceback" not in output, output
