"""A street office at scale: communities on one PostgreSQL, two app servers, one roll-up.

    .venv/bin/python bench/street.py                    # --scale 0.02: 12 × 250 households
    .venv/bin/python bench/street.py --scale 0.1 --rate 30 --seconds 20
    .venv/bin/python bench/street.py --scale 1 --rate 50 --seconds 60   # the issue's size
    .venv/bin/python bench/street.py --scale 1 --rate 50 --seconds 60 --print-buildings 100

At ``--scale 1`` the street is the issue's: 12 communities of 12,500 generated households
each (150,000 households, about 550,000 residents), a 13,000-household sheet imported, 50
saves a second. Everything is on PostgreSQL (``--database-url``, default the test server or
``$CENSUS_BENCH_DATABASE_URL``), in schemas of its own that are dropped afterwards.

The baseline is measured in the same run: ONE community alone (a single installation, its
own schema) holding the same generated households as each community of the street. Each
table gives the street's figure, the baseline's and their ratio:

1. the street's pages (``/street/`` 基本情况 with a row per community and 合计, and
   ``/street/registers`` 台账 counts): the first request after the deployment opened,
   cold right after a household was saved in one community, and warm; beside them one
   community's ``/summary`` and ``/registers/`` alone;
2. a community's pages inside the street (its staff pages, warm) against the same pages
   of the community alone;
3. household saves through the API at ``--rate`` saves a second for ``--seconds``, spread
   over two ``census serve`` processes and every community (new households and edits), then
   the same rate into the community alone through one server: p50, p95, max, the largest
   server's resident memory and the servers' CPU time (all of them) per save;
4. one community's whole household list printed (the print pipeline on the community's
   records read from its schema) with one worker process and with two; with
   ``--print-buildings N`` only its first N buildings' lists (at ``--scale 1`` the whole
   list is 522 buildings, over a thousand pages a run);
5. a household sheet of 13,000 × scale households imported into a new community of the
   street, and into an empty installation alone.

Households are stored with ``insert_many`` of ``generate_demo``'s documents (as
``bench/read_models.py`` does), not through ``load_demo``: ``load_demo`` validates and
saves them one by one (the first lines printed measure both on a small sample). The
loaded tables are then vacuumed and analysed and a checkpoint taken (as autovacuum and the
checkpointer would, on a server where autovacuum runs). Before each run of saves the
servers are left to finish opening every community (in the background from their start)
and a checkpoint is taken. Prints tables, each part's wall time and the load average at its
end; never passes or fails on a time.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import psycopg  # noqa: E402
from werkzeug.test import Client  # noqa: E402

from census.demo.generate import generate_demo  # noqa: E402
from census.util.timing import parse as parse_timing  # noqa: E402

PASSWORD = "bench-pass-1"
FAST_HASH = "pbkdf2:sha256:1000"
DEFAULT_URL = os.environ.get(
    "CENSUS_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
COMMUNITIES = 12
FULL_HOUSEHOLDS = 12_500  # per community at --scale 1: 150,000 in the street
FULL_SHEET = 13_000
AS_OF = date(2025, 9, 1)
COMMUNITY_PAGES = (
    ("台账 /registers/", "/registers/?all=1"),
    ("基本情况 /summary", "/summary?all=1"),
    ("住户 /households", "/households"),
    ("进度 /fieldwork/coverage", "/fieldwork/coverage"),
    ("全部楼栋 /survey/", "/survey/"),
)


# ------------------------------------------------------------------ the stores


def schema_url(url: str, schema: str) -> str:
    """``url`` with its tables in ``schema`` (the rule the street's communities use)."""
    from census.street.places import with_search_path

    return with_search_path(url, schema)


def drop_schemas(url: str, prefix: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (prefix + "%",)
        ).fetchall()
        for (name,) in rows:
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')


def fill(store: Any, households: int, seed: int) -> int:
    """Generated households, storefronts and units stored in bulk; an admin. Residents."""
    from census.services.accounts import add_user

    data = generate_demo(seed=seed, households=households, as_of=AS_OF)
    for name in ("grids", "buildings", "households", "storefronts", "units"):
        store.collection(name).insert_many(data[name])
    add_user(store, "admin", "admin", PASSWORD, hash_method=FAST_HASH)
    return sum(len(h["members"]) for h in data["households"])


def vacuumed(url: str, prefix: str) -> None:
    """VACUUM ANALYZE every table of the run's schemas, then a CHECKPOINT: what autovacuum
    and the checkpointer do after a bulk load on a server where they run (autovacuum may be
    off on a test server), so that the pages and saves measured after meet neither a table
    never vacuumed nor the load's checkpoint."""
    with psycopg.connect(url, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT schemaname, tablename FROM pg_tables WHERE schemaname LIKE %s",
            (prefix + "%",),
        ).fetchall()
        for schema, table in tables:
            conn.execute(f'VACUUM (ANALYZE) "{schema}"."{table}"')
        conn.execute("CHECKPOINT")


def loading_rates(url: str, prefix: str) -> tuple[float, float]:
    """Households a second: ``load_demo`` (one validated save each) and ``insert_many``."""
    from census.app import create_app
    from census.demo.seed import load_demo
    from census.web.current import context

    sample = 100
    rates = []
    for n, way in enumerate(("load_demo", "insert_many")):
        schema = f"{prefix}rate{n}"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        with tempfile.TemporaryDirectory() as tmp:
            app = create_app({"DATA_DIR": tmp, "DATABASE_URL": schema_url(url, schema)})
            census = context(app)
            data = generate_demo(seed=99, households=sample, as_of=AS_OF)
            started = time.perf_counter()
            if way == "load_demo":
                load_demo(census.store, data, census.surveys)
            else:
                census.store.collection("households").insert_many(data["households"])
            rates.append(sample / (time.perf_counter() - started))
            census.close()
    return rates[0], rates[1]


class Street:
    """The deployment (in this process, for the street's pages) and the community alone."""

    def __init__(self, url: str, prefix: str, data_dir: Path, households: int) -> None:
        from census.app import create_app
        from census.services.accounts import add_user
        from census.services.communities import add_community
        from census.street.deployment import Deployment
        from census.web.current import context

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {prefix}home")
            conn.execute(f"CREATE SCHEMA {prefix}alone")
        self.config = {"DATA_DIR": str(data_dir / "street"), "DATABASE_URL":
                       schema_url(url, f"{prefix}home"), "PRINT_WORKERS": 0}  # fmt: skip
        self.households = households
        started = time.perf_counter()
        deployment = Deployment(self.config)
        home = deployment.census
        self.residents = fill(home.store, households, seed=1)
        add_user(home.store, "street1", "street", PASSWORD, hash_method=FAST_HASH)
        self.codes = [""] + [f"c{n:02d}" for n in range(1, COMMUNITIES)]
        for n, code in enumerate(self.codes[1:], start=1):
            add_community(home.store, f"第{n + 1}社区", code, home_name=home.community_name(),
                          actor="bench")  # fmt: skip
            census = deployment.census_of(code, create=True)  # made, as adding it does
            assert census is not None
            self.residents += fill(census.store, households, seed=n + 1)
        deployment.close()
        self.stored = time.perf_counter() - started
        self.deployment = Deployment(self.config)  # opened again: cold, as a server starts
        self.alone_config = {"DATA_DIR": str(data_dir / "alone"), "DATABASE_URL":
                             schema_url(url, f"{prefix}alone"), "PRINT_WORKERS": 0}  # fmt: skip
        alone = create_app(self.alone_config)
        fill(context(alone).store, households, seed=1)  # the first community's households
        context(alone).close()
        vacuumed(url, prefix)
        self.alone = create_app(self.alone_config)

    def close(self) -> None:
        from census.web.current import context

        self.deployment.close()
        context(self.alone).close()


def login(client: Client, username: str, community: str | None = None) -> None:
    """Log in with the form (CSRF token from the login page), as a browser does."""
    import re

    url = "/login" if community is None else f"/login?community={community}"
    html = client.get(url).get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert token, "no CSRF token on the login page"
    answer = client.post(url, data={"username": username, "password": PASSWORD,
                                    "csrf_token": token.group(1)})  # fmt: skip
    assert answer.status_code == 302, answer.status_code


def timed(client: Client, url: str) -> float:
    began = time.perf_counter()
    response = client.get(url)
    took = time.perf_counter() - began
    assert response.status_code == 200, (url, response.status_code)
    return took


def save_one(census: Any, rng: random.Random) -> None:
    """A household edited in ``census``'s store, as a save through the services."""
    from census.services import records

    store = census.store
    doc = rng.choice(store.collection("households").scan_shared())
    form = census.surveys["household"]
    keys = {f.key for f in form.fields}
    answers = {k: v for k, v in doc.items() if k in keys}
    answers["hardship"] = [] if doc.get("hardship") else ["low_income"]
    result = records.save(store, form, answers, user="admin", record_id=doc["id"],
                          expected_rev=doc["_rev"])  # fmt: skip
    assert result.saved, [(p.path, p.code) for p in result.problems if p.is_error]


# ------------------------------------------------------------------ 1, 2: pages


def street_pages(street: Street, repeat: int, seed: int) -> list[tuple[str, float, float, float]]:
    """(what, first after opening, cold after a write, warm) for the street and one alone."""
    rng = random.Random(seed)
    client = Client(street.deployment)
    login(client, "street1")
    alone = street.alone.test_client()
    login(alone, "admin")
    rows = []
    pairs = (("街道 /street/ (12 社区 + 合计)", client, "/street/?all=1",
              "基本情况 /summary (1 社区 alone)", alone, "/summary?all=1"),
             ("街道 /street/registers", client, "/street/registers?all=1",
              "台账 /registers/ (1 社区 alone)", alone, "/registers/?all=1"))  # fmt: skip
    for name, one, url, alone_name, other, other_url in pairs:
        for label, who, where, census_of in (
            (name, one, url, lambda: street.deployment.census_of(rng.choice(street.codes))),
            (alone_name, other, other_url, lambda: _context(street.alone)),
        ):
            first = timed(who, where)
            cold = []
            for _ in range(repeat):
                save_one(census_of(), rng)
                cold.append(timed(who, where))
            warm = [timed(who, where) for _ in range(repeat)]
            rows.append((label, first, statistics.median(cold), statistics.median(warm)))
    return rows


def _context(app: Any) -> Any:
    from census.web.current import context

    return context(app)


def community_pages(street: Street, repeat: int) -> list[tuple[str, float, float]]:
    """(page, warm in the street's 2nd community, warm alone) medians."""
    inside = Client(street.deployment)
    login(inside, "admin", street.codes[1])
    alone = street.alone.test_client()
    login(alone, "admin")
    rows = []
    for name, url in COMMUNITY_PAGES:
        timed(inside, url), timed(alone, url)  # the first request builds its read model
        there = statistics.median(timed(inside, url) for _ in range(repeat))
        here = statistics.median(timed(alone, url) for _ in range(repeat))
        rows.append((name, there, here))
    return rows


# ------------------------------------------------------------------ 3: saves over two servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ``census serve`` with each of its cycle collections written to a file (generation and
# milliseconds, one line each): what the collector costs the saves, read after the run.
GC_WATCHED = """
import gc, sys, time
out = open(sys.argv[1], "a", buffering=1)
began = [0.0]
def watch(phase, info):
    if phase == "start":
        began[0] = time.perf_counter()
    else:
        out.write(f"{time.monotonic():.3f} {info['generation']} "
                  f"{(time.perf_counter() - began[0]) * 1000:.2f}\\n")
gc.callbacks.append(watch)
sys.argv = ["census", *sys.argv[2:]]
from census.cli import main
main()
"""


def collections_in(processes: list[subprocess.Popen[bytes]], since: float) -> dict[str, float]:
    """The servers' cycle collections since ``since`` (time.monotonic): how many full ones,
    the milliseconds paused in all, and the longest."""
    full, total, longest = 0, 0.0, 0.0
    for process in processes:
        for line in Path(process.pauses).read_text().splitlines():  # type: ignore[attr-defined]
            at, generation, took = line.split()
            if float(at) < since:
                continue
            full += generation == "2"
            total += float(took)
            longest = max(longest, float(took))
    return {"full": full, "paused": total / 1000, "longest": longest / 1000}


def start_server(config: dict[str, Any], port: int) -> subprocess.Popen[bytes]:
    """``census serve`` on ``port`` with the deployment's settings in its environment."""
    env = dict(os.environ, CENSUS_DATA_DIR=config["DATA_DIR"],
               CENSUS_DATABASE_URL=config["DATABASE_URL"], CENSUS_FSYNC="true",
               CENSUS_SERVER_TIMING="true")  # fmt: skip
    pauses = Path(tempfile.mkstemp(prefix="census-bench-gc-")[1])
    command = [sys.executable, "-c", GC_WATCHED, str(pauses), "serve", "--port", str(port),
               "--threads", "8"]  # fmt: skip
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    server.pauses = pauses  # type: ignore[attr-defined]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"census serve did not start on port {port}")


class Saves:
    """Household saves through the API (two edits, then a new household), per community."""

    def __init__(self, census_of: Callable[[str], Any], codes: list[str], seed: int) -> None:
        from census.services.accounts import create_token

        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.count = 0
        self.targets = []
        for code in codes:
            census = census_of(code)
            store = census.store
            token = create_token(store, "admin")
            docs = {d["id"]: d["_rev"] for d in store.collection("households").scan_shared()}
            self.targets.append((code, token, docs))
        self.fresh = generate_demo(seed=seed + 7, households=300, as_of=AS_OF)["households"]

    def request(self) -> tuple[str, str, dict[str, Any], dict[str, str], int]:
        """The next save: (method, path, body, headers, status it should get)."""
        with self.lock:
            self.count += 1
            n = self.count
            code, token, docs = self.targets[n % len(self.targets)]
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            if code:
                headers["X-Census-Community"] = code
            if n % 3 == 0:
                body = dict(self.fresh[n % len(self.fresh)])
                body.pop("household_no", None)
                body["uuid"] = str(uuid.UUID(int=self.rng.getrandbits(128)))
                return "POST", "/api/v1/households", body, headers, 201
            record_id = self.rng.choice(list(docs))
            return "GET+PUT", f"/api/v1/households/{record_id}", {}, headers, 200


def one_save(base: str, saves: Saves) -> tuple[float, str, dict[str, tuple[float, int]]]:
    """One save against the server at ``base``: seconds from request to answer (an edit:
    the PUT only, after reading the household's revision), "edit" or "new", and where the
    server says its time went (its ``Server-Timing``, milliseconds)."""
    import json
    import urllib.request

    method, path, body, headers, expect = saves.request()
    if method == "GET+PUT":
        with urllib.request.urlopen(urllib.request.Request(base + path, headers=headers)) as r:
            doc = json.load(r)
        keep = ("id", "_rev", "review_state", "reviewed_by", "reviewed_at", "surveyor",
                "created_at", "created_by", "updated_at", "updated_by", "submission_hash",
                "revision", "warnings", "flagged")  # fmt: skip
        body = {k: v for k, v in doc.items() if k not in keep}
        body["hardship"] = [] if doc.get("hardship") else ["low_income"]
        body |= {"uuid": str(uuid.uuid4()), "base_revision": doc.get("_rev", doc.get("revision"))}
        method = "PUT"
    data = json.dumps(body, ensure_ascii=False).encode()
    request = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    began = time.perf_counter()
    try:
        with urllib.request.urlopen(request) as r:
            status, timing = r.status, r.headers.get("Server-Timing", "")
    except urllib.error.HTTPError as error:
        status, timing = error.code, ""
    took = time.perf_counter() - began
    if status != expect:
        raise RuntimeError(f"{method} {path}: {status}, not {expect}")
    return took, "edit" if method == "PUT" else "new", parse_timing(timing)


def under_load(bases: list[str], saves: Saves, rate: float, seconds: float) -> dict[str, float]:
    """``rate`` saves a second for ``seconds``, sent in turn to each server; latencies."""
    total = int(rate * seconds)
    times: list[float] = []
    kinds: dict[str, list[float]] = {"edit": [], "new": []}
    failures = 0
    spent: list[tuple[float, dict[str, tuple[float, int]]]] = []
    slow_at: dict[int, int] = {}  # second of the run: saves sent then that took SLOW or more
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=32) as pool:
        futures = []
        for n in range(total):
            delay = started + n / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(one_save, bases[n % len(bases)], saves))
        for n, future in enumerate(futures):
            try:
                took, kind, timing = future.result()
            except Exception:  # counted, not fatal: the table says how many
                failures += 1
                continue
            times.append(took)
            kinds[kind].append(took)
            spent.append((took, timing))
            if took >= SLOW:
                slow_at[int(n / rate)] = slow_at.get(int(n / rate), 0) + 1
    elapsed = time.perf_counter() - started
    ordered = sorted(times) or [0.0]
    return {
        "split": split_of(spent, p95(ordered)),
        "slow at": slow_at,
        "saves": len(times),
        "failed": failures,
        "rate": len(times) / elapsed,
        "p50": ordered[len(ordered) // 2],
        "p95": p95(ordered),
        "max": ordered[-1],
        "p95 edit": p95(sorted(kinds["edit"]) or [0.0]),
        "p95 new": p95(sorted(kinds["new"]) or [0.0]),
    }


SPLIT = ("before", "cpu", "db", "pool", "lock", "ready")
SLOW = 0.3  # seconds: a save this slow is counted in the second it was sent


def split_of(
    spent: list[tuple[float, dict[str, tuple[float, int]]]], slow: float
) -> dict[str, dict[str, float]]:
    """Where the saves' time went, on average (ms), for all of them and for those at or
    over the p95 (``slow`` seconds): ``before`` the server's application had the request
    (its queue, the socket, the client), its thread's ``cpu``, the ``db`` answers and
    ``rounds`` (round trips), the wait for a ``pool`` connection, for the ``lock`` of
    another edit of the same household, and ``ready``: the rest,
    the thread ready but not running (another thread held the GIL, or another process the
    CPU)."""
    found: dict[str, dict[str, float]] = {}
    for name, rows in (("all", spent), ("slowest 5%", [r for r in spent if r[0] >= slow])):
        rows = [r for r in rows if "app" in r[1]]
        if not rows:
            continue
        total = {k: 0.0 for k in (*SPLIT, "rounds", "took")}
        for took, timing in rows:
            app = timing["app"][0]
            parts = {k: timing.get(k, (0.0, 0))[0] for k in ("cpu", "db", "pool", "lock")}
            total["before"] += max(0.0, took * 1000 - app)
            for k, v in parts.items():
                total[k] += v
            total["ready"] += max(0.0, app - sum(parts.values()))
            total["rounds"] += timing.get("db", (0.0, 0))[1]
            total["took"] += took * 1000
        found[name] = {k: v / len(rows) for k, v in total.items()} | {"n": len(rows)}
    return found


def p95(ordered: list[float]) -> float:
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def warm_up(bases: list[str], saves: Saves) -> None:
    """Each server opens every community (its read models) before the clock starts, the
    servers at the same time: at 12,500 households a community that is minutes of work."""
    with ThreadPoolExecutor(max_workers=len(bases)) as pool:
        for future in [pool.submit(_warm, base, saves) for base in bases]:
            future.result()


def _warm(base: str, saves: Saves) -> None:
    for _ in range(len(saves.targets)):
        one_save(base, saves)  # every community asked once (each in turn)


def resident_mb(pid: int) -> float:
    """A process's resident memory (MB), from /proc; 0 where there is none."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def stop(processes: list[subprocess.Popen[bytes]], grace: float = 120) -> float:
    """SIGTERM, then SIGKILL to what is left after ``grace`` seconds; the seconds until the
    last one exited (a server holding twelve communities of 12,500 households once took
    minutes, freeing its objects one by one)."""
    began = time.monotonic()
    for process in processes:
        process.send_signal(signal.SIGTERM)
    deadline = began + grace
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return time.monotonic() - began


def settle(processes: list[subprocess.Popen[bytes]], limit: float = 600) -> float:
    """Wait until the servers are idle (under a tenth of a core, two seconds running): each
    opens every community's read models in the background from its start, 40 s of CPU and
    more at full size, which is no part of a save. The seconds waited."""
    began = time.monotonic()
    quiet = 0
    while time.monotonic() - began < limit and quiet < 2:
        before = sum(cpu_seconds(p.pid) for p in processes)
        time.sleep(1)
        quiet = quiet + 1 if sum(cpu_seconds(p.pid) for p in processes) - before < 0.1 else 0
    return time.monotonic() - began


def database_cpu() -> float:
    """The CPU time so far of every PostgreSQL process of this machine (0 with the database
    elsewhere): what the saves cost the database, read beside the servers' own."""
    total = 0.0
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if (proc / "comm").read_text().strip() == "postgres":
                    total += cpu_seconds(int(proc.name))
            except OSError:
                continue
    return total


def cpu_seconds(pid: int) -> float:
    """A process's CPU time so far (user and system, all its threads), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def saves_over_servers(
    street: Street,
    rate: float,
    seconds: float,
    seed: int,
    show: Callable[[str, Any], None],
    servers: tuple[int, ...] = (2,),
) -> list[Any]:
    """The two runs; each row is shown (``show``) as soon as it is measured."""
    rows = []
    street_saves = Saves(street.deployment.census_of, street.codes, seed)
    alone_saves = Saves(lambda code: _context(street.alone), [""], seed)
    runs = [(f"street: {n} server{'s' if n > 1 else ''}, 12 communities", street.config, n,
             street_saves) for n in servers]  # fmt: skip
    runs.append(("alone: 1 server, 1 community", street.alone_config, 1, alone_saves))
    # The street opened in this process (parts 1 and 2: 1.9 GB at full size) is no part of
    # what is measured here: out of the collector's sight, as the servers keep theirs, so
    # that the client's threads are not paused by collections walking it.
    gc.collect()
    gc.freeze()
    for label, config, servers, saves in runs:
        ports = [free_port() for _ in range(servers)]
        processes = [start_server(config, port) for port in ports]
        result: dict[str, Any] = {}
        try:
            bases = [f"http://127.0.0.1:{port}" for port in ports]
            warm_up(bases, saves)
            settle(processes)
            with psycopg.connect(street.config["DATABASE_URL"], autocommit=True) as conn:
                conn.execute("CHECKPOINT")  # the last run's writes on disk before this one
            before = sum(cpu_seconds(p.pid) for p in processes)
            database, client = database_cpu(), cpu_seconds(os.getpid())
            since = time.monotonic()
            result = under_load(bases, saves, rate, seconds)
            result |= collections_in(processes, since)
            spent = sum(cpu_seconds(p.pid) for p in processes) - before
            done = max(1, result["saves"])
            result["cpu"] = spent / done
            result["db"] = (database_cpu() - database) / done
            result["client"] = (cpu_seconds(os.getpid()) - client) / done
            result["rss"] = max(resident_mb(p.pid) for p in processes)
        finally:
            result["exit"] = stop(processes)
        rows.append((label, result))
        show(label, result)
    return rows


# ------------------------------------------------------------------ 4: the print


def print_list(
    street: Street, workers: int, tmp: Path, buildings: int = 0
) -> tuple[float, int, int]:
    """One community's household list on an empty cache: seconds, pages, households. With
    ``buildings`` only the parts of its first so many buildings (0: the whole list)."""
    from census.printing import pipeline
    from census.printing.plans import PrintRequest, plan, read_records

    census = street.deployment.census_of(street.codes[1])
    records = read_records(census.store, census.community_name())
    parts = plan(PrintRequest("household-list", as_of=AS_OF), records).parts
    names = list(dict.fromkeys(part.label for part in parts))
    if buildings:
        kept = set(names[:buildings])
        parts = [part for part in parts if part.label in kept]
    else:
        kept = set(names)
    count = sum(1 for h in records.households if h.get("building") in kept)
    folder = tmp / f"print-{workers}"
    folder.mkdir()
    started = time.perf_counter()
    stats = pipeline.print_parts(parts, folder / "list.pdf", folder, workers=workers)
    seconds = time.perf_counter() - started
    pipeline.shutdown_pool()
    return seconds, stats.pages, count


# ------------------------------------------------------------------ 5: the import


def import_sheet(url: str, schema: str, sheet: Path) -> tuple[float, int]:
    """The sheet read, checked and stored into an empty store on ``schema``: seconds, created."""
    from census.services.records import prepare_store
    from census.sheets.apply import apply_plan
    from census.sheets.plan import plan_import
    from census.sheets.reader import read_file
    from census.store import open_store
    from census.surveys.definition import load_surveys

    form = load_surveys()["household"]
    with open_store(schema_url(url, schema)) as store:
        prepare_store(store)
        started = time.perf_counter()
        plan = plan_import(store, form, read_file(sheet), filename=sheet.name, today=AS_OF)
        done = apply_plan(store, plan, user="bench")
        return time.perf_counter() - started, done.created


def imports(street: Street, url: str, prefix: str, households: int, tmp: Path) -> list[Any]:
    from import_persons import person_rows, write_xlsx

    from census.services.communities import add_community

    sheet = tmp / "community.xlsx"
    write_xlsx(sheet, person_rows(households))
    home = street.deployment.census
    add_community(home.store, "新社区", "fresh", home_name=home.community_name(), actor="bench")
    street.deployment.census_of("fresh", create=True)  # its schema made, as the page adds one
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {prefix}sheet")
    into_street = import_sheet(url, f"{prefix}home_fresh", sheet)
    alone = import_sheet(url, f"{prefix}sheet", sheet)
    return [("into a 13th community of the street", *into_street),
            ("into an installation alone", *alone)]  # fmt: skip


# ------------------------------------------------------------------ the tables


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "-"


def took(since: float) -> float:
    """A part's line: its wall time and the load average at its end; the clock again."""
    now = time.perf_counter()
    print(f"  (this part: {now - since:,.0f} s; load average {os.getloadavg()[0]:.1f})")
    return now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.02,
                        help="share of the issue's size (1: 150,000 households)")  # fmt: skip
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--repeat", type=int, default=5, help="requests per median")
    parser.add_argument("--rate", type=float, default=20, help="saves a second (issue: 50)")
    parser.add_argument("--seconds", type=float, default=10, help="how long the saves go on")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--print-buildings", type=int, default=0,
                        help="print the first N buildings' lists only (0: all)")  # fmt: skip
    parser.add_argument("--parts", default="1,2,3,4,5", help="which parts to run (1-5)")
    parser.add_argument("--servers", default="2", help="street servers of part 3's runs: 2 or 1,2")
    args = parser.parse_args()
    parts = {int(n) for n in args.parts.split(",") if n.strip()}
    households = max(20, round(FULL_HOUSEHOLDS * args.scale))
    sheet_households = max(20, round(FULL_SHEET * args.scale))
    prefix = f"bench_street_{os.getpid()}_"
    url = args.database_url
    print(f"load average before the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    tmp = Path(tempfile.mkdtemp(prefix="census-bench-street-"))
    street = None
    try:
        slow, bulk = loading_rates(url, prefix)
        print(f"storing households: load_demo {slow:,.0f}/s, insert_many {bulk:,.0f}/s "
              f"({ratio(bulk, slow)}× faster): insert_many is used")  # fmt: skip
        street = Street(url, prefix, tmp, households)
        total = households * COMMUNITIES
        print(
            f"street: {COMMUNITIES} communities × {households:,} households = {total:,} "
            f"households, {street.residents:,} residents, stored in {street.stored:.1f} s "
            f"(scale {args.scale:g} of 150,000); alone: {households:,} households"
        )
        print()
        clock = time.perf_counter()
        if 1 in parts:
            print("1. the street's pages (ms; cold: the first request after a household was saved)")
            print(f"{'page':<34}{'first':>10}{'cold':>10}{'warm':>10}")
            rows = street_pages(street, args.repeat, args.seed)
            for label, first, cold, warm in rows:
                print(f"{label:<34}{ms(first):>10}{ms(cold):>10}{ms(warm):>10}")
            for (label, _f, cold, warm), (alone, _g, c2, w2) in (rows[0:2], rows[2:4]):
                print(
                    f"  ratio {label.split(' (')[0]} / {alone.split(' (')[0]}: "
                    f"cold {ratio(cold, c2)}, warm {ratio(warm, w2)}"
                )
            clock = took(clock)
            print()
        if 2 in parts:
            print("2. a community's pages, warm (ms): its 2nd community in the street, and alone")
            print(f"{'page':<28}{'in the street':>15}{'alone':>10}{'ratio':>8}")
            for label, there, here in community_pages(street, args.repeat):
                print(f"{label:<28}{ms(there):>15}{ms(here):>10}{ratio(there, here):>8}")
            clock = took(clock)
            print()
        if 3 in parts:
            print(
                f"3. household saves through the API, {args.rate:g}/s for {args.seconds:g} s (ms)"
            )
            print(f"{'run':<36}{'saves':>7}{'failed':>7}{'per s':>7}{'p50':>8}{'p95':>8}"
                  f"{'max':>8}{'RSS MB':>8}{'CPU ms/save':>12}{'DB ms':>7}{'client':>7}"
                  f"{'exit s':>8}")  # fmt: skip

            def show(label: str, r: dict[str, Any]) -> None:
                print(f"{label:<36}{r['saves']:>7}{r['failed']:>7}{r['rate']:>7.1f}{ms(r['p50']):>8}"
                      f"{ms(r['p95']):>8}{ms(r['max']):>8}{r['rss']:>8,.0f}"
                      f"{ms(r['cpu']):>12}{ms(r['db']):>7}{ms(r['client']):>7}"
                      f"{r['exit']:>8.1f}")  # fmt: skip
                print(f"  p95 of the edits {ms(r['p95 edit'])} ms, of the new households "
                      f"{ms(r['p95 new'])} ms; its servers' cycle collector: {r['full']} full "
                      f"collections, {r['paused']:.2f} s paused in all, the longest "
                      f"{ms(r['longest'])} ms")  # fmt: skip
                for name, part in r.get("split", {}).items():
                    print(f"  {name} ({part['n']:.0f}), ms a save: {part['took']:.0f} = "
                          + ", ".join(f"{k} {part[k]:.1f}" for k in SPLIT)
                          + f" ({part['rounds']:.1f} round trips)")  # fmt: skip
                if r.get("slow at"):
                    when = ", ".join(f"{t} s: {n}" for t, n in sorted(r["slow at"].items()))
                    print(f"  saves of {SLOW * 1000:.0f} ms or more, by the second they were "
                          f"sent: {when}")  # fmt: skip

            loads = saves_over_servers(street, args.rate, args.seconds, args.seed, show,
                                       tuple(int(n) for n in args.servers.split(",")))  # fmt: skip
            print(f"  ratio p95 street / alone: {ratio(loads[-2][1]['p95'], loads[-1][1]['p95'])}")
            clock = took(clock)
            print()
        if 4 in parts:
            scope = f"first {args.print_buildings} buildings" if args.print_buildings else "whole"
            print(f"4. one community's {scope} household list (empty cache)")
            print(f"{'workers':<10}{'households':>11}{'pages':>7}{'seconds':>9}{'speed-up':>10}")
            one = print_list(street, 1, tmp, args.print_buildings)
            two = print_list(street, 2, tmp, args.print_buildings)
            for workers, (seconds, pages, count) in ((1, one), (2, two)):
                speed = ratio(one[0], seconds)
                print(f"{workers:<10}{count:>11,}{pages:>7}{seconds:>9.1f}{speed:>10}")
            clock = took(clock)
            print()
        if 5 in parts:
            print(f"5. a {sheet_households:,}-household sheet imported (read, checked, stored)")
            print(f"{'into':<38}{'created':>9}{'seconds':>9}{'ratio':>8}")
            done = imports(street, url, prefix, sheet_households, tmp)
            for label, seconds, created in done:
                print(f"{label:<38}{created:>9,}{seconds:>9.1f}{ratio(seconds, done[1][1]):>8}")
            took(clock)
    finally:
        if street is not None:
            street.close()
        drop_schemas(url, prefix)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
