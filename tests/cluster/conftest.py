"""A street office's deployment on one machine: two ``census serve`` processes, each with a
data folder of its own, ``census worker`` processes and the round-robin proxy in front,
all on one PostgreSQL schema made for the module (dropped after it)."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
import requests
from openpyxl import Workbook

from census import devproxy
from tests.conftest import PG_URL
from tests.servers import Server, free_port, prepare, stop_process

ADMIN = ("admin", "admin-pass-1")  # made by tests.servers.prepare


class Worker:
    """``census worker`` in a process of its own; ``kill()`` is kill -9."""

    def __init__(self, env: dict[str, str], community: str = "") -> None:
        self.log = tempfile.TemporaryFile()
        chosen = ["--community", community] if community else []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "census", *chosen, "worker"],
            env=os.environ | env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self) -> None:
        stop_process(self.process, self.log)


@dataclass
class Cluster:
    """The proxy's address, the servers and workers behind it, and how to start more."""

    root: Path
    env: dict[str, str]
    token: str
    servers: list[Server] = field(default_factory=list)
    workers: list[Worker] = field(default_factory=list)
    proxy: object = None
    url: str = ""

    def worker(self, community: str = "") -> Worker:
        """Start one more worker, with a data folder (print cache) of its own (of an added
        community of the street when named)."""
        folder = self.root / f"worker{len(self.workers) + 1}"
        started = Worker(self.env | {"CENSUS_DATA_DIR": str(folder)}, community)
        self.workers.append(started)
        return started

    def census(self, *args: str) -> subprocess.CompletedProcess[str]:
        """A ``census`` command on the cluster's database (in the setup's data folder)."""
        env = os.environ | self.env | {"CENSUS_DATA_DIR": str(self.root / "setup")}
        return subprocess.run(
            [sys.executable, "-m", "census", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def stop_workers(self) -> None:
        """Stop every worker (SIGTERM: the job in hand is finished first)."""
        for worker in self.workers:
            worker.stop()
        self.workers.clear()


@pytest.fixture(scope="module")
def cluster_url() -> Iterator[str]:
    """A schema of its own in the test database for the module's cluster, dropped after."""
    schema = f"census_cluster_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
    except psycopg.OperationalError as exc:  # pragma: no cover - no server on this machine
        pytest.fail(f"PostgreSQL is needed at {PG_URL}: {exc}")
    yield f"{PG_URL}?options=-c%20search_path%3D{schema}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, cluster_url) -> Iterator[Cluster]:
    """Two servers behind the proxy, no worker yet (``cluster.worker()`` starts one); one
    cluster for the module's tests (starting two servers takes seconds)."""
    root = tmp_path_factory.mktemp("cluster")
    token = prepare(root / "setup", cluster_url)  # buildings and the admin
    env = {
        "CENSUS_DATABASE_URL": cluster_url,
        "CENSUS_BEHIND_PROXY": "true",
        "CENSUS_FSYNC": "false",
        "CENSUS_PRINT_WORKERS": "0",  # render in the worker's own process
        "CENSUS_WORKER_HEARTBEAT_SECONDS": "0.5",
        "CENSUS_WORKER_STALLED_SECONDS": "3",
        "CENSUS_WORKER_LOOK_SECONDS": "1",  # a community added is served within a second
        "CENSUS_IMPORT_WAIT_SECONDS": "0",  # an import's check and apply show their job page
        "CENSUS_IMPORT_STALLED_SECONDS": "6",  # a server killed mid-import: 6 s of silence
    }
    assert "CENSUS_SECRET_KEY" not in os.environ  # the servers must agree by themselves
    found = Cluster(root, env, token)
    try:
        for n in (1, 2):
            found.servers.append(Server(env | {"CENSUS_DATA_DIR": str(root / f"server{n}")}))
        port = free_port()
        found.proxy = devproxy.serve(port, [s.url for s in found.servers])
        found.url = f"http://127.0.0.1:{port}"
        yield found
    finally:
        found.stop_workers()
        if found.proxy is not None:
            found.proxy.shutdown()  # type: ignore[attr-defined]
            found.proxy.server_close()  # type: ignore[attr-defined]
        for server in found.servers:
            server.stop()


def csrf(page: requests.Response) -> str:
    """The CSRF token of a page's form."""
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.text)
    assert match, page.text[:500]
    return match.group(1)


def upstream(answer: requests.Response) -> str:
    """Which server answered (the proxy names it)."""
    return answer.headers["X-Census-Upstream"]


def login(session: requests.Session, base: str, username: str, password: str):
    """Log in through the proxy: the form from one server, the post to the next."""
    page = session.get(f"{base}/login")
    answer = session.post(
        f"{base}/login",
        data={"username": username, "password": password, "csrf_token": csrf(page)},
        allow_redirects=False,
    )
    return page, answer


def wait_for(check, timeout: float, what: str):
    """Poll ``check()`` until it returns something true; that value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s: {what}")


def workbook(path: Path, header: list, rows: list[list]) -> bytes:
    """The bytes of an .xlsx at ``path`` holding ``header`` and ``rows`` on its first sheet."""
    book = Workbook()
    for row in [header, *rows]:
        book.active.append(row)
    book.save(path)
    return path.read_bytes()


def uploaded(session: requests.Session, base: str, data: bytes) -> str:
    """Upload a household sheet through ``base``; the upload's id from the redirect."""
    page = session.get(f"{base}/sheets/")
    sent = session.post(
        f"{base}/sheets/upload",
        data={"csrf_token": csrf(page), "form": "household"},
        files={"file": ("台账.xlsx", io.BytesIO(data))},
        allow_redirects=False,
    )
    assert sent.status_code == 302, sent.text[:300]
    return re.search(r"/sheets/import/([0-9a-f]{16})", sent.headers["Location"]).group(1)
