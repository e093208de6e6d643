"""What one household save costs, in time and CPU: through the API and the survey form.

    .venv/bin/python bench/save_cost.py                     # TinyDB and PostgreSQL, 1,000 and 5,000
    .venv/bin/python bench/save_cost.py --sizes 3000 --backends pg --saves 60 --profile

For each backend and community size a community of the demo generator's households is
stored (``insert_many``, an admin with a bearer token), and then, one save at a time:

1. API saves in the app's test client, in this process: two edits (a GET of the household
   for its revision, then the PUT of the changed household) and a new household (POST), in
   turn, as ``bench/street.py`` sends them; the time of each (the GET included) and the CPU
   of the process per save (``time.process_time``);
2. survey form saves in the test client: the staff member opens a household's edit page
   (drawn), then posts the form as the browser sends it (the redirect not followed); the
   two are timed apart;
3. the same API saves through a real ``census serve`` on the same data folder or database
   schema: the time the client waits, and the server process's CPU per save (its user and
   system time from ``/proc``).

``--before REV`` (default: the commit before the save path was made cheaper) runs the same
steps on that commit's code (``git archive``) in a process of its own, so that both trees
are measured in one run on one machine; the table gives each tree and the ratio. Prints
tables; never passes or fails on a time. ``--profile`` prints this tree's cProfile of the
in-process API saves (cumulative, top 40).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from read_models import tree_of  # noqa: E402  (a tree of an older commit)

BASELINE = "bc3ea04"  # the last commit before the save path was made cheaper
PASSWORD = "bench-pass-1"
FAST_HASH = "pbkdf2:sha256:1000"
DEFAULT_URL = os.environ.get(
    "CENSUS_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
# what the API answers with and a client does not send back (as bench/street.py leaves out)
ANSWER_ONLY = ("id", "_rev", "review_state", "reviewed_by", "reviewed_at", "surveyor",
               "created_at", "created_by", "updated_at", "updated_by", "submission_hash",
               "revision", "warnings", "flagged")  # fmt: skip
PATHS = ("API in-process", "form opened in-process", "form posted in-process",
         "API via census serve")  # fmt: skip


# ------------------------------------------------------------------ one tree, one community


class Community:
    """A community of ``households`` generated households on TinyDB or PostgreSQL."""

    def __init__(self, backend: str, households: int, scratch: Path, url: str) -> None:
        from census.app import create_app
        from census.demo.generate import generate_demo
        from census.services.accounts import add_user, create_token
        from census.web.current import get_store

        self.data_dir = scratch / "data"
        self.config: dict[str, Any] = {"DATA_DIR": str(self.data_dir), "SECRET_KEY": "bench",
                                       "FSYNC": True, "PRINT_WORKERS": 0}  # fmt: skip
        self.schema = ""
        if backend == "pg":
            import psycopg

            from census.street.places import with_search_path

            self.schema = f"bench_save_cost_{os.getpid()}"
            self.url = url
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
                conn.execute(f"CREATE SCHEMA {self.schema}")
            self.config["DATABASE_URL"] = with_search_path(url, self.schema)
        self.app = create_app(self.config)
        store = get_store(self.app)
        data = generate_demo(seed=1, households=households)
        for name in ("grids", "buildings", "households", "storefronts", "units"):
            store.collection(name).insert_many(data[name])
        add_user(store, "admin", "admin", PASSWORD, hash_method=FAST_HASH)
        self.token = create_token(store, "admin")
        self.ids = [d["id"] for d in store.collection("households").scan_shared()]
        self.fresh = generate_demo(seed=8, households=300)["households"]
        self.rng = random.Random(3)
        self.count = 0

    def close_app(self) -> None:
        from census.web.current import context

        context(self.app).close()

    def drop(self) -> None:
        if self.schema:
            import psycopg

            with psycopg.connect(self.url, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")

    def next_save(self) -> tuple[str, str, dict[str, Any] | None]:
        """(method, path, body): every third a new household, else an edit (body: None)."""
        self.count += 1
        if self.count % 3 == 0:
            body = dict(self.fresh[self.count % len(self.fresh)])
            body.pop("household_no", None)
            body["uuid"] = str(uuid.UUID(int=self.rng.getrandbits(128)))
            return "POST", "/api/v1/households", body
        return "PUT", f"/api/v1/households/{self.rng.choice(self.ids)}", None


def edited(doc: dict[str, Any]) -> dict[str, Any]:
    """The household as a client sends it back changed, from its GET."""
    body = {k: v for k, v in doc.items() if k not in ANSWER_ONLY}
    body["hardship"] = [] if doc.get("hardship") else ["low_income"]
    return body | {"uuid": str(uuid.uuid4()), "base_revision": doc.get("revision")}


def form_fields(record: dict[str, Any]) -> list[tuple[str, str]]:
    """A stored household as the survey form posts it (members-0-name, lists repeated)."""
    pairs: list[tuple[str, str]] = []

    def put(key: str, value: Any) -> None:
        for item in value if isinstance(value, list) else [value]:
            pairs.append((key, "" if item is None else str(item)))

    for key, value in record.items():
        if key == "members":
            for n, member in enumerate(value):
                for mkey, mvalue in member.items():
                    put(f"members-{n}-{mkey}", mvalue)
        elif key not in ANSWER_ONLY and not isinstance(value, dict):
            put(key, value)
    return pairs


def api_saves(community: Community, saves: int, profile: bool) -> dict[str, Any]:
    client = community.app.test_client()
    headers = {"Authorization": f"Bearer {community.token}"}

    def one() -> None:
        method, path, body = community.next_save()
        if body is None:
            doc = client.get(path, headers=headers).get_json()
            answer = client.put(path, json=edited(doc), headers=headers)
            assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
        else:
            answer = client.post(path, json=body, headers=headers)
            assert answer.status_code == 201, answer.get_data(as_text=True)[:300]

    for _ in range(6):  # the first requests open what the app keeps
        one()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    result = timed(one, saves)
    if profiler is not None:
        import pstats

        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(40)
    return result


def form_saves(community: Community, saves: int) -> dict[str, dict[str, Any]]:
    """Staff form saves: each the edit page opened (drawn), then the form posted."""
    import re

    from census.web.current import get_store

    client = community.app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    assert token
    login = {"username": "admin", "password": PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/login", data=login).status_code == 302
    households = get_store(community.app).collection("households")
    rows: dict[str, dict[str, Any]] = {PATHS[1]: {"times": [], "cpu": 0.0},
                                       PATHS[2]: {"times": [], "cpu": 0.0}}  # fmt: skip

    def one(keep: bool) -> None:
        record_id = community.rng.choice(community.ids)
        url = f"/survey/household/{record_id}/edit"
        cpu, began = time.process_time(), time.perf_counter()
        html = client.get(url).get_data(as_text=True)
        opened, opened_cpu = time.perf_counter() - began, time.process_time() - cpu
        csrf = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
        assert csrf, "no CSRF token on the form"
        record = households.get(record_id)
        assert record is not None
        record["hardship"] = [] if record.get("hardship") else ["low_income"]
        data = form_fields(record) + [("csrf_token", csrf.group(1)), ("save", "1"),
                                      ("_rev", str(record["_rev"]))]  # fmt: skip
        body = urllib.parse.urlencode(data)
        cpu, began = time.process_time(), time.perf_counter()
        answer = client.post(url, data=body, content_type="application/x-www-form-urlencoded")
        saved, saved_cpu = time.perf_counter() - began, time.process_time() - cpu
        assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
        if keep:
            for path, took, spent in ((PATHS[1], opened, opened_cpu), (PATHS[2], saved, saved_cpu)):
                rows[path]["times"].append(took)
                rows[path]["cpu"] += spent / saves

    for _ in range(3):
        one(False)
    for _ in range(saves):
        one(True)
    return rows


def timed(one: Any, saves: int) -> dict[str, Any]:
    times = []
    cpu = time.process_time()
    for _ in range(saves):
        began = time.perf_counter()
        one()
        times.append(time.perf_counter() - began)
    return {"times": times, "cpu": (time.process_time() - cpu) / saves}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def process_cpu(pid: int) -> float:
    """User and system seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_saves(community: Community, saves: int) -> dict[str, Any]:
    port = free_port()
    env = dict(os.environ, CENSUS_DATA_DIR=community.config["DATA_DIR"], CENSUS_FSYNC="true",
               CENSUS_SECRET_KEY="bench", CENSUS_PRINT_WORKERS="0")  # fmt: skip
    if "DATABASE_URL" in community.config:
        env["CENSUS_DATABASE_URL"] = community.config["DATABASE_URL"]
    command = [sys.executable, "-m", "census", "serve", "--port", str(port), "--threads", "8"]
    server = subprocess.Popen(command, env=env, cwd=os.getcwd(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {community.token}", "Content-Type": "application/json"}
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(base + "/login", timeout=5):
                    break
            except (OSError, urllib.error.URLError):
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("census serve did not start") from None
                time.sleep(0.3)

        def call(method: str, path: str, body: dict[str, Any] | None) -> Any:
            data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
            request = urllib.request.Request(base + path, data=data, headers=headers,
                                             method=method)  # fmt: skip
            with urllib.request.urlopen(request) as answer:
                return json.load(answer)

        def one() -> None:
            method, path, body = community.next_save()
            if body is None:
                call("PUT", path, edited(call("GET", path, None)))
            else:
                call("POST", path, body)

        for _ in range(6):
            one()
        before = process_cpu(server.pid)
        result = timed(one, saves)
        result["cpu"] = (process_cpu(server.pid) - before) / saves
        return result
    finally:
        server.terminate()
        server.wait(timeout=30)


def measure(backend: str, households: int, saves: int, url: str, profile: bool) -> dict[str, Any]:
    """The three rows of one backend and size, in this process's ``census``."""
    with tempfile.TemporaryDirectory() as scratch:
        community = Community(backend, households, Path(scratch), url)
        try:
            rows = {PATHS[0]: api_saves(community, saves, profile)}
            rows |= form_saves(community, max(10, saves // 2))
            community.close_app()
            rows[PATHS[3]] = server_saves(community, saves)
        finally:
            community.drop()
    return rows


# ------------------------------------------------------------------ both trees, one table


def run_tree(tree: Path, backend: str, households: int, args: argparse.Namespace) -> Any:
    """``measure`` in a fresh process whose ``census`` package is the one in ``tree``."""
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONHASHSEED="0")
    command = [sys.executable, str(Path(__file__).resolve()), "--child", backend,
               "--sizes", str(households), "--saves", str(args.saves), "--database-url",
               args.database_url]  # fmt: skip
    if args.profile and tree == ROOT:
        command.append("--profile")
    done = subprocess.run(command, env=env, cwd=tree, stdout=subprocess.PIPE, text=True)
    if done.returncode:
        raise SystemExit(f"the run on {tree} failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000", help="households, comma-separated")
    parser.add_argument("--backends", default="tiny,pg", help="tiny, pg or both")
    parser.add_argument("--saves", type=int, default=60, help="saves timed per row")
    parser.add_argument("--before", default=BASELINE, help='a commit to compare with ("": none)')
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.child:
        print(json.dumps(measure(args.child, sizes[0], args.saves, args.database_url,
                                 args.profile)))  # fmt: skip
        return
    trees: dict[str, Path] = {}
    with tempfile.TemporaryDirectory() as scratch:
        if args.before:
            trees[f"before ({args.before})"] = tree_of(args.before, Path(scratch) / "before")
        trees["this tree"] = ROOT
        names = list(trees)
        print(f"{args.saves} saves a row, one at a time; ms per save: p50 / p95 of the time, "
              "mean CPU of the process that saves")  # fmt: skip
        header = f"{'backend':<8}{'households':>11}  {'path':<24}"
        for name in names:
            header += f"{name + ' p50/p95':>26}{'CPU':>7}"
        if len(names) == 2:
            header += f"{'CPU ratio':>10}"
        print(header)
        for backend in args.backends.split(","):
            for households in sizes:
                runs = {n: run_tree(t, backend, households, args) for n, t in trees.items()}
                for path in PATHS:
                    line = f"{backend:<8}{households:>11,}  {path:<24}"
                    for name in names:
                        row = runs[name][path]
                        p50, p95 = pct(row["times"], 0.5) * 1e3, pct(row["times"], 0.95) * 1e3
                        line += f"{f'{p50:.1f} / {p95:.1f}':>26}{row['cpu'] * 1e3:>7.1f}"
                    if len(names) == 2:
                        old, new = (runs[n][path]["cpu"] for n in names)
                        line += f"{old / new if new else 0:>10.2f}"
                    print(line, flush=True)


if __name__ == "__main__":
    main()
