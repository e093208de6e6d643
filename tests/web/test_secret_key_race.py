"""The data folder's secret key when several processes (or threads) start at once on a new
folder: every one of them gets the same key, never an empty one read half written; an empty
key kept by an older version is replaced, in the folder and in the shared database."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import psycopg

from census.app import _secret_key_file
from tests.conftest import PG_URL

STARTS = 12


def test_threads_starting_at_once_get_one_key(tmp_path):
    for attempt in range(5):
        folder = tmp_path / f"data{attempt}"
        folder.mkdir()
        barrier = threading.Barrier(STARTS)
        keys: list[str] = []

        def start(
            folder: Path = folder, barrier: threading.Barrier = barrier, keys: list[str] = keys
        ) -> None:
            barrier.wait()
            keys.append(_secret_key_file(folder))

        threads = [threading.Thread(target=start) for _ in range(STARTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert len(keys) == STARTS
        assert len(set(keys)) == 1 and len(keys[0]) == 64, keys
        assert (folder / "secret_key").stat().st_mode & 0o777 == 0o600
        assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]  # none left behind


def test_processes_starting_at_once_get_one_key(tmp_path):
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from census.app import _secret_key_file\n"
        "while time.time() < float(sys.argv[2]): pass\n"
        "print(_secret_key_file(Path(sys.argv[1])))\n"
    )
    import time

    at = str(time.time() + 3)
    started = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(tmp_path), at], stdout=subprocess.PIPE, text=True
        )
        for _ in range(6)
    ]
    keys = {p.communicate(timeout=60)[0].strip() for p in started}
    assert len(keys) == 1 and len(keys.pop()) == 64


def test_an_empty_key_kept_is_replaced(tmp_path, pg_url):
    (tmp_path / "secret_key").write_text("")
    key = _secret_key_file(tmp_path)
    assert len(key) == 64 and (tmp_path / "secret_key").read_text() == key
    from census.store import open_store

    schema = pg_url.rsplit("%3D", 1)[1]
    with open_store(pg_url) as store:
        shared = store.shared
        assert shared.secret("secret_key", key) == key
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"UPDATE {schema}.census_secrets SET value = '' WHERE name = 'secret_key'")
        assert shared.secret("secret_key", "b" * 64) == "b" * 64  # the empty one replaced
        assert shared.secret("secret_key", "c" * 64) == "b" * 64  # and then kept
