"""The append-only journal: one JSON line per changed document, replayed on open.

Line formats (``t`` is the table, ``id`` the document id as a string)::

    {"t": "households", "id": "5", "d": {...}}     the document's full new state
    {"t": "households", "id": "5", "del": true}    the document was removed
    {"t": "households", "clear": true}             every document of the table was removed
    {"t": "households", "many": {"5": {...}, ...}} a batch of new states, all or nothing
    {"reset": {"households": {"1": {...}}, ...}}   everything was replaced (TinyDB drop_tables)
    {"batch": [{"t": ...}, ...]}                   entries of several tables, all or nothing

Every entry carries a full state, never a difference, so replaying a journal
over a snapshot that already contains some or all of its entries gives the
same result: replay is idempotent. An entry counts only once its newline is
in the file; a torn tail left by a crash is dropped on open.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from .errors import StoreError, StoreFull, is_disk_full

Tables = dict[str, dict[str, dict[str, Any]]]


def encode_set(table: str, doc_id: str, doc_json: bytes) -> bytes:
    """Return the journal line recording a document's new state (already JSON-encoded)."""
    return b'{"t":%b,"id":%b,"d":%b}\n' % (orjson.dumps(table), orjson.dumps(doc_id), doc_json)


def encode_many(table: str, docs: dict[str, bytes]) -> bytes:
    """Return ONE journal line holding a batch of document states (already JSON-encoded).

    A crash that tears the line drops the whole batch on replay: all or nothing.
    """
    body = b",".join(
        b"%b:%b" % (orjson.dumps(doc_id), doc_json) for doc_id, doc_json in docs.items()
    )
    return b'{"t":%b,"many":{%b}}\n' % (orjson.dumps(table), body)


def encode_delete(table: str, doc_id: str) -> bytes:
    """Return the journal line recording that a document was removed."""
    return orjson.dumps({"t": table, "id": doc_id, "del": True}) + b"\n"


def encode_clear(table: str) -> bytes:
    """Return the journal line recording that a whole table was emptied."""
    return orjson.dumps({"t": table, "clear": True}) + b"\n"


def encode_batch(lines: list[bytes]) -> bytes:
    """Return ONE journal line holding other entries' lines (a group of writes).

    A crash that tears the line drops every entry in it on replay: all or nothing.
    """
    return b'{"batch":[%b]}\n' % b",".join(line.rstrip(b"\n") for line in lines)


def encode_reset(tables: Tables) -> bytes:
    """Return the journal line recording that the whole database was replaced."""
    return orjson.dumps({"reset": tables}) + b"\n"


def apply_entry(tables: Tables, entry: dict[str, Any]) -> None:
    """Apply one journal entry to the in-memory tables."""
    if "reset" in entry:
        tables.clear()
        tables.update(entry["reset"])
        return
    if "batch" in entry:
        for part in entry["batch"]:
            apply_entry(tables, part)
        return
    table = tables.setdefault(entry["t"], {})
    if entry.get("clear"):
        table.clear()
    elif "many" in entry:
        table.update(entry["many"])
    elif entry.get("del"):
        table.pop(entry["id"], None)
    else:
        table[entry["id"]] = entry["d"]


def _parse(line: bytes) -> dict[str, Any] | None:
    """Decode one journal line, or return None if it is not a well-formed entry."""
    try:
        entry = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(entry, dict):
        return None
    if isinstance(entry.get("reset"), dict):
        return entry
    if isinstance(entry.get("batch"), list):
        return entry if all(_check(part) is not None for part in entry["batch"]) else None
    return _check(entry)


def _check(entry: object) -> dict[str, Any] | None:
    """The entry if it is a well-formed single-table entry, else None."""
    if not isinstance(entry, dict):
        return None
    if not isinstance(entry.get("t"), str):
        return None
    if entry.get("clear") is True or isinstance(entry.get("many"), dict):
        return entry
    if not isinstance(entry.get("id"), str):
        return None
    if entry.get("del") is True or isinstance(entry.get("d"), dict):
        return entry
    return None


@dataclass
class JournalContents:
    """What reading a journal file found."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    valid_bytes: int = 0  # length of the prefix made of complete, well-formed lines
    total_bytes: int = 0
    damaged: bool = False  # a bad line is followed by good ones: not just a torn tail


def read_journal(path: Path) -> JournalContents:
    """Read the complete entries of a journal, stopping at the first torn or bad line."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return JournalContents()
    found = JournalContents(total_bytes=len(data))
    pos = 0
    while pos < len(data):
        end = data.find(b"\n", pos)
        if end == -1:
            break
        entry = _parse(data[pos:end])
        if entry is None:
            break
        found.entries.append(entry)
        pos = end + 1
    found.valid_bytes = pos
    # A crash can only tear the end of the file; good entries after a bad one
    # mean the file was damaged some other way, and the caller keeps a copy.
    rest = data[pos:].split(b"\n")[1:]
    found.damaged = any(_parse(line) is not None for line in rest if line)
    return found


class Journal:
    """An open journal file that appends whole batches of lines, durably."""

    def __init__(self, path: Path, *, fsync: bool) -> None:
        self.path = path
        self._fsync = fsync
        created = not path.exists()
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        os.fchmod(self._fd, 0o600)  # owner only, whatever the umask (and for older 0644 files)
        self.size = os.fstat(self._fd).st_size
        if created and fsync:
            # Without this a power cut could lose the new file's name, and with
            # it every write acknowledged before then.
            dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    def append(self, data: bytes) -> None:
        """Append ``data`` and (with fsync) wait until it is on disk."""
        start = self.size
        try:
            view = memoryview(data)
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
            if self._fsync:
                os.fsync(self._fd)
        except OSError as exc:
            # Cut off a half-written batch so later lines never follow a torn one.
            try:
                os.ftruncate(self._fd, start)
            except OSError:
                pass
            error = StoreFull if is_disk_full(exc) else StoreError
            raise error(f"could not write the journal {self.path}: {exc}") from exc
        self.size = start + len(data)

    def truncate(self, length: int = 0) -> None:
        """Cut the journal to ``length`` bytes (empty by default)."""
        os.ftruncate(self._fd, length)
        if self._fsync:
            os.fsync(self._fd)
        self.size = length

    def close(self) -> None:
        """Close the file; the journal object is unusable afterwards."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
