"""Soak: new households POSTed open-loop at a fixed rate, then at the highest rate sustained.

Real ``census serve`` processes: one on a TinyDB folder, one on PostgreSQL, two on one
PostgreSQL schema (requests alternate between them). For each: open-loop steps of 8 s,
25 % apart from 50/s, find the highest rate answered in full with p95 within 100 ms
(``--p95``); then two open-loop runs send households on a fixed schedule (whatever the
answers) at 50/s and at that rate, ``--seconds`` each. Latency is measured from each
request's scheduled time, so a server that falls behind shows it. A 10 s closed-loop
burst (every client sending as fast as answers come) is printed beside them.

Printed per run: households sent, the share answered 201, p50/p95/p99 in ms, and whether
the store holds exactly the acknowledged households; the last column compares the rate
with ``GET /api/v1/me`` (the same server's cost of a request that writes nothing)
measured in the same run. Nothing here fails on a time.

    .venv/bin/python bench/soak.py [--seconds 60] [--rate 50] [--pg URL]
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from itertools import count
from pathlib import Path

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from census.store import open_store  # noqa: E402
from tests.servers import Client, household, prepare, servers, settings  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432/test"


class Target:
    """The servers of one configuration and a pool of clients spread over them."""

    def __init__(self, started, token: str, clients: int) -> None:
        self.servers = started
        self.token = token
        self.local = threading.local()
        self.pool = ThreadPoolExecutor(clients)
        self.numbers = count(1)
        self.lock = threading.Lock()

    def client(self) -> Client:
        found = getattr(self.local, "client", None)
        if found is None:
            with self.lock:
                server = self.servers[next(self.numbers) % len(self.servers)]
            found = self.local.client = Client(server, self.token)
        return found

    def get_me(self) -> int:
        client = self.client()
        client.conn.request("GET", "/api/v1/me", headers=client.headers)
        response = client.conn.getresponse()
        response.read()
        return response.status


def closed_loop(target: Target, seconds: float, work) -> float:
    """Requests per second with every client sending as fast as answers come back."""
    stop = time.monotonic() + seconds
    done = count()

    def run(_):
        n = 0
        while time.monotonic() < stop:
            work()
            next(done)
            n += 1
        return n

    total = sum(target.pool.map(run, range(target.pool._max_workers)))
    return total / seconds


def open_loop(target: Target, rate: float, seconds: float, first: int) -> dict:
    """Send ``rate`` households per second on a fixed schedule; collect the answers."""
    total = int(rate * seconds)
    start = time.monotonic() + 0.2
    answers: list[tuple[int, float, int | None]] = []
    lock = threading.Lock()

    def send(n: int) -> None:
        due = start + n / rate
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        try:
            status, body = target.client().post("/api/v1/households", household(first + n))
        except OSError:
            status, body = 0, {}
        with lock:
            answers.append((status, time.monotonic() - due, body.get("id")))

    futures = [target.pool.submit(send, n) for n in range(total)]
    for future in futures:
        future.result()
    elapsed = max(time.monotonic() - start, 1e-9)
    latencies = sorted(a[1] * 1000 for a in answers)
    ok = [a for a in answers if a[0] == 201]

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))]

    return {
        "sent": total,
        "ok": len(ok),
        "rate": total / elapsed,
        "p50": statistics.median(latencies),
        "p95": pct(95),
        "p99": pct(99),
        "ids": {a[2] for a in ok},
    }


def sustained(target: Target, start: float, p95_ms: float, acknowledged: set[int]) -> float:
    """The highest open-loop rate (steps of 25 % from ``start``, 8 s each) that every request
    answers 201 with p95 within ``p95_ms``; a closed-loop burst overstates it (the servers
    queue the excess), so the long run uses this one."""
    rate, best, first_n = start, start, 2_000_000
    while rate < 5000:
        result = open_loop(target, rate, 8, first_n)
        acknowledged |= result["ids"]
        first_n += int(rate * 8) + 1
        if result["ok"] < result["sent"] or result["p95"] > p95_ms:
            break
        best, rate = rate, rate * 1.25
    return best


def schema_url(base: str, schema: str) -> str:
    parts = urllib.parse.urlsplit(base)
    query = urllib.parse.urlencode(
        {"options": f"-c search_path={schema}"}, quote_via=urllib.parse.quote
    )
    return parts._replace(query=query).geturl()


def run_config(name: str, count_servers: int, database: str | None, args, rows: list) -> None:
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        url = None
        schema = None
        if database:
            schema = f"census_soak_{int(time.time())}_{count_servers}"
            with psycopg.connect(database, autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
            url = schema_url(database, schema)
        try:
            token = prepare(data, url)
            env = settings(data, url)
            envs = [env] + [
                env | {"CENSUS_DATA_DIR": str(Path(folder) / f"data{k}")}
                for k in range(1, count_servers)
            ]
            started = []
            with servers(1, envs[0], threads=args.threads) as first:
                started += first
                extra = [servers(1, e, threads=args.threads) for e in envs[1:]]
                for manager in extra:
                    started += manager.__enter__()
                try:
                    target = Target(started, token, args.clients)
                    me_rate = closed_loop(target, 5, target.get_me)
                    burst = count(10_000_000)
                    acknowledged: set[int] = set()

                    def one() -> None:
                        status, body = target.client().post(
                            "/api/v1/households", household(next(burst))
                        )
                        if status == 201:
                            acknowledged.add(body["id"])

                    top = closed_loop(target, 10, one)
                    best = sustained(target, args.rate, args.p95, acknowledged)
                    for label, rate, first_n in (
                        (f"{args.rate:g}/s", args.rate, 0),
                        (f"highest sustained ({best:.0f}/s)", best, 1_000_000),
                    ):
                        result = open_loop(target, rate, args.seconds, first_n)
                        acknowledged |= result["ids"]
                        rows.append((name, label, result, me_rate))
                    rows.append((name, "closed-loop burst", top, me_rate))
                    target.pool.shutdown()
                finally:
                    for manager in extra:
                        manager.__exit__(None, None, None)
            exact = _stored(data, url) == acknowledged
            rows.append((name, "stored = acknowledged", exact, len(acknowledged)))
        finally:
            if schema:
                with psycopg.connect(database, autocommit=True) as conn:
                    conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def _stored(data: Path, url: str | None) -> set[int]:
    with open_store(url or str(data)) as store:
        return {h["id"] for h in store.collection("households").scan()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--p95", type=float, default=100, help="ms: the bound of 'sustained'")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--pg", default=PG)
    parser.add_argument("--only", choices=["tinydb", "pg1", "pg2"], action="append")
    args = parser.parse_args()
    configs = [("TinyDB, 1 server", 1, None, "tinydb"), ("PostgreSQL, 1 server", 1, args.pg, "pg1"),
               ("PostgreSQL, 2 servers", 2, args.pg, "pg2")]  # fmt: skip
    rows: list = []
    for name, n, database, key in configs:
        if args.only and key not in args.only:
            continue
        print(f"… {name}", file=sys.stderr, flush=True)
        run_config(name, n, database, args, rows)
    print(f"\nopen-loop household POSTs, {args.seconds:g} s per run, {args.clients} clients\n")
    head = "| setup | rate asked | sent | achieved /s | 201 share | p50 ms | p95 ms | p99 ms |"
    print(head + " vs GET /me |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        if row[1] == "closed-loop burst":
            print(f"| {row[0]} | closed-loop burst, 10 s | | {row[2]:.0f} | | | | | |")
            continue
        if row[1] == "stored = acknowledged":
            print(f"| {row[0]} | stored = acknowledged ({row[3]}) | {'yes' if row[2] else 'NO'} |")
            continue
        name, label, r, me_rate = row
        print(
            f"| {name} | {label} | {r['sent']} | {r['rate']:.0f} | {r['ok'] / r['sent']:.1%} "
            f"| {r['p50']:.0f} | {r['p95']:.0f} | {r['p99']:.0f} | {r['rate'] / me_rate:.2f} |"
        )


if __name__ == "__main__":
    http.client.HTTPConnection.debuglevel = 0
    main()
