"""Planning a print (reading its records and making its parts) the second time, at a few
thousand households: from a read of the store, as every print did before, beside the read
model the pages see (``printing.plans.records_seen``), as the web's print jobs and
``census worker`` do now.

    .venv/bin/python bench/print_planning.py                  # 1,000 and 4,000 households
    .venv/bin/python bench/print_planning.py --households 3000 --repeat 3

For each size the demo generator's community is stored in a TinyDB data folder and in a
PostgreSQL schema of its own (``--pg``, dropped afterwards), and opened as a worker opens
it (``Census.open``). Two prints are planned, one building's household list and the whole
community's summary (全部, every record); the first print of each makes the read model,
then each row times ``--repeat`` more (median, milliseconds), the records alone and the
whole planning (records and parts):

- ``store read``: ``read_records`` of the store (the baseline, this run);
- ``read model``: the read model's records of the request's date and gate;
- ``after own write``: the read model's records after one household saved by this process
  (taken in document by document);
- ``after other write`` (PostgreSQL): after one household saved through another store on
  the same database, as another server would; ``full reads`` counts the read model's
  reads of everything after the first print;
- for the summary, ``figures worked out``: planned from the read model's records with the
  figures, charts and pending records worked out from them, as every summary print did
  before it took them from the view (the baseline of the summary, this run), beside
  ``planning, read model`` (the view's, kept between prints); ``planning after own write``
  plans each print after one household saved by this process (the view's figures made
  again from its advanced tally).

Prints a table; never passes or fails on a time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402

from census.context import Census, load_config  # noqa: E402
from census.demo.generate import generate_demo  # noqa: E402
from census.printing.plans import (  # noqa: E402
    HOUSEHOLD_LIST,
    SUMMARY,
    PrintRequest,
    plan,
    read_records,
    records_seen,
)
from census.store import open_store  # noqa: E402

AS_OF = date(2025, 9, 1)


def median_ms(work: Callable[[], Any], repeat: int, before: Callable[[], Any] | None = None):
    times = []
    for _ in range(repeat):
        if before is not None:
            before()
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def ratio(before: float, after: float) -> str:
    """How many times faster, or > 1000 for a lookup against a read."""
    if after <= 0 or before / after > 1000:
        return "> 1000"
    return f"{before / after:.1f}"


def store_community(census: Census, households: int) -> str:
    """The demo community in the store; the name of its first building."""
    data = generate_demo(seed=7, households=households, as_of=AS_OF)
    for name in ("grids", "buildings", "households", "storefronts", "units"):
        census.store.collection(name).insert_many(data[name])
    return str(data["buildings"][0]["name"])


def measure(census: Census, building: str, repeat: int, other: Any) -> list[dict[str, Any]]:
    assert census.derived is not None
    derived = census.derived
    community = census.community_name()
    rows = []
    first_id = min(h["id"] for h in census.store.collection("households").scan())
    edits = [0]

    def write(store: Any) -> Callable[[], None]:
        def edit() -> None:  # one household's notes changed, the rest of it as it was
            edits[0] += 1
            households = store.collection("households")
            household = dict(households.get(first_id))
            households.update(first_id, household | {"notes": f"编辑{edits[0]}"})

        return edit

    for label, request in (
        (f"{building} household list", PrintRequest(HOUSEHOLD_LIST, building=building)),
        ("community summary", PrintRequest(SUMMARY)),
    ):
        request = PrintRequest(
            request.target, building=request.building, as_of=AS_OF, approved=False
        )

        def stored(request: PrintRequest = request) -> Any:
            return read_records(census.store, community)

        def seen(request: PrintRequest = request) -> Any:
            return records_seen(derived, request, community)

        def from_store(request: PrintRequest = request) -> None:
            plan(request, stored(), census.registers)

        def from_model(request: PrintRequest = request) -> None:
            plan(request, seen(), census.registers)

        def worked_out(request: PrintRequest = request) -> None:
            plan(request, replace(seen(), view=None), census.registers)

        from_model()  # the first print: the read model made
        reads = derived.full_reads
        row = {
            "print": label,
            "store read": median_ms(stored, repeat),
            "read model": median_ms(seen, repeat),
            "planned from store": median_ms(from_store, repeat),
            "planned from model": median_ms(from_model, repeat),
            "planned after own write": median_ms(from_model, repeat, before=write(census.store)),
            "after own write": median_ms(seen, repeat, before=write(census.store)),
        }
        if other is not None:
            row["after other write"] = median_ms(seen, repeat, before=write(other))
        row["full reads"] = derived.full_reads - reads
        if request.target == SUMMARY:
            row["figures worked out"] = median_ms(worked_out, repeat)
        rows.append(row)
    return rows


def run_tinydb(households: int, repeat: int) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as folder:
        census = Census.open(load_config({"DATA_DIR": folder, "FSYNC": False}))
        try:
            building = store_community(census, households)
            return measure(census, building, repeat, None)
        finally:
            census.close()


def run_postgres(households: int, repeat: int, pg: str) -> list[dict[str, Any]]:
    schema = f"census_bench_plan_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = f"{pg}?options=-c%20search_path%3D{schema}"
    try:
        with tempfile.TemporaryDirectory() as folder:
            config = {"DATA_DIR": folder, "DATABASE_URL": url, "FSYNC": False}
            census = Census.open(load_config(config))
            other = open_store(url)
            try:
                building = store_community(census, households)
                return measure(census, building, repeat, other)
            finally:
                other.close()
                census.close()
    finally:
        with psycopg.connect(pg, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", default="1000,4000", help="sizes, comma-separated")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    print(
        "| store | households | print | records: store read ms | records: read model ms "
        "| × faster | planning, store read ms | planning, read model ms | × faster "
        "| records after own write ms | records after other write ms | full reads "
        "| planning, figures worked out ms | × faster | planning after own write ms |"
    )
    print("| --- | ---: | --- |" + " ---: |" * 12)
    for size in [int(n) for n in args.households.split(",")]:
        for store, rows in (
            ("TinyDB", run_tinydb(size, args.repeat)),
            ("PostgreSQL", run_postgres(size, args.repeat, args.pg)),
        ):
            for row in rows:
                other = row.get("after other write")
                worked = row.get("figures worked out")
                cells = [
                    store,
                    f"{size:,}",
                    row["print"],
                    f"{row['store read']:.0f}",
                    f"{row['read model']:.2f}",
                    ratio(row["store read"], row["read model"]),
                    f"{row['planned from store']:.0f}",
                    f"{row['planned from model']:.0f}",
                    ratio(row["planned from store"], row["planned from model"]),
                    f"{row['after own write']:.2f}",
                    "" if other is None else f"{other:.0f}",
                    str(row["full reads"]),
                    "" if worked is None else f"{worked:.0f}",
                    "" if worked is None else ratio(worked, row["planned from model"]),
                    f"{row['planned after own write']:.0f}",
                ]
                print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
