"""Writing an output file (a printout, an export, a backup) where the user asked for it.

``write_output(path, data)`` and ``write_output(path, writer)`` are the one way the
command line (and the print pipeline) writes a file a user named:

- when ``path`` is missing or a regular file, the content goes to a temporary file beside
  it, which is renamed over it once complete (and on disk): a reader never sees half a
  file, and a failure leaves the old file as it was;
- when ``path`` is anything else — a device such as ``/dev/null`` or ``/dev/stdout``, a
  FIFO, a socket — the content is written into it in place. Renaming over it would
  replace the device with a regular file (run as root with ``-o /dev/null``, that breaks
  the machine's ``/dev/null``).

A symbolic link is followed: what counts is what it points to, and a link to a regular
file stays a link (the file it points to is replaced).
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

Writer = Callable[[IO[bytes]], object]

CHUNK = 1024 * 1024


def write_output(
    path: str | os.PathLike[str], content: bytes | Writer, *, fsync: bool = True
) -> None:
    """Write ``content`` (bytes, or a function writing to a binary file) to ``path``.

    The writer always gets a real, seekable file (zip and PDF writers need one), whatever
    ``path`` is. See the module docstring for when the target is renamed over.
    """
    target = _rename_target(Path(path))
    if target is not None:
        _write_aside(target, content, fsync=fsync)
    else:
        _write_in_place(Path(path), content)


def _rename_target(path: Path) -> Path | None:
    """The file to rename a new one over (links followed), or None to write ``path`` in place."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return Path(os.path.realpath(path))  # missing (or a link to a missing file): create it
    if not stat.S_ISREG(mode):
        return None  # a device, a FIFO, a socket
    real = Path(os.path.realpath(path))
    try:
        if os.path.samefile(path, real):
            return real
    except OSError:
        pass
    # A regular file without a name to rename over (/dev/stdout to a deleted file, say).
    return None


def _write_aside(target: Path, content: bytes | Writer, *, fsync: bool) -> None:
    """Write a temporary file beside ``target``, then rename it over ``target``."""
    try:
        mode: int | None = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None  # a new file: 0o666 less the umask, as open() would make it
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    except PermissionError:
        if mode is None:
            raise
        # A file one may write in a folder one may not: it can only be written in place.
        _write_in_place(target, content)
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            _fill(fh, content)
            fh.flush()
            if fsync:
                os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)  # the replaced file's permissions, not the temporary one's
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if fsync:
        _fsync_dir(target.parent)


def _write_in_place(path: Path, content: bytes | Writer) -> None:
    """Write into a device or FIFO: open it for writing and send the bytes, nothing renamed."""
    if isinstance(content, bytes | bytearray | memoryview):
        with open(path, "wb") as out:
            out.write(content)
        return
    # The writer fills a temporary file first (it may need to seek), which is then copied:
    # a FIFO's reader gets the whole content or, if the writer fails, nothing at all.
    with tempfile.TemporaryFile() as spool:
        _fill(spool, content)
        spool.seek(0)
        with open(path, "wb") as out:
            shutil.copyfileobj(spool, out, CHUNK)


def _fill(fh: IO[bytes], content: bytes | Writer) -> None:
    if isinstance(content, bytes | bytearray | memoryview):
        fh.write(content)
    else:
        content(fh)


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable (where the file system allows a directory to be synced)."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
