"""The ``census`` command: one module per group of commands, all on one application context."""

from __future__ import annotations

import click

from census.cli import accounts, backup, outputs, sheets, start, street, surveys, worker


@click.group()
@click.option(
    "--community",
    default=None,
    metavar="CODE",
    help="在街道的另一个社区中执行（census community list） / work in that community of the street",
)
def main(community: str | None) -> None:
    """社区入户摸底调查 / Community Census."""
    # --community is read by each command's configuration (census.cli.common.open_census)


for command in (
    start.init,
    start.demo,
    start.serve,
    accounts.user,
    accounts.token,
    accounts.assign_command,
    outputs.print_command,
    outputs.summary_command,
    outputs.registers_command,
    outputs.worklog_group,
    sheets.import_command,
    sheets.pending_command,
    sheets.export_command,
    backup.backup_command,
    backup.restore_command,
    surveys.survey_group,
    worker.worker_command,
    street.community_group,
    street.street_group,
):
    main.add_command(command)
