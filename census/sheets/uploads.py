"""Uploaded files kept in the data folder while the import wizard runs (never in the session).

Each upload lives in ``<data>/imports/<id>/`` with the file and a small ``state.json``
(form, original name, who uploaded it, the column mapping chosen so far). The folder is
removed when the import is applied or abandoned, and after a day at the latest.

With PostgreSQL (several servers behind a load balancer) the database holds the truth,
through the store's ``shared`` (``census.store.pgshared``): the file in ``census_files``
and the state as a row of ``census_jobs`` (kind ``upload``), so the mapping, the check,
the import and the discard may each be asked of another server; the plan of its last
check waits beside the file (``plan_name``) and goes with it. A server's folder then
keeps only a copy of the file, fetched on first use (the reader wants a path). The row's
state is ``kept``, or ``applying`` while one server imports the file: ``claim`` moves it
there for one server only, so two clicks on two servers import it once.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from census.sheets.limits import MAX_FILE_BYTES, SheetError, size_text
from census.sheets.reader import CSV_TYPES, XLSX_TYPES

FOLDER = "imports"
KIND = "upload"  # its rows in census_jobs (PostgreSQL)
KEPT, APPLYING = "kept", "applying"
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
    state: str = KEPT  # APPLYING while a server imports it (PostgreSQL)
    job: str = ""  # the apply job that holds it
    shared: Any = field(default=None, repr=False, compare=False)  # PostgreSQL's, or None

    @property
    def path(self) -> Path:
        """Where the file is kept (its suffix tells the reader its type)."""
        return self.folder / ("source" + Path(self.filename).suffix.lower())

    @property
    def shared_name(self) -> str:
        """The file's name in census_files (the id first: old ones are forgotten by it)."""
        return self.id + Path(self.filename).suffix.lower()

    def record(self) -> dict[str, Any]:
        """The state as kept (state.json, or the row's document)."""
        return {key: getattr(self, key) for key in _KEPT}

    def save(self) -> None:
        """Write the state next to the file (and, shared, into its row while it is kept)."""
        if self.folder.is_dir():
            (self.folder / "state.json").write_text(json.dumps(self.record(), ensure_ascii=False))
        if self.shared is not None:
            self.shared.claim_job(self.id, KIND, KEPT, KEPT, self.record())

    def claim(self, job_id: str) -> bool:
        """Hold the upload for one apply job; False when another holds it (or it is gone)."""
        if self.shared is None:
            self.state, self.job = APPLYING, job_id
            return True
        doc = self.record() | {"state": APPLYING, "job": job_id}
        if not self.shared.claim_job(self.id, KIND, KEPT, APPLYING, doc):
            return False
        self.state, self.job = APPLYING, job_id
        return True

    def held_by(self, job_id: str) -> bool:
        """True while the apply job ``job_id`` still holds the upload (not taken for dead)."""
        if self.shared is None:
            return self.job == job_id
        held = self.shared.job(self.id)
        return held is not None and held.get("state") == APPLYING and held.get("job") == job_id

    def release(self, job_id: str) -> None:
        """Let go of the upload after an apply that wrote nothing (a stale check, an error),
        or one that was cut short (the user checks it again to see what is left)."""
        if self.shared is not None:
            held = self.shared.job(self.id)
            if held is not None and held.get("job") == job_id:
                doc = self.record() | {"state": KEPT, "job": ""}
                self.shared.claim_job(self.id, KIND, APPLYING, KEPT, doc)
        self.state, self.job = KEPT, ""

    def discard(self) -> None:
        """Remove the file and its state."""
        shutil.rmtree(self.folder, ignore_errors=True)
        if self.shared is not None:
            self.shared.remove_job(self.id, KIND, FOLDER, [self.shared_name, plan_name(self.id)])


def plan_name(upload_id: str) -> str:
    """The name in census_files of the plan of an upload's last check (census.sheets.jobs);
    the upload's id first, so that it is forgotten with the upload."""
    return f"{upload_id}.plan"


_KEPT = ("id", "filename", "form", "user", "created", "overrides", "state", "job")


def accepted(filename: str) -> bool:
    """True for the file types the importer reads."""
    return Path(filename).suffix.lower() in XLSX_TYPES + CSV_TYPES


def create(
    data_dir: Path,
    filename: str,
    data: bytes | IO[bytes],
    form: str,
    user: str,
    shared: Any = None,
) -> Upload:
    """Keep an uploaded file (its bytes, or a stream copied in chunks) under a new random id.

    A file larger than ``MAX_FILE_BYTES`` is not kept: ``SheetError("file_too_large")``.
    With ``shared`` (PostgreSQL) the file and its state go into the database too.
    """
    remove_old(data_dir, shared=shared)
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
    if shared is not None:  # the file first: a row is never there without its file
        shared.put_file(FOLDER, upload.shared_name, upload.path)
        shared.save_job(upload.id, KIND, user, KEPT, upload.record())
        upload.shared = shared
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


def load(data_dir: Path, upload_id: str, shared: Any = None) -> Upload | None:
    """The upload with this id, or None (also for an id that is not one of ours).

    With ``shared`` the database's row says, and the file is copied here on first use."""
    if not _ID.fullmatch(upload_id):
        return None
    folder = data_dir / FOLDER / upload_id
    if shared is not None:
        return _load_shared(folder, upload_id, shared)
    try:
        state: dict[str, Any] = json.loads((folder / "state.json").read_text())
    except (OSError, ValueError):
        return None
    return Upload(folder=folder, **{k: v for k, v in state.items() if k in _KEPT})


def _load_shared(folder: Path, upload_id: str, shared: Any) -> Upload | None:
    doc = shared.job(upload_id)
    if doc is None or doc.get("id") != upload_id or "overrides" not in doc:
        return None  # none, or a job of another kind
    upload = Upload(folder=folder, shared=shared, **{k: v for k, v in doc.items() if k in _KEPT})
    if not upload.path.exists() and not shared.fetch_file(FOLDER, upload.shared_name, upload.path):
        return None  # discarded meanwhile
    return upload


def remove_old(data_dir: Path, max_age: float = MAX_AGE_SECONDS, shared: Any = None) -> None:
    """Forget uploads older than a day (abandoned wizards)."""
    if shared is not None:
        shared.forget_jobs(KIND, max(1, round(max_age / 86400)), FOLDER)
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
