"""The census command as an administrator types it, in real subprocesses on a real folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from pypdf import PdfReader

CENSUS = [sys.executable, "-m", "census"]


def run(data_dir: Path, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, CENSUS_DATA_DIR=str(data_dir), CENSUS_FSYNC="false")
    return subprocess.run(
        [*CENSUS, *args], capture_output=True, text=True, env=env, input=input, timeout=120
    )


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    """A data folder with the demo community loaded by `census init` and `census demo`."""
    data = tmp_path_factory.mktemp("demo")
    assert run(data, "init").returncode == 0
    result = run(data, "demo")
    assert result.returncode == 0, result.stderr
    assert "admin" in result.stdout and "surveyor1" in result.stdout
    return data


def test_demo_loads_a_community_once(demo_dir):
    again = run(demo_dir, "demo")
    assert again.returncode == 0 and "未重复载入" in again.stdout


def test_user_add_and_token_create(demo_dir):
    added = run(demo_dir, "user", "add", "wang", "--role", "reviewer", "--password", "pass-word-9")
    assert added.returncode == 0, added.stderr
    prompted = run(
        demo_dir,
        "user",
        "add",
        "li",
        "--role",
        "surveyor",
        "--grid",
        "第一网格",
        input="pass-word-9\npass-word-9\n",
    )
    assert prompted.returncode == 0, prompted.stderr
    bad = run(demo_dir, "user", "add", "zhao", "--role", "boss", "--password", "pass-word-9")
    assert bad.returncode != 0 and "boss" in bad.stderr
    short = run(demo_dir, "user", "add", "zhao", "--role", "admin", "--password", "short")
    assert short.returncode == 1 and "8" in short.stderr
    token = run(demo_dir, "token", "create", "wang")
    assert token.returncode == 0
    assert len(token.stdout.split()[-1]) >= 40


def test_account_commands_on_an_unknown_user_say_so_without_a_traceback(demo_dir):
    for args in (("user", "deactivate", "nobody"), ("user", "activate", "nobody"),
                 ("user", "passwd", "nobody", "--password", "pass-word-9"),
                 ("token", "create", "nobody"), ("token", "revoke", "nobody")):  # fmt: skip
        answer = run(demo_dir, *args)
        assert answer.returncode == 1, args
        assert "没有用户 nobody" in answer.stderr and "Traceback" not in answer.stderr, args


def test_print_household_list(demo_dir, tmp_path):
    out = tmp_path / "1.pdf"
    result = run(demo_dir, "print", "household-list", "--building", "1栋", "-o", str(out))
    assert result.returncode == 0, result.stderr
    text = "".join(page.extract_text() for page in PdfReader(out).pages)
    assert "1栋" in text and "住户花名册" in text and "********" in text
    missing = run(demo_dir, "print", "household-list", "--building", "99栋", "-o", str(out))
    assert missing.returncode != 0 and "99栋" in missing.stderr


def test_serve_answers_and_a_second_server_on_the_folder_is_refused(demo_dir, tmp_path):
    env = dict(os.environ, CENSUS_DATA_DIR=str(demo_dir))
    with subprocess.Popen(
        [*CENSUS, "serve", "--port", "5731"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as server:
        try:
            _check_serving(server, demo_dir)
        finally:
            server.terminate()
            server.wait(timeout=10)


def _check_serving(server: subprocess.Popen[str], demo_dir: Path) -> None:
    if True:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen("http://127.0.0.1:5731/login", timeout=2) as page:
                    assert "登录" in page.read().decode()
                    assert page.headers["Server"].startswith("waitress")
                break
            except OSError:
                assert server.poll() is None, server.stderr.read()
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.3)
        second = run(demo_dir, "serve", "--port", "5732")
        assert second.returncode == 1
        assert "已被另一个进程" in second.stderr and str(server.pid) in second.stderr
        req = urllib.request.Request("http://127.0.0.1:5731/api/v1/households")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(req, timeout=5)
        assert refused.value.code == 401
        assert json.loads(refused.value.read())["error"] == "unauthorized"


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (read from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_a_server_stopped_with_sigterm_stops_its_print_workers(demo_dir):
    import http.cookiejar
    import re
    import signal
    import urllib.parse

    base = "http://127.0.0.1:5733"
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )

    def token(path: str) -> str:
        with opener.open(base + path, timeout=10) as page:
            return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.read().decode())[1]

    def post(path: str, **form: str):
        data = urllib.parse.urlencode({"csrf_token": token(path), **form}).encode()
        return opener.open(base + path, data=data, timeout=30)

    env = dict(os.environ, CENSUS_DATA_DIR=str(demo_dir), CENSUS_FSYNC="false")
    server = subprocess.Popen(
        [*CENSUS, "serve", "--port", "5733"], env=env, stdout=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                opener.open(base + "/login", timeout=2).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.3)
        post("/login", username="admin", password="admin1234").close()
        with post("/prints/", target="household-list", as_of="2025-09-01") as job_page:
            job = job_page.geturl().rstrip("/").rsplit("/", 1)[-1]
        while True:
            with opener.open(f"{base}/prints/{job}.json", timeout=10) as status:
                state = json.loads(status.read())["state"]
            if state in ("done", "failed"):
                break
            assert time.monotonic() < deadline + 60, "the print did not finish"
            time.sleep(0.3)
        assert state == "done"
        forkserver = _children(server.pid)
        workers = [pid for parent in forkserver for pid in _children(parent)]
        assert workers, "the print ran without worker processes"
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in forkserver + workers):
        assert time.monotonic() < deadline, "print workers were left running"
        time.sleep(0.2)
