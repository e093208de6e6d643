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
        return cls(request=request, **{key: kept[key] for key in _KEPT if key in kept})

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
