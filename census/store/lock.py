"""One process owns a data folder: an exclusive ``flock`` on ``census.lock`` holding its PID."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

from .errors import StoreLocked

# flock already refuses a second descriptor in the same process on Linux, but
# some network filesystems emulate it with per-process locks; this set makes
# a second open in the same process fail everywhere.
_held: set[str] = set()
_held_guard = threading.Lock()


class FolderLock:
    """An acquired lock on a data folder; ``release`` gives it up."""

    def __init__(self, folder: Path, filename: str = "census.lock") -> None:
        self.folder = folder
        self._key = os.path.realpath(folder)
        self._fd = -1
        with _held_guard:
            if self._key in _held:
                raise StoreLocked(folder, os.getpid())
            fd = os.open(folder / filename, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                pid = _read_pid(fd)
                os.close(fd)
                raise StoreLocked(folder, pid) from None
            except BaseException:
                os.close(fd)
                raise
            os.fchmod(fd, 0o600)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            self._fd = fd
            _held.add(self._key)

    def release(self) -> None:
        """Give the folder up; safe to call twice."""
        with _held_guard:
            if self._fd < 0:
                return
            try:
                os.ftruncate(self._fd, 0)  # no stale PID to mislead whoever looks next
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
                os.close(self._fd)
                self._fd = -1
                _held.discard(self._key)


def _read_pid(fd: int) -> int | None:
    """Read the owner's PID from the lock file, if it has written one yet."""
    try:
        return int(os.pread(fd, 32, 0).decode().strip())
    except (OSError, ValueError):
        return None
