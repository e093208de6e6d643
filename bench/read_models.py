"""Staff pages and household saves at 13,000 households: this tree beside an older one.

    .venv/bin/python bench/read_models.py                      # 13,000 households, 30 saves
    .venv/bin/python bench/read_models.py --households 2000 --saves 10 --before ""

The community (the demo generator's 13,000 households, a fifth of them waiting for review,
and a log of visits at doors nobody was registered at yet) is stored once in a TinyDB data
folder kept in the temporary directory between runs. Each tree then runs in a process of its
own on a fresh copy of that folder (fsync on, as in production), through the app's test
client logged in as admin:

1. each staff page once after the app opened (cold), then ``--repeat`` times (warm);
2. for each page: one household saved through the API, then the page (after a write);
3. ``--saves`` household saves through the API (two edits, then a new household, in turn),
   each timed from request to answer: p50 and p95.

``--before REV`` (default: the commit before the read models kept up with writes) runs the
same steps on that commit's code (``git archive``), so that both columns come from one run
on one machine. Prints a table; never passes or fails on a time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "041f79c"  # the last commit whose every write made the next view start over
PASSWORD = "bench-pass-1"
FAST_HASH = "pbkdf2:sha256:1000"
FOLDER_VERSION = 1  # bump when the stored community changes shape
# ?all=1: every record counted, approved or not, as every page did before the review gate
# (an older tree ignores the flag), so that both trees count the same households
PAGES = (
    ("台账 /registers/", "/registers/?all=1"),
    ("register /registers/minority", "/registers/minority?all=1"),
    ("基本情况 /summary", "/summary?all=1"),
    ("进度 /fieldwork/coverage", "/fieldwork/coverage"),
    ("review queue /review/", "/review/"),
    ("全部楼栋 /survey/ (staff)", "/survey/"),
    ("核查 /review/checks", "/review/checks"),
)
TARGET_WARM, TARGET_AFTER, TARGET_SAVE = 0.3, 1.0, 0.150


# ------------------------------------------------------------------ the community, made once


def community_folder(households: int, seed: int) -> Path:
    """The data folder holding the community, made on the first run and kept afterwards."""
    folder = Path(tempfile.gettempdir()) / (
        f"census-bench-read-models-v{FOLDER_VERSION}-{households}-{seed}"
    )
    if (folder / "ready").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    start = time.perf_counter()
    make_community(folder / "data", households, seed)
    (folder / "ready").write_text("")
    print(f"stored the community in {time.perf_counter() - start:.1f} s (kept for later runs)")
    return folder


def make_community(data_dir: Path, households: int, seed: int) -> None:
    """Demo households, some submitted or returned, visits at unregistered doors, accounts."""
    from census.app import create_app
    from census.demo.generate import generate_demo
    from census.services.accounts import add_user
    from census.web.current import get_store

    data = generate_demo(seed=seed, households=households)
    rng = random.Random(seed)
    grids = [g["name"] for g in data["grids"]]
    surveyors = [f"surveyor{n + 1}" for n in range(len(grids))]
    for household in data["households"]:
        draw = rng.random()
        if draw < 0.2:
            household["review_state"] = "submitted"
            household["surveyor"] = rng.choice(surveyors)
        elif draw < 0.23:
            household["review_state"] = "returned"
            household["surveyor"] = rng.choice(surveyors)
    visits = []
    for n in range(households // 8):  # doors knocked on where nobody is registered yet
        building = rng.choice(data["buildings"])
        room = f"9{n % 50:02d}"
        for knock in range(rng.choice((1, 1, 2, 3))):
            visits.append(
                {
                    "uuid": str(uuid.UUID(int=rng.getrandbits(128))),
                    "building": building["name"],
                    "unit": "",
                    "room": room,
                    "outcome": rng.choice(("not_home", "not_home", "refused", "vacant")),
                    "visited_at": f"2025-08-{1 + knock * 3 + n % 3:02d}T10:00:00",
                    "notes": "",
                    "surveyor": rng.choice(surveyors),
                    "recorded_at": "2025-08-20T10:00:00",
                    "submission_hash": "",
                }
            )
    app = create_app({"DATA_DIR": str(data_dir), "SECRET_KEY": "bench", "FSYNC": False})
    store = get_store(app)
    try:
        for name in ("grids", "buildings", "households", "storefronts", "units"):
            store.collection(name).insert_many(data[name])
        store.collection("visits").insert_many(visits)
        add_user(store, "admin", "admin", PASSWORD, hash_method=FAST_HASH)
        for name, grid in zip(surveyors, grids, strict=True):
            add_user(store, name, "surveyor", PASSWORD, grids=[grid], hash_method=FAST_HASH)
        store.compact()
    finally:
        store.close()


# ------------------------------------------------------------------ one tree, in its own process

Timing = tuple[float, float]  # (wall seconds, CPU seconds of this process)


def median(timings: list[Timing]) -> Timing:
    """The median wall time and the median CPU time."""
    return (statistics.median(t[0] for t in timings), statistics.median(t[1] for t in timings))


def measure(folder: Path, saves: int, repeat: int, seed: int) -> dict[str, Any]:
    """Time the pages and the saves on a copy of the community (this process's ``census``)."""
    from census.app import create_app
    from census.services.accounts import create_token
    from census.web.current import get_store

    with tempfile.TemporaryDirectory() as work:
        data_dir = Path(work) / "data"
        shutil.copytree(folder / "data", data_dir)
        start, cpu = time.perf_counter(), time.process_time()
        app = create_app(
            {"DATA_DIR": str(data_dir), "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False}
        )
        opened = (time.perf_counter() - start, time.process_time() - cpu)
        store = get_store(app)
        try:
            client = app.test_client()
            answer = client.post("/login", data={"username": "admin", "password": PASSWORD})
            assert answer.status_code == 302, answer.status_code
            saver = Saver(app, client, create_token(store, "admin"), seed)

            def view(url: str) -> Timing:
                began, cpu = time.perf_counter(), time.process_time()
                response = client.get(url)
                took = (time.perf_counter() - began, time.process_time() - cpu)
                assert response.status_code == 200, (url, response.status_code)
                return took

            cold = {name: view(url) for name, url in PAGES}
            warm = {name: median([view(url) for _ in range(repeat)]) for name, url in PAGES}
            after = {}
            for name, url in PAGES:
                saver.save()
                after[name] = view(url)
            times = [saver.save() for _ in range(saves)]
            return {
                "opened": opened,
                "households": len(store.collection("households")),
                "cold": cold,
                "warm": warm,
                "after": after,
                "saves": times,
            }
        finally:
            store.close()


class Saver:
    """Household saves through the API: two edits of random households, then a new one."""

    def __init__(self, app: Any, client: Any, token: str, seed: int) -> None:
        from census.demo.generate import generate_demo
        from census.web.current import get_store

        self.store = get_store(app)
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}
        self.rng = random.Random(seed + 1)
        self.ids = [doc["id"] for doc in self.store.collection("households").scan_shared()]
        self.fresh = generate_demo(seed=seed + 1, households=200)["households"]
        self.count = 0

    def save(self) -> Timing:
        """One save; returns its seconds (request to answer), wall and CPU."""
        self.count += 1
        if self.count % 3 == 0:
            body = dict(self.fresh[self.count % len(self.fresh)])
            body.pop("household_no", None)
            body["uuid"] = str(uuid.UUID(int=self.rng.getrandbits(128)))
            url, method, expect = "/api/v1/households", self.client.post, 201
        else:
            record_id = self.rng.choice(self.ids)
            doc = self.store.collection("households").get(record_id)
            assert doc is not None
            keep = ("id", "_rev", "review_state", "reviewed_by", "reviewed_at", "surveyor")
            keep += ("created_at", "created_by", "updated_at", "updated_by", "submission_hash")
            body = {k: v for k, v in doc.items() if k not in keep}
            # what a surveyor changes: the household's hardship, or the room it lives in
            if self.count % 2:
                body["hardship"] = [] if doc.get("hardship") else ["low_income"]
            else:
                body["room"] = str(doc.get("room") or "") + "1"
            body |= {"uuid": str(uuid.uuid4()), "base_revision": doc["_rev"]}
            url, method, expect = f"/api/v1/households/{record_id}", self.client.put, 200
        began, cpu = time.perf_counter(), time.process_time()
        response = method(url, json=body, headers=self.headers)
        took = (time.perf_counter() - began, time.process_time() - cpu)
        assert response.status_code == expect, (url, response.status_code, response.json)
        return took


# ------------------------------------------------------------------ both trees, one table


def tree_of(rev: str, into: Path) -> Path:
    """The package and product folders of an older commit, unpacked into ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "census", "forms", "templates", "pyproject.toml"],
        check=True,
        capture_output=True,
    ).stdout
    into.mkdir(parents=True)
    subprocess.run(["tar", "x", "-C", str(into)], input=archive, check=True)
    catalogue = Path("census/translations/en/LC_MESSAGES/messages.mo")
    if (ROOT / catalogue).exists() and not (into / catalogue).exists():
        shutil.copy(ROOT / catalogue, into / catalogue)  # compiled at install, not committed
    return into


def run_tree(tree: Path, folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    """``measure`` in a fresh process whose ``census`` package is the one in ``tree``."""
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONHASHSEED="0")
    command = [sys.executable, str(Path(__file__).resolve()), "--child", str(folder)]
    command += ["--saves", str(args.saves), "--repeat", str(args.repeat), "--seed", str(args.seed)]
    done = subprocess.run(command, env=env, cwd=tree, capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"the run on {tree} failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _p(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report(runs: dict[str, dict[str, Any]], args: argparse.Namespace) -> None:
    """The table: each page and the saves, each tree's wall seconds, the ratio, CPU seconds."""
    labels = list(runs)
    base = len(labels) > 1
    some = next(iter(runs.values()))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"\n{some['households']:,} households at the end, {os.cpu_count()} cores, "
        f"load {load:.2f}; warm = median of {args.repeat}; seconds"
    )
    head = "| what | " + " | ".join(f"{k} wall" for k in labels)
    head += " | before / this tree" if base else ""
    head += " | " + " | ".join(f"{k} CPU" for k in labels) + " |"
    print(head)
    print("|---|" + "---:|" * (2 * len(labels) + base))

    def line(what: str, values: list[Timing], flag: float | None) -> None:
        walls = " | ".join(f"{v[0]:.3f}" for v in values)
        ratio = f" | {values[0][0] / max(values[-1][0], 1e-9):.1f}×" if base else ""
        cpus = " | ".join(f"{v[1]:.3f}" for v in values)
        over = " (over target)" if flag is not None and values[-1][0] > flag else ""
        print(f"| {what}{over} | {walls}{ratio} | {cpus} |")

    for name, _url in PAGES:
        line(f"{name}, cold", [runs[k]["cold"][name] for k in labels], None)
        line(f"{name}, warm", [runs[k]["warm"][name] for k in labels], TARGET_WARM)
        line(f"{name}, after a write", [runs[k]["after"][name] for k in labels], TARGET_AFTER)
    for share, what in ((0.5, "p50"), (0.95, "p95")):
        values = [
            (
                _p([t[0] for t in runs[k]["saves"]], share),
                _p([t[1] for t in runs[k]["saves"]], share),
            )
            for k in labels
        ]
        target = TARGET_SAVE if share > 0.9 else None
        line(f"household save, {what} of {args.saves}", values, target)
    line("app start (open the store, repair check)", [runs[k]["opened"] for k in labels], None)
    print(
        f"\ntargets (this tree's wall time): warm ≤ {TARGET_WARM} s, after a write ≤ "
        f"{TARGET_AFTER} s, save p95 ≤ {TARGET_SAVE * 1000:.0f} ms. CPU: this process's CPU "
        "seconds for the same request, which other work on the machine does not inflate."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=13000)
    parser.add_argument("--saves", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5, help="warm views per page")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--before", default=BASELINE, help='a commit to compare with ("": none)')
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(Path(args.child), args.saves, args.repeat, args.seed)))
        return
    folder = community_folder(args.households, args.seed)
    runs: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        if args.before:
            old = tree_of(args.before, Path(scratch) / "before")
            runs[f"before ({args.before})"] = run_tree(old, folder, args)
        runs["this tree"] = run_tree(ROOT, folder, args)
    report(runs, args)


if __name__ == "__main__":
    main()
