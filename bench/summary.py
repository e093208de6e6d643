"""Time the community summary and every register count at 13,000 households / ~50,000 residents.

    .venv/bin/python bench/summary.py [--households 13000] [--repeat 3] [--register minority]

Builds an app on a temporary data folder (the demo community generated once at a quarter of
the size, copied into further buildings, and batch-inserted), then times what the 台账 and
基本情况 pages and `census summary` do: read the records from the store, find who lives
here on the date, count. Prints tables (median of --repeat runs); never passes or fails on
a time. The target of issue 3 is ≤ 1 s for the summary and for every register count.

The last two tables compare, in the same run:

- old: the path every page view took before the app kept its results: the store read with
  the cycle collector running, household and dwelling rows made for counting, every rule
  counted row by row (a copy of that code lives here, as the baseline);
- cold: a view made from scratch by the app's read model (``census.queries.derived``), as
  after a start or a write the store cannot tell apart (another server's);
- warm: a repeat view, answered from the cache;

and then the pages themselves through the app's test client (template included).
"""

from __future__ import annotations

import argparse
import copy
import gc
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from census.app import create_app
from census.demo.generate import DEMO_DATE, generate_demo
from census.domain.charts import summary_charts
from census.domain.registers import (
    RegisterDef,
    _source_rows,
    register_counts,
    register_rows,
    rows_in,
)
from census.domain.residents import build_community
from census.domain.rules import Columns, _mask, predicate
from census.domain.summary import figures_of, summary
from census.queries.derived import Derived, read_records
from census.services.accounts import add_user
from census.store import Store, codec
from census.util.gcpause import paused_gc  # noqa: E402
from census.web.current import get_store

TARGET_S = 1.0
PASSWORD = "bench-pass-1"


def community(households: int, seed: int = 7) -> dict[str, Any]:
    """A demo community of ``households`` households with about 3.8 residents each."""
    copies = 4
    base = generate_demo(seed=seed, households=-(-households // copies))
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    buildings: list[dict[str, Any]] = []
    for n in range(copies):
        suffix = "" if n == 0 else f"-{n + 1}区"
        for b in base["buildings"]:
            buildings.append(dict(b, name=b["name"] + suffix))
        for h in base["households"]:
            if len(rows) == households:
                break
            h = copy.deepcopy(h)
            h["building"] += suffix
            h["household_no"] = f"H{len(rows) + 1:05d}"
            h["uuid"] = f"bench-{len(rows)}"
            if rng.random() < 0.7:  # a further child or relative: ~50,000 residents in all
                extra = dict(rng.choice(h["members"]), relation="other_relative")
                extra["residence_type"] = "registered"
                h["members"].append(extra)
            rows.append(h)
    return dict(base, households=rows, buildings=buildings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=13000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--register", default="minority", help="the register page to time")
    args = parser.parse_args()
    as_of: date = DEMO_DATE

    start = time.perf_counter()
    data = community(args.households)
    made = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "DATA_DIR": folder,
                "SECRET_KEY": "bench",
                "TESTING": True,
                "WTF_CSRF_ENABLED": False,
                "FSYNC": False,
            }
        )
        store = get_store(app)
        try:
            start = time.perf_counter()
            for name in ("buildings", "households", "storefronts", "units"):
                store.collection(name).insert_many(data.pop(name))
            stored = time.perf_counter() - start
            del data  # the app's process holds the store's records, not the generated ones
            add_user(store, "bench", "reviewer", PASSWORD, hash_method="pbkdf2:sha256:1000")
            registers: list[RegisterDef] = app.extensions["census"].registers
            reg = next((r for r in registers if r.key == args.register), registers[0])
            print(f"generated in {made:.1f} s, stored (insert_many) in {stored:.1f} s")
            for section in (
                lambda: parts(store, registers, as_of, args.repeat),
                lambda: compare(store, registers, reg, as_of, args.repeat),
                lambda: pages(app, store, reg, as_of, args.repeat),
            ):
                gc.collect()  # each section starts from the app's own records alone
                section()
        finally:
            store.close()


def parts(store: Store, registers: list[RegisterDef], as_of: date, repeat: int) -> None:
    """The steps of a view made from scratch, and each register's rows."""
    load = timed(lambda: read_records(store), repeat)
    records = load[2]
    households, storefronts, units = records.households, records.storefronts, records.units
    build = timed(lambda: build_community(households, as_of), repeat)
    built = build[2]
    whole = timed(lambda: summary(households, storefronts, units, as_of), repeat)
    figures = whole[2]
    counts = timed(
        lambda: register_counts(registers, households, storefronts, units, as_of), repeat
    )

    print(
        f"{len(households):,} households, {figures['residents']:,} residents "
        f"({figures['away_persons']:,} away), {len(storefronts)} storefronts, "
        f"{len(units)} units; as of {as_of}; {os.cpu_count()} cores, load {_load()}"
    )
    print(f"median of {repeat} runs; target ≤ {TARGET_S:.1f} s\n")
    print(f"{'what':<42} {'wall s':>7} {'cpu s':>7} {'rows':>8}")
    print("-" * 67)
    for what, (wall, cpu, _result), rows in (
        ("read records from the store", load, len(households)),
        ("residents on the date (build_community)", build, len(built.residents)),
        ("summary (all §6 figures)", whole, figures["residents"]),
        ("all register counts (one build)", counts, sum(counts[2].values())),
    ):
        print(f"{what:<42} {wall:7.3f} {cpu:7.3f} {rows:>8,}{_flag(cpu)}")
    print(f"\n{'register':<22} {'rows':>8} {'wall s':>7} {'cpu s':>7} {'rule s':>7}")
    print("-" * 56)
    for reg in registers:
        wall, cpu, rows = timed(
            lambda reg=reg: register_rows(reg, households, storefronts, units, as_of), repeat
        )
        _wall, rule, _rows = timed(lambda reg=reg: rows_in(reg, built, storefronts, units), 1)
        print(f"{reg.key:<22} {len(rows):>8,} {wall:7.3f} {cpu:7.3f} {rule:7.3f}{_flag(cpu)}")
    print("-" * 56)
    print("a register's seconds: its rows from the records (who lives here on the date,")
    print("the rule, the order); rule s: the rule and the order alone (CPU).")
    print(f"\n台账 page (read + all counts), cpu:     {load[1] + counts[1]:6.3f} s")
    print(f"基本情况 page (read + summary), cpu:   {load[1] + whole[1]:6.3f} s")


def compare(
    store: Store, registers: list[RegisterDef], reg: RegisterDef, as_of: date, repeat: int
) -> None:
    """The old path, a cold view and a warm one, for what each page needs (CPU seconds)."""

    def old_counts() -> dict[str, int]:
        households, storefronts, units = old_records(store)
        return old_register_counts(registers, households, storefronts, units, as_of)

    def old_rows() -> list[dict[str, Any]]:
        households, storefronts, units = old_records(store)
        return rows_in(reg, build_community(households, as_of), storefronts, units)

    def old_summary() -> tuple[dict[str, Any], dict[str, str]]:
        households, storefronts, units = old_records(store)
        community = build_community(households, as_of)
        figures = figures_of(community, storefronts, units)
        return figures, summary_charts(figures, community.residents, "zh")

    def summary_page(cache: Derived) -> tuple[dict[str, Any], dict[str, str]]:
        view = cache.view(as_of)
        return view.figures(), view.charts("zh")

    cases: list[tuple[str, Callable[[], Any], Callable[[Derived], Any]]] = [
        ("台账: all register counts", old_counts, lambda c: c.view(as_of).counts()),
        (f"register {reg.key}: its rows", old_rows, lambda c: c.view(as_of).rows(reg)),
        ("基本情况: figures + charts", old_summary, summary_page),
    ]
    print(f"\nold path, cold view (made from scratch) and warm view (repeat), as of {as_of}")
    print(f"{'page work':<30} {'old s':>7} {'cold s':>7} {'warm ms':>8} {'old/cold':>9} "
          f"{'old/warm':>10}")  # fmt: skip
    print("-" * 76)
    for what, old, new in cases:
        before = timed(old, repeat)
        cold = timed(lambda new=new: new(Derived(store, registers)), repeat)
        cache = Derived(store, registers)
        new(cache)
        warm = timed(lambda new=new, cache=cache: new(cache), max(repeat, 20))
        assert _same(before[2], cold[2]) and _same(before[2], warm[2]), what
        print(
            f"{what:<30} {before[1]:7.3f} {cold[1]:7.3f} {warm[1] * 1000:8.3f} "
            f"{before[1] / cold[1]:8.1f}x {before[1] / max(warm[1], 1e-9):9,.0f}x"
            f"{_flag(cold[1])}"
        )
    print("-" * 76)
    print("CPU seconds, median; warm: a stamp of the store and a look-up (counts and figures")
    print("copied). Old and new agree on every count, row and figure.")


def pages(app: Any, store: Store, reg: RegisterDef, as_of: date, repeat: int) -> None:
    """The pages through the app: the first view after a write, and a repeat view."""
    client = app.test_client()
    client.post("/login", data={"username": "bench", "password": PASSWORD})
    households = store.collection("households")
    some = households.find_one()
    assert some is not None
    urls = [f"/registers/?as_of={as_of}", f"/registers/{reg.key}?as_of={as_of}",
            f"/summary?as_of={as_of}"]  # fmt: skip

    def write() -> None:
        households.update(some["id"], {k: v for k, v in some.items() if k != "_rev"})

    print(f"\n{'page (test client)':<38} {'after a write':>17} {'repeat (x10 each)':>26}")
    print(f"{'':<38} {'wall s':>8} {'cpu s':>8} {'wall ms':>8} {'cpu ms':>8} {'max ms':>8}")
    print("-" * 83)
    for url in urls:
        firsts, repeats = [], []
        for _ in range(repeat):
            write()
            firsts.append(timed(lambda url=url: client.get(url), 1))
            assert firsts[-1][2].status_code == 200, (url, firsts[-1][2].status_code)
            repeats += [timed(lambda url=url: client.get(url), 1) for _ in range(10)]
        first = [statistics.median(t[n] for t in firsts) for n in (0, 1)]
        again = [statistics.median(t[n] for t in repeats) * 1000 for n in (0, 1)]
        slowest = max(t[0] for t in repeats) * 1000
        print(
            f"{url:<38} {first[0]:8.3f} {first[1]:8.3f} {again[0]:8.1f} {again[1]:8.1f} "
            f"{slowest:8.1f}{_flag(first[1])}"
        )
    print("-" * 83)
    print("after a write: the household written is read again and replaced in the read model;")
    print("the rest is kept. max ms: the slowest repeat view, which may include a full pass of")
    print(f"Python's cycle collector. Process memory now: {_rss()}.")


# ------------------------------------------------------------ the old path, as the baseline


def old_records(store: Store) -> tuple[list[dict], list[dict], list[dict]]:
    """What ``community_records`` did before: every collection copied, the collector running."""
    grids = {b["name"]: b.get("grid") for b in old_scan(store, "buildings")}
    households = old_scan(store, "households")
    storefronts = old_scan(store, "storefronts")
    for record in households + storefronts:
        if not record.get("grid"):
            record["grid"] = grids.get(record.get("building"))
    return households, storefronts, old_scan(store, "units")


def old_scan(store: Store, name: str) -> list[dict[str, Any]]:
    """``scan()`` as the TinyDB store did it before (it reads the store's insides)."""
    collection: Any = store.collection(name)
    with collection._lock:
        raw = collection._table.raw()
        ids = sorted(int(key) for key in raw)
        docs = codec.clone([raw[str(doc_id)] for doc_id in ids])
    return [{"id": doc_id, **doc} for doc_id, doc in zip(ids, docs, strict=True)]


def old_register_counts(
    registers: list[RegisterDef],
    households: list[dict[str, Any]],
    storefronts: list[dict[str, Any]],
    units: list[dict[str, Any]],
    as_of: date,
) -> dict[str, int]:
    """``register_counts`` before: rows of every record type made, each rule run row by row."""
    community = build_community(households, as_of)
    counts = {}
    columns: dict[tuple[str, bool], Columns] = {}
    with paused_gc():
        for reg in registers:
            rows = _source_rows(reg.record, community, storefronts, units, reg.include_away)
            cols = columns.setdefault((reg.record, reg.include_away), Columns(rows))
            if reg.rule is None:
                counts[reg.key] = len(rows)
                continue
            mask = _mask(reg.rule, cols)
            counts[reg.key] = sum(mask) if mask is not None else sum(map(predicate(reg.rule), rows))
    return counts


def _same(a: Any, b: Any) -> bool:
    return bool(a == b)


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Median wall-clock and CPU seconds of ``repeat`` calls, and the last result.

    CPU time is the column to read on a busy machine: wall-clock time then also counts
    the time other processes held the cores.
    """
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def _rss() -> str:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return f"{int(line.split()[1]) / 1024:,.0f} MB"
    except OSError:
        pass
    return "?"


def _load() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def _flag(seconds: float) -> str:
    return "" if seconds <= TARGET_S else "  > target"


if __name__ == "__main__":
    main()
