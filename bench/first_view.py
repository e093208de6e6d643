"""The first view after a server starts: the read models built from every record.

    nice .venv/bin/python bench/first_view.py                       # 2,000 and 12,500 households
    nice .venv/bin/python bench/first_view.py --households 2000 --backends tinydb --before ""

The demo generator's community (``generate_demo``, stored once with ``insert_many``, with an
admin account) is kept on PostgreSQL (``--url``, a schema of its own, dropped after) and in a
TinyDB folder. Each tree then runs, ``--runs`` times in a process of its own each time:

- pages: ``create_app``, then the first answer of each staff page in turn (``?all=1``: every
  record counted, approved or not), through the test client logged in as admin. Each row is
  what that page added to those before it (the first one reads every record);
- street: ``create_app`` and the street's figures of today (``derived.view(today,
  approved=True).figures()``, as ``Deployment.open_all`` makes them), for ``--street``
  apps on the community one after another in one process, as a street server opens its
  communities (each app its own store and read models; TinyDB: a copy of the folder each).

``--before REV`` (default: the commit before the cold build was made cheaper) runs the same
on that commit's code (``git archive``), so that both columns come from one run on one
machine. Prints the median wall and CPU seconds of the process and the ratio of CPU; never
passes or fails on a time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from read_models import tree_of  # noqa: E402  (a tree of an older commit)

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "1559717"  # the last commit before the cold build was made cheaper
PASSWORD = "bench-pass-1"
FAST_HASH = "pbkdf2:sha256:1000"
DEFAULT_URL = os.environ.get(
    "CENSUS_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
PAGES = (
    ("台账 /registers/", "/registers/?all=1"),
    ("基本情况 /summary", "/summary?all=1"),
    ("住户 /households", "/households"),
    ("进度 /fieldwork/coverage", "/fieldwork/coverage"),
    ("全部楼栋 /survey/", "/survey/"),
    ("review queue /review/", "/review/"),
)
STREET = "street figures (approved, today), open included"
STREET_ALL = "communities opened with their figures, one after another"

Timing = tuple[float, float]  # (wall seconds, CPU seconds of this process)


# ------------------------------------------------------------------ the community, stored once


def store_community(backend: str, households: int, work: Path, url: str) -> dict[str, Any]:
    """The community stored on a new store; the config to open it with."""
    from census.app import create_app
    from census.demo.generate import generate_demo
    from census.services.accounts import add_user
    from census.web.current import context

    config: dict[str, Any] = {"DATA_DIR": str(work / "data"), "SECRET_KEY": "bench",
                              "WTF_CSRF_ENABLED": False, "PRINT_WORKERS": 0}  # fmt: skip
    if backend == "pg":
        import psycopg

        schema = f"bench_first_view_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        config["DATABASE_URL"] = f"{url}?options=-c%20search_path%3D{schema}"
        config["schema"] = schema
    app = create_app({k: v for k, v in config.items() if k != "schema"})
    store = context(app).store
    try:
        data = generate_demo(seed=1, households=households)
        for name in ("grids", "buildings", "households", "storefronts", "units"):
            store.collection(name).insert_many(data[name])
        add_user(store, "admin", "admin", PASSWORD, hash_method=FAST_HASH)
        store.compact()
    finally:
        context(app).close()
    return config


def drop(config: dict[str, Any], url: str) -> None:
    if config.get("schema"):
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {config['schema']} CASCADE")


# ------------------------------------------------------------------ one tree, in its own process


def measure(config: dict[str, Any], part: str, street: int) -> dict[str, Any]:
    """Open the app and time the first answers (this process's ``census``)."""
    from datetime import date

    from census.app import create_app
    from census.web.current import context

    config = {k: v for k, v in config.items() if k != "schema"}
    times: dict[str, Timing] = {}
    with tempfile.TemporaryDirectory() as work:

        def opened(n: int) -> Any:
            here = dict(config, DATA_DIR=str(Path(work) / f"data{n}"))
            if "DATABASE_URL" not in config:  # a copy of the folder: the runs do not share it
                shutil.copytree(config["DATA_DIR"], here["DATA_DIR"])
            return create_app(here)

        if part == "street":  # a street server's start: one community after another
            kept, began, cpu = [], time.perf_counter(), time.process_time()
            for n in range(street):
                app = opened(n)
                kept.append(app)
                census = context(app)
                assert census.derived is not None
                census.derived.view(date.today(), approved=True).figures()
                if n == 0:
                    times[STREET] = (time.perf_counter() - began, time.process_time() - cpu)
            if street > 1:
                took = (time.perf_counter() - began, time.process_time() - cpu)
                times[f"{STREET_ALL} × {street}"] = took
            for app in kept:
                context(app).close()
            return {"times": times}
        start, cpu = time.perf_counter(), time.process_time()
        app = opened(0)
        times["open (create_app)"] = (time.perf_counter() - start, time.process_time() - cpu)
        census = context(app)
        try:
            client = app.test_client()
            answer = client.post("/login", data={"username": "admin", "password": PASSWORD})
            assert answer.status_code == 302, answer.status_code
            for name, url in PAGES:
                began, cpu = time.perf_counter(), time.process_time()
                response = client.get(url)
                took = (time.perf_counter() - began, time.process_time() - cpu)
                if response.status_code == 404:
                    continue  # not a page of this tree
                assert response.status_code == 200, (url, response.status_code)
                times[name] = took
            return {"times": times}
        finally:
            census.close()


def run_tree(tree: Path, config: dict[str, Any], part: str, street: int) -> dict[str, Any]:
    """``measure`` in a fresh process whose ``census`` package is the one in ``tree``."""
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONHASHSEED="0")
    command = [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(config)]
    command += ["--part", part, "--street", str(street)]
    done = subprocess.run(command, env=env, cwd=tree, capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"the run on {tree} failed")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# ------------------------------------------------------------------ both trees, one table


def median(timings: list[list[float]]) -> Timing:
    """The median wall time and the median CPU time of the runs."""
    return (statistics.median(t[0] for t in timings), statistics.median(t[1] for t in timings))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", default="2000,12500")
    parser.add_argument("--backends", default="pg,tinydb")
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--before", default=BASELINE, help='a commit to compare with ("": none)')
    parser.add_argument("--runs", type=int, default=3, help="runs of each tree: the median")
    parser.add_argument("--street", type=int, default=4, help="communities a street opens")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--part", default="pages", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(json.loads(args.child), args.part, args.street)))
        return
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{os.cpu_count()} cores, load {load:.2f} at the start; seconds, wall / CPU")
    with tempfile.TemporaryDirectory() as scratch:
        trees: dict[str, Path] = {}
        if args.before:
            trees[f"before ({args.before})"] = tree_of(args.before, Path(scratch) / "before")
        trees["this tree"] = ROOT
        names = list(trees)
        head = "| backend | households | what | " + " | ".join(names)
        head += " | CPU before / this tree |" if len(names) == 2 else " |"
        print(head)
        print("|---|---:|---|" + "---:|" * (len(names) + (len(names) == 2)))
        for backend in args.backends.split(","):
            for households in [int(n) for n in args.households.split(",")]:
                work = Path(scratch) / f"{backend}-{households}"
                config = store_community(backend, households, work, args.url)
                try:
                    runs = {n: {} for n in names}  # type: dict[str, dict[str, Timing]]
                    for name, tree in trees.items():
                        for part in ("pages", "street"):
                            tries = [
                                run_tree(tree, config, part, args.street)["times"]
                                for _ in range(args.runs)
                            ]
                            for what in tries[0]:
                                runs[name][what] = median([t[what] for t in tries])
                    rows = list(dict.fromkeys(k for n in names for k in runs[n]))
                    total = "first answer of every page (sum)"
                    for name in names:
                        pages = [runs[name][k] for k, _ in PAGES if k in runs[name]]
                        runs[name][total] = (sum(p[0] for p in pages), sum(p[1] for p in pages))
                    for what in [*rows, total]:
                        line = f"| {backend} | {households:,} | {what} | "
                        cells = [runs[n].get(what) for n in names]
                        line += " | ".join(f"{c[0]:.2f} / {c[1]:.2f}" if c else "–" for c in cells)
                        if len(names) == 2:
                            old, new = cells
                            ratio = f"{old[1] / new[1]:.1f}×" if old and new and new[1] else "–"
                            line += f" | {ratio}"
                        print(line + " |", flush=True)
                finally:
                    drop(config, args.url)


if __name__ == "__main__":
    main()
