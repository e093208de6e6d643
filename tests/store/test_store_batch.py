"""Collection.insert_many: a batch of documents in one durable write, all or nothing."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from census.store import DuplicateKey, Store, open_store

Factory = Callable[..., dict[str, Any]]


def test_insert_many_returns_increasing_ids_in_order(store: Store, make_household: Factory) -> None:
    households = store.collection("households")
    first = households.insert(make_household())
    docs = [make_household() for _ in range(4)]
    ids = households.insert_many(docs)
    assert ids == list(range(first + 1, first + 5))
    for doc_id, doc in zip(ids, docs, strict=True):
        assert households.get(doc_id) == {"id": doc_id, "_rev": 1, **doc}
    assert households.insert(make_household()) == first + 5
    assert households.insert_many([]) == []


def test_batch_documents_are_found_through_indexes(store: Store, make_household: Factory) -> None:
    households = store.collection("households")
    households.ensure_index("members.id_number")
    docs = [make_household() for _ in range(3)]
    ids = households.insert_many(docs)
    number = docs[1]["members"][2]["id_number"]
    assert [d["id"] for d in households.find(**{"members.id_number": number})] == [ids[1]]


def test_a_duplicate_against_the_store_stores_nothing(
    store: Store, make_household: Factory
) -> None:
    households = store.collection("households")
    taken = make_household()
    households.insert(taken, unique=["uuid"])
    batch = [make_household(), make_household(uuid=taken["uuid"]), make_household()]
    with pytest.raises(DuplicateKey) as caught:
        households.insert_many(batch, unique=["uuid"])
    assert caught.value.field == "uuid"
    assert len(households) == 1
    # The ids the failed batch would have used are not burnt or reused oddly.
    assert households.insert_many(batch[:1]) == [2]


def test_a_duplicate_within_the_batch_stores_nothing(store: Store, make_household: Factory) -> None:
    households = store.collection("households")
    twins = [make_household(uuid="same"), make_household(uuid="same")]
    with pytest.raises(DuplicateKey) as caught:
        households.insert_many(twins, unique=["uuid"])
    assert caught.value.existing_id == 0
    assert len(households) == 0
    # Empty values never clash, as in insert.
    assert len(households.insert_many([make_household(uuid=""), make_household(uuid="")])) == 2


def test_the_caller_keeps_its_documents(store: Store, make_household: Factory) -> None:
    doc = make_household()
    store.collection("households").insert_many([doc])
    doc["members"].clear()
    assert store.collection("households").get(1)["members"]  # type: ignore[index]


def test_a_batch_is_one_journal_line_and_one_fsync(
    tmp_path: Path, make_household: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_store(tmp_path / "data") as store:
        households = store.collection("households")
        households.insert(make_household())
        journal = tmp_path / "data" / "census.journal"
        lines_before = journal.read_bytes().count(b"\n")
        calls: list[int] = []
        real_fsync = os.fsync
        monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(fd), real_fsync(fd)))
        households.insert_many([make_household() for _ in range(50)])
        monkeypatch.undo()
        assert len(calls) == 1
        assert journal.read_bytes().count(b"\n") == lines_before + 1


def _states_around_a_batch(folder: Path, make_household: Factory) -> tuple[bytes, bytes, int]:
    """Snapshot before the batch, the journal holding the batch, and the first batch id."""
    with open_store(folder) as store:
        store.collection("households").insert(make_household())
    snapshot = (folder / "census.json").read_bytes()
    with open_store(folder) as store:
        ids = store.collection("households").insert_many([make_household() for _ in range(20)])
        journal = (folder / "census.journal").read_bytes()
    return snapshot, journal, ids[0]


def _crashed_folder(folder: Path, snapshot: bytes, journal: bytes) -> None:
    """Put the folder back as a kill -9 right after the journal write would leave it."""
    (folder / "census.json").write_bytes(snapshot)
    (folder / "census.journal").write_bytes(journal)


def test_a_batch_in_the_journal_is_replayed_whole(tmp_path: Path, make_household: Factory) -> None:
    folder = tmp_path / "data"
    snapshot, journal, first = _states_around_a_batch(folder, make_household)
    _crashed_folder(folder, snapshot, journal)
    with open_store(folder) as store:
        households = store.collection("households")
        assert len(households) == 21
        assert households.get(first + 19) is not None


def test_a_torn_batch_is_dropped_whole(tmp_path: Path, make_household: Factory) -> None:
    folder = tmp_path / "data"
    snapshot, journal, _first = _states_around_a_batch(folder, make_household)
    for cut in (1, len(journal) // 2, len(journal) - 1):
        shutil.rmtree(folder)
        folder.mkdir()
        _crashed_folder(folder, snapshot, journal[:-cut])
        with open_store(folder) as store:
            assert len(store.collection("households")) == 1, f"cut {cut} bytes"
