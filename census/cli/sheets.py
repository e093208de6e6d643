"""``census import`` and ``census export``: the spreadsheets staff already keep."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from census.cli.common import LANG_OPTION, actor, open_census, records_option


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--form",
    "form_name",
    type=click.Choice(["household", "storefront", "unit"]),
    default="household",
    show_default=True,
)
@click.option("--dry-run", is_flag=True, help="只检查并打印报告 / check and report only")
@click.option("--strict", is_flag=True, help="有错误时全部不导入 / import nothing if any row fails")
@click.option(
    "--map", "maps", multiple=True, help="列名=字段，如 手机号=members.phone / HEADER=KEY"
)
@LANG_OPTION
def import_command(
    file: Path, form_name: str, dry_run: bool, strict: bool, maps: tuple[str, ...], lang: str
) -> None:
    """Import an Excel/CSV register: report (row, column, message); exit 1 when rows fail."""
    from census.sheets.console import parse_maps, run_import
    from census.surveys.definition import load_surveys

    try:
        by_header = parse_maps(maps, load_surveys()[form_name])
    except ValueError as bad:
        raise click.BadParameter(
            f"{bad}（应为 列名=字段 / HEADER=KEY）", param_hint="--map"
        ) from None
    with open_census() as census:
        code = run_import(
            census.store,
            census.surveys[form_name],
            file,
            user=actor(),
            dry_run=dry_run,
            strict=strict,
            maps=by_header,
            echo=click.echo,
            lang=lang,
        )
    sys.exit(code)


@click.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@records_option(approved=False)
@LANG_OPTION
def export_command(file: Path, approved: bool, lang: str) -> None:
    """Export everything to FILE.xlsx (住户, 成员, 门面, 单位) or the members to FILE.csv.

    Every record by default, each household with its 审核状态 (read back, the file gives the
    same records); --approved leaves out what waits for review. A line says how many wait.
    """
    from census.domain.gate import Gate, pending_of
    from census.queries.derived import community_records
    from census.sheets.console import run_export

    if file.suffix.lower() not in (".xlsx", ".csv"):
        raise click.BadParameter(
            "文件名应以 .xlsx 或 .csv 结尾 / use .xlsx or .csv", param_hint="FILE"
        )
    with open_census() as census:
        counts = run_export(census.store, census.surveys, file, user=actor(), approved=approved)
        pending = pending_of(*community_records(census.store))
    click.echo(f"已导出 / written: {file} ({counts})")
    click.echo(Gate(approved).line(pending, lang))
