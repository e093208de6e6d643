"""The data folder and every file the store and the app make in it are the owner's only."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from census.app import create_app
from census.store import open_store
from census.store.tinystorage import JOURNAL_NAME
from census.web.current import get_store
from tests.factories import make_household


@pytest.fixture
def open_umask():
    """The most permissive umask: modes must not depend on it."""
    old = os.umask(0)
    yield
    os.umask(old)


def readable_by_others(folder: Path) -> list[str]:
    """Everything under ``folder`` (itself included) that group or others may use."""
    found = []
    for path in [folder, *folder.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            found.append(f"{path.relative_to(folder.parent)} {mode:o}")
    return found


def test_after_a_save_nothing_in_the_data_folder_is_readable_by_others(tmp_path, open_umask):
    data = tmp_path / "data"
    app = create_app({"DATA_DIR": str(data), "FSYNC": True, "TESTING": True})  # secret_key made
    store = get_store(app)
    try:
        store.collection("buildings").insert({"name": "1栋", "grid": "第一网格"})
        store.collection("households").insert(make_household())
        store.compact()  # census.json rewritten through a temp file
        store.collection("households").insert(make_household(room="102"))  # journal again
        assert (data / "census.json").exists() and (data / "secret_key").exists()
        assert (data / JOURNAL_NAME).stat().st_size > 0
        assert readable_by_others(data) == []
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
    finally:
        store.close()
    assert readable_by_others(data) == []


def test_an_older_folder_with_open_modes_is_closed_when_opened(tmp_path, open_umask):
    data = tmp_path / "old"
    with open_store(data, fsync=False) as store:
        store.collection("x").insert({"a": 1})
    data.chmod(0o755)
    for name in ("census.json", "census.lock"):
        (data / name).chmod(0o644)
    (data / JOURNAL_NAME).touch()
    (data / JOURNAL_NAME).chmod(0o644)
    with open_store(data, fsync=False) as store:
        store.collection("x").insert({"a": 2})
        store.compact()
        assert readable_by_others(data) == []
