"""A full disk is a message, not a 500: the client hears 507, nothing acknowledged is lost.

A real ``census serve`` keeps its data folder on a 4 MB tmpfs; the test fills it up. Where
this process may not mount (not root), the same is shown in-process with a failing
``os.write``, which is what a full disk looks like from inside.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

import pytest

from census.app import create_app
from census.store import open_store
from census.web.current import get_store
from tests.conftest import csrf_token
from tests.factories import make_household
from tests.servers import Client, household, prepare, servers, settings

MESSAGE = "存储空间已满"


def _mount(folder: Path) -> bool:
    folder.mkdir()
    if os.geteuid() != 0:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)])
    return done.returncode == 0


def _fill(folder: Path) -> Path:
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 1 << 16, 1 << 12, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                continue  # full at this size: smaller pieces may still fit
    finally:
        os.close(fd)
    return filler


@pytest.mark.slow
def test_a_server_on_a_full_disk_answers_507_and_loses_nothing(tmp_path):
    disk = tmp_path / "disk"
    if not _mount(disk):
        pytest.fail("this test needs root to mount a small tmpfs (CI runs as root)")
    stack = contextlib.ExitStack()
    try:
        data = disk / "data"
        token = prepare(data)
        with servers(1, settings(data) | {"CENSUS_FSYNC": "true"}) as (server,):
            client = Client(server, token)
            stack.callback(client.close)
            acknowledged: list[int] = []
            for n in range(5):
                status, body = client.post("/api/v1/households", household(n))
                assert status == 201
                acknowledged.append(body["id"])
            filler = _fill(disk)
            # What still fits in the journal's last page is stored; then the disk is full.
            for n in range(10, 40):
                refused = household(n)
                status, body = client.post("/api/v1/households", refused)
                if status != 201:
                    break
                acknowledged.append(body["id"])
            assert status == 507 and MESSAGE in body["message"], (status, body)
            for n in range(30):  # a door marked: a smaller write, refused the same way
                visit = {"uuid": f"v-{n}", "building": "1栋", "room": f"{101 + n}"}
                visit["outcome"] = "not_home"  # another door each time: one visit each
                status, body = client.post("/api/v1/visits", visit)
                if status != 201:
                    break
            assert status == 507 and MESSAGE in body["message"], (status, body)
            filler.unlink()
            status, body = client.post("/api/v1/households", refused)  # the outbox's retry
            assert status == 201
            acknowledged.append(body["id"])
        with open_store(str(data)) as store:
            stored = store.collection("households").scan()
            assert sorted(h["id"] for h in stored) == sorted(acknowledged)
            assert [h["uuid"] for h in stored].count(refused["uuid"]) == 1
    finally:
        stack.close()
        subprocess.run(["umount", "-l", str(disk)])


def test_a_failing_write_is_507_on_the_api_and_a_page_on_the_web(tmp_path, monkeypatch):
    app = create_app(
        {"DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": "s", "TESTING": True, "FSYNC": True}
    )
    store = get_store(app)
    try:
        from census.services.accounts import add_user, create_token

        store.collection("buildings").insert({"name": "1栋", "grid": "第一网格"})
        add_user(store, "admin", "admin", "admin-pass-1", hash_method="pbkdf2:sha256:1000")
        token = create_token(store, "admin")
        real_write = os.write

        def full(fd, data):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(os, "write", full)
        answer = app.test_client().post(
            "/api/v1/households",
            json=make_household() | {"uuid": "full-1"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 507 and MESSAGE in answer.get_json()["message"]
        browser = app.test_client()
        token_field = csrf_token(browser, "/login")
        page = browser.post(
            "/login",
            data={"username": "admin", "password": "admin-pass-1", "csrf_token": token_field},
        )  # a login is audited: a write
        assert page.status_code == 507 and MESSAGE in page.get_data(as_text=True)
        monkeypatch.setattr(os, "write", real_write)
        assert store.collection("households").find_one(uuid="full-1") is None
        again = app.test_client().post(
            "/api/v1/households",
            json=make_household() | {"uuid": "full-1"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert again.status_code == 201
    finally:
        store.close()
