"""TinyDB backend: the stock TinyDB API over the journal storage writes only what changed."""

from __future__ import annotations

from pathlib import Path

import pytest
from tinydb import Query, TinyDB
from tinydb.table import Document

from census.store.tinytable import CensusTinyDB

Q = Query()


def journal_lines(folder: Path) -> list[bytes]:
    return (folder / "census.journal").read_bytes().splitlines()


def reopened(folder: Path) -> dict[str, list[dict]]:
    """The state a fresh process would see, table by table."""
    with CensusTinyDB(folder, fsync=False) as db:
        return {
            name: [dict(doc, doc_id=doc.doc_id) for doc in db.table(name)]
            for name in sorted(db.tables())
        }


def test_stock_table_operations_survive_reopen(tmp_path: Path) -> None:
    db = CensusTinyDB(tmp_path, fsync=False)
    people = db.table("people")
    people.insert_multiple([{"name": n, "age": a} for n, a in [("甲", 30), ("乙", 40), ("丙", 50)]])
    people.update({"age": 41}, Q.name == "乙")
    people.update(lambda doc: doc.update(tags=["x"]), doc_ids=[1])
    people.remove(Q.age > 45)
    people.upsert({"name": "丁", "age": 20}, Q.name == "丁")
    db.table("other").insert({"k": 1})
    db.table("other").truncate()
    db.table("other").insert({"k": 2})
    expected = {
        "other": [{"k": 2, "doc_id": 1}],
        "people": [
            {"name": "甲", "age": 30, "tags": ["x"], "doc_id": 1},
            {"name": "乙", "age": 41, "doc_id": 2},
            {"name": "丁", "age": 20, "doc_id": 4},
        ],
    }
    # Crash-like: read the folder while the first instance never compacted.
    assert b'"clear":true' in b"".join(journal_lines(tmp_path))
    assert reopened(tmp_path) == expected
    db.close()
    assert reopened(tmp_path) == expected


def test_a_conditional_update_journals_only_the_documents_it_changed(tmp_path: Path) -> None:
    with CensusTinyDB(tmp_path, fsync=False) as db:
        table = db.table("t")
        table.insert_multiple({"n": n, "even": n % 2 == 0} for n in range(100))
        db.storage.compact()
        table.update({"flag": True}, Q.n < 3)  # reads all 100, changes 3
        lines = journal_lines(tmp_path)
        assert len(lines) == 3 and all(b'"flag":true' in line for line in lines)
        table.update({"n": 5}, Q.n == 5)  # reads one, changes nothing
        assert len(journal_lines(tmp_path)) == 3


def test_a_failing_write_leaves_memory_and_journal_untouched(tmp_path: Path) -> None:
    with CensusTinyDB(tmp_path, fsync=False) as db:
        table = db.table("t")
        table.insert({"members": [{"name": "甲"}]})
        size = (tmp_path / "census.journal").stat().st_size

        def half_done(doc: dict) -> None:
            doc["members"].append({"name": "乙"})
            raise RuntimeError("validation failed halfway")

        with pytest.raises(RuntimeError):
            table.update(half_done, doc_ids=[1])
        with pytest.raises(ValueError):
            table.insert(Document({"dup": True}, doc_id=1))
        assert table.get(doc_id=1) == {"members": [{"name": "甲"}]}
        assert len(table) == 1
        assert (tmp_path / "census.journal").stat().st_size == size


def test_drop_tables_survives_a_crash_before_the_journal_is_cut(tmp_path: Path) -> None:
    with CensusTinyDB(tmp_path, fsync=False) as db:
        db.table("a").insert({"x": 1})
        db.table("b").insert({"y": 1})
        leftover = (tmp_path / "census.journal").read_bytes()
        db.drop_table("a")
        db.table("b").insert({"y": 2})
    # Replaying the old journal over the snapshot must not resurrect table "a".
    (tmp_path / "census.journal").write_bytes(leftover + b'{"reset":{"b":{"1":{"y":1}}}}\n')
    assert reopened(tmp_path) == {"b": [{"y": 1, "doc_id": 1}]}


def test_the_snapshot_is_a_stock_tinydb_file(tmp_path: Path) -> None:
    with CensusTinyDB(tmp_path, fsync=False) as db:
        db.table("households").insert({"head": "王建国", "members": [{"name": "李秀英"}]})
        db.table("households").insert({"head": "张伟"})
        db.table("households").remove(doc_ids=[2])
    with TinyDB(tmp_path / "census.json", encoding="utf-8", access_mode="r") as stock:
        assert stock.table("households").all() == [
            {"head": "王建国", "members": [{"name": "李秀英"}]}
        ]
