"""Import jobs: checking and applying an uploaded file in the background of the web server.

Planning 13,000 households takes seconds to minutes, longer than a request should wait.
The import pages hand the work to an ``ImportJobs`` runner and show a progress bar that
polls the job; a job that finishes within a moment (a small file) is waited for, so the
page answers directly as before. Jobs run one at a time (``census.util.jobs``, shared with
the print jobs): a second upload waits in the queue, so two large imports never hold the
server's memory at once. A job tells its step (``read``, ``check``, ``save``) and how far
it has got through the ``progress`` callable it is given (``reader.Progress``).

Jobs are kept in memory: after a restart the wizard simply checks the upload again (the
file waits in the data folder, ``census.sheets.uploads``). A finished job is forgotten
after ``KEEP_SECONDS``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from census.sheets.limits import SheetError
from census.util.jobs import DONE, FAILED, QUEUED, RUNNING, BackgroundJob, JobRunner, new_job_id

__all__ = ["APPLY", "CHECK", "DONE", "FAILED", "QUEUED", "RUNNING", "ImportJob", "ImportJobs"]

CHECK, APPLY = "check", "apply"
KEEP_SECONDS = 3600.0
Work = Callable[[Callable[[str, int, int], None]], Any]


@dataclass(kw_only=True)
class ImportJob(BackgroundJob):
    """One check or apply of an upload: who asked, how far it got, what came of it."""

    upload_id: str
    kind: str  # CHECK or APPLY
    key: Any = None  # what the job was asked for (file, mapping): a later request compares it
    step: str = ""
    result: Any = None
    error: SheetError | None = None  # the file was refused
    failure: str | None = None  # anything else that went wrong
    created: float = field(default_factory=time.time)
    finished_at: float | None = None

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


class ImportJobs(JobRunner[ImportJob]):
    """Runs import jobs one after another; finished ones are forgotten after a while."""

    def __init__(self, keep_seconds: float = KEEP_SECONDS) -> None:
        super().__init__("census-import")
        self.keep_seconds = keep_seconds

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
            job = ImportJob(id=new_job_id(), owner=owner, upload_id=upload_id, kind=kind, key=key)
            return self._enqueue(job, lambda job: self._check_or_apply(job, work))

    def _check_or_apply(self, job: ImportJob, work: Work) -> dict[str, Any]:
        def progress(step: str, done: int, total: int) -> None:
            self._set(job, step=step, done=done, total=total)

        return {"result": work(progress), "finished_at": time.time()}

    def _failure(self, exc: Exception) -> dict[str, Any]:
        """A refused file keeps its refusal (the page explains it); anything else the error."""
        if isinstance(exc, SheetError):
            return {"error": exc, "finished_at": time.time()}
        return {"failure": f"{type(exc).__name__}: {exc}", "finished_at": time.time()}

    def _forget_old(self) -> None:
        limit = time.time() - self.keep_seconds
        for job_id in [
            j.id for j in self._jobs.values() if j.finished and (j.finished_at or 0) < limit
        ]:
            del self._jobs[job_id]

    def latest(self, upload_id: str, kind: str | None = None) -> ImportJob | None:
        """The newest job of an upload (of a kind)."""
        found = self._select(lambda j: j.upload_id == upload_id and kind in (None, j.kind))
        return max(found, key=lambda j: j.created, default=None)

    def busy(self, upload_id: str) -> ImportJob | None:
        """An unfinished job of an upload, if any."""
        return next(iter(self._select(lambda j: j.upload_id == upload_id and not j.finished)), None)

    def wait(self, job: ImportJob, timeout: float) -> ImportJob:
        """Wait up to ``timeout`` seconds for a job to finish; the job either way."""
        return self._wait(job, timeout, 0.02)
