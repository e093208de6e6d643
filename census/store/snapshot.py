"""The snapshot file ``census.json``: a plain TinyDB JSON file, always replaced atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import orjson

from .errors import StoreError
from .journal import Tables

TEMP_PREFIX = "census.json."
TEMP_SUFFIX = ".tmp"


def load_snapshot(path: Path) -> Tables:
    """Read the snapshot; a missing or empty file is an empty database."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    if not raw.strip():
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise StoreError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not all(
        isinstance(table, dict) and all(isinstance(doc, dict) for doc in table.values())
        for table in data.values()
    ):
        raise StoreError(f"{path} is not a TinyDB file ({{table: {{id: document}}}})")
    return data


def write_snapshot(path: Path, data: Tables, *, fsync: bool) -> int:
    """Replace ``path`` with ``data`` so that a crash leaves either the old or the new file.

    Returns the size of the new file.
    """
    payload = orjson.dumps(data)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(payload)
            tmp.flush()
            if fsync:
                os.fsync(tmp.fileno())
        os.chmod(tmp_name, 0o600)  # owner only: the records are who lives where
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
    if fsync:
        fsync_dir(path.parent)
    return len(payload)


def fsync_dir(folder: Path) -> None:
    """Make a rename inside ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_temps(folder: Path) -> None:
    """Delete temp files left by a compaction that crashed before its rename."""
    for stale in folder.glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"):
        stale.unlink(missing_ok=True)
