"""Time the import report on a second server: the plan read back from the database, against
the same file planned again there (as every server but the checking one did before).

    .venv/bin/python bench/import_shared.py [--households 13000] [--database-url URL]

Two ``census serve`` processes on one PostgreSQL schema (made here, dropped after), each
with a data folder of its own. A person sheet as bench/import_persons.py writes it is
uploaded twice, and each upload is checked on server 1 (its report page waits for the
check: ``CENSUS_IMPORT_WAIT_SECONDS``). Then, on server 2:

1. the first upload's report: the plan that server 1 kept is read back (after);
2. the second upload's report with its kept plan taken out of ``census_files`` first, so
   that server 2 reads and plans the file itself: the baseline (before), in the same run.

Prints the seconds of each page, the ratio to the baseline, the kept plan's size (gzipped
and as JSON), server 2's peak memory after each page, and what reading the plan back and
writing it take in this process (``checked.load``, ``checked.dump``: the check pays the
writing). Never fails on a time.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from import_persons import person_rows, write_xlsx  # noqa: E402

from census.sheets import checked  # noqa: E402
from census.surveys.definition import load_surveys  # noqa: E402
from tests.servers import Server, prepare, settings  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
TIMEOUT = 1800  # seconds a page may take on a loaded machine


def _csrf(page: requests.Response) -> str:
    found = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.text)
    assert found, page.text[:300]
    return found.group(1)


def _login(base: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login")
    answer = session.post(
        f"{base}/login",
        data={"username": "admin", "password": "admin-pass-1", "csrf_token": _csrf(page)},
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text[:300]
    return session


def _upload(session: requests.Session, base: str, path: Path) -> str:
    page = session.get(f"{base}/sheets/")
    with open(path, "rb") as data:
        sent = session.post(
            f"{base}/sheets/upload",
            data={"csrf_token": _csrf(page), "form": "household"},
            files={"file": ("人口信息.xlsx", data)},
            allow_redirects=False,
        )
    found = re.search(r"/sheets/import/([0-9a-f]{16})", sent.headers.get("Location", ""))
    assert found, sent.text[:300]
    return found.group(1)


def _report(session: requests.Session, base: str, upload_id: str) -> tuple[float, str]:
    """Seconds until the report page answered, and its count of new households."""
    start = time.perf_counter()
    page = session.get(f"{base}/sheets/import/{upload_id}/report", timeout=TIMEOUT)
    seconds = time.perf_counter() - start
    assert page.status_code == 200 and "count-new" in page.text, page.url
    found = re.search(r'class="count-new">(\d+)<', page.text)
    return seconds, found.group(1) if found else "?"


def _peak_mb(server: Server) -> float:
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    found = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(found.group(1)) / 1024 if found else float("nan")


def _kept(url: str, upload_id: str) -> bytes:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT data FROM census_files WHERE folder = 'imports' AND name = %s ORDER BY part",
            (f"{upload_id}.plan",),
        ).fetchall()
    return b"".join(bytes(row[0]) for row in rows)


def _take_out(url: str, upload_id: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(
            "DELETE FROM census_files WHERE folder = 'imports' AND name = %s",
            (f"{upload_id}.plan",),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=13000)
    parser.add_argument(
        "--database-url", default=os.environ.get("CENSUS_BENCH_DATABASE_URL", DEFAULT_URL)
    )
    args = parser.parse_args()
    schema = f"census_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(args.database_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = f"{args.database_url}?options=-c%20search_path%3D{schema}"
    root = Path(tempfile.mkdtemp(prefix="census-bench-"))
    started: list[Server] = []
    try:
        path = root / "人口信息.xlsx"
        write_xlsx(path, person_rows(args.households))
        prepare(root / "setup", url)
        extra = {"CENSUS_FSYNC": "false", "CENSUS_IMPORT_WAIT_SECONDS": str(TIMEOUT)}
        for n in (1, 2):
            started.append(Server(settings(root / f"server{n}", url) | extra))
        one, two = started
        session = _login(one.url)
        uploads = [_upload(session, one.url, path) for _ in range(2)]
        checks = [_report(session, one.url, upload_id)[0] for upload_id in uploads]
        data = _kept(url, uploads[0])
        after, new = _report(session, two.url, uploads[0])
        after_mb = _peak_mb(two)
        _take_out(url, uploads[1])
        before, new_before = _report(session, two.url, uploads[1])
        before_mb = _peak_mb(two)
        assert new == new_before, (new, new_before)
    finally:
        for server in started:
            server.stop()
        with psycopg.connect(args.database_url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
    form = load_surveys()["household"]
    mark = time.perf_counter()
    plan, _job = checked.load(data, form)
    read_back = time.perf_counter() - mark
    mark = time.perf_counter()
    checked.dump(plan)
    written = time.perf_counter() - mark
    rows = args.households
    print(f"\n{rows:,} households ({new} new), {path.stat().st_size / 1e6:.1f} MB xlsx")
    print(
        f"kept plan: {len(data) / 1e6:.2f} MB gzipped, "
        f"{len(gzip.decompress(data)) / 1e6:.1f} MB JSON; "
        f"check on server 1: {checks[0]:.1f} s and {checks[1]:.1f} s"
    )
    print(f"in this process: read back in {read_back:.2f} s, written in {written:.2f} s")
    print()
    print("| report page on server 2 | seconds | × faster than planning again | peak MB |")
    print("|---|---:|---:|---:|")
    print(f"| planned again there (before) | {before:.1f} | 1.0 (baseline) | {before_mb:.0f} |")
    print(
        f"| plan read back from the database | {after:.2f} | {before / after:.1f} "
        f"| {after_mb:.0f} |"
    )
    print("\n(peak MB: server 2's VmHWM after the page; the read back comes first)")


if __name__ == "__main__":
    main()
