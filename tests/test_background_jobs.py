"""The job runner the print and import jobs share: in order, one at a time, no idle thread."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import pytest

from census.util.jobs import DONE, FAILED, QUEUED, BackgroundJob, JobRunner


@dataclass(kw_only=True)
class Task(BackgroundJob):
    result: Any = None
    error: str | None = None


class Tasks(JobRunner[Task]):
    def submit(self, name: str, work) -> Task:
        return self._enqueue(Task(id=name, owner="t"), work)

    def wait(self, job: Task) -> Task:
        return self._wait(job, 10, 0.01)


def test_jobs_run_in_the_order_given_one_at_a_time_and_the_worker_ends() -> None:
    runner, gate, order = Tasks("test-jobs"), threading.Event(), []

    def work(name: str, hold: bool = False):
        def run(job: Task) -> dict[str, Any]:
            order.append(name)
            runner._set(job, done=1, total=2)
            if hold:
                gate.wait(10)
            return {"result": name.upper(), "done": 2}

        return run

    jobs = [runner.submit("a", work("a", hold=True))]
    jobs += [runner.submit(name, work(name)) for name in "bcd"]
    assert [j.state for j in jobs[1:]] == [QUEUED] * 3
    gate.set()
    for job in jobs:
        runner.wait(job)
    assert order == ["a", "b", "c", "d"]
    assert [(j.state, j.result, j.percent) for j in jobs] == [
        (DONE, n.upper(), 100) for n in "abcd"
    ]
    deadline = time.monotonic() + 10
    while runner._worker is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert runner._worker is None  # nothing queued: no thread kept


def test_a_failure_is_kept_and_the_next_job_still_runs() -> None:
    runner = Tasks("test-jobs")

    def broken(job: Task) -> dict[str, Any]:
        raise RuntimeError("disk on fire")

    failed = runner.wait(runner.submit("x", broken))
    fine = runner.wait(runner.submit("y", lambda job: {"result": 1}))
    assert (failed.state, failed.error) == (FAILED, "RuntimeError: disk on fire")
    assert (fine.state, fine.result) == (DONE, 1)
    assert runner.get("x") is failed and runner.get("nope") is None


def test_shutdown_lets_the_running_job_finish_and_drops_the_queued() -> None:
    runner, started, gate = Tasks("test-jobs"), threading.Event(), threading.Event()

    def slow(job: Task) -> dict[str, Any]:
        started.set()
        gate.wait(10)
        return {"result": "finished"}

    running = runner.submit("r", slow)
    queued = runner.submit("q", lambda job: {"result": "never"})
    assert started.wait(10)
    threading.Timer(0.05, gate.set).start()
    runner.shutdown()
    assert running.state == DONE and queued.state == QUEUED
    with pytest.raises(RuntimeError):
        runner.submit("late", lambda job: {})
