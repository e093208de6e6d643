"""Store.atomic: writes to several collections stored together or not at all."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from census.store import DuplicateKey, Store, open_store
from census.store.errors import StoreError

Factory = Callable[..., dict[str, Any]]


class Stop(Exception):
    """An error raised half-way through a block."""


def write_three(store: Store, household: dict[str, Any]) -> int:
    """A record, its version and an audit entry, as a save writes them."""
    new_id = store.collection("households").insert(household, unique=["uuid"])
    store.collection("versions").insert({"key": f"households/{new_id}", "rev": 1})
    store.collection("audit").insert({"action": "create", "target": f"households/{new_id}"})
    return new_id


def test_a_block_stores_every_write_and_reads_its_own(
    store: Store, reopen: Callable[[], Store], make_household: Factory
) -> None:
    store.collection("households").ensure_index("uuid")
    with store.atomic():
        new_id = write_three(store, make_household(uuid="u-1"))
        # inside the block, its writes are there already
        assert store.collection("households").get(new_id)["uuid"] == "u-1"
        assert store.collection("households").find_one(uuid="u-1")["id"] == new_id
    store.close()
    again = reopen()
    assert again.collection("households").get(new_id)["uuid"] == "u-1"
    assert len(again.collection("versions")) == len(again.collection("audit")) == 1


def test_an_error_in_a_block_keeps_none_of_its_writes(
    store: Store, reopen: Callable[[], Store], make_household: Factory
) -> None:
    households = store.collection("households")
    households.ensure_index("uuid")
    kept = households.insert(make_household(uuid="before"))
    with pytest.raises(Stop):
        with store.atomic():
            households.update(kept, make_household(uuid="before", room="999"))
            new_id = write_three(store, make_household(uuid="u-2"))
            raise Stop
    for seen in (store, None):
        if seen is None:
            store.close()
            seen = reopen()
        h = seen.collection("households")
        assert h.get(new_id) is None and h.find_one(uuid="u-2") is None
        assert h.get(kept).get("room") != "999" and h.get(kept)["_rev"] == 1
        assert len(h) == 1
        assert len(seen.collection("versions")) == len(seen.collection("audit")) == 0
    # the unique index forgot the undone document: the uuid can be used again
    assert seen.collection("households").insert(make_household(uuid="u-2"), unique=["uuid"])


def test_a_refused_write_inside_a_block_leaves_the_earlier_ones(
    store: Store, make_household: Factory
) -> None:
    households = store.collection("households")
    households.insert(make_household(uuid="taken"), unique=["uuid"])
    with store.atomic():
        store.collection("audit").insert({"action": "tried"})
        with pytest.raises(DuplicateKey):
            households.insert(make_household(uuid="taken"), unique=["uuid"])
    assert len(households) == 1 and len(store.collection("audit")) == 1


def test_blocks_nest_and_the_outermost_decides(store: Store, make_household: Factory) -> None:
    with pytest.raises(Stop):
        with store.atomic():
            with store.atomic():
                write_three(store, make_household(uuid="inner"))
            assert len(store.collection("households")) == 1
            raise Stop
    assert len(store.collection("households")) == 0
    assert len(store.collection("versions")) == 0


def test_a_block_is_one_journal_line_and_one_fsync(
    tmp_path: Path, make_household: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_store(tmp_path / "data") as store:
        store.collection("households").insert(make_household())
        journal = tmp_path / "data" / "census.journal"
        lines_before = journal.read_bytes().count(b"\n")
        calls: list[int] = []
        real_fsync = os.fsync
        monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(fd), real_fsync(fd)))
        with store.atomic():
            write_three(store, make_household())
            store.collection("versions").insert_many([{"n": 1}, {"n": 2}])
        monkeypatch.undo()
        assert len(calls) == 1
        assert journal.read_bytes().count(b"\n") == lines_before + 1


def test_a_torn_block_is_dropped_whole(tmp_path: Path, make_household: Factory) -> None:
    folder = tmp_path / "data"
    with open_store(folder) as store:
        store.collection("households").insert(make_household())
    snapshot = (folder / "census.json").read_bytes()
    with open_store(folder) as store:
        with store.atomic():
            write_three(store, make_household())
        journal = (folder / "census.journal").read_bytes()
    for cut in (0, 1, len(journal) // 2, len(journal) - 1):
        shutil.rmtree(folder)
        folder.mkdir()
        (folder / "census.json").write_bytes(snapshot)
        (folder / "census.journal").write_bytes(journal[: len(journal) - cut])
        with open_store(folder) as store:
            whole = cut == 0
            assert len(store.collection("households")) == (2 if whole else 1), f"cut {cut}"
            assert len(store.collection("versions")) == (1 if whole else 0), f"cut {cut}"
            assert len(store.collection("audit")) == (1 if whole else 0), f"cut {cut}"


def test_a_block_whose_journal_write_fails_is_undone_in_memory(
    tmp_path: Path, make_household: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_store(tmp_path / "data") as store:
        households = store.collection("households")
        households.ensure_index("uuid")

        def full_disk(fd: int, data: Any) -> int:
            raise OSError(28, "No space left on device")

        with pytest.raises(StoreError):
            with store.atomic():
                write_three(store, make_household(uuid="lost"))
                monkeypatch.setattr(os, "write", full_disk)
        monkeypatch.undo()
        assert len(households) == 0 and households.find_one(uuid="lost") is None
        assert len(store.collection("versions")) == 0
        kept = write_three(store, make_household(uuid="kept"))
    with open_store(tmp_path / "data") as store:
        assert store.collection("households").get(kept)["uuid"] == "kept"
        assert len(store.collection("audit")) == 1
