"""TinyDB backend: reopening after a crash, a torn journal, or a crash inside compaction."""

from __future__ import annotations

from pathlib import Path

from store_crash import assert_crash_writer_state, crash_after_writes, writer

from census.store import open_store


def test_reopen_after_a_crash_replays_the_journal(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    ids = crash_after_writes(folder)
    assert (folder / "census.journal").stat().st_size > 0
    with open_store(folder) as store:
        assert_crash_writer_state(store, ids)
        # Reopening compacted: everything is in the snapshot now.
        assert (folder / "census.journal").stat().st_size == 0


def test_torn_journal_tail_is_dropped(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    ids = crash_after_writes(folder)
    journal = folder / "census.journal"
    with journal.open("ab") as f:  # a write cut short by the kill
        f.write(b'{"t":"households","id":"999","d":{"uuid":"torn","members":[{"na')
    with open_store(folder) as store:
        assert_crash_writer_state(store, ids)
        assert store.collection("households").get(999) is None
        new_id = store.collection("households").insert({"uuid": "after"})
    with open_store(folder) as store:
        assert_crash_writer_state(store, ids, written_since=1)
        assert store.collection("households").get(new_id)["uuid"] == "after"  # type: ignore[index]


def test_complete_line_without_its_newline_is_not_trusted(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    ids = crash_after_writes(folder)
    with (folder / "census.journal").open("ab") as f:
        f.write(b'{"t":"households","id":"999","d":{"uuid":"unfinished"}}')
    with open_store(folder) as store:
        assert store.collection("households").get(999) is None
        assert_crash_writer_state(store, ids)


def test_damage_before_good_lines_keeps_a_copy(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    ids = crash_after_writes(folder)
    journal = folder / "census.journal"
    good_tail = b'{"t":"households","id":"998","d":{"uuid":"after damage"}}\n'
    with journal.open("ab") as f:
        f.write(b"\x00\x00garbage\n" + good_tail)
    with open_store(folder) as store:
        assert_crash_writer_state(store, ids)
        assert store.collection("households").get(998) is None
    copies = list(folder.glob("census.journal.damaged-*"))
    assert len(copies) == 1 and copies[0].read_bytes().endswith(good_tail)


def test_journal_left_over_after_compaction_replays_to_the_same_state(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    ids = crash_after_writes(folder)
    journal = folder / "census.journal"
    leftover = journal.read_bytes()
    assert b'"del":true' in leftover  # the replay below includes a delete and an update
    with open_store(folder) as store:  # compacts: snapshot now holds the journal
        before = store.collection("households").scan()
    assert journal.stat().st_size == 0
    # A crash after the snapshot was renamed but before the journal was cut.
    journal.write_bytes(leftover)
    with open_store(folder) as store:
        assert store.collection("households").scan() == before
        assert_crash_writer_state(store, ids)
        next_id = store.collection("households").insert({"uuid": "next"})
        assert next_id > max(ids)


def test_explicit_compaction_then_reopen(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    with open_store(folder) as store:
        households = store.collection("households")
        ids = [households.insert(writer.household("c", n)) for n in range(30)]
        households.delete(ids[3])
        store.compact()
        assert (folder / "census.journal").stat().st_size == 0
        households.update(ids[4], writer.household("c", 99))
        assert (folder / "census.journal").stat().st_size > 0
    with open_store(folder) as store:
        households = store.collection("households")
        assert len(households) == 29
        assert households.get(ids[3]) is None
        assert households.get(ids[4]) == {"id": ids[4], "_rev": 2, **writer.household("c", 99)}
        assert households.get(ids[5]) == {"id": ids[5], "_rev": 1, **writer.household("c", 5)}


def test_temp_file_of_an_interrupted_compaction_is_removed(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    ids = crash_after_writes(folder)
    stale = folder / "census.json.k2j4h1.tmp"
    stale.write_bytes(b'{"households": {"1": {"half')
    with open_store(folder) as store:
        assert_crash_writer_state(store, ids)
    assert not stale.exists()
