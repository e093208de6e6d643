"""TinyDB backend: one process owns a data folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from store_crash import CHILD_ENV

from census.store import StoreLocked, open_store

OPEN_AND_WRITE = (
    "import sys; from census.store import open_store\n"
    "with open_store(sys.argv[1]) as s: s.collection('households').insert({'by': 'child'})\n"
)


def run_child(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", OPEN_AND_WRITE, str(folder)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=CHILD_ENV,
        timeout=60,
    )


def test_another_process_is_refused_while_the_folder_is_open(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    pid = os.getpid()
    with open_store(folder) as store:
        assert (folder / "census.lock").read_text().strip() == str(pid)
        refused = run_child(folder)
        assert refused.returncode != 0
        assert "StoreLocked" in refused.stderr
        assert f"数据目录 {folder} 已被另一个进程（PID {pid}）占用" in refused.stderr
        assert f"data folder {folder} is in use by another process (PID {pid})" in refused.stderr
        assert len(store.collection("households")) == 0
    allowed = run_child(folder)  # closing released the folder
    assert allowed.returncode == 0, allowed.stderr
    with open_store(folder) as store:
        assert store.collection("households").find(by="child") != []


def test_second_open_in_the_same_process_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    first = open_store(folder)
    try:
        for same in (folder, folder / ".", str(folder) + "/"):
            with pytest.raises(StoreLocked) as caught:
                open_store(same)
            assert caught.value.pid == os.getpid()
            assert "data folder" in str(caught.value) and "数据目录" in str(caught.value)
    finally:
        first.close()
    with open_store(folder) as again:  # released on close
        assert again.data_dir == folder
