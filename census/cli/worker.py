"""``census worker``: run the background jobs of every server of one PostgreSQL database.

With ``CENSUS_DATABASE_URL`` the app servers queue their prints in the database instead of
running them in their own threads (``census.printing.jobs.SharedJobRunner``); one or more
workers, on any machine that reaches the database, take them one at a time. Each community
of a street keeps its own queue (in its schema): a worker serves every community of the
deployment, taking their jobs in turn, and looks for communities added since every
``CENSUS_WORKER_LOOK_SECONDS`` (10); ``census --community CODE worker`` serves that one
only. A worker keeps each community's context open, and with it the read model the pages
see, so a print reads only what changed since the last one. A worker needs what a server
needs (the database URL, a data folder for its print cache, the fonts) and no port. Stop it
with SIGTERM or Ctrl+C: the print in hand is finished first; a worker killed outright is
noticed by the next one, which prints its job again.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

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


class _Community:
    """One community a worker serves: its context (kept open), its queue and print jobs."""

    def __init__(self, census: Census, workers: Any) -> None:
        from census.printing.jobs import PRINT_TASK, SharedJobRunner, runner_for

        self.census = census
        self.queue = census.store.shared.queue()  # a TaskQueue in the community's schema
        runner = runner_for(census.data_dir, census.store, self.queue, workers=workers)
        assert isinstance(runner, SharedJobRunner)
        self.runner = runner
        self.make_plan = _make_plan(census)
        self.queue.register(PRINT_TASK, self.print_job)

    def print_job(self, job_id: str) -> None:
        self.runner.run(job_id, self.make_plan)


class _Street:
    """The communities a worker serves: the one opened, and (unless it is an added community
    chosen with ``--community``) every community the street lists, opened as they come."""

    def __init__(self, first: Census, workers: Any) -> None:
        self.first = first
        self.workers = workers
        self.only = bool(first.config.get("COMMUNITY_CODE"))  # census --community CODE
        code = str(first.config.get("COMMUNITY_CODE") or "")
        self.served = {code: _Community(first, workers)}
        self.opened: list[Census] = []
        self.failing: dict[str, str] = {}  # code: why it could not be opened, said once

    @property
    def queue(self) -> Any:
        """The queue of the community opened first."""
        return next(iter(self.served.values())).queue

    def queues(self) -> Mapping[str, Any]:
        """Each served community's queue, by code ('' for the first); new ones opened now."""
        from census.queries.communities import added
        from census.street.places import community_config

        if not self.only:
            for community in added(self.first.store):
                if community.code in self.served:
                    continue
                config = community_config(self.first.config, community.code)
                try:  # one listed whose store was never made: made now, and marked made
                    census = Census.open(config | {"CREATE_STORE": not community.made})
                    if not community.made:
                        _finish(self.first, census, community)
                except Exception as exc:  # one being added right now: taken next time
                    said = " ".join(str(exc).split())
                    if self.failing.get(community.code) != said:  # once, not every look
                        click.echo(f"census worker: {community.code} not opened: {said}", err=True)
                        self.failing[community.code] = said
                    continue
                if self.failing.pop(community.code, None) is not None:
                    click.echo(f"census worker: {community.code} opened", err=True)
                self.opened.append(census)
                self.served[community.code] = _Community(census, self.workers)
        return {code: one.queue for code, one in self.served.items()}

    def close(self) -> None:
        for census in self.opened:
            census.close()


def _finish(first: Census, census: Census, community: Any) -> None:
    """Name the community's store just made and mark it made; closed again if that fails."""
    from census.services.communities import finish_community

    try:
        finish_community(first.store, census.store, community)
    except BaseException:
        census.close()
        raise


@click.command("worker")
@click.option("--name", default=None, help="the worker's name in the queue (default: host:pid)")
def worker_command(name: str | None) -> None:
    """Run the queued prints of every server (PostgreSQL only) until stopped.

    Those of every community of the street, added ones too, in turn (``census --community
    CODE worker``: that community's only)."""
    config = load_config()
    url = config.get("DATABASE_URL")
    if not url:
        click.echo("census worker needs CENSUS_DATABASE_URL (PostgreSQL)", err=True)
        sys.exit(2)
    # The printing modules (WeasyPrint) are imported as a community is opened (_Community),
    # not when the command line starts: imported with the command line, an installed
    # wheel's `census print` ended in a segmentation fault after writing its PDF
    # (tests/test_package.py).
    with open_census() as census:
        street = _Street(census, config.get("PRINT_WORKERS"))
        who = name or f"{socket.gethostname()}:{os.getpid()}"
        click.echo(f"census worker {who}: waiting for jobs", err=True)
        try:
            street.queue.run_worker(
                queues=street.queues,
                name=who,
                heartbeat=float(config.get("WORKER_HEARTBEAT_SECONDS") or 0) or None,
                stalled=float(config.get("WORKER_STALLED_SECONDS") or 0) or None,
                look=float(config.get("WORKER_LOOK_SECONDS") or 0) or None,
            )
        finally:
            street.close()
