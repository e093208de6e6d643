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
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

if TYPE_CHECKING:
    from .pgstore import PgStore

QUEUE_NAME = "census"
HEARTBEAT_SECONDS = 2.0  # how often a worker says it is alive
STALLED_SECONDS = 30.0  # a worker silent this long is taken for dead: its job runs again
LOOK_SECONDS = 10.0  # how often a worker of several queues asks for new ones (a new community)
POLL_SECONDS = 1.0  # how long a worker waits when no queue had a job
STOP_SECONDS = 5.0  # stopped, how long a worker gives each goodbye to the database
# The connections a worker's queues share, however many communities it serves: one for the
# job in hand (fetched and finished), one for the heartbeats and recovery beside it.
QUEUE_CONNECTIONS = 2
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

    def __init__(self, url: str, store: PgStore | None = None) -> None:
        try:  # the [postgres] extra: imported only with a database URL
            import procrastinate
        except ImportError as exc:
            raise RuntimeError(
                f"background jobs on PostgreSQL need procrastinate ({exc}): "
                "pip install 'community-census[postgres]'"
            ) from exc

        self.url = url
        # A server defers through its store's connections (the process's budget); without a
        # store, one pool of its own (one connection kept open). A worker's queues share
        # QUEUE_CONNECTIONS (run_workers).
        self.store = store
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
        with self._connection() as conn, conn.transaction():
            conn.execute(_DDL_LOCK)
            row = conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
            if row is None or row[0] is None:
                conn.execute(SchemaManager.get_schema())
        self._prepared = True

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        """One of the store's connections (outside any atomic() block), else one of its own."""
        if self.store is not None:
            with self.store.borrowed() as conn:
                yield conn
            return
        with psycopg.connect(self.url, autocommit=True) as conn:
            yield conn

    def defer(self, task: str, **args: Any) -> int:
        """Queue ``task`` (by name) with JSON ``args``; returns the queue's job id."""
        with self._lock:
            if not self._open:
                self.prepare()
                self.app.open(_StorePool(self.store) if self.store is not None else None)
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


class _StorePool:
    """What procrastinate's synchronous connector asks of a pool, lent by a store: its
    process's connections, set to its schema."""

    def __init__(self, store: PgStore) -> None:
        self.store = store

    @contextmanager
    def connection(self, timeout: float | None = None) -> Iterator[psycopg.Connection[Any]]:
        with self.store.borrowed() as conn:
            # Not prepared: procrastinate's statements return its own types (a job row, its
            # status), another type in each schema, and a plan prepared in one schema fails
            # in the next ("cached plan must not change result type").
            threshold, conn.prepare_threshold = conn.prepare_threshold, None
            try:
                yield conn
            finally:
                conn.prepare_threshold = threshold

    def close(self) -> None:
        """The store's connections stay with the store."""


class _QueuePools:
    """The connections of a worker's queues: one pool per database, of QUEUE_CONNECTIONS,
    each connection switched to the schema of the queue borrowing it (one ``SET`` when it
    last served another)."""

    def __init__(self) -> None:
        self.pools: dict[str, Any] = {}
        self.paths: weakref.WeakKeyDictionary[Any, str | None] = weakref.WeakKeyDictionary()

    async def lend(self, url: str) -> Any:
        from psycopg_pool import AsyncConnectionPool

        from .pgstore import CONNECT_TIMEOUT, MAX_IDLE, connection_kwargs, split_search_path

        conninfo, path = split_search_path(url)
        pool = self.pools.get(conninfo)
        if pool is None:
            # Never prepared: procrastinate's statements return its own types, another in
            # each schema, so a plan prepared for one queue fails for the next one ("cached
            # plan must not change result type").
            pool = AsyncConnectionPool(
                conninfo,
                min_size=1,
                max_size=QUEUE_CONNECTIONS,
                max_idle=MAX_IDLE,
                kwargs=connection_kwargs(conninfo) | {"prepare_threshold": None},
                check=AsyncConnectionPool.check_connection,
                name="census-queue",
                open=False,
            )
            await pool.open(wait=True, timeout=CONNECT_TIMEOUT)
            self.pools[conninfo] = pool
        return _SchemaPool(self, pool, path)

    async def close(self) -> None:
        for pool in self.pools.values():
            await pool.close()
        self.pools.clear()


class _SchemaPool:
    """What procrastinate's connector asks of a pool: connections set to one schema."""

    def __init__(self, pools: _QueuePools, pool: Any, path: str | None) -> None:
        self.pools, self.pool, self.path = pools, pool, path

    @asynccontextmanager
    async def connection(self, timeout: float | None = None) -> AsyncIterator[Any]:
        async with self.pool.connection(timeout=timeout) as conn:
            if self.pools.paths.get(conn, "") != self.path:
                if self.path is None:
                    await conn.execute("RESET search_path")
                else:
                    names = [sql.Identifier(s.strip()) for s in self.path.split(",") if s.strip()]
                    await conn.execute(
                        sql.SQL("SET search_path TO {}").format(sql.SQL(", ").join(names))
                    )
                self.pools.paths[conn] = self.path
            yield conn

    async def close(self) -> None:
        """The pool is the worker's, closed when it stops."""


class _Served:
    """A queue a worker takes jobs from: its worker row (heartbeat) in that queue's tables."""

    def __init__(self, key: str, queue: TaskQueue, worker_id: int) -> None:
        self.key = key
        self.queue = queue
        self.worker_id = worker_id

    @property
    def manager(self) -> Any:
        return self.queue.app.job_manager

    async def take(self, stop: asyncio.Event | None = None) -> bool:
        """Run one job of this queue, if one waits (in a thread: the work is synchronous).

        A job ends done and is deleted, or failed and kept; a worker killed meanwhile leaves
        it ``doing`` under a heartbeat that stops, and ``recover_stalled`` puts it back.
        ``stop`` set while the worker still waits for the database to hand it a job (the
        database away): it takes none. A job in hand is always finished."""
        from procrastinate.jobs import Status

        job = await _unless_stopped(
            self.manager.fetch_job(queues=[QUEUE_NAME], worker_id=self.worker_id), stop
        )
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


async def _unless_stopped(work: Any, stop: asyncio.Event | None) -> Any:
    """Await ``work``, or give it up (None) as soon as ``stop`` is set."""
    if stop is None:
        return await work
    task = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait((task, stopping), return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if task.done():
        return task.result()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return None


def _in_daemon_thread(work: Callable[[], Any]) -> asyncio.Future[Any]:
    """``work()`` in a thread of its own that does not hold the process at exit (a store
    read waiting for an unreachable database: the worker may stop meanwhile)."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[Any] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if done.cancelled():
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(result)

    def run() -> None:
        try:
            result, error = work(), None
        except BaseException as exc:  # handed to the awaiting side
            result, error = None, exc
        try:
            loop.call_soon_threadsafe(settle, result, error)
        except RuntimeError:  # the loop closed: the worker has stopped
            pass

    threading.Thread(target=run, name="census-worker-read", daemon=True).start()
    return done


async def _goodbye(what: str, work: Any) -> None:
    """A stopping worker's last words to the database, given up after ``STOP_SECONDS``:
    with the database away its worker rows go silent, and other workers clear them."""
    try:
        await asyncio.wait_for(work, STOP_SECONDS)
    except Exception as exc:  # the database away, or slower than STOP_SECONDS
        _say(f"{what}: {exc!r}")


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
    pools = _QueuePools()  # every queue's connections, QUEUE_CONNECTIONS per database

    async def serve_new(stop: asyncio.Event) -> None:
        found = await _unless_stopped(_in_daemon_thread(queues), stop)
        for key, queue in (found or {}).items():
            if key in served or stop.is_set():
                continue
            await _unless_stopped(_in_daemon_thread(queue.prepare), stop)
            lent = await _unless_stopped(pools.lend(queue.url), stop)
            if lent is None:  # stopped meanwhile
                return
            await queue.app.open_async(lent)
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
            await serve_new(stop)
            looked = time.monotonic()
            side = [asyncio.create_task(beat_forever()), asyncio.create_task(recover_forever())]
            while not stop.is_set():
                took = False
                for _ in range(len(turns)):
                    one = turns[0]
                    turns.rotate(-1)  # whatever this one does, the next one asks first
                    try:
                        took = await one.take(stop)
                    except Exception as exc:  # one community's schema unreachable: the others
                        _say(f"queue {one.key or '(first)'}: {exc!r}")
                    if took:
                        break
                if time.monotonic() - looked >= look_every and not stop.is_set():
                    try:
                        await serve_new(stop)
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
                where = f"queue {one.key or '(first)'}"
                await _goodbye(where, one.manager.unregister_worker(one.worker_id))
                await _goodbye(where, one.queue.app.close_async())
            await _goodbye("connections", pools.close())

    asyncio.run(main())
