"""Real ``census serve`` processes for tests and benchmarks: one data folder or one database.

``prepare`` makes a community with buildings, accounts and an API token, then closes its
store (a TinyDB folder has one owner: the server started next). ``Server`` starts
``census serve`` in a process of its own on a free port and stops it afterwards;
``post_households`` sends many households through a pool of HTTP connections.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson

from census.app import create_app, get_store
from census.domain.ids import make_resident_id
from census.users import add_user, create_token

BUILDINGS = [f"{n}栋" for n in range(1, 9)]
SECRET = "one secret for every server of the test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def settings(data_dir: Path, database_url: str | None = None) -> dict[str, str]:
    """The CENSUS_* environment of a server on this folder (and database)."""
    env = {"CENSUS_DATA_DIR": str(data_dir), "CENSUS_SECRET_KEY": SECRET}
    if database_url:
        env["CENSUS_DATABASE_URL"] = database_url
    return env


def prepare(data_dir: Path, database_url: str | None = None) -> str:
    """A community with eight buildings and an admin; return the admin's API token."""
    config: dict[str, Any] = {"DATA_DIR": str(data_dir), "SECRET_KEY": SECRET}
    if database_url:
        config["DATABASE_URL"] = database_url
    app = create_app(config)
    store = get_store(app)
    try:
        for n, name in enumerate(BUILDINGS):
            store.collection("buildings").insert(
                {"name": name, "grid": "第一网格" if n % 2 else "第二网格", "type": "residential"}
            )
        add_user(store, "admin", "admin", "admin-pass-1", hash_method="pbkdf2:sha256:1000")
        return create_token(store, "admin")
    finally:
        store.close()


def household(n: int) -> dict[str, Any]:
    """A valid new household, distinct for each n (its people too), with a fresh uuid."""
    return {
        "uuid": str(uuid.uuid4()),
        "building": BUILDINGS[n % len(BUILDINGS)],
        "unit": str(1 + n // 400 % 6),
        "room": str(101 + n % 400),
        "housing": "owned",
        "hardship": [],
        "members": [
            {
                "name": "张建国",
                "relation": "head",
                "sex": "male",
                "ethnicity": "汉族",
                "id_type": "resident_id",
                "id_number": make_resident_id("110105", _born(n), n % 499 + 1, "male"),
                "birth_date": _born(n).isoformat(),
                "residence_type": "registered",
                "political": "masses",
                "education": "senior",
                "marital": "married",
                "employment": "employed",
                "conditions": [],
                "status": "active",
            }
        ],
        "notes": "",
    }


def _born(n: int) -> date:
    return date(1940, 1, 1) + timedelta(days=n // 499)


class Server:
    """``census serve`` on a free port, in its own process; ``url`` once it answers."""

    def __init__(self, env: dict[str, str], threads: int = 8) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "census", "serve", "--port", str(self.port)]
        self.process = subprocess.Popen(
            [*command, "--threads", str(threads)],
            env=os.environ | env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"census serve stopped: {self.process.stderr.read().decode()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("census serve did not answer within 60 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()


@contextmanager
def servers(count: int, env: dict[str, str], threads: int = 8) -> Iterator[list[Server]]:
    started: list[Server] = []
    try:
        for _ in range(count):
            started.append(Server(env, threads))
        yield started
    finally:
        for server in started:
            server.stop()


class Client:
    """One keep-alive HTTP connection to a server, with the API token."""

    def __init__(self, server: Server, token: str) -> None:
        self.port = server.port
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        data = orjson.dumps(body)
        for attempt in range(2):  # a keep-alive connection the server closed: open it again
            try:
                self.conn.request("POST", path, body=data, headers=self.headers)
                response = self.conn.getresponse()
                raw = response.read()
                return response.status, orjson.loads(raw) if raw else {}
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()
