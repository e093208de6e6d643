"""A TinyDB ``Storage`` that keeps the data in memory and appends each change to a journal.

Files in the data folder:

- ``census.json``: a snapshot, an ordinary TinyDB JSON file (UTF-8) that stock
  ``TinyDB(path, encoding="utf-8")`` can read;
- ``census.journal``: one JSON line per changed document since the snapshot
  (see ``journal.py``).

A write costs one ``os.write`` of the changed documents plus one ``fsync``,
whatever the size of the database. The write returns only after the fsync, so
a write that returned survives the process being killed at any moment (and,
with ``fsync=True``, a power cut).

Compaction policy: the snapshot is rewritten and the journal emptied

- on open, when the journal is not empty (after replaying it),
- on close, when the journal is not empty,
- after a write that makes the journal larger than ``max(compact_min_bytes,
  size of census.json)``, 32 MiB by default. The journal must grow by the
  size of the whole database before it is rewritten again, so the cost of
  compaction per write stays constant as the database grows.

Compaction writes a temp file in the folder, fsyncs it, renames it over
``census.json``, fsyncs the folder, and only then truncates the journal.
A crash between the rename and the truncation leaves a journal whose entries
are already in the snapshot; replaying them again changes nothing because
every entry is a full document state.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from . import codec
from .errors import StoreError
from .journal import (
    Journal,
    Tables,
    apply_entry,
    encode_batch,
    encode_clear,
    encode_delete,
    encode_many,
    encode_reset,
    encode_set,
    read_journal,
)
from .snapshot import load_snapshot, remove_stale_temps, write_snapshot

log = logging.getLogger(__name__)

SNAPSHOT_NAME = "census.json"
JOURNAL_NAME = "census.journal"
COMPACT_MIN_BYTES = 32 * 1024 * 1024

# (document id, state before, state after); None stands for "absent".
Change = tuple[str, dict[str, Any] | None, dict[str, Any] | None]


class JournalStorage(Storage):
    """In-memory TinyDB data made durable by a snapshot plus an append-only journal."""

    def __init__(
        self,
        data_dir: str | Path,
        *,
        fsync: bool = True,
        compact_min_bytes: int = COMPACT_MIN_BYTES,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.snapshot_path = self.data_dir / SNAPSHOT_NAME
        self.journal_path = self.data_dir / JOURNAL_NAME
        self._fsync = fsync
        self._compact_min_bytes = compact_min_bytes
        # Bumped whenever the data is replaced wholesale, so tables know to
        # rebuild their indexes.
        self.generation = 0

        try:
            self.data_dir.chmod(0o700)  # the records are who lives where: owner only
        except PermissionError:  # a folder owned by someone else: leave its mode to them
            pass
        remove_stale_temps(self.data_dir)
        self._data: Tables = load_snapshot(self.snapshot_path)
        self._snapshot_size = _size(self.snapshot_path)
        found = read_journal(self.journal_path)
        for entry in found.entries:
            apply_entry(self._data, entry)
        if found.damaged:
            kept = self.journal_path.with_name(
                f"{JOURNAL_NAME}.damaged-{time.strftime('%Y%m%d-%H%M%S')}"
            )
            shutil.copyfile(self.journal_path, kept)
            kept.chmod(0o600)
            log.warning(
                "journal %s has a bad line before good ones; copy kept as %s",
                self.journal_path,
                kept,
            )
        self._journal = Journal(self.journal_path, fsync=fsync)
        if found.valid_bytes < found.total_bytes:
            log.info(
                "dropping %d torn bytes at the end of %s",
                found.total_bytes - found.valid_bytes,
                self.journal_path,
            )
            self._journal.truncate(found.valid_bytes)
        self._next_compaction = 0
        # Inside group(): the lines waiting to be journaled as one, and what to put back.
        self._grouped = 0
        self._group_lines: list[bytes] = []
        self._group_undo: list[tuple[str, str | None, Any]] = []
        if self._journal.size:
            self._try_compact()

    # -- the TinyDB Storage interface ----------------------------------------

    def read(self) -> Tables:
        """Return the live data (TinyDB tables only read it; writes go through ``commit``)."""
        return self._data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        """Replace everything (TinyDB does this for drop_table(s)): journal it, then compact."""
        if self._grouped:
            raise StoreError("cannot replace the whole database inside a group of writes")
        line = encode_reset(data)
        # TinyDB may have mutated the live dict before calling us, so the old
        # state is gone; a "reset" entry holding the new one keeps replay right
        # whatever snapshot it is replayed over.
        self._journal.append(line)
        self._data = codec.loads(line)["reset"]
        self.generation += 1
        self._try_compact()

    def close(self) -> None:
        """Compact if anything is journaled, then close the journal."""
        try:
            if self._journal.size:
                self._try_compact()
        finally:
            self._journal.close()

    # -- incremental writes ---------------------------------------------------

    def table_data(self, name: str) -> dict[str, dict[str, Any]]:
        """Return the live documents of a table, keyed by string id (an empty dict if none)."""
        return self._data.get(name, {})

    @contextmanager
    def group(self) -> Iterator[None]:
        """Journal every commit made inside as ONE line: a replay sees all of them or none.

        The commits apply in memory at once, so reads inside the group see them. If an
        error leaves the outermost group, or its journal line cannot be written, memory is
        put back as it was before the group and ``generation`` moves on (indexes rebuild).
        Groups nest: only the outermost one writes. The caller serialises access.
        """
        self._grouped += 1
        if self._grouped > 1:
            try:
                yield
            finally:
                self._grouped -= 1
            return
        try:
            yield
            if self._group_lines:
                self._journal.append(encode_batch(self._group_lines))
        except BaseException:
            self._undo_group()
            raise
        finally:
            self._grouped = 0
            self._group_lines, self._group_undo = [], []
        self._maybe_compact()

    def _undo_group(self) -> None:
        for table, doc_id, old in reversed(self._group_undo):
            if doc_id is None:  # the table was cleared: ``old`` is all it held
                self._data[table] = old
            elif old is None:
                self._data.get(table, {}).pop(doc_id, None)
            else:
                self._data.setdefault(table, {})[doc_id] = old
        self.generation += 1

    def commit(
        self,
        table: str,
        *,
        cleared: bool,
        deleted: list[str],
        changed: dict[str, dict[str, Any]],
        atomic: bool = False,
    ) -> list[Change]:
        """Journal and apply one table update; return what changed.

        Nothing is applied in memory unless the journal write succeeded (inside a group:
        memory is put back if the group's write fails). With ``atomic`` the changed
        documents go into one journal line, so a replay sees all or none.
        """
        lines = [encode_clear(table)] if cleared else []
        lines += [encode_delete(table, doc_id) for doc_id in deleted]
        encoded = {doc_id: codec.dumps(doc) for doc_id, doc in changed.items()}
        if atomic and encoded:
            lines.append(encode_many(table, encoded))
        else:
            lines += [encode_set(table, doc_id, doc_json) for doc_id, doc_json in encoded.items()]
        if self._grouped:
            self._group_lines.extend(lines)
        elif lines:
            self._journal.append(b"".join(lines))

        live = self._data.setdefault(table, {})
        if cleared:
            if self._grouped:
                self._group_undo.append((table, None, dict(live)))
            live.clear()
        changes: list[Change] = []
        for doc_id in deleted:
            changes.append((doc_id, live.pop(doc_id, None), None))
        for doc_id, doc_json in encoded.items():
            # Decoding what was journaled keeps memory identical to what a
            # replay would build, and shares nothing with the caller.
            new = codec.loads(doc_json)
            changes.append((doc_id, live.get(doc_id), new))
            live[doc_id] = new
        if self._grouped:
            self._group_undo.extend((table, doc_id, old) for doc_id, old, _new in changes)
        else:
            self._maybe_compact()
        return changes

    def _maybe_compact(self) -> None:
        if self._journal.size > max(
            self._compact_min_bytes, self._snapshot_size, self._next_compaction
        ):
            self._try_compact()

    # -- compaction -------------------------------------------------------------

    def compact(self) -> None:
        """Write the whole state as a new snapshot, then empty the journal."""
        if self._journal.size == 0 and self.snapshot_path.exists():
            return
        self._snapshot_size = write_snapshot(self.snapshot_path, self._data, fsync=self._fsync)
        self._journal.truncate(0)
        self._next_compaction = 0

    def _try_compact(self) -> None:
        """Compact, but keep working from the journal if that fails (e.g. disk full)."""
        try:
            self.compact()
        except (OSError, StoreError) as exc:
            log.warning("compaction of %s failed, journal kept: %s", self.data_dir, exc)
            # Do not retry on every write; wait for the journal to grow again.
            self._next_compaction = self._journal.size + self._compact_min_bytes


def _size(path: Path) -> int:
    """Return a file's size, 0 if it does not exist."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
