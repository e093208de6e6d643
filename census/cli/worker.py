"""``census worker``: run the background jobs of every server of one PostgreSQL database.

With ``CENSUS_DATABASE_URL`` the app servers queue their prints in the database instead of
running them in their own threads (``census.printing.jobs.SharedJobRunner``); one or more
workers, on any machine that reaches the database, take them one at a time. A worker
needs what a server needs (the database URL, a data folder for its print cache, the fonts)
and no port. Stop it with SIGTERM or Ctrl+C: the print in hand is finished first; a worker
killed outright is noticed by the next one, which prints its job again.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from census.cli.common import open_census
from census.context import Census, load_config

if TYPE_CHECKING:
    from census.printing.plans import Plan, PrintRequest


def _make_plan(census: Census) -> Callable[[PrintRequest], Plan]:
    """How a worker plans a print: as the server's print page does, from the read model."""
    from census.printing.plans import plan, records_seen
    from census.surveys import custom

    def make_plan(request: PrintRequest) -> Plan:
        custom.refresh(census)  # a staff survey added since the worker started
        assert census.derived is not None
        records = records_seen(census.derived, request, census.community_name())
        return plan(request, records, census.registers, census.surveys)

    return make_plan


@click.command("worker")
@click.option("--name", default=None, help="the worker's name in the queue (default: host:pid)")
def worker_command(name: str | None) -> None:
    """Run the queued prints of every server (PostgreSQL only) until stopped.

    One community's: each community of a street keeps its own queue (``census --community
    CODE worker`` for an added one)."""
    config = load_config()
    url = config.get("DATABASE_URL")
    if not url:
        click.echo("census worker needs CENSUS_DATABASE_URL (PostgreSQL)", err=True)
        sys.exit(2)
    # The printing modules (WeasyPrint) are imported here, not when the command line
    # starts: imported with the command line, an installed wheel's `census print` ended
    # in a segmentation fault after writing its PDF (tests/test_package.py).
    from census.printing.jobs import PRINT_TASK, SharedJobRunner, runner_for

    with open_census() as census:
        # The queue of the store opened: with ``census --community CODE worker``, the
        # schema of that community of the street, whose servers queue their prints there.
        queue = census.store.shared.queue()
        runner = runner_for(
            census.data_dir, census.store, queue, workers=config.get("PRINT_WORKERS")
        )
        assert isinstance(runner, SharedJobRunner)
        make_plan = _make_plan(census)

        def print_job(job_id: str) -> None:
            runner.run(job_id, make_plan)

        queue.register(PRINT_TASK, print_job)
        who = name or f"{socket.gethostname()}:{os.getpid()}"
        click.echo(f"census worker {who}: waiting for jobs", err=True)
        queue.run_worker(
            name=who,
            heartbeat=float(config.get("WORKER_HEARTBEAT_SECONDS") or 0) or None,
            stalled=float(config.get("WORKER_STALLED_SECONDS") or 0) or None,
        )
