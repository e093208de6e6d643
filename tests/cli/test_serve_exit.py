"""``census serve`` stopped by a service manager (SIGTERM) while tablets are saving.

The server ends without freeing its objects one by one (a street's read models took minutes
to free), so what must happen at its end is done first: every save that was answered is in
the store, the folder is released (a server started next opens it at once), and on
PostgreSQL none of its connections is left open.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from census.store import open_store
from tests.conftest import connections_named
from tests.servers import Client, Server, household, prepare, settings
from tests.store.conftest import pg_server, pg_url  # noqa: F401, F811  (fixtures)

CLIENTS = 4


def _save_until_stopped(
    server: Server, token: str, before: Callable[[], None] = lambda: None
) -> tuple[list[int], int]:
    """Clients saving new households while the server is sent SIGTERM (after ``before``):
    the ids answered 201, and the server's exit code."""
    answered: list[int] = []
    running = threading.Barrier(CLIENTS + 1)

    def run(c: int) -> None:
        client = Client(server, token)
        running.wait()
        try:
            for k in range(10_000):
                try:
                    status, body = client.post("/api/v1/households", household(c * 10_000 + k))
                except OSError:
                    return  # the server is gone
                if status != 201:
                    return  # 503 while its stores close: not saved, and said so
                answered.append(body["id"])
        finally:
            client.close()

    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [pool.submit(run, c) for c in range(CLIENTS)]
        running.wait()
        while len(answered) < 40:
            time.sleep(0.05)
        before()
        server.process.send_signal(signal.SIGTERM)
        code = server.process.wait(timeout=30)
        for future in futures:
            future.result()
    server.log.close()
    return answered, code


def test_sigterm_under_saves_keeps_every_answered_save_and_frees_the_folder(tmp_path):
    data = tmp_path / "data"
    token = prepare(data)
    server = Server(settings(data))
    answered, code = _save_until_stopped(server, token)
    assert code == 0
    assert len(answered) >= 40
    with open_store(str(data)) as store:  # released: no "in use by another process"
        stored = {h["id"] for h in store.collection("households").scan()}
    assert set(answered) <= stored


@pytest.mark.postgres
def test_sigterm_under_saves_on_postgresql_leaves_no_connection(tmp_path, pg_url):  # noqa: F811
    data = tmp_path / "data"
    token = prepare(data, pg_url)
    name = f"census-exit-{time.monotonic_ns()}"
    server = Server(settings(data, f"{pg_url}&application_name={name}"))
    seen: list[int] = []
    answered, code = _save_until_stopped(
        server, token, lambda: seen.append(connections_named(name))
    )
    assert code == 0
    assert len(answered) >= 40
    assert seen[0] > 0 and connections_named(name) == 0
    with open_store(pg_url) as store:
        stored = {h["id"] for h in store.collection("households").scan()}
    assert set(answered) <= stored
