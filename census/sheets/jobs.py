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

With PostgreSQL, ``SharedImportJobs`` runs them the same way, in a thread of the server
that was asked, and keeps each job's state, progress and outcome in ``census_jobs``
(kind ``import``), so another server shows its progress bar and its result. From the
moment a job is queued until it ends, its server touches the row every
``HEARTBEAT_SECONDS``; a job silent for
``STALLED_SECONDS`` is taken to have died with its server and is shown failed
(``INTERRUPTED``), and an apply's upload is let go so that it can be checked again.

A check's plan (a ``checked.Checked``) is kept too: written (``checked.dump``, in the
job's thread) beside the upload's file in ``census_files`` as ``<upload id>.plan``, in
the transaction that marks the check done, and the job's outcome says what it was checked
against (the store's stamp, the date, the mapping). Another server reads it back
(``plan_of``) instead of planning the file again; one plan per upload is kept, the last
check's, and it goes with the upload.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from census.sheets import checked, uploads
from census.sheets.checked import Checked
from census.sheets.issues import Issue
from census.sheets.limits import SheetError
from census.util.jobs import DONE, FAILED, QUEUED, RUNNING, BackgroundJob, JobRunner, new_job_id

__all__ = [
    "APPLY",
    "CHECK",
    "DONE",
    "FAILED",
    "QUEUED",
    "RUNNING",
    "ImportJob",
    "ImportJobs",
    "KeptCheck",
    "SharedImportJobs",
]

CHECK, APPLY = "check", "apply"
KEEP_SECONDS = 3600.0
KIND = "import"  # the jobs' rows in census_jobs (PostgreSQL)
HEARTBEAT_SECONDS = 2.0
STALLED_SECONDS = 30.0
PROGRESS_EVERY = 0.5  # seconds between progress writes to the database
INTERRUPTED = (
    "interrupted: the server running it stopped. An import keeps what it had stored (the "
    "new records all or none, each change on its own): check the file again to see what is left"
)
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
    plan_file: Path | None = None  # a check's plan, written here, stored with its end

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
        self,
        upload_id: str,
        kind: str,
        owner: str,
        work: Work,
        key: Any = None,
        job_id: str | None = None,
    ) -> ImportJob:
        """Start ``work(progress)`` as a job (under ``job_id``, else a new id); its return
        value becomes the job's result.

        An unfinished job of the same upload, kind and key is returned instead of a new one.
        """
        with self._lock:
            self._forget_old()
            for job in self._jobs.values():
                same = (job.upload_id, job.kind, job.key) == (upload_id, kind, key)
                if same and not job.finished:
                    return job
            job = ImportJob(
                id=job_id or new_job_id(), owner=owner, upload_id=upload_id, kind=kind, key=key
            )
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


# -- Several servers on one PostgreSQL database ---------------------------------------------


@dataclass(frozen=True)
class KeptCheck:
    """A check finished on another server, as the database has it: where its plan is kept
    and what it was checked against (``SharedImportJobs.plan_of`` reads the plan)."""

    job: str
    upload_id: str
    stamp: tuple[Any, ...]
    today: date
    fingerprint: str
    size: int  # bytes of the kept plan


def _outcome(result: Any) -> Any:
    """A job's result as JSON: an apply's counts and failures, a word, what a check's plan
    was checked against (the plan itself is kept as a file), or nothing."""
    if isinstance(result, str):
        return result
    if isinstance(result, Checked):
        return {
            "checked": {
                "stamp": list(result.stamp) if isinstance(result.stamp, tuple) else None,
                "today": result.today.isoformat(),
                "fingerprint": result.plan.fingerprint(),
                "size": result.size,
            }
        }
    if isinstance(result, dict) and "done" in result:
        done = result["done"]
        return {
            "form": result["form"],
            "filename": result["filename"],
            "counts": done.as_dict(),
            "failed": [asdict(issue) for issue in done.failed],
        }
    return None


def _result(outcome: Any, doc: dict[str, Any]) -> Any:
    """The result ``_outcome`` kept, as the pages read it."""
    if not isinstance(outcome, dict):
        return outcome
    if "checked" in outcome:
        found = outcome["checked"]
        if not isinstance(found.get("stamp"), list):
            return None  # a store whose stamp is no tuple: the plan is not used elsewhere
        return KeptCheck(
            job=doc["id"],
            upload_id=doc["upload_id"],
            stamp=tuple(found["stamp"]),
            today=date.fromisoformat(found["today"]),
            fingerprint=str(found["fingerprint"]),
            size=int(found.get("size") or 0),
        )
    from census.sheets.apply import Applied  # the apply's layer, only when one is read

    counts = {k: v for k, v in outcome["counts"].items() if k != "failed"}
    done = Applied(**counts, failed=[Issue(**issue) for issue in outcome["failed"]])
    return {"done": done, "form": outcome["form"], "filename": outcome["filename"]}


def _record(job: ImportJob, server: str) -> dict[str, Any]:
    error = job.error
    return {
        "id": job.id,
        "owner": job.owner,
        "upload_id": job.upload_id,
        "kind": job.kind,
        "state": job.state,
        "step": job.step,
        "done": job.done,
        "total": job.total,
        "error": {"code": error.code, "params": error.params} if error is not None else None,
        "failure": job.failure,
        "created": job.created,
        "finished_at": job.finished_at,
        "outcome": _outcome(job.result) if job.finished else None,
        "key": list(job.key) if isinstance(job.key, tuple) else job.key,
        "server": server,
    }


def _from_record(doc: dict[str, Any]) -> ImportJob:
    error = doc.get("error")
    return ImportJob(
        id=doc["id"],
        owner=doc["owner"],
        state=doc["state"],
        done=int(doc.get("done") or 0),
        total=int(doc.get("total") or 0),
        upload_id=doc["upload_id"],
        kind=doc["kind"],
        step=doc.get("step") or "",
        key=tuple(doc["key"]) if isinstance(doc.get("key"), list) else doc.get("key"),
        result=_result(doc.get("outcome"), doc),
        error=SheetError(error["code"], **error["params"]) if error else None,
        failure=doc.get("failure"),
        created=float(doc.get("created") or 0),
        finished_at=doc.get("finished_at"),
    )


class SharedImportJobs(ImportJobs):
    """Import jobs run here, their state kept where every server of the database sees it.

    ``on_interrupted(job)`` is called when a job of a server that died is found (an apply
    lets go of its upload there)."""

    def __init__(
        self,
        shared: Any,
        server: str,
        *,
        keep_seconds: float = KEEP_SECONDS,
        stalled: float = STALLED_SECONDS,
        on_interrupted: Callable[[ImportJob], None] | None = None,
    ) -> None:
        super().__init__(keep_seconds)
        self.shared = shared
        self.server = server
        self.stalled = stalled
        self.on_interrupted = on_interrupted
        self._written: dict[str, float] = {}
        self.shared.forget_jobs(KIND, max(1, round(keep_seconds / 86400)), "")

    def submit(
        self,
        upload_id: str,
        kind: str,
        owner: str,
        work: Work,
        key: Any = None,
        job_id: str | None = None,
    ) -> ImportJob:
        # Under the lock from the queueing on: the worker's first write (running) waits for
        # this one, so a job written here is always one already under way. Taken after the
        # queueing, the worker could write first on a busy machine and the job then ran
        # without a beat, to be shown interrupted by another server once ``stalled`` passed.
        with self._lock:
            job = super().submit(upload_id, kind, owner, work, key, job_id)
            if job.id in self._written:
                return job  # one already under way
            self._keep(job)
        threading.Thread(
            target=self._beat, args=(job,), name="census-import-beat", daemon=True
        ).start()  # from now: a job queued behind a long one is alive too
        return job

    def _check_or_apply(self, job: ImportJob, work: Work) -> dict[str, Any]:
        """The job's work; a check's plan is then written to a file (in this thread, not
        under the lock), stored with the job's end."""
        fields = super()._check_or_apply(job, work)
        result = fields["result"]
        if job.kind == CHECK and isinstance(result, Checked):
            result.job = job.id
            data = checked.dump(result.plan, job.id)
            fd, name = tempfile.mkstemp(prefix="census-plan-", suffix=".gz")
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            result.size = len(data)
            fields["plan_file"] = Path(name)
        return fields

    def _keep(self, job: ImportJob) -> None:
        self._written[job.id] = time.monotonic()
        # plain JSON: a parameter of a problem that is a date or a number type stays readable
        doc = json.loads(json.dumps(_record(job, self.server), default=str))
        if job.finished:
            kept, job.plan_file = job.plan_file, None
            file = None
            if kept is not None and job.state == DONE:
                file = (uploads.FOLDER, uploads.plan_name(job.upload_id), kept)
            try:
                self.shared.finish_job(job.id, KIND, job.owner, job.state, doc, file=file)
            finally:
                if kept is not None:
                    kept.unlink(missing_ok=True)
            if file is not None and self.shared.job(job.upload_id) is None:
                self.shared.remove_files(*file[:2])  # discarded while it was checked
            self._written.pop(job.id, None)  # nothing more to write for it
        else:
            self.shared.save_job(job.id, KIND, job.owner, job.state, doc)

    def checks(self, upload_id: str, key: Any) -> list[ImportJob]:
        """The finished checks of an upload for this mapping, newest first, on any server."""
        found = []
        for doc in self.shared.jobs(KIND):
            found_as = (doc.get("kind"), doc.get("upload_id"), doc.get("state"))
            if found_as != (CHECK, upload_id, DONE):
                continue
            job = super().get(str(doc.get("id")))  # this server's, with its plan in memory
            if job is None:
                try:
                    job = _from_record(doc)
                except (KeyError, TypeError, ValueError):
                    continue
            if job.key == key:
                found.append(job)
        return sorted(found, key=lambda job: job.created, reverse=True)

    def plan_of(self, kept: KeptCheck, form: Any) -> Checked | None:
        """The plan of a check made on another server, read back; None when it is no longer
        kept (a later check replaced it, the upload is gone) or cannot be read."""
        data = self.shared.file_bytes(uploads.FOLDER, uploads.plan_name(kept.upload_id))
        if data is None:
            return None
        try:
            plan, job = checked.load(data, form)
        except checked.KeptPlanError:
            return None
        if job != kept.job or plan.fingerprint() != kept.fingerprint:
            return None  # another check's
        return Checked(plan, None, kept.stamp, kept.today, job=kept.job, size=len(data))

    def _changed(self, job: ImportJob, state_before: str, changes: dict[str, Any]) -> None:
        if job.state != state_before or job.finished:
            self._keep(job)
        elif time.monotonic() - self._written.get(job.id, 0.0) >= PROGRESS_EVERY:
            self._keep(job)

    def _beat(self, job: ImportJob) -> None:
        """Touch the job's row until it has finished: other servers know this one is alive."""
        while not job.finished:
            try:
                self.shared.touch_job(job.id)
            except Exception:  # the database away a moment: the next beat tries again
                pass
            time.sleep(HEARTBEAT_SECONDS)

    def get(self, job_id: str) -> ImportJob | None:
        """A job of this server as it runs here; another server's as the database has it."""
        found = super().get(job_id)
        if found is not None:
            return found
        doc = self.shared.job(job_id)
        if doc is None or doc.get("upload_id") is None or doc.get("kind") not in (CHECK, APPLY):
            return None
        try:
            job = _from_record(doc)
        except (KeyError, TypeError, ValueError):
            return None
        return self._alive_or_interrupted(job, doc)

    def _alive_or_interrupted(self, job: ImportJob, doc: dict[str, Any]) -> ImportJob:
        if job.finished:
            return job
        age = self.shared.job_age(job.id)
        if age is not None and age < self.stalled:
            return job  # its server beats: it runs there
        job.state, job.failure, job.finished_at = FAILED, INTERRUPTED, time.time()
        record = _record(job, str(doc.get("server") or ""))
        if not self.shared.finish_job(job.id, KIND, job.owner, job.state, record):
            return self.get(job.id) or job  # it finished meanwhile: as it ended
        if self.on_interrupted is not None:
            self.on_interrupted(job)
        return job

    def busy(self, upload_id: str) -> ImportJob | None:
        """An unfinished job of an upload on any server, if any."""
        found = super().busy(upload_id)
        if found is not None:
            return found
        for doc in self.shared.jobs(KIND):
            if doc.get("upload_id") != upload_id or doc.get("state") in (DONE, FAILED):
                continue
            job = self.get(str(doc.get("id")))
            if job is not None and not job.finished:
                return job
        return None

    def wait(self, job: ImportJob, timeout: float) -> ImportJob:
        """Wait for a job; another server's is polled in the database."""
        if super().get(job.id) is job:
            return super().wait(job, timeout)
        deadline = time.monotonic() + timeout
        while not job.finished and time.monotonic() < deadline:
            time.sleep(0.2)
            job = self.get(job.id) or job
        return job
