"""The import wizard's pages at 13,000 households: planned once, then taken from the cache.

    .venv/bin/python bench/import_wizard.py [--households 13000]

Writes the person sheet of ``import_persons.py`` as XLSX, stores half of its households
(so that the plan has households to match), then times what the wizard's pages do, with
the cache the web app keeps (``census.sheets.wizard.PlanCache``):

- the mapping page: read the file (first time, then from the cache);
- the report page: plan the import (first time: read the rows, check every household, match
  them with the store; second time, as the report download and the import button do);
- after one household is saved meanwhile: planned again, as it must be.

The baseline, measured in the same run, is the wizard without the cache: every page read
and planned the file again (``plan_file``). Prints a table; never passes or fails on a time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from import_persons import person_rows, write_xlsx  # noqa: E402

from census.services.records import prepare_store  # noqa: E402
from census.sheets.apply import apply_plan  # noqa: E402
from census.sheets.plan import plan_import  # noqa: E402
from census.sheets.reader import read_file  # noqa: E402
from census.sheets.wizard import PlanCache, plan_file  # noqa: E402
from census.store import open_store  # noqa: E402
from census.surveys.definition import load_surveys  # noqa: E402


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, default=13000)
    args = parser.parse_args()
    form = load_surveys()["household"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows = person_rows(args.households)
        path = folder / "persons.xlsx"
        write_xlsx(path, rows)
        # half of the households are already stored
        half = rows[: len(rows) // 2 + 2]
        write_xlsx(folder / "half.xlsx", half)
        store = open_store(folder / "data")
        prepare_store(store)
        plan = plan_import(store, form, read_file(folder / "half.xlsx"), filename="half.xlsx")
        apply_plan(store, plan, user="bench")
        stored = len(store.collection("households"))

        cache = PlanCache()
        table = []
        s, _ = timed(lambda: plan_file(store, form, path, filename=path.name))
        table.append(("report page, no cache (each page reads and plans again)", s, None))
        s, _ = timed(lambda: cache.sheets(form, path, path.name))
        table.append(("mapping page, first view (reads the file)", s, None))
        s, _ = timed(lambda: cache.sheets(form, path, path.name))
        table.append(("mapping page again (file from the cache)", s, None))
        s, (plan, _) = timed(lambda: cache.plan(store, form, path, filename=path.name))
        table.append(("report page, first view (plans; the file from the cache)", s, plan))
        s, _ = timed(lambda: cache.plan(store, form, path, filename=path.name))
        table.append(("report download / import button (plan from the cache)", s, None))
        household = store.collection("households").scan()[0]
        store.collection("households").update(household["id"], household)
        s, _ = timed(lambda: cache.plan(store, form, path, filename=path.name))
        table.append(("report after a household was saved meanwhile (plans again)", s, None))
        store.close()

    base = table[0][1]
    print(
        f"\n{args.households:,} households in the file ({len(rows):,} person rows), "
        f"{stored:,} of them already stored\n"
    )
    print("| step | seconds | vs. no cache |")
    print("|---|---:|---:|")
    for label, seconds, _ in table:
        print(f"| {label} | {seconds:.2f} | {seconds / base:.2f}× |")
    counts = table[3][2].counts
    print(f"\nplan: {dict(counts)}")


if __name__ == "__main__":
    main()
