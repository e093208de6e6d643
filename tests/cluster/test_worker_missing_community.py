"""A community whose store cannot be opened is said once by ``census worker``, not on every
look for added communities, and said again only when the reason changes or it opens."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import psycopg
import pytest

from census.street.places import schema_name
from tests.cluster.conftest import Worker
from tests.conftest import PG_URL

pytestmark = pytest.mark.postgres


@pytest.fixture
def street_url():
    schema = f"census_gone_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield schema, f"{PG_URL}?options=-c%20search_path%3D{schema}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        for name in (schema, schema_name("gone", schema)):
            conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


def test_a_missing_community_is_said_once_over_many_looks(street_url, tmp_path):
    schema, url = street_url
    env = {"CENSUS_DATABASE_URL": url, "CENSUS_DATA_DIR": str(tmp_path / "data"),
           "CENSUS_WORKER_LOOK_SECONDS": "0.3"}  # fmt: skip
    for args in (["init"], ["community", "add", "西区社区", "--code", "gone"]):
        done = subprocess.run([sys.executable, "-m", "census", *args], env=os.environ | env,
                              capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
    with psycopg.connect(PG_URL, autocommit=True) as conn:  # its store lost
        conn.execute(f"DROP SCHEMA {schema_name('gone', schema)} CASCADE")
    worker = Worker(env)
    try:
        deadline = time.monotonic() + 60
        while "waiting for jobs" not in worker.output():
            assert time.monotonic() < deadline, worker.output()
            time.sleep(0.2)
        time.sleep(3)  # ten looks
        assert worker.process.poll() is None, worker.output()
        output = worker.output()
    finally:
        worker.stop()
    said = [line for line in output.splitlines() if "gone not opened" in line]
    assert len(said) == 1, output
