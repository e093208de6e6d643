"""The whole-community household list at 13,000 households: parallel, cached, merged.

Prints a table (never passes or fails on a time):

- the household list of every building of a generated 13,000-household community with
  the print pipeline (grid layout, one part per building, worker processes, pypdf merge)
  on an empty cache, again with everything cached, and after one household was edited;
- beside it, stock WeasyPrint: the plain HTML table layout in ONE document, measured in
  the same run on a slice of the community and extrapolated to the whole;
- household cards (one household a page) of the first buildings holding about --cards
  households, with the pipeline (grid layout, batches), beside the same cards as HTML
  tables (one WeasyPrint document per building, as cards were printed before) for a
  smaller slice, both extrapolated to the whole community.

Peak memory: the parent's ru_maxrss, each worker's VmHWM (read from /proc before the pool
stops) and RUSAGE_CHILDREN after it stopped.

    .venv/bin/python bench/print_list.py [--households 13000] [--slice 1000] [--workers 2]
                                         [--cards 1000] [--cards-slice 60]
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from census.demo.generate import generate_demo  # noqa: E402
from census.printing import pipeline  # noqa: E402
from census.printing.household_list import natural_key  # noqa: E402
from census.printing.plans import PrintRequest, Records, plan  # noqa: E402

AS_OF = date(2025, 9, 1)
PRINTED_AT = datetime(2025, 9, 1, 9, 0)


def records_of(demo: dict) -> Records:
    """The generated community as the print planner receives it from the store."""
    grids = {b["name"]: b["grid"] for b in demo["buildings"]}
    for record in demo["households"] + demo["storefronts"]:
        record["grid"] = grids.get(record.get("building"))
    return Records("佐斯腾社区", demo["buildings"], demo["households"], demo["storefronts"], [])


def peak_mb(kb: int) -> float:
    return kb / 1024


def worker_peaks() -> list[float]:
    """VmHWM (peak resident memory) of each live pool worker, in MB."""
    pool = pipeline._pool
    peaks = []
    for process in (pool._processes or {}).values() if pool else []:
        try:
            status = Path(f"/proc/{process.pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return peaks


def stock_one_document(households: list[dict]) -> tuple[float, int, float]:
    """Stock WeasyPrint: the plain table template, every household in one document.

    Runs in its own process so that its peak memory is its own.
    """
    from pypdf import PdfReader

    from census.printing.render import render_pdf
    from census.printing.words import WORDS, css_string, page_counter_css, word

    started = time.perf_counter()
    cpu_started = time.process_time()
    blocks = []
    for h in households:
        blocks.append(
            {
                "household_no": h.get("household_no") or "",
                "address": f"{h.get('building')} {h.get('unit') or ''}-{h.get('room')}",
                "housing": h.get("housing") or "",
                "hardship": "、".join(h.get("hardship") or []),
                "landlord": h.get("landlord_name") or "",
                "notes": h.get("notes") or "",
                "members": [
                    {
                        "no": i,
                        "name": m.get("name"),
                        "relation": m.get("relation"),
                        "sex": m.get("sex"),
                        "ethnicity": m.get("ethnicity"),
                        "id_number": (m.get("id_number") or "")[:6] + "********",
                        "birth_date": m.get("birth_date"),
                        "residence_type": m.get("residence_type"),
                        "phone": m.get("phone"),
                        "political": m.get("political"),
                        "conditions": "、".join(m.get("conditions") or []),
                        "active": True,
                    }
                    for i, m in enumerate(h.get("members") or [], start=1)
                ],
            }
        )
    context = {
        "community": "佐斯腾社区",
        "building": "",
        "title": word("household_list"),
        "printed_on": word("printed_on") + "2025-09-01",
        "totals": "",
        "blocks": blocks,
        "words": {key: word(key) for key in WORDS},
        "css_confidential": css_string(word("confidential")),
        "css_page_counter": page_counter_css(),
    }
    from markupsafe import Markup

    context["css_confidential"] = Markup(context["css_confidential"])
    context["css_page_counter"] = Markup(context["css_page_counter"])
    pdf = render_pdf("print/household_list.html", context)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    return seconds, cpu, pages, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def html_cards(records: Records, households: list[dict]) -> tuple[float, float, int]:
    """The cards as HTML tables (templates/print/household_cards.html), a document per building.

    Runs in its own process; returns wall seconds, CPU seconds and pages.
    """
    from pypdf import PdfReader

    from census.printing.cards import HTML_TEMPLATE, cards_context
    from census.printing.render import render_pdf

    started = time.perf_counter()
    cpu_started = time.process_time()
    pages = 0
    buildings: dict[str, list[dict]] = {}
    for h in households:
        buildings.setdefault(h["building"], []).append(h)
    for name, group in buildings.items():
        context = cards_context(
            community=records.community,
            building=name,
            households=group,
            as_of=AS_OF,
            printed_at=PRINTED_AT,
        )
        pages += len(PdfReader(io.BytesIO(render_pdf(HTML_TEMPLATE, context))).pages)
    return time.perf_counter() - started, time.process_time() - cpu_started, pages


def run(parts, data_dir: Path, workers: int, label: str, rows: list) -> pipeline.PrintStats:
    target = data_dir / "out.pdf"
    stats = pipeline.print_parts(parts, target, data_dir, workers=workers, title=label)
    rows.append(
        (
            label,
            stats.pages,
            stats.seconds,
            stats.pages / stats.seconds if stats.seconds else 0,
            f"{stats.rendered}/{stats.parts}",
            target.stat().st_size / 1e6,
            stats.render_cpu,
        )
    )
    print(f"  {label}: {rows[-1][1]} pages in {rows[-1][2]:.1f} s", file=sys.stderr, flush=True)
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, default=13000)
    parser.add_argument("--slice", type=int, default=1000, help="households in the stock run")
    parser.add_argument("--workers", type=int, default=pipeline.default_workers())
    parser.add_argument("--cards", type=int, default=1000, help="households in the cards run")
    parser.add_argument(
        "--cards-slice", type=int, default=60, help="households in the HTML-table cards run"
    )
    args = parser.parse_args()

    started = time.perf_counter()
    demo = generate_demo(households=args.households, as_of=AS_OF)
    records = records_of(demo)
    persons = sum(len(h["members"]) for h in records.households)
    generated = time.perf_counter() - started
    request = PrintRequest("household-list", as_of=AS_OF, printed_at=PRINTED_AT)

    rows: list = []
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        started = time.perf_counter()
        the_plan = plan(request, records)
        planned = time.perf_counter() - started
        run(the_plan.parts, data_dir, args.workers, "pipeline, empty cache", rows)
        workers_peak = worker_peaks()

        started = time.perf_counter()
        the_plan = plan(request, records)
        replanned = time.perf_counter() - started
        run(the_plan.parts, data_dir, args.workers, "pipeline, all cached", rows)

        edited = records.households[len(records.households) // 2]
        edited["members"][0]["name"] = "改名测试"
        the_plan = plan(request, records)
        stats = run(the_plan.parts, data_dir, args.workers, "pipeline, 1 household edited", rows)
        edited_buildings = stats.rendered_labels

        chosen, count = set(), 0
        for b in sorted({h["building"] for h in records.households}, key=natural_key):
            if count >= args.cards:
                break
            chosen.add(b)
            count += sum(1 for h in records.households if h["building"] == b)
        card_records = Records(
            records.community,
            [b for b in records.buildings if b["name"] in chosen],
            [h for h in records.households if h["building"] in chosen],
        )
        card_plan = plan(
            PrintRequest("household-cards", as_of=AS_OF, printed_at=PRINTED_AT), card_records
        )
        run(card_plan.parts, data_dir, args.workers, f"cards, {count:,} households", rows)
        workers_peak = [max(a, b) for a, b in zip(workers_peak, worker_peaks(), strict=False)]
        pipeline.shutdown_pool()
        parent_peak = peak_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        children_peak = peak_mb(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)

    card_slice = records.households[: args.cards_slice]
    with ProcessPoolExecutor(1, mp_context=get_context("forkserver")) as one:
        cards_s, cards_cpu, cards_pages = one.submit(html_cards, records, card_slice).result()

    slice_ = records.households[: args.slice]
    with ProcessPoolExecutor(1, mp_context=get_context("forkserver")) as one:
        stock_s, stock_cpu, stock_pages, stock_peak = one.submit(
            stock_one_document, slice_
        ).result()
    scale = len(records.households) / len(slice_)

    print(
        f"\ncommunity: {len(records.households):,} households, {persons:,} persons, "
        f"{len(records.buildings)} buildings (generated in {generated:.1f} s); "
        f"workers: {args.workers}; planning (labels, masking, layout, pages): "
        f"{planned:.1f} s first, {replanned:.1f} s again\n"
    )
    # Baselines for the whole community's print, measured in this run: the stock one-document
    # list, and the HTML-table cards (per household).
    stock_whole = stock_s * scale
    html_per_household = cards_s / len(card_slice)
    head = (
        "| run | pages | seconds | pages/s | rendered parts | render CPU s | PDF MB "
        "| × faster than its baseline |"
    )
    print(head)
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, pages, seconds, rate, rendered, size, cpu in rows:
        if label.startswith("cards"):
            ratio = html_per_household / (seconds / count)
        else:
            ratio = stock_whole / seconds
        print(
            f"| {label} | {pages} | {seconds:.1f} | {rate:.1f} | {rendered} | {cpu:.0f} | "
            f"{size:.1f} | {ratio:.1f} |"
        )
    print(
        f"| stock WeasyPrint, one document, {len(slice_):,} households | {stock_pages} | "
        f"{stock_s:.1f} | {stock_pages / stock_s:.1f} | 1/1 | {stock_cpu:.0f} | | |"
    )
    print(
        f"| … stock extrapolated ×{scale:.1f} to the whole community (estimate) | "
        f"{stock_pages * scale:.0f} | {stock_whole:.0f} | | | {stock_cpu * scale:.0f} | "
        "| 1.0 (list baseline) |"
    )
    card_row = next(row for row in rows if row[0].startswith("cards"))
    card_scale = len(records.households) / count
    print(
        f"| … cards extrapolated ×{card_scale:.1f} to the whole community (estimate) | "
        f"{card_row[1] * card_scale:.0f} | {card_row[2] * card_scale:.0f} | | | "
        f"{card_row[6] * card_scale:.0f} | | |"
    )
    print(
        f"| cards as HTML tables, a document per building, {len(card_slice):,} households, "
        f"1 process | {cards_pages} | {cards_s:.1f} | {cards_pages / cards_s:.2f} | | "
        f"{cards_cpu:.0f} | | |"
    )
    html_scale = len(records.households) / len(card_slice)
    print(
        f"| … HTML-table cards extrapolated ×{html_scale:.0f} (estimate, 1 process) | "
        f"{cards_pages * html_scale:.0f} | {cards_s * html_scale:.0f} | | | "
        f"{cards_cpu * html_scale:.0f} | | 1.0 (cards baseline) |"
    )
    print(
        "\n× faster than its baseline: for the list, the stock one-document time extrapolated"
        " to the whole community over this run's time; for the cards, seconds per household"
        " as HTML tables over seconds per household here."
    )
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    print(
        f"\nload average at the end: {' '.join(load)} on {os.cpu_count()} cores (other work on"
        " the machine stretches wall times; render CPU seconds do not depend on it)"
    )
    print(
        f"\npeak RSS: parent {parent_peak:.0f} MB; workers "
        + ", ".join(f"{p:.0f}" for p in workers_peak)
        + f" MB (VmHWM); RUSAGE_CHILDREN {children_peak:.0f} MB; "
        f"stock one-document process {stock_peak:.0f} MB for {stock_pages} pages"
    )
    print(f"re-rendered after the edit: {', '.join(edited_buildings) or 'nothing'}")


if __name__ == "__main__":
    main()
