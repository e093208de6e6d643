"""The PostgreSQL backend: ``Store`` and ``Collection`` over one table of jsonb documents.

For deployments that outgrow one process or one machine: any number of processes
(and threads, through a small connection pool) may open the same database; there
is no folder lock. Schema and query text are in ``pgsql``.

Ids come from ``census_collections.last_id``, bumped inside the writing
transaction: they are never reused (deletes do not lower it) and a refused write
burns none. That row is also the collection's write lock: an insert, or an update
with unique paths, holds it from its unique checks to its commit, so two processes
storing the same unique value end up with one document and one ``DuplicateKey``.
Every write also bumps the row's ``changes`` in its transaction: the ``stamp``, one
small query that sees the writes of every process. In the same transaction it notes the
ids it touched under that number in ``census_changes``, the change journal, so that a
server's read models read again only the documents another server's writes touched
(``changed_ids``); the journal keeps each collection's last ``journal_keep`` writes.

Connections: every store of one process on one database (a street's communities, one
schema each) borrows from one pool of at most ``connections`` (CENSUS_DATABASE_CONNECTIONS,
20), so a process holds no more than that whatever the number of communities. A borrowed
connection is switched to the store's ``search_path`` when it last served another schema
(one ``SET``; the queries name no schema and find their tables through it). An exhausted
pool makes the next request wait, up to ``POOL_WAIT`` seconds, then ``StoreError``.

Differences from the TinyDB backend that callers may notice: returned documents
have their keys in jsonb's order, not the order they were written in, and a
string containing NUL (``"\\x00"``) is refused with ``ValueError``.
"""

from __future__ import annotations

import operator
import os
import re
import threading
import time
import urllib.parse
import weakref
from collections.abc import Hashable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

import orjson
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.pq import TransactionStatus
from psycopg.rows import TupleRow
from psycopg.types.json import set_json_loads
from psycopg_pool import ConnectionPool, PoolTimeout

from census.util import timing
from census.util.gcpause import paused_gc

from . import codec, pgsql
from .base import Collection, Doc, Predicate, Store
from .changelog import ChangeLog
from .errors import AppendOnly, Conflict, DuplicateKey, NotFound, StoreError, StoreFull
from .paths import index_key, is_empty, matches, split, values_at
from .pgmedia import PgMedia
from .pgschema import SEARCH_PATH_SETTING
from .pgshared import PgShared

RESERVED = ("id", "_rev")
CONNECT_TIMEOUT = 10  # seconds to wait for the server before saying it is not there
CONNECTIONS = 20  # connections one process opens to one database, over all its schemas
POOL_WAIT = 30.0  # seconds a request waits for a connection when all of them are busy
MAX_IDLE = 60.0  # seconds an idle connection beyond the first is kept


def application_name() -> str:
    """How this process's connections are named in ``pg_stat_activity`` (unless the URL
    names them itself)."""
    return f"census {os.getpid()}"


def connection_kwargs(conninfo: str) -> dict[str, Any]:
    """What each connection of this process to ``conninfo`` is opened with, by the stores'
    pool and the queue's alike: autocommit, the connect timeout, and the process's name."""
    kwargs: dict[str, Any] = {"autocommit": True, "connect_timeout": CONNECT_TIMEOUT}
    if "application_name" not in conninfo_to_dict(conninfo):
        kwargs["application_name"] = application_name()
    return kwargs


_NO_PATH = object()  # a borrower that wants no search path in particular


class _TimedConnection(psycopg.Connection[TupleRow]):
    """A connection that counts, in the request being served, the time spent waiting on
    the database (``census.util.timing``: each statement's and each commit's round trip
    goes through ``wait``, a method of psycopg's, hence its upper bound in pyproject.toml)."""

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        spent = timing.current()
        if spent is None:  # nothing counted (the usual case): no cost on every round trip
            return super().wait(gen, interval, timeout)
        began = time.perf_counter()
        try:
            return super().wait(gen, interval, timeout)
        finally:
            spent.add("db", time.perf_counter() - began)

    def commit(self) -> None:
        # The pool commits each connection it takes back; in autocommit, with no
        # transaction open, that sends nothing: not a round trip to count (or lock for).
        if self.autocommit and self.pgconn.transaction_status == TransactionStatus.IDLE:
            return
        super().commit()


class _AffinePool(ConnectionPool):
    """psycopg_pool's pool, lending first an idle connection already set to the search path
    its borrower wants (``wanted.path``).

    The pool lends its idle connections in turn (the oldest first), so with a street's
    twelve communities nearly every borrow met a connection last set to another schema:
    a ``SET search_path`` each time, and the database planned the statement again. Only
    which idle connection comes first changes; the pool's counts and its shrinking of
    idle connections do not. (It moves that connection to the front of the pool's deque
    of idle connections before the pool takes the front one: an internal of psycopg_pool,
    hence its upper bound in pyproject.toml.)
    """

    def __init__(self, *args: Any, paths: Mapping[Any, str | None], **kwargs: Any) -> None:
        self.wanted = threading.local()
        self._known_paths = paths
        super().__init__(*args, **kwargs)

    def _get_ready_connection(self, timeout: float | None) -> Any:
        wanted = getattr(self.wanted, "path", _NO_PATH)
        idle = self._pool
        if wanted is not _NO_PATH and idle and self._known_paths.get(idle[0], "") != wanted:
            for n, conn in enumerate(idle):
                if self._known_paths.get(conn, "") == wanted:
                    del idle[n]
                    idle.appendleft(conn)
                    break
        return super()._get_ready_connection(timeout)


class SharedPool:
    """The connections of one process to one database, lent to every schema's store.

    ``borrow(path)`` lends one set to that ``search_path`` (None: the server's default);
    each connection remembers the path it was last set to, and an idle one already set to
    the path is lent first, so a store whose requests follow each other sends no ``SET``.
    """

    def __init__(self, conninfo: str, *, fsync: bool, size: int) -> None:
        self.conninfo = conninfo
        self.size = size
        self._fsync = fsync
        self.users = 0
        self.switches = 0  # SETs of search_path sent (bench/pool_budget.py)
        self._paths: weakref.WeakKeyDictionary[psycopg.Connection[TupleRow], str | None] = (
            weakref.WeakKeyDictionary()
        )
        self._paths_lock = threading.Lock()
        self.pool = _AffinePool(
            conninfo,
            paths=self._paths,
            min_size=1,
            max_size=size,
            max_idle=MAX_IDLE,
            timeout=POOL_WAIT,
            connection_class=_TimedConnection,
            kwargs=connection_kwargs(conninfo),
            configure=self._configure,
            name="census",
            open=False,
        )

    def _configure(self, conn: psycopg.Connection[TupleRow]) -> None:
        """Set up each pooled connection: orjson for jsonb, and the commit durability."""
        set_json_loads(orjson.loads, conn)
        if not self._fsync:
            # Like the TinyDB fsync=False: a commit no longer waits for the disk, so a
            # crash of the server (not of this process) may lose the last writes.
            conn.execute("SET synchronous_commit = off")

    @contextmanager
    def borrow(
        self, path: str | None, timeout: float | None = None
    ) -> Iterator[psycopg.Connection[TupleRow]]:
        """A connection of the pool, its search path set to ``path``."""
        self.pool.wanted.path = path  # read by the pool as it picks an idle connection
        try:
            with ExitStack() as lent:
                with timing.counted("pool"):
                    conn = lent.enter_context(self.pool.connection(timeout=timeout))
                self.pool.wanted.path = _NO_PATH
                with self._paths_lock:
                    current = self._paths.get(conn, "")
                if current != path:
                    if path is None:
                        conn.execute("RESET search_path")
                    else:
                        schemas = [sql.Identifier(s.strip()) for s in path.split(",") if s.strip()]
                        conn.execute(
                            sql.SQL("SET search_path TO {}").format(sql.SQL(", ").join(schemas))
                        )
                    with self._paths_lock:
                        self._paths[conn] = path
                        self.switches += 1
                yield conn
        finally:
            self.pool.wanted.path = _NO_PATH


_POOLS: dict[tuple[str, bool], SharedPool] = {}
_POOLS_LOCK = threading.Lock()


def split_search_path(url: str) -> tuple[str, str | None]:
    """The URL's connection settings without its search path, and that search path."""
    params = conninfo_to_dict(url)
    options = str(params.get("options") or "")
    found = SEARCH_PATH_SETTING.search(options)
    path = found.group(1) if found else None
    rest = SEARCH_PATH_SETTING.sub("", options).strip()
    if rest:
        params["options"] = rest
    else:
        params.pop("options", None)
    return make_conninfo("", **params), path


def shared_pool(url: str, *, fsync: bool, size: int) -> tuple[SharedPool, str | None]:
    """This process's pool for the database of ``url`` (made and opened on first use), and
    the URL's search path; the caller gives it back with ``release``."""
    conninfo, path = split_search_path(url)
    key = (conninfo, fsync)
    with _POOLS_LOCK:
        found = _POOLS.get(key)
        if found is None:
            # One connection first, closed before the pool opens: a server that is not
            # there says so at once, where the pool would retry until its timeout.
            psycopg.connect(conninfo, connect_timeout=CONNECT_TIMEOUT).close()
            found = SharedPool(conninfo, fsync=fsync, size=max(1, int(size)))
            try:
                found.pool.open(wait=True, timeout=CONNECT_TIMEOUT)
            except PoolTimeout:
                found.pool.close()
                raise
            _POOLS[key] = found
        found.users += 1
    return found, path


def release(shared: SharedPool) -> None:
    """A store is done with ``shared``: the last one closes its connections."""
    with _POOLS_LOCK:
        shared.users -= 1
        if shared.users > 0:
            return
        for key, pool in list(_POOLS.items()):
            if pool is shared:
                del _POOLS[key]
    shared.pool.close()


class PgStore(Store):
    """A PostgreSQL database (or one schema of it, via ``search_path``) holding collections."""

    def __init__(self, url: str, *, fsync: bool = True, connections: int = CONNECTIONS) -> None:
        self.url = url
        self.data_dir = None  # there is no data folder
        self.media = PgMedia(self)  # photos in the database, seen by every server
        # The secret key, staff surveys, jobs and their files: one truth for every server.
        self.shared = PgShared(self)
        self._fsync = fsync
        self.journal_keep = pgsql.JOURNAL_KEEP  # writes kept in the journal per collection
        self._lock = threading.Lock()
        self._local = threading.local()  # the connection of this thread's atomic() block
        self._changes = ChangeLog()  # the ids of committed writes: this process's, and the
        # journal's rows read for others' writes (a committed number never changes meaning)
        self._collections: dict[str, PgCollection] = {}
        self.journal_reads = 0  # queries of the journal for numbers another process wrote
        self._indexed: set[str] = set()
        self._written = 0  # documents written since the planner's statistics were refreshed
        self._rows_analyzed = 0.0  # the table's size then, as PostgreSQL estimated it
        self._analyzing = False
        self._closed = True
        try:
            self._shared, self._path = shared_pool(url, fsync=fsync, size=connections)
        except (psycopg.Error, PoolTimeout) as exc:
            raise StoreError(f"cannot open the PostgreSQL store at {self}: {exc}") from exc
        try:  # the schema's tables, on a connection of the pool (never one beyond it)
            with self._shared.borrow(self._path, CONNECT_TIMEOUT) as conn:
                with conn.transaction():
                    conn.execute(pgsql.DDL_LOCK)
                    conn.execute(pgsql.SCHEMA)
                conn.execute(pgsql.PRUNE_JOURNAL, (self.journal_keep,))
        except (psycopg.Error, PoolTimeout) as exc:
            release(self._shared)
            raise StoreError(f"cannot open the PostgreSQL store at {self}: {exc}") from exc
        self._closed = False

    def collection(self, name: str) -> PgCollection:
        """Return the collection called ``name`` (registered in the database on first use)."""
        if not isinstance(name, str) or not name:
            raise ValueError("a collection needs a non-empty name")
        self._check_open()
        with self._lock:
            found = self._collections.get(name)
        if found is not None:
            return found
        with self.connection() as conn:
            conn.execute(pgsql.REGISTER, (name,))
        with self._lock:
            return self._collections.setdefault(name, PgCollection(self, name))

    def stamp(self, *names: str) -> Hashable:
        """The collections' numbers of committed writes, read from the database."""
        with self.connection() as conn:
            if not names:
                row = conn.execute(pgsql.ALL_CHANGES).fetchone()
                return int(row[0]) if row else 0
            found = dict(conn.execute(pgsql.CHANGES, (list(names),)).fetchall())
        return tuple(int(found.get(name, 0)) for name in names)

    def changed_ids(
        self, before: Hashable, after: Hashable, *names: str
    ) -> dict[str, set[int]] | None:
        """The ids every write between the two stamps touched, by any server (see ``Store``).

        The numbers this process wrote (or read before) come from its own log; the others
        from the journal, in one query. None when a number is in neither: further back than
        the journal keeps, or written by an older version that kept no journal.

        Why the journal has every number up to ``after``: a write takes its number by
        bumping ``changes`` on the collection's row and keeps that row locked until it
        commits, with its journal row. The next writer's bump waits for that lock, which
        PostgreSQL lets go only once the commit is visible; so numbers commit in order, and
        once a stamp said ``after``, every write numbered up to it has committed and the
        journal query, a statement started after that stamp was read, sees all their rows.
        (A rolled-back write leaves neither its bump nor its row, and its number goes to
        the next writer.)
        """
        if not (isinstance(before, tuple) and isinstance(after, tuple)):
            return None
        if not len(before) == len(after) == len(names):
            return None
        found: dict[str, set[int]] = {}
        wanted: list[tuple[str, int]] = []
        for name, old, new in zip(names, before, after, strict=True):
            old, new = int(old), int(new)
            if new < old or new - old > max(self.journal_keep, self._changes.keep):
                return None
            known = self._changes.known(name, old, new)
            if known is None:
                return None
            found[name], lacking = known
            wanted += [(name, number) for number in lacking]
        if not wanted:
            return found
        self.journal_reads += 1
        with self.connection() as conn:
            rows = conn.execute(
                pgsql.JOURNAL, ([name for name, _ in wanted], [n for _, n in wanted])
            ).fetchall()
        if len(rows) < len(wanted):  # pruned, or never noted
            return None
        # Inside an atomic() block the rows read may be the block's own, not committed yet
        # (a rollback gives their numbers to other writes): those are not kept.
        keep = getattr(self._local, "conn", None) is None
        for name, number, ids in rows:
            found[name].update(ids)
            if keep:
                self._changes.note(name, int(number), ids)
        return found

    def noted(self, name: str, number: int | None, ids: Sequence[int]) -> None:
        """Note the ids write ``number`` of ``name`` touched, once it is committed.

        Inside ``atomic()`` the note waits for the block's commit (a block rolled back
        wrote nothing, and its numbers go to the next writers); outside, the write's own
        transaction has ended when this is called.
        """
        if number is None:
            return
        pending = getattr(self._local, "pending", None)
        if pending is not None:
            pending.append((name, number, tuple(ids)))
        else:
            self._changes.note(name, number, ids)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """One transaction for every write in the block, on this thread (see Store).

        The block's operations use its connection; their own transactions become
        savepoints inside it.
        """
        current = getattr(self._local, "conn", None)
        if current is not None:
            yield
            return
        pending: list[tuple[str, int, tuple[int, ...]]] = []
        with self.connection() as conn:
            with conn.transaction():
                self._local.conn, self._local.pending = conn, pending
                try:
                    yield
                finally:
                    self._local.conn = self._local.pending = None
        for name, number, ids in pending:  # committed: the block's writes count now
            self._changes.note(name, number, ids)

    def next_number(self, name: str, floor: int = 1) -> int:
        """Claim the next number of ``name`` from its row in ``census_counters`` (see Store)."""
        with self.connection() as conn:
            row = conn.execute(pgsql.NEXT_NUMBER, (name, max(1, int(floor)))).fetchone()
        if row is None:  # INSERT ... RETURNING always returns the row it wrote
            raise StoreError(f"counter {name!r}: the database returned no value")
        return int(row[0])

    def wrote(self, count: int) -> None:
        """Count written documents; refresh the planner's statistics once they add up."""
        with self._lock:
            self._written += count
            due = pgsql.ANALYZE_BASE + pgsql.ANALYZE_SHARE * self._rows_analyzed
            if self._analyzing or self._closed or self._written < due:
                return
            self._analyzing = True
            written, self._written = self._written, 0
        threading.Thread(
            target=self._analyze, args=(written,), name="census-analyze", daemon=True
        ).start()

    def _analyze(self, written: int) -> None:
        """ANALYZE on a connection of its own, beside the writes (it blocks none of them),
        if ``written`` documents are a large enough share of the table as it was last
        analysed (by any process: this one knows only its own ANALYZEs)."""
        try:
            with self._shared.borrow(self._path, CONNECT_TIMEOUT) as conn:
                row = conn.execute(pgsql.TABLE_ROWS).fetchone()
                rows = max(0.0, float(row[0])) if row else 0.0  # -1: never analysed
                if written >= pgsql.ANALYZE_BASE + pgsql.ANALYZE_SHARE * rows:
                    conn.execute(pgsql.ANALYZE)
                    row = conn.execute(pgsql.TABLE_ROWS).fetchone()
                    rows = max(0.0, float(row[0])) if row else 0.0
                    written = 0
            with self._lock:
                self._rows_analyzed = rows
                self._written += written  # not enough yet: they count towards the next
        except Exception:  # noqa: BLE001 - closed or unreachable: the next writes try again
            pass
        finally:
            with self._lock:
                self._analyzing = False

    def compact(self) -> None:
        """Nothing to do: PostgreSQL's autovacuum keeps the tables tidy."""
        self._check_open()

    def close(self) -> None:
        """Close every pooled connection; calling it twice is harmless."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        release(self._shared)

    def ensure_index(self, path: str) -> None:
        """Create the index serving lookups on ``path`` unless this store already did."""
        ddl = pgsql.index_ddl(path)
        if ddl is None:
            return
        name, statement = ddl
        with self._lock:
            if name in self._indexed:
                return
        with self.connection() as conn:
            exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()
            if not (exists and exists[0]):
                with conn.transaction():
                    conn.execute(pgsql.DDL_LOCK)
                    conn.execute(statement)
                conn.execute(pgsql.ANALYZE)  # the planner needs statistics on the new expression
            elif pgsql.is_gin(name):
                pgsql.without_pending_list(conn, name)  # an index made by an older version
        with self._lock:
            self._indexed.add(name)

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[TupleRow]]:
        """Lend a pooled connection (in autocommit); database failures become ``StoreError``.

        Inside ``atomic()``, the block's connection, in its transaction.
        """
        self._check_open()
        current = getattr(self._local, "conn", None)
        try:
            if current is not None:
                yield current
                return
            with self._shared.borrow(self._path) as conn:
                yield conn
        except psycopg.errors.UntranslatableCharacter as exc:
            raise ValueError(
                f"PostgreSQL cannot store this text (a NUL character?): {exc}"
            ) from exc
        except psycopg.errors.DiskFull as exc:
            raise StoreFull(f"PostgreSQL at {self}: {exc}") from exc
        except PoolTimeout as exc:
            raise StoreError(
                f"PostgreSQL at {self}: all {self._shared.size} connections of this process "
                f"to the database stayed busy for {POOL_WAIT:g} s "
                f"(CENSUS_DATABASE_CONNECTIONS): {exc}"
            ) from exc
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL at {self}: {exc}") from exc

    @contextmanager
    def borrowed(self) -> Iterator[psycopg.Connection[TupleRow]]:
        """A connection of this process's pool set to this store's schema, outside any
        ``atomic()`` block (the task queue's, whose jobs are seen as soon as deferred)."""
        self._check_open()
        with self._shared.borrow(self._path) as conn:
            yield conn

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"the store for {self} is closed")

    def __str__(self) -> str:
        """The URL without its password, for messages."""
        parts = urllib.parse.urlsplit(self.url)
        netloc = parts.netloc
        if parts.password is not None:
            netloc = f"{parts.username}:***@{netloc.rpartition('@')[2]}"
        query = re.sub(r"(^|&)password=[^&]*", r"\1password=***", parts.query)
        return urllib.parse.urlunsplit(parts._replace(netloc=netloc, query=query))

    def __repr__(self) -> str:
        return f"<PgStore {self}{' closed' if self._closed else ''}>"


class PgCollection(Collection):
    """The rows of ``census_documents`` with one ``collection`` value."""

    def __init__(self, store: PgStore, name: str) -> None:
        self.name = name
        self._store = store

    def insert(self, doc: Doc, *, unique: Sequence[str] = ()) -> int:
        """Store a copy of ``doc`` with ``_rev = 1`` and return its id."""
        return self._insert([doc], unique)[0]

    def insert_many(self, docs: Sequence[Doc], *, unique: Sequence[str] = ()) -> list[int]:
        """Store copies of ``docs`` in one transaction (one commit); return their ids."""
        ids = self._insert(docs, unique) if docs else []
        if len(ids) >= pgsql.ANALYZE_AFTER:
            # An import can change the table faster than autovacuum looks at it, and
            # plans made on stale statistics may scan the whole collection per lookup.
            with self._store.connection() as conn:
                conn.execute(pgsql.ANALYZE)
        return ids

    def restore_many(self, docs: Sequence[Doc], *, last_id: int = 0) -> None:
        """Store documents with their own ids and revisions in one transaction (see Collection).

        ``last_id`` rises to cover the restored ids and the given ``last_id``, so that ids
        deleted before the backup are not handed out again either.
        """
        rows: list[tuple[int, bytes]] = []
        seen: set[int] = set()
        for doc in docs:
            doc_id, rev = doc.get("id"), doc.get("_rev")
            if type(doc_id) is not int or not 0 < doc_id <= pgsql.BIGINT_MAX:
                raise ValueError(f"a restored document needs a positive int id, not {doc_id!r}")
            if type(rev) is not int or not 0 < rev < 2**31:
                raise ValueError(f"a restored document needs a positive int _rev, not {rev!r}")
            if doc_id in seen:
                raise DuplicateKey("id", doc_id)
            seen.add(doc_id)
            body = codec.dumps(_without_reserved(doc))
            rows.append((doc_id, b'{"id":%d,"rev":%d,"doc":%b}' % (doc_id, rev, body)))
        if not rows:
            if last_id > 0:  # a collection whose documents were all deleted keeps its ids
                with self._store.connection() as conn:
                    params = {"last": int(last_id), "name": self.name, "keep": self._keep}
                    row = conn.execute(pgsql.RESTORE_LAST_ID, params)
                    self._store.noted(self.name, _number(row.fetchone()), ())
            return
        last = max(int(last_id), max(seen))
        written: list[tuple[int | None, list[int]]] = []
        with self._store.connection() as conn, conn.transaction():
            if conn.execute(pgsql.LOCK_COLLECTION, (self.name,)).fetchone() is None:
                raise StoreError(f"collection {self.name!r} is missing from the database")
            taken = conn.execute(pgsql.RESTORE_TAKEN, (self.name, sorted(seen))).fetchone()
            if taken and taken[0] is not None:
                raise DuplicateKey("id", int(taken[0]))
            for start in range(0, len(rows), pgsql.RESTORE_CHUNK):
                chunk = rows[start : start + pgsql.RESTORE_CHUNK]
                array = (b"[" + b",".join(text for _, text in chunk) + b"]").decode()
                ids = [doc_id for doc_id, _ in chunk]
                params = {
                    "name": self.name,
                    "last": last,
                    "docs": array,
                    "ids": ids,
                    "keep": self._keep,
                }
                number = _number(conn.execute(pgsql.RESTORE, params).fetchone())
                written.append((number, ids))
        for number, ids in written:
            self._store.noted(self.name, number, ids)

    def get(self, doc_id: int) -> Doc | None:
        """Return a copy of the document, or None."""
        found = self._select(pgsql.Where([sql.SQL("id = %s")], [operator.index(doc_id)]))
        return found[0] if found else None

    def update(
        self,
        doc_id: int,
        doc: Doc,
        *,
        expected_rev: int | None = None,
        unique: Sequence[str] = (),
    ) -> int:
        """Replace the whole document and return its new revision."""
        doc_id = operator.index(doc_id)
        if self.append_only:
            raise AppendOnly(self.name)
        text = codec.dumps(_without_reserved(doc))
        clean = codec.loads(text) if unique else {}
        params = {
            "name": self.name,
            "doc": text.decode(),
            "id": doc_id,
            "rev": pgsql.expected_rev(expected_rev),
            "keep": self._keep,
        }
        checks = self._unique_checks([clean], unique)
        with self._store.connection() as conn:
            if not checks:
                row = conn.execute(pgsql.UPDATE, params).fetchone()
                self._store.noted(self.name, _number(row), (doc_id,))
                return self._changed(conn, doc_id, row)
            with conn.transaction():
                conn.execute(pgsql.LOCK_COLLECTION, (self.name,))
                row = conn.execute(pgsql.LOCK_DOCUMENT, (self.name, doc_id)).fetchone()
                if row is None:
                    raise NotFound(self.name, doc_id)
                if expected_rev is not None and expected_rev != row[0]:
                    raise Conflict(int(row[0]))
                self._raise_duplicate(conn, checks, own_id=doc_id)
                row = conn.execute(pgsql.UPDATE, params).fetchone()
                rev = self._changed(conn, doc_id, row)
            self._store.noted(self.name, _number(row), (doc_id,))
            return rev

    def delete(self, doc_id: int, *, expected_rev: int | None = None) -> None:
        """Remove the document."""
        doc_id = operator.index(doc_id)
        if self.append_only:
            raise AppendOnly(self.name)
        with self._store.connection() as conn:
            params = {
                "name": self.name,
                "id": doc_id,
                "rev": pgsql.expected_rev(expected_rev),
                "keep": self._keep,
            }
            row = conn.execute(pgsql.DELETE, params).fetchone()
            self._store.noted(self.name, _number(row), (doc_id,))
            self._changed(conn, doc_id, row)

    def find(self, **equals: object) -> list[Doc]:
        """Return copies of the matching documents, ordered by id."""
        return self._select(pgsql.where(equals))

    def find_any(self, alternatives: Sequence[Mapping[str, object]]) -> list[Doc]:
        """The documents matching any of ``alternatives``, in one query (by id)."""
        wheres = [pgsql.where(equals) for equals in alternatives]
        if any(w.in_python for w in wheres):  # a list or dict wanted: asked one by one
            return super().find_any(alternatives)
        return self._select(pgsql.any_of(wheres))

    def find_one(self, **equals: object) -> Doc | None:
        """Return a copy of the matching document with the lowest id, or None."""
        found = self._select(pgsql.where(equals), first_only=True)
        return found[0] if found else None

    def count(self, **equals: object) -> int:
        """Count the matching documents (in SQL unless a wanted value is a list or dict)."""
        criteria = pgsql.where(equals)
        if criteria.in_python:
            return len(self._select(criteria))
        if criteria.impossible:
            return 0
        query = sql.SQL("SELECT count(*) FROM {} WHERE collection = %s AND {}").format(
            pgsql.DOCUMENTS, criteria.clause()
        )
        with self._store.connection() as conn:
            row = conn.execute(query, [self.name, *criteria.params]).fetchone()
        return int(row[0]) if row else 0

    def scan(self, predicate: Predicate | None = None) -> list[Doc]:
        """Return copies of all documents, or those ``predicate`` accepts, ordered by id."""
        docs = self._select(pgsql.Where())
        return docs if predicate is None else [doc for doc in docs if predicate(doc)]

    def ensure_index(self, path: str) -> None:
        """Create the index for ``path`` in the database (kept there for every process)."""
        self._store.ensure_index(path)

    def __len__(self) -> int:
        return self.count()

    @property
    def _keep(self) -> int:
        """How many of the collection's last writes the journal keeps."""
        return max(1, int(self._store.journal_keep))

    def __repr__(self) -> str:
        return f"<PgCollection {self.name!r}>"

    # -- helpers ---------------------------------------------------------------------

    def _insert(self, docs: Sequence[Doc], unique: Sequence[str]) -> list[int]:
        """Insert documents in one transaction under the collection lock; return their ids.

        A refused insert rolls the id counter back with everything else: it burns no ids.
        """
        # Encoded once (TypeError before any SQL); decoded again only for unique checks.
        texts = [codec.dumps(_without_reserved(doc)) for doc in docs]
        array = (b"[" + b",".join(texts) + b"]").decode()
        clean = [codec.loads(text) for text in texts] if unique else []
        checks = self._unique_checks(clean, unique)
        with self._store.connection() as conn:
            self._store.wrote(len(texts))
            if not checks:  # (nothing to check, so no duplicates within the batch either)
                params = {"name": self.name, "n": len(texts), "docs": array, "keep": self._keep}
                rows = conn.execute(pgsql.INSERT_UNCHECKED, params).fetchall()
                ids = sorted(row[0] for row in rows)
                if rows:
                    self._store.noted(self.name, _number(rows[0]), ids)
                return ids
            with conn.transaction():
                params = {"name": self.name, "n": len(texts), "keep": self._keep}
                row = conn.execute(pgsql.TAKE_IDS, params).fetchone()
                if row is None:
                    raise StoreError(f"collection {self.name!r} is missing from the database")
                first = int(row[0]) - len(texts) + 1
                self._raise_duplicate(conn, checks, own_id=None)
                _check_unique_within(clean, unique)
                conn.execute(
                    pgsql.INSERT_WITH_IDS, {"name": self.name, "first": first, "docs": array}
                )
            ids = list(range(first, first + len(texts)))
            self._store.noted(self.name, _number(row), ids)
            return ids

    def _changed(
        self, conn: psycopg.Connection[TupleRow], doc_id: int, row: TupleRow | None
    ) -> int:
        """Return the revision an UPDATE or DELETE returned; if none, say why it did nothing."""
        if row is not None and row[0] is not None:
            return int(row[0])
        current = conn.execute(pgsql.READ_REV, (self.name, doc_id)).fetchone()
        if current is None:
            raise NotFound(self.name, doc_id)
        raise Conflict(int(current[0]))

    def _unique_checks(self, docs: list[Doc], unique: Sequence[str]) -> list[tuple[str, Any]]:
        """The (path, value) pairs to look for, in order; their paths get indexes first.

        Indexing on first use keeps the checks from scanning the table.
        """
        for path in unique:
            self._store.ensure_index(path)
        return [
            (path, value)
            for doc in docs
            for path in unique
            for value in values_at(doc, split(path))
            if not is_empty(value)
        ]

    def _raise_duplicate(
        self, conn: psycopg.Connection[TupleRow], checks: list[tuple[str, Any]], own_id: int | None
    ) -> None:
        """Raise ``DuplicateKey`` for the first checked value another document holds.

        The checks go to the server a hundred at a time, joined with UNION ALL.
        """
        for start in range(0, len(checks), 100):
            chunk = checks[start : start + 100]
            parts: list[sql.Composable] = []
            params: list[Any] = []
            for n, (path, value) in enumerate(chunk):
                criteria = pgsql.where({path: value})
                if criteria.impossible:
                    continue
                # A list or dict is compared in Python, so only then fetch the document.
                parts.append(
                    sql.SQL("(SELECT %s, id, {} FROM {} WHERE collection = %s AND {})").format(
                        sql.SQL("doc" if criteria.in_python else "NULL::jsonb"),
                        pgsql.DOCUMENTS,
                        criteria.clause(),
                    )
                )
                params += [n, self.name, *criteria.params]
            holders: dict[int, list[int]] = {}
            if parts:
                for n, doc_id, doc in conn.execute(sql.SQL(" UNION ALL ").join(parts), params):
                    path, value = chunk[n]
                    if doc_id != own_id and (
                        doc is None
                        or any(
                            index_key(v) == index_key(value) for v in values_at(doc, split(path))
                        )
                    ):
                        holders.setdefault(n, []).append(doc_id)
            for n in sorted(holders):
                raise DuplicateKey(chunk[n][0], min(holders[n]))

    def _select(self, criteria: pgsql.Where, *, first_only: bool = False) -> list[Doc]:
        """Run a SELECT for ``criteria``, finish it in Python, return documents by id."""
        if criteria.impossible:
            return []
        limit = " LIMIT 1" if first_only and not criteria.in_python else ""
        query = sql.SQL(
            "SELECT id, rev, doc FROM {} WHERE collection = %s AND {} ORDER BY id{}"
        ).format(pgsql.DOCUMENTS, criteria.clause(), sql.SQL(limit))
        with self._store.connection() as conn, paused_gc():
            rows = conn.execute(query, [self.name, *criteria.params]).fetchall()
            docs = [
                {"id": doc_id, **doc, "_rev": rev}
                for doc_id, rev, doc in rows
                if matches(doc, criteria.in_python)
            ]
        return docs[:1] if first_only else docs


def _number(row: TupleRow | None) -> int | None:
    """The write's number a statement returned last in its row (None: no collection row)."""
    return None if row is None or row[-1] is None else int(row[-1])


def _check_unique_within(docs: list[Doc], unique: Sequence[str]) -> None:
    """Two documents of one batch may not share a value of a unique path either."""
    for path in unique:
        keys = split(path)
        seen: dict[Hashable, int] = {}
        for n, doc in enumerate(docs):
            for value in values_at(doc, keys):
                if is_empty(value):
                    continue
                key = index_key(value)
                if key in seen and seen[key] != n:
                    raise DuplicateKey(path, 0)  # 0: the other holder is in this batch
                seen[key] = n


def _without_reserved(doc: Mapping[str, Any]) -> Doc:
    """Return a shallow copy of a caller's document without the reserved keys."""
    if not isinstance(doc, Mapping):
        raise TypeError(f"a document must be a dict, not {type(doc).__name__}")
    return {key: value for key, value in doc.items() if key not in RESERVED}
