"""Uploaded files kept in the data folder while the import wizard runs (never in the session).

Each upload lives in ``<data>/imports/<id>/`` with the file and a small ``state.json``
(form, original name, who uploaded it, the column mapping chosen so far). The folder is
removed when the import is applied or abandoned, and after a day at the latest.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from census.sheets.limits import MAX_FILE_BYTES, SheetError, size_text
from census.sheets.reader import CSV_TYPES, XLSX_TYPES

FOLDER = "imports"
CHUNK = 1024 * 1024
MAX_AGE_SECONDS = 24 * 3600
_ID = re.compile(r"[0-9a-f]{16}")


@dataclass
class Upload:
    """One uploaded file and the wizard's choices so far."""

    id: str
    folder: Path
    filename: str
    form: str
    user: str
    created: float = field(default_factory=time.time)
    overrides: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        """Where the file is kept (its suffix tells the reader its type)."""
        return self.folder / ("source" + Path(self.filename).suffix.lower())

    def save(self) -> None:
        """Write the state next to the file."""
        state = {k: v for k, v in asdict(self).items() if k not in ("folder",)}
        (self.folder / "state.json").write_text(json.dumps(state, ensure_ascii=False))

    def discard(self) -> None:
        """Remove the file and its state."""
        shutil.rmtree(self.folder, ignore_errors=True)


def accepted(filename: str) -> bool:
    """True for the file types the importer reads."""
    return Path(filename).suffix.lower() in XLSX_TYPES + CSV_TYPES


def create(data_dir: Path, filename: str, data: bytes | IO[bytes], form: str, user: str) -> Upload:
    """Keep an uploaded file (its bytes, or a stream copied in chunks) under a new random id.

    A file larger than ``MAX_FILE_BYTES`` is not kept: ``SheetError("file_too_large")``.
    """
    remove_old(data_dir)
    upload_id = secrets.token_hex(8)
    folder = data_dir / FOLDER / upload_id
    folder.mkdir(parents=True)
    upload = Upload(upload_id, folder, Path(filename).name or "upload", form, user)
    try:
        size = _copy(data, upload.path)
    except BaseException:
        upload.discard()
        raise
    if size > MAX_FILE_BYTES:
        upload.discard()
        shown = f"> {size_text(MAX_FILE_BYTES)}"
        raise SheetError("file_too_large", size=shown, limit=size_text(MAX_FILE_BYTES))
    upload.save()
    return upload


def _copy(data: bytes | IO[bytes], path: Path) -> int:
    """Write the upload; stop one chunk past the size limit. The bytes written."""
    if isinstance(data, bytes | bytearray):
        path.write_bytes(data[: MAX_FILE_BYTES + 1])
        return len(data)
    written = 0
    with open(path, "wb") as out:
        while written <= MAX_FILE_BYTES and (chunk := data.read(CHUNK)):
            out.write(chunk)
            written += len(chunk)
    return written


def load(data_dir: Path, upload_id: str) -> Upload | None:
    """The upload with this id, or None (also for an id that is not one of ours)."""
    if not _ID.fullmatch(upload_id):
        return None
    folder = data_dir / FOLDER / upload_id
    try:
        state: dict[str, Any] = json.loads((folder / "state.json").read_text())
    except (OSError, ValueError):
        return None
    return Upload(folder=folder, **state)


def remove_old(data_dir: Path, max_age: float = MAX_AGE_SECONDS) -> None:
    """Forget uploads older than a day (abandoned wizards)."""
    root = data_dir / FOLDER
    if not root.is_dir():
        return
    limit = time.time() - max_age
    for folder in root.iterdir():
        try:
            if folder.is_dir() and folder.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue
