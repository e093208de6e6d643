"""The ``census`` command: one module per group of commands, all on one application context."""

from __future__ import annotations

import click

from census.cli import accounts, backup, outputs, sheets, start, surveys, worker


@click.group()
def main() -> None:
    """社区入户摸底调查 / Community Census."""


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
):
    main.add_command(command)
