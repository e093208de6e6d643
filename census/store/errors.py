"""Exceptions raised by every store backend; callers catch these, never backend errors."""

from __future__ import annotations

import os


class StoreError(Exception):
    """Base class for all storage errors."""


class StoreFull(StoreError):
    """The disk (or the database's) is full: nothing of the write was kept; try again later."""


DISK_FULL_ERRNOS = frozenset({28, 122})  # ENOSPC, EDQUOT


def is_disk_full(exc: BaseException) -> bool:
    """True for an error that means no space is left (a full disk or an exceeded quota)."""
    return isinstance(exc, StoreFull) or (
        isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS
    )


class Conflict(StoreError):
    """The document changed since the caller read it (optimistic locking failed)."""

    def __init__(self, current_rev: int) -> None:
        super().__init__(f"document was changed by someone else (current revision {current_rev})")
        self.current_rev = current_rev


class NotFound(StoreError):
    """No document has the requested id."""

    def __init__(self, collection: str, doc_id: int) -> None:
        super().__init__(f"no document {doc_id} in {collection!r}")
        self.collection = collection
        self.doc_id = doc_id


class DuplicateKey(StoreError):
    """Another document already holds this value of a unique field."""

    def __init__(self, field: str, existing_id: int) -> None:
        super().__init__(f"{field!r} is already used by document {existing_id}")
        self.field = field
        self.existing_id = existing_id


class AppendOnly(StoreError):
    """The collection keeps a record of what happened: documents are added, never changed."""

    def __init__(self, collection: str) -> None:
        super().__init__(f"{collection!r} is append-only: its documents cannot be changed")
        self.collection = collection


class StoreLocked(StoreError):
    """The data folder is owned by another process (or already open in this one)."""

    def __init__(self, folder: str | os.PathLike[str], pid: int | None) -> None:
        who = str(pid) if pid is not None else "?"
        super().__init__(
            f"数据目录 {folder} 已被另一个进程（PID {who}）占用 / "
            f"data folder {folder} is in use by another process (PID {who})"
        )
        self.folder = str(folder)
        self.pid = pid


class StoreMissing(StoreError):
    """An existing store is not where it was (a community's data folder, or its PostgreSQL
    schema or tables, gone): opening it would make an empty one in its place, so it is not
    opened. Only adding a community, or a brand-new deployment, makes a store."""
