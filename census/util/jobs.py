"""Background jobs of the web server: queued, run one after another, polled by a page.

Printing (``census.printing.jobs``) and importing (``census.sheets.jobs``) take longer than
a request should wait. Both hand the work to a ``JobRunner``: a job is queued, runs when
the jobs before it have finished (so two large ones never hold the server's memory at
once) and ends done or failed; its fields change under one lock while pages poll them.
The jobs run in order on one worker thread, which ends when the queue is empty, so an
idle server keeps no thread for them. What a job does, what it keeps and for how long
stays with each runner.

With PostgreSQL (several servers on one database) the work goes to the database's task
queue instead (``census.store.pgqueue``, ``store.shared.queue()``), run by ``census
worker`` processes on any machine.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


@dataclass
class BackgroundJob:
    """What every job has: who asked, where it stands and how far it got (done of total)."""

    id: str
    owner: str
    state: str = QUEUED
    done: int = 0
    total: int = 0

    @property
    def finished(self) -> bool:
        """Done or failed: nothing more will change."""
        return self.state in (DONE, FAILED)

    @property
    def percent(self) -> int:
        """Progress in whole percent (100 once done)."""
        if self.state == DONE:
            return 100
        return min(100, int(100 * self.done / self.total)) if self.total else 0


J = TypeVar("J", bound=BackgroundJob)
# The work of a job: it reports through the runner and returns the fields of the done job.
Work = Callable[[J], dict[str, Any]]


def new_job_id() -> str:
    """An id nobody can guess (the pages show a job to its owner only, by id)."""
    return secrets.token_hex(8)


class JobRunner(Generic[J]):
    """Runs queued jobs one at a time; subclasses say what a failure keeps and what changes."""

    def __init__(self, thread_name: str) -> None:
        self._thread_name = thread_name
        self._jobs: dict[str, J] = {}
        self._lock = threading.RLock()  # the jobs, their fields and the queue
        self._queue: deque[tuple[J, Work[J]]] = deque()
        self._worker: threading.Thread | None = None
        self._closed = False

    def _enqueue(self, job: J, work: Work[J]) -> J:
        """Keep ``job`` and queue ``work`` for it; a worker starts if none is running."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the job runner has been shut down")
            self._jobs[job.id] = job
            self._queue.append((job, work))
            if self._worker is None:
                self._worker = threading.Thread(target=self._drain, name=self._thread_name)
                self._worker.start()
        return job

    def _drain(self) -> None:
        while True:
            with self._lock:
                if self._closed or not self._queue:
                    self._worker = None
                    return
                job, work = self._queue.popleft()
            try:
                self._set(job, state=RUNNING)
                outcome = work(job)
            except Exception as exc:  # the job's page says what went wrong
                self._set(job, state=FAILED, **self._failure(exc))
            else:
                self._set(job, state=DONE, **outcome)

    def _failure(self, exc: Exception) -> dict[str, Any]:
        """The fields a failed job keeps (its runner says which and how it dates them)."""
        return {"error": f"{type(exc).__name__}: {exc}"}

    def _set(self, job: J, **changes: Any) -> None:
        """Change a job's fields under the lock (pages read them meanwhile)."""
        with self._lock:
            state = job.state
            for name, value in changes.items():
                setattr(job, name, value)
            self._changed(job, state, changes)

    def _changed(self, job: J, state_before: str, changes: dict[str, Any]) -> None:
        """Called under the lock after each change: a runner that keeps jobs on disk hooks in."""

    def get(self, job_id: str) -> J | None:
        """A job by id."""
        with self._lock:
            return self._jobs.get(job_id)

    def _select(self, keep: Callable[[J], bool]) -> list[J]:
        with self._lock:
            return [job for job in self._jobs.values() if keep(job)]

    def _wait(self, job: J, timeout: float, poll: float) -> J:
        deadline = time.monotonic() + timeout
        while not job.finished and time.monotonic() < deadline:
            time.sleep(poll)
        return job

    def shutdown(self) -> None:
        """Take no more jobs and drop the queued ones; the running one finishes."""
        with self._lock:
            self._closed = True
            self._queue.clear()
            worker = self._worker
        if worker is not None and worker is not threading.current_thread():
            worker.join()
