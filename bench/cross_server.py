"""Two servers on one PostgreSQL database at 13,000 households: the staff pages on server B
right after a save on server A, read through the change journal or by reading everything.

    .venv/bin/python bench/cross_server.py                      # 13,000 households
    .venv/bin/python bench/cross_server.py --households 2000 --rounds 2 --saves 20

The demo generator's community (a fifth of it waiting for review) is stored in a fresh
schema of the local server's database (dropped at the end). Three apps open it in this
process, each with a store of its own, as three servers would: A saves households through
the API (two edits, then a new household, in turn); B and B' are logged in as admin. B
follows A's writes as this tree does (the journal); B' as the tree before it did (only its
own writes told apart: each of A's makes its next view read every record again), the
switch being B' store's ``changed_ids`` answering from its own log alone, as it did.

1. pages: each page opened once on B and B' (the start); then, ``--rounds`` times, for each
   page: one save on A, then that page on B and on B' (in turn first): the first view after
   another server's save. Medians, wall and CPU seconds.
2. one save's cost: ``--statements`` times in turn on one connection, the update and the
   insert of one document as this tree writes them (with the journal's row) and as
   ``--before`` (the commit before the journal) wrote them, commits waiting for the disk
   and not; then ``--saves`` saves through A's API and as many updates and inserts through
   the store, in processes of their own on two trees made from HEAD: as it is, and with the
   store files (pgsql.py, pgstore.py, changelog.py) of ``--before``, in turn, three times
   each. p50 and p95.

Prints tables; never passes or fails on a time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from read_models import Saver, tree_of  # noqa: E402  (the API saves and a tree of a commit)

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "bc3ea04"  # the commit before the change journal
STORE_FILES = ("census/store/pgsql.py", "census/store/pgstore.py", "census/store/changelog.py")
PG_URL = os.environ.get("CENSUS_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
PASSWORD = "bench-pass-1"
FAST_HASH = "pbkdf2:sha256:1000"
PAGES = (
    ("台账 /registers/", "/registers/?all=1"),
    ("基本情况 /summary", "/summary?all=1"),
    ("进度 /fieldwork/coverage", "/fieldwork/coverage"),
    ("review queue /review/", "/review/"),
)
Timing = tuple[float, float]  # (wall seconds, CPU seconds of this process)


# ------------------------------------------------------------------ the community


def make_schema(households: int, seed: int) -> tuple[str, str]:
    """A fresh schema holding the community; (its name, a URL whose tables are there)."""
    from census.app import create_app
    from census.demo.generate import generate_demo
    from census.services.accounts import add_user
    from census.web.current import get_store

    schema = f"census_bench_cross_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = f"{PG_URL}?options=-c%20search_path%3D{schema}"
    data = generate_demo(seed=seed, households=households)
    rng = random.Random(seed)
    for household in data["households"]:
        draw = rng.random()
        if draw < 0.2:
            household["review_state"] = "submitted"
        elif draw < 0.23:
            household["review_state"] = "returned"
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"DATABASE_URL": url, "DATA_DIR": folder, "SECRET_KEY": "bench"})
        store = get_store(app)
        try:
            for name in ("grids", "buildings", "households", "storefronts", "units"):
                store.collection(name).insert_many(data[name])
            add_user(store, "admin", "admin", PASSWORD, hash_method=FAST_HASH)
        finally:
            store.close()
    return schema, url


def drop_schema(schema: str) -> None:
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


# ------------------------------------------------------------------ 1. the pages on B


def as_before(store: Any) -> None:
    """Make the store answer ``changed_ids`` from its own log alone, as before the journal."""
    log = store._changes

    def changed_ids(before: Hashable, after: Hashable, *names: str) -> Any:
        if not (isinstance(before, tuple) and isinstance(after, tuple)):
            return None
        if not len(before) == len(after) == len(names):
            return None
        found = {}
        for name, old, new in zip(names, before, after, strict=True):
            ids = log.between(name, int(old), int(new))
            if ids is None:
                return None
            found[name] = ids
        return found

    store.changed_ids = changed_ids


def server(url: str, folder: Path) -> tuple[Any, Any]:
    """An app on the database, and a test client logged in as admin."""
    from census.app import create_app

    app = create_app(
        {"DATABASE_URL": url, "DATA_DIR": str(folder), "SECRET_KEY": "bench"}
        | {"WTF_CSRF_ENABLED": False, "FSYNC": True}
    )
    client = app.test_client()
    answer = client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert answer.status_code == 302, answer.status_code
    return app, client


def view(client: Any, url: str) -> Timing:
    began, cpu = time.perf_counter(), time.process_time()
    answer = client.get(url)
    took = (time.perf_counter() - began, time.process_time() - cpu)
    assert answer.status_code == 200, (url, answer.status_code)
    return took


def pages(url: str, rounds: int, seed: int) -> dict[str, Any]:
    from census.services.accounts import create_token
    from census.web.current import context, get_store

    with tempfile.TemporaryDirectory() as work:
        a, a_client = server(url, Path(work) / "a")
        journal, journal_client = server(url, Path(work) / "b")
        before, before_client = server(url, Path(work) / "b-before")
        as_before(get_store(before))
        try:
            saver = Saver(a, a_client, create_token(get_store(a), "admin"), seed)
            start = {
                label: {name: view(client, path) for name, path in PAGES}
                for label, client in (("journal", journal_client), ("before", before_client))
            }
            after: dict[str, dict[str, list[Timing]]] = {"journal": {}, "before": {}}
            for n in range(rounds):
                for name, path in PAGES:
                    saver.save()
                    order = [("journal", journal_client), ("before", before_client)]
                    for label, client in order if n % 2 == 0 else order[::-1]:
                        after[label].setdefault(name, []).append(view(client, path))
            return {
                "households": len(get_store(a).collection("households")),
                "start": start,
                "after": after,
                "full_reads": {
                    "journal": context(journal).derived.full_reads,
                    "before": context(before).derived.full_reads,
                },
                "journal_reads": get_store(journal).journal_reads,
            }
        finally:
            for app in (a, journal, before):
                get_store(app).close()


# ------------------------------------------------------------------ 2. one save's cost


def saves(url: str, count: int, seed: int) -> dict[str, list[float]]:
    """In a child on one tree: API saves on A, then single updates and inserts on the store."""
    from census.services.accounts import create_token
    from census.web.current import get_store

    with tempfile.TemporaryDirectory() as work:
        app, client = server(url, Path(work) / "a")
        store = get_store(app)
        try:
            saver = Saver(app, client, create_token(store, "admin"), seed)
            saver.save()  # the first pays for connections and caches
            api = [saver.save()[0] for _ in range(count)]
            bench = store.collection("bench_documents")
            doc_id = bench.insert({"n": 0, "text": "入户登记" * 20})
            updates, inserts = [], []
            for n in range(count):
                began = time.perf_counter()
                bench.update(doc_id, {"n": n, "text": "入户登记" * 20})
                updates.append(time.perf_counter() - began)
                began = time.perf_counter()
                bench.insert({"n": n, "text": "入户登记" * 20})
                inserts.append(time.perf_counter() - began)
            return {"api": api, "update": updates, "insert": inserts}
        finally:
            store.close()


def run_child(tree: Path, url: str, args: argparse.Namespace, seed: int) -> dict[str, list[float]]:
    """``saves`` in a fresh process whose ``census`` is the one in ``tree`` (its own seed:
    a new household's uuid seen before would be a repeat, not a save)."""
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONHASHSEED="0")
    command = [sys.executable, str(Path(__file__).resolve()), "--child", url]
    command += ["--saves", str(args.saves), "--seed", str(seed)]
    done = subprocess.run(command, env=env, cwd=tree, capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"the run on {tree} failed")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def trees(scratch: Path, before: str) -> dict[str, Path]:
    """HEAD as it is, and HEAD with the store files of ``before``."""
    made = {"journal (HEAD)": tree_of("HEAD", scratch / "head")}
    old = made[f"no journal ({before} store)"] = tree_of("HEAD", scratch / "old")
    for path in STORE_FILES:
        text = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{before}:{path}"], check=True, capture_output=True
        ).stdout
        (old / path).write_bytes(text)
    return made


def statements(url: str, count: int, before: str) -> dict[str, dict[str, list[float]]]:
    """This tree's and ``before``'s update and insert statements, in turn on one connection."""
    import importlib.util

    from census.store import pgsql
    from census.store.pgstore import PgStore

    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{before}:census/store/pgsql.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    spec = importlib.util.spec_from_loader("census.store.pgsql_before", loader=None)
    assert spec is not None
    old = importlib.util.module_from_spec(spec)
    old.__package__ = "census.store"
    sys.modules[spec.name] = old  # (its dataclass looks its module up there)
    exec(compile(source, f"{before}:census/store/pgsql.py", "exec"), old.__dict__)
    doc = '{"n": 1, "text": "' + "入户登记" * 20 + '"}'
    found: dict[str, dict[str, list[float]]] = {}
    store = PgStore(url)
    try:
        doc_id = store.collection("bench_statements").insert({"n": 0})
        new_update = {"name": "bench_statements", "doc": doc, "id": doc_id, "rev": None}
        new_update["keep"] = pgsql.JOURNAL_KEEP
        new_insert = {"name": "bench_statements", "n": 1, "docs": f"[{doc}]"}
        new_insert |= {"keep": pgsql.JOURNAL_KEEP}
        with store.connection() as conn:
            for sync in ("on", "off"):
                conn.execute(f"SET synchronous_commit = {sync}")
                times: dict[str, list[float]] = {}
                for n in range(count):
                    runs = [
                        ("update, journal", pgsql.UPDATE, new_update),
                        ("update, before", old.UPDATE, ("bench_statements", doc, doc_id, None)),
                        ("insert, journal", pgsql.INSERT_UNCHECKED, new_insert),
                        ("insert, before", old.INSERT_UNCHECKED, new_insert),
                    ]
                    for what, statement, params in runs if n % 2 else runs[::-1]:
                        began = time.perf_counter()
                        conn.execute(statement, params).fetchall()
                        times.setdefault(what, []).append(time.perf_counter() - began)
                found[f"synchronous_commit {sync}"] = times
    finally:
        store.close()
    return found


# ------------------------------------------------------------------ the tables


def _p(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def median(timings: list[Timing]) -> Timing:
    return (statistics.median(t[0] for t in timings), statistics.median(t[1] for t in timings))


def report_pages(found: dict[str, Any], rounds: int) -> None:
    load = os.getloadavg()[0]
    print(
        f"\n{found['households']:,} households, {os.cpu_count()} cores, load {load:.2f}; "
        f"B after A's save: median of {rounds}; seconds"
    )
    print(
        "| page on server B | before: read everything, wall | journal, wall | before / journal"
        " | before CPU | journal CPU |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name, _path in PAGES:
        for what, old, new in (
            ("start", found["start"]["before"][name], found["start"]["journal"][name]),
            (
                "right after a save on A",
                median(found["after"]["before"][name]),
                median(found["after"]["journal"][name]),
            ),
        ):
            print(
                f"| {name}, {what} | {old[0]:.3f} | {new[0]:.3f} | "
                f"{old[0] / max(new[0], 1e-9):.1f}× | {old[1]:.3f} | {new[1]:.3f} |"
            )
    print(
        f"\nfull reads: before {found['full_reads']['before']}, "
        f"journal {found['full_reads']['journal']} (journal queries: {found['journal_reads']})"
    )


def report_statements(found: dict[str, dict[str, list[float]]], count: int) -> None:
    print(f"\nthe write statements, {count} of each in turn on one connection; milliseconds")
    print("| statement | commit | before p50 | journal p50 | + | before p95 | journal p95 |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for sync, times in found.items():
        for kind in ("update", "insert"):
            old, new = times[f"{kind}, before"], times[f"{kind}, journal"]
            a, b = _p(old, 0.5) * 1000, _p(new, 0.5) * 1000
            print(
                f"| {kind} of one document | {sync} | {a:.2f} | {b:.2f} | {b - a:+.2f} | "
                f"{_p(old, 0.95) * 1000:.2f} | {_p(new, 0.95) * 1000:.2f} |"
            )


def report_saves(runs: dict[str, list[dict[str, list[float]]]], count: int) -> None:
    labels = list(runs)
    rounds = len(next(iter(runs.values())))
    print(f"\none save's cost, {rounds * count} of each per tree ({rounds} runs in turn); ms")
    print("| what | " + " | ".join(labels) + " | journal − no journal |")
    print("|---|" + "---:|" * (len(labels) + 1))
    for kind, what in (
        ("api", "household save through the API"),
        ("update", "store update of one document"),
        ("insert", "store insert of one document"),
    ):
        for share, name in ((0.5, "p50"), (0.95, "p95")):
            values = [_p([t for run in runs[k] for t in run[kind]], share) * 1000 for k in labels]
            cells = " | ".join(f"{v:.2f}" for v in values)
            print(f"| {what}, {name} | {cells} | {values[0] - values[-1]:+.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=13000)
    parser.add_argument("--rounds", type=int, default=3, help="saves on A per page")
    parser.add_argument("--saves", type=int, default=30, help="saves per tree and run")
    parser.add_argument("--statements", type=int, default=300, help="of each, in turn")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--before", default=BEFORE, help="the store files to compare with")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(saves(args.child, args.saves, args.seed)))
        return
    began = time.perf_counter()
    schema, url = make_schema(args.households, args.seed)
    print(f"stored {args.households:,} households in {time.perf_counter() - began:.1f} s")
    try:
        report_pages(pages(url, args.rounds, args.seed), args.rounds)
        report_statements(statements(url, args.statements, args.before), args.statements)
        with tempfile.TemporaryDirectory() as scratch:
            made = trees(Path(scratch), args.before)
            runs: dict[str, list[dict[str, list[float]]]] = {label: [] for label in made}
            for n in range(3):
                for k, (label, tree) in enumerate(made.items()):
                    runs[label].append(run_child(tree, url, args, args.seed + 10 * n + k + 1))
        report_saves(runs, args.saves)
    finally:
        drop_schema(schema)


if __name__ == "__main__":
    main()
