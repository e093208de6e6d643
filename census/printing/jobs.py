"""Print jobs: long prints run in the background of the server, one after another.

A job reads the records through a callable the web layer gives it (the server process
owns the data folder; the job's thread reads through the same thread-safe store), plans
the parts, and renders them with the worker processes of ``census.printing.pipeline``,
which receive plain data only. The result is a file under ``<data>/print-jobs/``, and
each job is kept beside it as ``<id>.json`` whenever its state changes, so the list and the
download links survive a restart; a job that was queued or running when the server stopped
is shown as failed (interrupted). Results and their records go after ``KEEP_DAYS``.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from census.printing.pipeline import print_parts
from census.printing.plans import Plan, PrintRequest
from census.util.jobs import DONE, FAILED, QUEUED, RUNNING, BackgroundJob, new_job_id
from census.util.jobs import JobRunner as _Runner

__all__ = ["DONE", "FAILED", "QUEUED", "RUNNING", "Job", "JobRunner"]

JOBS_FOLDER = "print-jobs"
KEEP_DAYS = 7
INTERRUPTED = "interrupted: the server stopped before the print was finished"
_KEPT = (
    "id owner title state done total pages rendered cached filename result error "
    "created_at finished_at"
).split()


def _now() -> str:
    return datetime.now().isoformat(timespec="seconds")


@dataclass(kw_only=True)
class Job(BackgroundJob):
    """One print job: who asked for what, how far it got, where the result is."""

    request: PrintRequest
    title: str = ""
    current: str = ""
    pages: int = 0
    rendered: int = 0
    cached: int = 0
    filename: str = "print.pdf"
    result: str | None = None
    error: str | None = None
    created_at: str = field(default_factory=_now)
    finished_at: str | None = None
    history: list[tuple[str, int, int]] = field(default_factory=list)
    server: str | None = None  # PostgreSQL: the server a prepared print runs on

    def record(self) -> dict[str, Any]:
        """What is kept on disk: the job and its request as plain JSON data."""
        kept = {key: getattr(self, key) for key in _KEPT}
        kept["request"] = {
            **self.request.params(),
            "printed_at": self.request.printed_at.isoformat(),
        }
        return kept

    @classmethod
    def from_record(cls, kept: dict[str, Any]) -> Job:
        """A job read back from its record."""
        params = dict(kept["request"])
        request = PrintRequest(
            params["target"],
            building=params.get("building"),
            grid=params.get("grid"),
            as_of=date.fromisoformat(params["as_of"]),
            full_ids=bool(params.get("full_ids")),
            lang=params.get("lang") or "zh",
            printed_at=datetime.fromisoformat(params["printed_at"]),
            approved=bool(params.get("approved", True)),
            prepared_by=str(params.get("prepared_by") or ""),
        )
        job = cls(request=request, **{key: kept[key] for key in _KEPT if key in kept})
        job.server = kept.get("server")
        return job

    def as_dict(self) -> dict[str, Any]:
        """The job as the progress endpoint returns it (no file paths)."""
        return {
            "id": self.id,
            "owner": self.owner,
            "title": self.title,
            "state": self.state,
            "done": self.done,
            "total": self.total,
            "percent": self.percent,
            "current": self.current,
            "pages": self.pages,
            "rendered": self.rendered,
            "cached": self.cached,
            "error": self.error,
            "created_at": self.created_at,
            "finished_at": self.finished_at,
            "params": self.request.params(),
        }


class JobRunner(_Runner[Job]):
    """Runs print jobs one after another; the rendering itself uses the process pool."""

    def __init__(self, data_dir: Path | str, *, workers: int | None = None) -> None:
        super().__init__("census-print")
        self.data_dir = Path(data_dir)
        self.folder = self.data_dir / JOBS_FOLDER
        self.folder.mkdir(parents=True, exist_ok=True)
        self.workers = workers
        self._remove_old_results()
        self._load()

    def _remove_old_results(self) -> None:
        limit = time.time() - KEEP_DAYS * 86400
        for path in [*self.folder.glob("*.pdf"), *self.folder.glob("*.json")]:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)

    def _load(self) -> None:
        """The jobs of earlier runs; those that had not finished are marked interrupted."""
        for path in self.folder.glob("*.json"):
            try:
                job = Job.from_record(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError, TypeError):
                continue  # a record this version cannot read is left alone
            if not job.finished:
                job.state, job.error = FAILED, INTERRUPTED
                job.finished_at = _now()
                self._keep(job)
            if job.state == DONE and not (job.result and Path(job.result).exists()):
                continue  # its file is gone
            self._jobs[job.id] = job

    def _keep(self, job: Job) -> None:
        """Write the job's record beside its result (aside, then renamed)."""
        path = self.folder / f"{job.id}.json"
        tmp = path.with_name(f"{path.name}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(job.record(), ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)

    def _changed(self, job: Job, state_before: str, changes: dict[str, Any]) -> None:
        job.history.append((job.state, job.done, job.total))
        if job.state != state_before or "title" in changes:
            self._keep(job)  # progress ticks stay in memory

    def _failure(self, exc: Exception) -> dict[str, Any]:
        return super()._failure(exc) | {"finished_at": _now()}

    def submit(
        self, owner: str, request: PrintRequest, make_plan: Callable[[PrintRequest], Plan]
    ) -> Job:
        """Queue a print; ``make_plan`` reads the records and plans it, on the job's thread."""
        job = Job(id=new_job_id(), owner=owner, request=request)
        with self._lock:
            job.history.append((job.state, 0, 0))
            self._keep(job)
            return self._enqueue(job, lambda job: self._print(job, make_plan))

    def _print(self, job: Job, make_plan: Callable[[PrintRequest], Plan]) -> dict[str, Any]:
        the_plan = make_plan(job.request)
        self._set(job, title=the_plan.title, filename=the_plan.filename)
        target = self.folder / f"{job.id}.pdf"

        def progress(done: int, total: int, label: str) -> None:
            self._set(job, done=done, total=total, current=label)

        stats = print_parts(
            the_plan.parts,
            target,
            self.data_dir,
            title=the_plan.title,
            workers=self.workers,
            progress=progress,
        )
        return {
            "done": stats.parts,
            "total": stats.parts,
            "pages": stats.pages,
            "rendered": stats.rendered,
            "cached": stats.cached,
            "result": str(target),
            "finished_at": _now(),
        }

    def jobs(self, owner: str | None = None) -> list[Job]:
        """Jobs, newest first; only one owner's when given."""
        found = self._select(lambda j: owner is None or j.owner == owner)
        return sorted(found, key=lambda j: j.created_at, reverse=True)

    def wait(self, job_id: str, timeout: float = 60.0) -> Job:
        """Block until a job has finished (for the CLI and tests)."""
        job = self.get(job_id)
        if job is None:
            raise KeyError(job_id)
        return self._wait(job, timeout, 0.05)


# -- Several servers on one PostgreSQL database ---------------------------------------------

KIND = "print"
PRINT_TASK = "census.print"
PREPARED = "worklog:"  # a print whose parts the page made itself (runs where it was asked)
MAX_ATTEMPTS = 3  # a print that took down its worker this often fails instead
PROGRESS_EVERY = 0.5  # seconds between progress writes to the database
GAVE_UP = "interrupted: the worker stopped {n} times before the print was finished"


class SharedJobRunner:
    """Print jobs kept in the database every server shares, run by ``census worker``.

    The same questions as ``JobRunner`` (submit, get, jobs, wait) with other answers: a
    job's state and progress are a row of ``census_jobs``, written by the worker that runs
    it, and its PDF is stored in the database (``census_files``) in the same transaction
    that marks it done, so any server lists the job, shows its progress and serves the
    file (copied to its own data folder on first download). ``submit`` only queues the job
    (``TaskQueue``): a worker reads the records and plans it (``run``). A worker killed
    mid-print leaves the job running in the table and its task in the queue; the next
    worker takes the task again and prints it from the start, up to ``MAX_ATTEMPTS``
    times. Prints whose parts the page made itself (the work registers) run in a thread of
    the server that was asked, their state and file kept the same way.
    """

    def __init__(
        self, data_dir: Path | str, shared: Any, queue: Any, *, workers: int | None = None
    ) -> None:
        self.data_dir = Path(data_dir)
        self.folder = self.data_dir / JOBS_FOLDER
        self.folder.mkdir(parents=True, exist_ok=True)
        self.shared = shared
        self.queue = queue
        self.workers = workers
        # Which server a prepared print runs on: when it starts again, those it left
        # unfinished are shown as failed (interrupted), as on a data folder.
        self.server = f"{socket.gethostname()}:{self.data_dir.resolve()}"
        self.shared.forget_jobs(KIND, KEEP_DAYS, JOBS_FOLDER)
        self._interrupted()

    def _interrupted(self) -> None:
        for doc in self.shared.jobs(KIND):
            if doc.get("server") != self.server or doc.get("state") in (DONE, FAILED):
                continue
            job = self._job(doc)
            if job is not None:
                job.state, job.error, job.finished_at = FAILED, INTERRUPTED, _now()
                self._finish(job, int(doc.get("attempts") or 0))

    def submit(
        self, owner: str, request: PrintRequest, make_plan: Callable[[PrintRequest], Plan]
    ) -> Job:
        """Keep the job queued and hand it to a worker (or, prepared, to a thread here)."""
        job = Job(id=new_job_id(), owner=owner, request=request)
        prepared = request.target.startswith(PREPARED)
        self._save(job, attempts=0, server=self.server if prepared else None)
        if prepared:
            threading.Thread(
                target=self.run, args=(job.id, make_plan), name="census-print", daemon=True
            ).start()
        else:
            self.queue.defer(PRINT_TASK, job_id=job.id)
        return job

    def _save(self, job: Job, attempts: int, server: str | None = None) -> bool:
        doc = job.record() | {"attempts": attempts, "server": server or job.server}
        job.server = doc["server"]
        return bool(self.shared.save_job(job.id, KIND, job.owner, job.state, doc))

    def get(self, job_id: str) -> Job | None:
        """A job by id, as the database has it; a done job's ``result`` is a local copy."""
        doc = self.shared.job(job_id)
        return self._job(doc) if doc is not None else None

    def _job(self, doc: dict[str, Any]) -> Job | None:
        try:
            job = Job.from_record(doc)
        except (ValueError, KeyError, TypeError):
            return None  # a record this version cannot read
        job.result = None
        if job.state == DONE:
            local = self.folder / f"{job.id}.pdf"
            if local.exists() or self.shared.fetch_file(JOBS_FOLDER, local.name, local):
                job.result = str(local)
        return job

    def jobs(self, owner: str | None = None) -> list[Job]:
        """Jobs, newest first; only one owner's when given."""
        found = []
        for doc in self.shared.jobs(KIND, owner):
            try:
                found.append(Job.from_record(doc))
            except (ValueError, KeyError, TypeError):
                continue
        return found

    def wait(self, job_id: str, timeout: float = 60.0) -> Job:
        """Block until a job has finished (for the CLI and tests)."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.get(job_id)
            if job is None:
                raise KeyError(job_id)
            if job.finished or time.monotonic() >= deadline:
                return job
            time.sleep(0.2)

    def shutdown(self) -> None:
        """Nothing runs here to stop: the workers run the jobs."""

    def run(self, job_id: str, make_plan: Callable[[PrintRequest], Plan]) -> Job | None:
        """Print a queued job (in a worker): plan it, render it, store the PDF and ``done``.

        Called again for the same job after its worker died; a finished job is left as it is.
        """
        doc = self.shared.job(job_id)
        if doc is None:
            return None
        job = Job.from_record(doc)
        if job.finished:
            return job
        attempts = int(doc.get("attempts") or 0) + 1
        if attempts > MAX_ATTEMPTS:
            job.state, job.error = FAILED, GAVE_UP.format(n=attempts - 1)
            job.finished_at = _now()
            self._finish(job, attempts)
            return job
        job.state, job.done, job.total, job.error = RUNNING, 0, 0, None
        self._save(job, attempts)
        part = self.folder / f".{job.id}.{os.getpid()}.pdf.part"
        try:
            self._print(job, make_plan, part, attempts)
        except Exception as exc:  # the job's page says what went wrong
            job.state, job.error = FAILED, f"{type(exc).__name__}: {exc}"
            job.finished_at = _now()
            self._finish(job, attempts)
        finally:
            part.unlink(missing_ok=True)
        return job

    def _print(
        self, job: Job, make_plan: Callable[[PrintRequest], Plan], part: Path, attempts: int
    ) -> None:
        the_plan = make_plan(job.request)
        job.title, job.filename = the_plan.title, the_plan.filename
        self._save(job, attempts)
        written = [0.0]

        def progress(done: int, total: int, label: str) -> None:
            job.done, job.total, job.current = done, total, label
            if time.monotonic() - written[0] >= PROGRESS_EVERY:
                written[0] = time.monotonic()
                self._save(job, attempts)

        stats = print_parts(
            the_plan.parts,
            part,
            self.data_dir,
            title=the_plan.title,
            workers=self.workers,
            progress=progress,
        )
        job.done = job.total = stats.parts
        job.pages, job.rendered, job.cached = stats.pages, stats.rendered, stats.cached
        job.state, job.finished_at = DONE, _now()
        name = f"{job.id}.pdf"
        if self._finish(job, attempts, (JOBS_FOLDER, name, part)):
            os.replace(part, self.folder / name)  # this server's copy

    def _finish(self, job: Job, attempts: int, file: tuple[str, str, Path] | None = None) -> bool:
        doc = job.record() | {"attempts": attempts, "result": None, "server": job.server}
        return bool(self.shared.finish_job(job.id, KIND, job.owner, job.state, doc, file))


def runner_for(
    data_dir: Path | str, store: Any, queue: Any = None, *, workers: int | None = None
) -> JobRunner | SharedJobRunner:
    """The print jobs of a server: in its own threads on a data folder; on PostgreSQL kept in
    the database and run by workers (``queue``, a ``TaskQueue`` of the same database)."""
    shared = getattr(store, "shared", None)
    if shared is None:
        return JobRunner(data_dir, workers=workers)
    if queue is None:
        queue = shared.queue()
    return SharedJobRunner(data_dir, shared, queue, workers=workers)
