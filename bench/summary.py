"""Time the community summary and every register count at 13,000 households / ~50,000 residents.

    .venv/bin/python bench/summary.py [--households 13000] [--repeat 3]

Builds a store in a temporary folder (the demo community generated once at a quarter of
the size, copied into further buildings, and batch-inserted), then times what the 台账 and
基本情况 pages and `census summary` do: read the records from the store, find who lives
here on the date, count. Prints a table (median of --repeat runs); never passes or fails on
a time. The target of issue 3 is ≤ 1 s for the summary and for every register count.
"""

from __future__ import annotations

import argparse
import copy
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from census.demo import DEMO_DATE, generate_demo
from census.domain.registers import load_registers, register_counts, register_rows, rows_in
from census.domain.residents import build_community
from census.domain.summary import summary
from census.store import open_store
from census.web.registers import community_records

TARGET_S = 1.0


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=13000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    as_of: date = DEMO_DATE

    start = time.perf_counter()
    data = community(args.households)
    made = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as folder, open_store(folder, fsync=False) as store:
        start = time.perf_counter()
        store.collection("buildings").insert_many(data["buildings"])
        store.collection("households").insert_many(data["households"])
        store.collection("storefronts").insert_many(data["storefronts"])
        store.collection("units").insert_many(data["units"])
        stored = time.perf_counter() - start

        registers = load_registers()
        load = timed(lambda: community_records(store), args.repeat)
        households, storefronts, units = load[2]
        build = timed(lambda: build_community(households, as_of), args.repeat)
        built = build[2]
        whole = timed(lambda: summary(households, storefronts, units, as_of), args.repeat)
        figures = whole[2]
        counts = timed(
            lambda: register_counts(registers, households, storefronts, units, as_of), args.repeat
        )

        print(
            f"{len(households):,} households, {figures['residents']:,} residents "
            f"({figures['away_persons']:,} away), {len(storefronts)} storefronts, "
            f"{len(units)} units; as of {as_of}; {os.cpu_count()} cores, load {_load()}"
        )
        print(f"generated in {made:.1f} s, stored (insert_many) in {stored:.1f} s")
        print(f"median of {args.repeat} runs; target ≤ {TARGET_S:.1f} s\n")
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
                lambda reg=reg: register_rows(reg, households, storefronts, units, as_of),
                args.repeat,
            )
            _wall, rule, _rows = timed(lambda reg=reg: rows_in(reg, built, storefronts, units), 1)
            print(f"{reg.key:<22} {len(rows):>8,} {wall:7.3f} {cpu:7.3f} {rule:7.3f}{_flag(cpu)}")
        print("-" * 56)
        print("a register's seconds: its rows from the records (who lives here on the date,")
        print("the rule, the order); rule s: the rule and the order alone (CPU).")
        print(f"\n台账 page (read + all counts), cpu:     {load[1] + counts[1]:6.3f} s")
        print(f"基本情况 page (read + summary), cpu:   {load[1] + whole[1]:6.3f} s")


def _load() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def _flag(seconds: float) -> str:
    return "" if seconds <= TARGET_S else "  > target"


if __name__ == "__main__":
    main()
