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
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson

from census.app import create_app
from census.domain.ids import make_resident_id
from census.services.accounts import add_user, create_token
from census.web.current import get_store

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
                "name": _name(n),
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


SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅鹏辉建国文斌宇浩凯健俊帆帅旭宁"


def _name(n: int) -> str:
    """Names as varied as a street's: few people share one (as in a real register)."""
    return (
        SURNAMES[n % len(SURNAMES)]
        + GIVEN[n // len(SURNAMES) % len(GIVEN)]
        + GIVEN[n // (len(SURNAMES) * len(GIVEN)) % len(GIVEN)]
    )


def _born(n: int) -> date:
    return date(1940, 1, 1) + timedelta(days=n // 499)


def stop_process(process: subprocess.Popen, log: Any) -> None:
    """Stop a test's ``census`` process as a service manager does (SIGTERM, then SIGKILL
    after 20 s), and close its log."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    log.close()


class Server:
    """``census serve`` on a free port, in its own process; ``url`` once it answers."""

    def __init__(self, env: dict[str, str], threads: int = 8) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "census", "serve", "--port", str(self.port)]
        # The server's log goes to a file: a pipe nobody reads would fill up and stop the
        # server in the middle of a write (waitress logs a warning when its queue is deep).
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [*command, "--threads", str(threads)],
            env=os.environ | env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"census serve stopped: {self.log.read().decode()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("census serve did not answer within 60 s")

    def stop(self) -> None:
        stop_process(self.process, self.log)


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
