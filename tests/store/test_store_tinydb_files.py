"""TinyDB backend: what a write costs on disk, and how the journal is kept small."""

from __future__ import annotations

from pathlib import Path

from census.store.tinystore import TinyStore


def household(n: int) -> dict:
    return {
        "uuid": f"u-{n:08d}",
        "head_name": "王建国",
        "status": "draft",
        "members": [{"name": "李秀英", "id_number": f"{n:017d}X"} for _ in range(3)],
    }


def journal_growth(folder: Path, write) -> int:
    before = (folder / "census.journal").stat().st_size
    write()
    return (folder / "census.journal").stat().st_size - before


def test_write_cost_does_not_grow_with_the_number_of_documents(tmp_path: Path) -> None:
    with TinyStore(tmp_path, fsync=False) as store:
        households = store.collection("households")
        households.ensure_index("uuid")
        for n in range(1000, 1100):
            households.insert(household(n), unique=["uuid"])
        store.compact()
        snapshot = (tmp_path / "census.json").stat()
        small = journal_growth(tmp_path, lambda: households.insert(household(5000)))
        small_update = journal_growth(tmp_path, lambda: households.update(5, household(5001)))
        for n in range(1100, 4000):
            households.insert(household(n), unique=["uuid"])
        large = journal_growth(tmp_path, lambda: households.insert(household(6000)))
        large_update = journal_growth(tmp_path, lambda: households.update(5, household(6001)))
    # The only growth is in the id digits ("102" -> "3002").
    assert 0 < small <= large <= small + 2
    assert 0 < small_update == large_update
    assert small < 1000  # one document, not the database
    # Writes before the 4000th never rewrote the snapshot.
    assert snapshot.st_size < 40_000


def test_writes_append_to_the_journal_and_leave_the_snapshot_alone(tmp_path: Path) -> None:
    with TinyStore(tmp_path, fsync=True) as store:
        households = store.collection("households")
        households.insert(household(1))
        store.compact()
        before = (tmp_path / "census.json").stat()
        for n in range(2, 30):
            households.insert(household(n))
        after = (tmp_path / "census.json").stat()
        assert (after.st_ino, after.st_mtime_ns, after.st_size) == (
            before.st_ino,
            before.st_mtime_ns,
            before.st_size,
        )
        lines = (tmp_path / "census.journal").read_bytes().splitlines()
        assert len(lines) == 28


def test_journal_is_compacted_when_it_outgrows_the_snapshot(tmp_path: Path) -> None:
    limit = 8 * 1024
    with TinyStore(tmp_path, fsync=False, compact_min_bytes=limit) as store:
        households = store.collection("households")
        compactions, previous = 0, 0
        for n in range(400):
            households.insert(household(n))
            snapshot = tmp_path / "census.json"
            size = snapshot.stat().st_size if snapshot.exists() else 0
            journal = (tmp_path / "census.journal").stat().st_size
            # It never exceeds its limit by more than the last entry.
            assert journal <= max(limit, size) + 400
            compactions += journal < previous
            previous = journal
        # The limit follows the snapshot as it grows: a few compactions, not hundreds.
        assert 3 <= compactions <= 10
    with TinyStore(tmp_path, fsync=False) as store:
        households = store.collection("households")
        assert len(households) == 400
        assert households.get(400) == {"id": 400, "_rev": 1, **household(399)}
