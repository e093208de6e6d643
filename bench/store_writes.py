"""Time household writes through the store, beside stock TinyDB, at several database sizes.

    .venv/bin/python bench/store_writes.py [--sizes 1000,10000,50000] [--writes 200]
        [--database-url postgresql://postgres@127.0.0.1:5432/test | --database-url ""]

Prints a table; never passes or fails on a time. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import orjson
import psycopg
from psycopg import sql
from tinydb import TinyDB

from census.store import open_store

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = [
    "建国",
    "秀英",
    "桂兰",
    "志强",
    "海燕",
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "洋",
]
DATABASE_URL = os.environ.get(
    "CENSUS_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
REGIONS = ["650102", "650103", "650104", "650105", "650106", "650109"]


def id_number(rng: random.Random, year: int) -> tuple[str, str]:
    """Return a resident ID number with a valid check digit, and its birth date."""
    birth = f"{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body = f"{rng.choice(REGIONS)}{birth}{rng.randint(0, 999):03d}"
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) % 11]
    return body + check, f"{birth[:4]}-{birth[4:6]}-{birth[6:]}"


def member(rng: random.Random, surname: str, relation: str, year: int) -> dict[str, Any]:
    """Return one resident as the survey form records them."""
    number, birth = id_number(rng, year)
    return {
        "name": surname + rng.choice(GIVEN),
        "relation": relation,
        "sex": "男" if int(number[16]) % 2 else "女",
        "id_number": number,
        "birth_date": birth,
        "ethnicity": rng.choice(["汉族", "维吾尔族", "回族", "哈萨克族"]),
        "education": rng.choice(["小学", "初中", "高中", "大学本科"]),
        "marital_status": rng.choice(["未婚", "已婚", "离婚"]),
        "occupation": rng.choice(["退休", "个体经营", "学生", "企业职工"]),
        "hukou": rng.choice(["本地户籍", "外地户籍"]),
        "phone": f"1{rng.randint(3, 9)}{rng.randint(0, 999999999):09d}",
        "notes": "",
    }


def household(n: int, rng: random.Random) -> dict[str, Any]:
    """Return a household document of about 1 KB (3 members)."""
    surname = rng.choice(SURNAMES)
    return {
        "uuid": f"{rng.getrandbits(128):032x}",
        "form": "household-2024",
        "status": rng.choice(["draft", "submitted", "reviewed"]),
        "address": {
            "community": "幸福路社区",
            "grid": f"第{n % 12 + 1}网格",
            "building": n % 60 + 1,
            "unit": n % 4 + 1,
            "room": f"{n % 18 + 1}0{n % 4 + 1}",
        },
        "housing": rng.choice(["自有住房", "租赁住房"]),
        "surveyor": "社区工作者" + rng.choice(GIVEN),
        "surveyed_at": f"2024-05-{n % 28 + 1:02d}T10:{n % 60:02d}:00",
        "members": [
            member(rng, surname, "户主", rng.randint(1950, 1985)),
            member(rng, rng.choice(SURNAMES), "配偶", rng.randint(1950, 1985)),
            member(rng, surname, "子女", rng.randint(1990, 2015)),
        ],
    }


def prefill(path: Path, size: int, rng: random.Random) -> None:
    """Write a TinyDB file with ``size`` households directly (no store involved)."""
    table = {str(n): {**household(n, rng), "_rev": 1} for n in range(1, size + 1)}
    path.write_bytes(orjson.dumps({"households": table}))


def timed(action: Callable[[], Any]) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def timed_writes(
    store: Any,
    size: int,
    writes: int,
    rng: random.Random,
    timer: Callable[[Callable[[], Any]], float] = timed,
) -> list[float]:
    """Alternate an insert (unique uuid) with a get + update of a random stored household."""
    households = store.collection("households")
    households.ensure_index("uuid")
    times: list[float] = []
    for k in range(writes):
        if k % 2 == 0:
            op = partial(households.insert, household(size + k, rng), unique=["uuid"])
        else:
            target = rng.randint(1, size)
            current = households.get(target)
            assert current is not None
            current["status"] = "reviewed"
            op = partial(households.update, target, current, expected_rev=current["_rev"])
        times.append(timer(op))  # only the write is timed
    return times


def summary(times: list[float]) -> dict[str, float]:
    times = sorted(times)
    return {
        "mean": statistics.fmean(times),
        "p95": times[min(len(times) - 1, int(len(times) * 0.95))],
        "max": times[-1],
    }


def bench_ours(folder: Path, size: int, writes: int, rng: random.Random) -> dict[str, float]:
    """Inserts and updates through the Collection API, fsync on."""
    folder.mkdir()
    prefill(folder / "census.json", size, rng)
    journal = folder / "census.journal"
    appended: list[int] = []

    def timed_and_measured(action: Callable[[], Any]) -> float:
        before = journal.stat().st_size
        elapsed = timed(action)
        appended.append(journal.stat().st_size - before)
        return elapsed

    with open_store(folder) as store:
        times = timed_writes(store, size, writes, rng, timed_and_measured)
    return {**summary(times), "bytes": statistics.fmean(appended)}


def bench_pg(url: str, size: int, writes: int, rng: random.Random) -> dict[str, float]:
    """The same writes on PostgreSQL (synchronous commit), in a schema dropped afterwards."""
    schema = f"census_bench_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        in_schema = url + ("&" if "?" in url else "?") + f"options=-c%20search_path%3D{schema}"
        with open_store(in_schema) as store:
            households = store.collection("households")
            for start in range(0, size, 5000):
                batch = range(start + 1, min(size, start + 5000) + 1)
                households.insert_many([household(n, rng) for n in batch])
            return summary(timed_writes(store, size, writes, rng))
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def bench_stock(path: Path, size: int, writes: int, rng: random.Random) -> dict[str, float]:
    """A few inserts through stock TinyDB (JSONStorage rewrites the whole file each time)."""
    prefill(path, size, rng)
    times: list[float] = []
    written: list[int] = []
    with TinyDB(path, encoding="utf-8") as db:
        table = db.table("households")
        for k in range(writes):
            doc = household(size + k, rng)
            times.append(timed(partial(table.insert, doc)))
            written.append(path.stat().st_size)  # every write writes the whole file
    return {"mean": statistics.fmean(times), "bytes": statistics.fmean(written)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--writes", type=int, default=400, help="our writes per size")
    parser.add_argument("--stock-writes", type=int, default=3, help="stock inserts per size")
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument(
        "--database-url",
        default=DATABASE_URL,
        help="PostgreSQL for the pg columns (a throw-away schema is used); empty: leave them out",
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    rng = random.Random(args.seed)
    sample = len(orjson.dumps({**household(1, rng), "_rev": 1}))
    print(
        f"household document: {sample} bytes of JSON; ours: {args.writes} writes "
        f"(half inserts, half updates), fsync on; stock: {args.stock_writes} inserts"
    )
    url = args.database_url
    if url:
        try:
            psycopg.connect(url, connect_timeout=5).close()
            print(f"pg: the same writes as ours on {url} (synchronous commit)")
        except psycopg.Error as exc:
            print(f"pg: left out, no server at {url}: {exc}".strip())
            url = ""
    columns = [
        ("size", "{:>7}"),
        ("ours mean ms", "{:>12.2f}"),
        ("ours p95 ms", "{:>11.2f}"),
        ("ours max ms", "{:>11.2f}"),
        ("stock ms", "{:>9.1f}"),
        ("ratio", "{:>6.0f}x"),
        ("ours B/write", "{:>12,.0f}"),
        ("stock B/write", "{:>13,.0f}"),
        ("pg mean ms", "{:>10.2f}"),
        ("pg p95 ms", "{:>9.2f}"),
    ]
    header = " | ".join(f"{name:>{len(fmt.format(0))}}" for name, fmt in columns)
    print(header)
    print("-" * len(header), flush=True)
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="census-bench-") as tmp:
            ours = bench_ours(Path(tmp) / "ours", size, args.writes, rng)
            stock = bench_stock(Path(tmp) / "stock.json", size, args.stock_writes, rng)
        pg = bench_pg(url, size, args.writes, rng) if url else {}
        values: list[Any] = [
            size,
            ours["mean"],
            ours["p95"],
            ours["max"],
            stock["mean"],
            stock["mean"] / ours["mean"],
            ours["bytes"],
            stock["bytes"],
            pg.get("mean"),
            pg.get("p95"),
        ]
        row = " | ".join(
            fmt.format(v) if v is not None else f"{'-':>{len(fmt.format(0))}}"
            for (_, fmt), v in zip(columns, values, strict=True)
        )
        print(row, flush=True)


if __name__ == "__main__":
    main()
