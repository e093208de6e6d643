"""Import jobs: checking and applying an uploaded file in the background of the web server.

Planning 13,000 households takes seconds to minutes, longer than a request should wait.
The import pages hand the work to an ``ImportJobs`` runner and show a progress bar that
polls the job; a job that finishes within a moment (a small file) is waited for, so the
page answers directly as before. Jobs run one at a time, each on a thread of its own that
ends with it: a second upload waits in the queue, so two large imports never hold the
server's memory at once. A job tells its step (``read``, ``check``, ``save``) and how far
it has got through the ``progress`` callable it is given (``reader.Progress``).

Jobs are kept in memory: after a restart the wizard simply checks the upload again (the
file waits in the data folder, ``census.sheets.uploads``). A finished job is forgotten
after ``KEEP_SECONDS``.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from census.sheets.limits import SheetError

CHECK, APPLY = "check", "apply"
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
KEEP_SECONDS = 3600.0
Work = Callable[[Callable[[str, int, int], None]], Any]


@dataclass
class ImportJob:
    """One check or apply of an upload: who asked, how far it got, what came of it."""

    id: str
    upload_id: str
    kind: str  # CHECK or APPLY
    owner: str
    key: Any = None  # what the job was asked for (file, mapping): a later request compares it
    state: str = QUEUED
    step: str = ""
    done: int = 0
    total: int = 0
    result: Any = None
    error: SheetError | None = None  # the file was refused
    failure: str | None = None  # anything else that went wrong
    created: float = field(default_factory=time.time)
    finished_at: float | None = None

    @property
    def finished(self) -> bool:
        """Done or failed: nothing more will change."""
        return self.state in (DONE, FAILED)

    @property
    def percent(self) -> int:
        """The current step's progress in whole percent (100 once done)."""
        if self.state == DONE:
            return 100
        return min(100, int(100 * self.done / self.total)) if self.total else 0

    def as_dict(self) -> dict[str, Any]:
        """What the progress endpoint returns."""
        return {
            "id": self.id,
            "kind": self.kind,
            "state": self.state,
            "step": self.step,
            "done": self.done,
            "total": self.total,
            "percent": self.percent,
            "finished": self.finished,
        }


class ImportJobs:
    """Runs import jobs one after another, each on its own short-lived thread."""

    def __init__(self, keep_seconds: float = KEEP_SECONDS) -> None:
        self.keep_seconds = keep_seconds
        self._jobs: dict[str, ImportJob] = {}
        self._lock = threading.Lock()  # the jobs and their fields
        self._turn = threading.Lock()  # one job works at a time

    def submit(
        self, upload_id: str, kind: str, owner: str, work: Work, key: Any = None
    ) -> ImportJob:
        """Start ``work(progress)`` as a job; its return value becomes the job's result.

        An unfinished job of the same upload, kind and key is returned instead of a new one.
        """
        with self._lock:
            self._forget_old()
            for job in self._jobs.values():
                same = (job.upload_id, job.kind, job.key) == (upload_id, kind, key)
                if same and not job.finished:
                    return job
            job = ImportJob(secrets.token_hex(8), upload_id, kind, owner, key)
            self._jobs[job.id] = job
        thread = threading.Thread(
            target=self._run, args=(job, work), name=f"census-import-{job.id}", daemon=False
        )
        thread.start()
        return job

    def _run(self, job: ImportJob, work: Work) -> None:
        with self._turn:
            self._set(job, state=RUNNING)

            def progress(step: str, done: int, total: int) -> None:
                self._set(job, step=step, done=done, total=total)

            try:
                result = work(progress)
            except SheetError as error:
                self._set(job, state=FAILED, error=error, finished_at=time.time())
            except Exception as exc:  # the job page says what went wrong
                failure = f"{type(exc).__name__}: {exc}"
                self._set(job, state=FAILED, failure=failure, finished_at=time.time())
            else:
                self._set(job, state=DONE, result=result, finished_at=time.time())

    def _set(self, job: ImportJob, **changes: Any) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(job, name, value)

    def _forget_old(self) -> None:
        limit = time.time() - self.keep_seconds
        for job_id in [
            j.id for j in self._jobs.values() if j.finished and (j.finished_at or 0) < limit
        ]:
            del self._jobs[job_id]

    def get(self, job_id: str) -> ImportJob | None:
        """A job by id."""
        with self._lock:
            return self._jobs.get(job_id)

    def latest(self, upload_id: str, kind: str | None = None) -> ImportJob | None:
        """The newest job of an upload (of a kind)."""
        with self._lock:
            found = [
                j
                for j in self._jobs.values()
                if j.upload_id == upload_id and (kind is None or j.kind == kind)
            ]
        return max(found, key=lambda j: j.created, default=None)

    def busy(self, upload_id: str) -> ImportJob | None:
        """An unfinished job of an upload, if any."""
        with self._lock:
            return next(
                (j for j in self._jobs.values() if j.upload_id == upload_id and not j.finished),
                None,
            )

    def wait(self, job: ImportJob, timeout: float) -> ImportJob:
        """Wait up to ``timeout`` seconds for a job to finish; the job either way."""
        deadline = time.monotonic() + timeout
        while not job.finished and time.monotonic() < deadline:
            time.sleep(0.02)
        return job
