"""Files kept with records (a survey's photos): one small interface, one place per backend.

With TinyDB the files live in the data folder (``media/<survey>/<name>``), each written to
a temporary file and renamed, so a reader never sees half a photo. With PostgreSQL they
live in the database (``census_media``, bytea), so every server of one database sees them
and a transaction that stores a record stores its photos with it (``store.atomic()``).
"""

from __future__ import annotations

import abc
import os
import re
import tempfile
from pathlib import Path

# A folder (a survey's collection) and a file name: letters, digits, _ . - only, never a
# leading dot, so that no name reaches outside its folder.
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


def check_name(*parts: str) -> None:
    """Refuse a folder or file name that is not a plain name (``..``, ``/`` …)."""
    for part in parts:
        if not isinstance(part, str) or not _NAME.fullmatch(part) or ".." in part:
            raise ValueError(f"not a media name: {part!r}")


class Media(abc.ABC):
    """The files kept with records, by folder (a survey's collection) and name."""

    @abc.abstractmethod
    def put(self, folder: str, name: str, data: bytes) -> None:
        """Keep ``data`` as ``folder/name`` (replacing a file of that name)."""

    @abc.abstractmethod
    def get(self, folder: str, name: str) -> bytes | None:
        """The file's bytes, or None when there is none."""

    @abc.abstractmethod
    def delete(self, folder: str, name: str) -> None:
        """Remove the file, if it is there."""

    @abc.abstractmethod
    def names(self) -> list[tuple[str, str]]:
        """Every (folder, name) kept, in order (for backups)."""


class FileMedia(Media):
    """Media in a folder of the data folder (TinyDB)."""

    def __init__(self, root: Path, *, fsync: bool = True) -> None:
        self.root = root
        self._fsync = fsync

    def _path(self, folder: str, name: str) -> Path:
        check_name(folder, name)
        return self.root / folder / name

    def put(self, folder: str, name: str, data: bytes) -> None:
        """Write to a temporary file beside it, then rename: all of the file or none."""
        path = self._path(folder, name)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                if self._fsync:
                    out.flush()
                    os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, folder: str, name: str) -> bytes | None:
        """The file's bytes, or None."""
        try:
            return self._path(folder, name).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def delete(self, folder: str, name: str) -> None:
        """Remove the file if it is there."""
        self._path(folder, name).unlink(missing_ok=True)

    def names(self) -> list[tuple[str, str]]:
        """Every (folder, name), leaving out temporary files of a write cut short."""
        if not self.root.is_dir():
            return []
        return sorted(
            (p.parent.name, p.name)
            for p in self.root.glob("*/*")
            if p.is_file() and not p.name.startswith(".") and not p.name.endswith(".tmp")
        )
