"""``census worker`` serving a street of 12 communities holds CENSUS_DATABASE_CONNECTIONS for
their stores and 2 for all their queues (pgqueue.QUEUE_CONNECTIONS), not a pool of each per
community: counted in pg_stat_activity by the worker's application_name while it beats and
polls every queue."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from census.services.communities import add_community
from census.store.pgqueue import QUEUE_CONNECTIONS
from census.street.deployment import Deployment
from tests.cluster.conftest import Worker, wait_for
from tests.conftest import PG_URL, connections_named

pytestmark = pytest.mark.postgres

COMMUNITIES = 12
BUDGET = 4


@pytest.fixture
def street(tmp_path) -> Iterator[tuple[str, str]]:
    """A street of 12 communities, made and closed again: its data folder and schema."""
    schema = f"census_wbudget_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    data = str(tmp_path / "data")
    url = f"{PG_URL}?options=-c%20search_path%3D{schema}"
    deployment = Deployment({"DATA_DIR": data, "FSYNC": False, "PRINT_WORKERS": 0,
                             "DATABASE_URL": url})  # fmt: skip
    try:
        home = deployment.census
        for n in range(1, COMMUNITIES):
            code = f"w{n:02d}"
            add_community(home.store, f"第{n}社区", code, home_name="首社区", actor="test")
            deployment.app_of(code, create=True)
        deployment.close()
        yield data, schema
    finally:
        deployment.close()
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            for n in range(1, COMMUNITIES):
                conn.execute(f"DROP SCHEMA IF EXISTS {schema}_w{n:02d} CASCADE")


def test_a_worker_of_twelve_communities_holds_its_budget_and_two(street):
    data, schema = street
    name = f"census worker {uuid.uuid4().hex[:8]}"
    url = (
        f"{PG_URL}?application_name={name.replace(' ', '%20')}&options=-c%20search_path%3D{schema}"
    )
    worker = Worker({"CENSUS_DATABASE_URL": url, "CENSUS_DATA_DIR": data,
                     "CENSUS_DATABASE_CONNECTIONS": str(BUDGET),
                     "CENSUS_WORKER_HEARTBEAT_SECONDS": "0.3"})  # fmt: skip
    try:
        wait_for(lambda: worker.output().count("takes the jobs of queue") == COMMUNITIES, 180,
                 "the worker serving every community")  # fmt: skip
        most, deadline = 0, time.monotonic() + 4  # a dozen heartbeats and polls of each queue
        while time.monotonic() < deadline:
            most = max(most, connections_named(name))
            time.sleep(0.02)
        assert worker.process.poll() is None, worker.output()
    finally:
        worker.stop()
    assert 0 < most <= BUDGET + QUEUE_CONNECTIONS, f"{most} connections; {worker.output()}"


def test_queues_of_several_schemas_on_the_shared_connections_take_their_own_jobs(tmp_path):
    """More than psycopg's 5 runs of the same statements alternate between two schemas on
    the worker's two connections: every job is taken from its own queue."""
    import asyncio

    from census.store.pgqueue import TaskQueue, _QueuePools

    names = [f"census_wq_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        for name in names:
            conn.execute(f"CREATE SCHEMA {name}")
    urls = [f"{PG_URL}?options=-c%20search_path%3D{name}" for name in names]
    try:
        queues = [TaskQueue(url) for url in urls]
        for n, queue in enumerate(queues):
            queue.register("test.job", lambda **args: None)
            for k in range(8):
                queue.defer("test.job", who=n, k=k)
            queue.close()

        async def take_all() -> list[int]:
            pools = _QueuePools()
            try:
                workers = []
                for queue in queues:
                    await queue.app.open_async(await pools.lend(queue.url))
                    workers.append(await queue.app.job_manager.register_worker())
                taken = []
                for _ in range(8):
                    for n, queue in enumerate(queues):
                        job = await queue.app.job_manager.fetch_job(
                            queues=["census"], worker_id=workers[n]
                        )
                        assert job is not None
                        taken.append(job.task_kwargs["who"])
                return taken
            finally:
                await pools.close()

        # in a thread of its own: a browser test's event loop may be running in this one
        with ThreadPoolExecutor(1) as thread:
            assert thread.submit(asyncio.run, take_all()).result() == [0, 1] * 8
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            for name in names:
                conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
