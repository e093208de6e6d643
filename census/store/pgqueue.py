"""The task queue in the database that several servers and ``census worker`` share.

procrastinate keeps the queue (``procrastinate_jobs``) in the store's own database (and
schema, for a community of a street). Here, beside the rest of the PostgreSQL code, since
it is the only place that may talk to the database; the store offers it as
``store.shared.queue()``. Imported only with a database URL: procrastinate and psycopg are
the ``[postgres]`` extra.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import psycopg

QUEUE_NAME = "census"
HEARTBEAT_SECONDS = 2.0  # how often a worker says it is alive
STALLED_SECONDS = 30.0  # a worker silent this long is taken for dead: its job runs again
_DDL_LOCK = (
    "SELECT pg_advisory_xact_lock(hashtext('census queue ' || coalesce(current_schema(), '')))"
)


class TaskQueue:
    """Background work that any server defers and any ``census worker`` runs (procrastinate).

    With PostgreSQL several app servers share one database, and a job started through one
    must be seen, and its result fetched, through every other; so the work leaves the
    server's threads for a queue in the same database. procrastinate keeps the queue
    (``procrastinate_jobs``): a job is taken by one worker, whose heartbeat says it is
    alive; a worker killed mid-job (kill -9, a power cut) stops beating, and the jobs it
    held are put back in the queue by the next worker that looks (``recover_stalled``), so
    they run again from the start. What a job shows people (its state, progress and
    file) is kept by its runner, not here.
    """

    def __init__(self, url: str) -> None:
        try:  # the [postgres] extra: imported only with a database URL
            import procrastinate
        except ImportError as exc:
            raise RuntimeError(
                f"background jobs on PostgreSQL need procrastinate ({exc}): "
                "pip install 'community-census[postgres]'"
            ) from exc

        self.url = url
        self.app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))
        self._lock = threading.Lock()
        self._open = False
        self._prepared = False

    def prepare(self) -> None:
        """Create procrastinate's tables once (several processes may start at once)."""
        from procrastinate.schema import SchemaManager

        if self._prepared:
            return
        with psycopg.connect(self.url, autocommit=True) as conn, conn.transaction():
            conn.execute(_DDL_LOCK)
            row = conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
            if row is None or row[0] is None:
                conn.execute(SchemaManager.get_schema())
        self._prepared = True

    def defer(self, task: str, **args: Any) -> int:
        """Queue ``task`` (by name) with JSON ``args``; returns the queue's job id."""
        with self._lock:
            if not self._open:
                self.prepare()
                self.app.open()
                self._open = True
        return int(self.app.configure_task(name=task, queue=QUEUE_NAME).defer(**args))

    def register(self, name: str, work: Callable[..., Any]) -> None:
        """Say what a worker does for ``name``: ``work(**args)``, in the worker's thread."""
        self.app.task(name=name, queue=QUEUE_NAME)(work)

    def run_worker(
        self,
        *,
        name: str = "census",
        heartbeat: float | None = None,
        stalled: float | None = None,
    ) -> None:
        """Run jobs until stopped (SIGINT, SIGTERM); meanwhile put back those of dead workers.

        ``heartbeat`` and ``stalled`` are seconds (None: ``HEARTBEAT_SECONDS``,
        ``STALLED_SECONDS``)."""
        import asyncio

        heartbeat = heartbeat or HEARTBEAT_SECONDS
        stalled = stalled or STALLED_SECONDS
        self.prepare()

        async def main() -> None:
            async with self.app.open_async():
                recovery = asyncio.create_task(self._recover_forever(stalled))
                try:
                    await self.app.run_worker_async(
                        queues=[QUEUE_NAME],
                        name=name,
                        concurrency=1,  # the work is synchronous: one job at a time
                        update_heartbeat_interval=heartbeat,
                        stalled_worker_timeout=stalled,
                        delete_jobs="successful",
                        fetch_job_polling_interval=1.0,
                    )
                finally:
                    recovery.cancel()

        asyncio.run(main())

    async def _recover_forever(self, stalled: float) -> None:
        import asyncio

        while True:
            await self.recover_stalled(stalled)
            await asyncio.sleep(max(0.5, min(5.0, stalled / 2)))

    async def recover_stalled(self, stalled: float) -> int:
        """Put back in the queue the jobs of workers silent for ``stalled`` seconds."""
        manager = self.app.job_manager
        found = list(await manager.get_stalled_jobs(seconds_since_heartbeat=stalled))
        for job in found:
            await manager.retry_job(job)
        return len(found)

    def close(self) -> None:
        """Close the connections of ``defer``."""
        with self._lock:
            if self._open:
                self.app.close()
                self._open = False
