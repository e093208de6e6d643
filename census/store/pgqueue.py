"""The task queue in the database that several servers and ``census worker`` share.

procrastinate keeps the queue (``procrastinate_jobs``) in the store's own database (and
schema, for a community of a street). Here, beside the rest of the PostgreSQL code, since
it is the only place that may talk to the database; the store offers it as
``store.shared.queue()``. Imported only with a database URL: procrastinate and psycopg are
the ``[postgres]`` extra.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

import psycopg

QUEUE_NAME = "census"
HEARTBEAT_SECONDS = 2.0  # how often a worker says it is alive
STALLED_SECONDS = 30.0  # a worker silent this long is taken for dead: its job runs again
LOOK_SECONDS = 10.0  # how often a worker of several queues asks for new ones (a new community)
POLL_SECONDS = 1.0  # how long a worker waits when no queue had a job
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
        # One connection kept open, not psycopg_pool's four: a worker serving a street holds
        # a queue per community, and uses each one's connection in turn.
        connector = procrastinate.PsycopgConnector(conninfo=url, min_size=1, max_size=4)
        self.app = procrastinate.App(connector=connector)
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
        queues: Callable[[], Mapping[str, TaskQueue]] | None = None,
        look: float | None = None,
    ) -> None:
        """Run jobs until stopped (SIGINT, SIGTERM); meanwhile put back those of dead workers.

        This queue's, or those of every queue ``queues()`` names (a street's communities,
        asked again every ``look`` seconds): ``run_workers``."""
        run_workers(
            queues or (lambda: {"": self}),
            name=name,
            heartbeat=heartbeat,
            stalled=stalled,
            look=look,
        )

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


class _Served:
    """A queue a worker takes jobs from: its worker row (heartbeat) in that queue's tables."""

    def __init__(self, key: str, queue: TaskQueue, worker_id: int) -> None:
        self.key = key
        self.queue = queue
        self.worker_id = worker_id

    @property
    def manager(self) -> Any:
        return self.queue.app.job_manager

    async def take(self) -> bool:
        """Run one job of this queue, if one waits (in a thread: the work is synchronous).

        A job ends done and is deleted, or failed and kept; a worker killed meanwhile leaves
        it ``doing`` under a heartbeat that stops, and ``recover_stalled`` puts it back."""
        from procrastinate.jobs import Status

        job = await self.manager.fetch_job(queues=[QUEUE_NAME], worker_id=self.worker_id)
        if job is None:
            return False
        task = self.queue.app.tasks.get(job.task_name)
        status = Status.FAILED
        try:
            if task is None:
                raise LookupError(f"no task {job.task_name} in this worker")
            await asyncio.to_thread(task.func, **job.task_kwargs)
            status = Status.SUCCEEDED
        except Exception as exc:  # the job's runner keeps what people see of it
            _say(f"job {job.id} of queue {self.key or '(first)'} failed: {exc!r}")
        await self.manager.finish_job(job, status, delete_job=status == Status.SUCCEEDED)
        return True


def _say(line: str) -> None:
    print(f"census worker: {line}", file=sys.stderr, flush=True)


def run_workers(
    queues: Callable[[], Mapping[str, TaskQueue]],
    *,
    name: str = "census",
    heartbeat: float | None = None,
    stalled: float | None = None,
    look: float | None = None,
    poll: float | None = None,
) -> None:
    """Run the jobs of several queues (a street's communities) until stopped (SIGINT, SIGTERM).

    One job at a time, the queues in turn: after a job of one queue, the next queue that
    has a job goes first, so a community with many prints does not hold back the others.
    ``queues()`` names the queues to serve; it is asked again every ``look`` seconds, and a
    queue it names for the first time is served from then on (a community added meanwhile).
    Each queue gets a worker row whose heartbeat says this process is alive, and the jobs of
    workers silent for ``stalled`` seconds are put back in their queue. Stopped, the job in
    hand is finished first. Seconds of None: ``HEARTBEAT_SECONDS``, ``STALLED_SECONDS``,
    ``LOOK_SECONDS``, ``POLL_SECONDS``.
    """
    beat = heartbeat or HEARTBEAT_SECONDS
    silence = stalled or STALLED_SECONDS
    look_every = look or LOOK_SECONDS
    wait = poll or POLL_SECONDS
    served: dict[str, _Served] = {}
    turns: deque[_Served] = deque()

    async def serve_new() -> None:
        for key, queue in (await asyncio.to_thread(queues)).items():
            if key in served:
                continue
            await asyncio.to_thread(queue.prepare)
            await queue.app.open_async()
            manager = queue.app.job_manager
            await manager.prune_stalled_workers(silence)
            served[key] = _Served(key, queue, await manager.register_worker())
            turns.append(served[key])
            _say(f"{name} takes the jobs of queue {key or '(first)'}")

    async def each(what: str, work: Callable[[_Served], Any]) -> None:
        for one in list(served.values()):
            try:
                await work(one)
            except Exception as exc:  # a moment without the database: the next round
                _say(f"{what} of queue {one.key or '(first)'}: {exc!r}")

    async def beat_forever() -> None:
        while True:
            await asyncio.sleep(beat)
            await each("heartbeat", lambda one: one.manager.update_heartbeat(one.worker_id))

    async def recover_forever() -> None:
        while True:
            await each("recovery", lambda one: one.queue.recover_stalled(silence))
            await asyncio.sleep(max(0.5, min(5.0, silence / 2)))

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        side: list[asyncio.Task[None]] = []
        try:
            await serve_new()
            looked = time.monotonic()
            side = [asyncio.create_task(beat_forever()), asyncio.create_task(recover_forever())]
            while not stop.is_set():
                took = False
                for _ in range(len(turns)):
                    one = turns[0]
                    turns.rotate(-1)  # whatever this one does, the next one asks first
                    try:
                        took = await one.take()
                    except Exception as exc:  # one community's schema unreachable: the others
                        _say(f"queue {one.key or '(first)'}: {exc!r}")
                    if took:
                        break
                if time.monotonic() - looked >= look_every:
                    try:
                        await serve_new()
                    except Exception as exc:  # a community half made: asked again next time
                        _say(f"could not take a new queue yet: {exc!r}")
                    looked = time.monotonic()
                if not took:
                    try:
                        await asyncio.wait_for(stop.wait(), wait)
                    except TimeoutError:
                        pass
        finally:
            for task in side:
                task.cancel()
            await asyncio.gather(*side, return_exceptions=True)
            for one in served.values():
                await one.manager.unregister_worker(one.worker_id)
                await one.queue.app.close_async()

    asyncio.run(main())
