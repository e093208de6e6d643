"""What the process's one pool costs a street: the SET search_path of a switched connection.

Every community of a street is a schema of one database, and every store of one process
borrows from one pool (CENSUS_DATABASE_CONNECTIONS). A connection that last served another
schema is switched with one ``SET search_path``. This times, in one run:

1. ``one schema``: the baseline, one store's queries, no switch (``stamp()``, one indexed
   ``find`` and one ``get``, the small statements a page sends);
2. ``12 schemas in turn``: the same queries, each checkout from another community's store,
   so each one switches (the worst case: one thread, one connection);
3. ``12 schemas, 12 threads``: a thread per community at once through a pool of
   ``--connections``, counting the switches and the connections held (pg_stat_activity).

    .venv/bin/python bench/pool_budget.py [--rounds 3000] [--connections 20]
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from census.store import open_store  # noqa: E402
from census.store.pgstore import PgStore  # noqa: E402

URL = os.environ.get("CENSUS_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
COMMUNITIES = 12


def with_schema(url: str, schema: str, name: str) -> str:
    return f"{url}?application_name={name.replace(' ', '%20')}&options=-c%20search_path%3D{schema}"


def work(store: PgStore) -> None:
    store.stamp("households")
    store.collection("households").find_one(uuid="u-7")
    store.collection("households").get(3)


def held(name: str) -> int:
    with psycopg.connect(URL, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (name,)
        ).fetchone()
    return int(row[0]) if row else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3000)
    parser.add_argument("--connections", type=int, default=20)
    args = parser.parse_args()
    tag = uuid.uuid4().hex[:8]
    name = f"census bench {tag}"
    schemas = [f"census_pool_{tag}_{n:02d}" for n in range(COMMUNITIES)]
    with psycopg.connect(URL, autocommit=True) as conn:
        for schema in schemas:
            conn.execute(f"CREATE SCHEMA {schema}")
    stores: list[PgStore] = []
    try:
        for schema in schemas:
            store = open_store(with_schema(URL, schema, name), connections=args.connections)
            assert isinstance(store, PgStore)
            households = store.collection("households")
            store.ensure_index("uuid")
            households.insert_many([{"uuid": f"u-{n}", "room": str(n)} for n in range(50)])
            stores.append(store)
        shared = stores[0]._shared
        rows: list[tuple[str, int, int, float]] = []

        def block(pick, count: int) -> tuple[float, int]:
            before = shared.switches
            start = time.perf_counter()
            for n in range(count):
                work(pick(n))
            return time.perf_counter() - start, shared.switches - before

        for n in range(200):  # warm: psycopg prepares a statement run 5 times
            work(stores[n % COMMUNITIES])
        # The two cases in turn, in 10 blocks each, so that a load changing meanwhile
        # weighs on both alike; the median block of each.
        size = max(1, args.rounds // 10)
        cases = {
            "one schema": lambda n: stores[0],
            "12 schemas in turn": lambda n: stores[n % COMMUNITIES],
        }
        blocks: dict[str, list[tuple[float, int]]] = {label: [] for label in cases}
        for _ in range(10):
            for label, pick in cases.items():
                blocks[label].append(block(pick, size))
        for label in cases:
            ordered = sorted(blocks[label])
            secs, _ = ordered[len(ordered) // 2]
            switches = sum(sw for _, sw in blocks[label])
            rows.append((label, size * 3 * 10, switches, secs * 10))

        # One SET search_path alone, against SELECT 1, on one connection.
        with psycopg.connect(URL, autocommit=True) as conn:
            timings = {}
            for label, statements in (
                ("SELECT 1", ["SELECT 1"]),
                ("SET search_path", [f"SET search_path TO {s}" for s in schemas]),
            ):
                start = time.perf_counter()
                for n in range(args.rounds):
                    conn.execute(statements[n % len(statements)])
                timings[label] = (time.perf_counter() - start) / args.rounds

        most = [0]
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                most[0] = max(most[0], held(name))
                time.sleep(0.01)

        per = max(1, args.rounds // COMMUNITIES)
        barrier = threading.Barrier(COMMUNITIES)

        def one(store: PgStore) -> None:
            barrier.wait()
            for _ in range(per):
                work(store)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        before = shared.switches
        start = time.perf_counter()
        threads = [threading.Thread(target=one, args=(s,)) for s in stores]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - start
        done.set()
        watcher.join()
        rows.append(("12 schemas, 12 threads", per * COMMUNITIES * 3, shared.switches - before,
                     seconds))  # fmt: skip

        base = rows[0][3] / rows[0][1]
        print(f"{COMMUNITIES} schemas of 50 documents, pool of {args.connections}, "
              f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")  # fmt: skip
        print(f"{'case':<24} {'checkouts':>9} {'SETs':>6} {'us/checkout':>12} {'ratio':>6}")
        for label, checkouts, switches, secs in rows:
            each = secs / checkouts
            print(f"{label:<24} {checkouts:>9} {switches:>6} {each * 1e6:>12.1f} "
                  f"{each / base:>6.2f}")  # fmt: skip
        print(f"connections held at most by the 12 threads: {most[0]} (budget {args.connections})")
        print(f"one statement alone: SELECT 1 {timings['SELECT 1'] * 1e6:.1f} us, "
              f"SET search_path {timings['SET search_path'] * 1e6:.1f} us "
              f"({timings['SET search_path'] / timings['SELECT 1']:.2f}x)")  # fmt: skip
    finally:
        for store in stores:
            store.close()
        with psycopg.connect(URL, autocommit=True) as conn:
            for schema in schemas:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


if __name__ == "__main__":
    main()
