"""住户 /households at 13,000 households: the list from the read model beside the path before.

    .venv/bin/python bench/households_page.py                     # TinyDB and PostgreSQL
    .venv/bin/python bench/households_page.py --households 2000 --stores tinydb

The demo generator's community is stored in a TinyDB folder and in a PostgreSQL schema of
its own (dropped afterwards). On each, one app (the test client, logged in as admin) serves
the page two ways in the same run:

- ``before``: what ``census.web.households.index`` did before the read model (kept below as
  ``index_before``, served at /bench/households-before): every household read from the store
  (or the building's), filtered, sorted by address, one page rendered;
- ``now``: /households itself.

For each page (the first, one building, a search): the median of ``--repeat`` views with
nothing written in between (warm), and the median of ``--saves`` views each right after a
household save through the API (after a write); the heading and the table of both are
compared (DIFFERS if not the same). Prints a table with the ratio before / now;
never passes or fails on a time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from read_models import FAST_HASH, PASSWORD, Saver  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432/test"
TARGET_WARM, TARGET_AFTER = 0.3, 1.0


def index_before() -> Any:
    """The household list as it was made before it came from the read model."""
    from flask import render_template, request

    from census.domain.address import address_key
    from census.queries import lookup, places
    from census.web.current import get_store
    from census.web.helpers import lang, surveys
    from census.web.households import PAGE_SIZE, _matches
    from census.web.layout import list_cell

    store = get_store()
    building = request.args.get("building", "")
    q = request.args.get("q", "").strip()
    rows = lookup.households_in_building(store, building) if building else lookup.households(store)
    if q:
        rows = [h for h in rows if _matches(h, q)]
    rows.sort(key=address_key)
    page = max(1, request.args.get("page", 1, type=int))
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    form = surveys()["household"]
    return render_template(
        "households/index.html",
        columns=[c.text(lang()) for c in form.list_columns],
        rows=[(h, [list_cell(form, c, h, lang()) for c in form.list_columns]) for h in shown],
        households=shown,
        total=len(rows),
        page=page,
        pages=pages,
        q=q,
        building=building,
        buildings=places.building_names(store),
    )


def open_app(kind: str, work: Path, households: int, seed: int) -> tuple[Any, str | None]:
    """An app on a new store of the community; the schema to drop on PostgreSQL."""
    import psycopg

    from census.app import create_app
    from census.demo.generate import generate_demo
    from census.services.accounts import add_user
    from census.web.current import get_store

    config: dict[str, Any] = {
        "DATA_DIR": str(work / kind),
        "SECRET_KEY": "bench",
        "WTF_CSRF_ENABLED": False,
    }
    schema = None
    if kind == "postgresql":
        schema = f"census_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        config["DATABASE_URL"] = f"{PG}?options=-c%20search_path%3D{schema}"
    app = create_app(config)
    app.add_url_rule("/bench/households-before", "bench_before", index_before)
    store = get_store(app)
    data = generate_demo(seed=seed, households=households)
    for name in ("grids", "buildings", "households", "storefronts", "units"):
        store.collection(name).insert_many(data[name])
    add_user(store, "admin", "admin", PASSWORD, hash_method=FAST_HASH)
    return app, schema


def run(kind: str, args: argparse.Namespace) -> list[tuple[str, str, float, float]]:
    from census.services.accounts import create_token
    from census.web.current import get_store

    rows = []
    with tempfile.TemporaryDirectory() as work:
        app, schema = open_app(kind, Path(work), args.households, args.seed)
        store = get_store(app)
        try:
            client = app.test_client()
            answer = client.post("/login", data={"username": "admin", "password": PASSWORD})
            assert answer.status_code == 302, answer.status_code
            saver = Saver(app, client, create_token(store, "admin"), args.seed)
            building = store.collection("buildings").scan()[0]["name"]
            pages = (
                ("first page", ""),
                (f"building {building}", f"building={building}"),
                ("search 马", "q=马"),
            )

            def view(url: str) -> tuple[float, str]:
                began = time.perf_counter()
                response = client.get(url)
                took = time.perf_counter() - began
                assert response.status_code == 200, (url, response.status_code)
                return took, response.get_data(as_text=True)

            for name, query in pages:
                urls = {w: f"{p}?{query}" for w, p in PATHS.items()}
                shown = {w: view(u)[1] for w, u in urls.items()}  # opened once, then measured
                same = listing(shown["before"]) == listing(shown["now"])
                for way, url in urls.items():
                    warm = statistics.median(view(url)[0] for _ in range(args.repeat))
                    after = []
                    for _ in range(args.saves):
                        saver.save()
                        after.append(view(url)[0])
                    rows.append((f"{name}{'' if same else ' (DIFFERS)'}", way, warm, 0.0))
                    rows[-1] = (rows[-1][0], way, warm, statistics.median(after))
        finally:
            store.close()
            if schema is not None:
                import psycopg

                with psycopg.connect(PG, autocommit=True) as conn:
                    conn.execute(f"DROP SCHEMA {schema} CASCADE")
    return rows


def listing(html: str) -> str:
    """The heading with the count and the table (the menu and the links name the URL)."""
    return html[html.index("<h1>") : html.index("</table>")]


PATHS = {"before": "/bench/households-before", "now": "/households"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=13_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--saves", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--stores", default="tinydb,postgresql")
    args = parser.parse_args()
    for kind in args.stores.split(","):
        rows = run(kind, args)
        print(f"\n{kind}, {args.households:,} households (median seconds)")
        print(f"{'page':28} {'':7} {'warm':>8} {'after a write':>14}")
        by_page: dict[str, dict[str, tuple[float, float]]] = {}
        for page, way, warm, after in rows:
            by_page.setdefault(page, {})[way] = (warm, after)
            flag = (
                ""
                if way == "before"
                else ("  over target" if warm > TARGET_WARM or after > TARGET_AFTER else "")
            )
            print(f"{page:28} {way:7} {warm:8.3f} {after:14.3f}{flag}")
        for page, ways in by_page.items():
            (bw, ba), (nw, na) = ways["before"], ways["now"]
            print(f"{page:28} {'ratio':7} {bw / nw:7.1f}x {ba / na:13.1f}x  (before / now)")


if __name__ == "__main__":
    main()
