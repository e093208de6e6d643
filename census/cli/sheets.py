"""``census import`` and ``census export``: the spreadsheets staff already keep."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from census.cli.common import LANG_OPTION, actor, open_census, records_option
from census.domain.address import PATTERNS
from census.domain.codes import choice_lists


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
@click.option(
    "--header-row", type=click.IntRange(min=1), default=None, help="表头所在行 / the header row"
)
@click.option(
    "--skip-rows", default=None, help="跳过的行（说明行等），如 4,5 或 4-6 / rows to skip"
)
@click.option(
    "--address-column",
    default=None,
    help="楼栋单元室合写的列名，如 现住址（1单元101室、3-1-101）/ combined address column",
)
@click.option(
    "--address-pattern",
    type=click.Choice(PATTERNS),
    default=None,
    help="两段门牌 3-101 读作 单元-室（默认）或 楼栋-室 / how 3-101 reads (default unit-room)",
)
@click.option("--profile", default=None, help="使用已保存的导入方案 / a saved mapping")
@click.option("--save-profile", default=None, help="把本次的对应保存为方案 / save this mapping")
@LANG_OPTION
def import_command(
    file: Path,
    form_name: str,
    dry_run: bool,
    strict: bool,
    maps: tuple[str, ...],
    header_row: int | None,
    skip_rows: str | None,
    address_column: str | None,
    address_pattern: str | None,
    profile: str | None,
    save_profile: str | None,
    lang: str,
) -> None:
    """Import an Excel/CSV register: report (row, column, message); exit 1 when rows fail.

    The file is read as the wizard reads it: columns by their titles (--map for the others),
    the header found (or --header-row), instruction and example rows skipped (and
    --skip-rows), a combined address split (--address-column; --address-pattern says whether
    a two-part 3-101 is unit-room or building-room). --save-profile keeps these
    choices by name in the data folder, --profile uses them again.
    """
    from census.sheets import profiles
    from census.sheets.console import parse_maps, run_import
    from census.sheets.layout import row_numbers
    from census.surveys.definition import load_surveys

    try:
        by_header = parse_maps(maps, load_surveys()[form_name])
    except ValueError as bad:
        raise click.BadParameter(
            f"{bad}（应为 列名=字段 / HEADER=KEY）", param_hint="--map"
        ) from None
    if skip_rows is not None:
        try:
            row_numbers(skip_rows)
        except ValueError as bad:
            raise click.BadParameter(
                f"{bad}（应为行号，如 4,5 或 4-6 / row numbers）", param_hint="--skip-rows"
            ) from None
    for name in (profile, save_profile):
        if name is not None:
            try:
                profiles.check_name(name)
            except profiles.ProfileError:
                raise click.BadParameter(
                    f"{name}（1–40 个字符，不含空格和斜杠 / 1-40 characters, no spaces or "
                    "slashes）",
                    param_hint="--profile / --save-profile",
                ) from None
    options = {
        "maps": by_header,
        "header_row": header_row,
        "skip_rows": skip_rows,
        "address_column": address_column,
        "address_pattern": address_pattern,
    }
    with open_census() as census:
        shared = getattr(census.store, "shared", None)  # PostgreSQL: the store keeps them
        if profile is not None:
            try:
                base = profiles.load(census.data_dir, profile, shared)
            except profiles.ProfileError:
                raise click.BadParameter(
                    f"没有名为“{profile}”的导入方案 / no saved mapping “{profile}”",
                    param_hint="--profile",
                ) from None
            if base.form != form_name:
                raise click.BadParameter(
                    f"方案“{profile}”用于 {base.form} / the mapping is for {base.form}",
                    param_hint="--profile",
                )
        else:
            base = profiles.Profile(form_name)
        chosen = base.with_options(**options)
        if save_profile is not None:
            profiles.save(census.data_dir, save_profile, chosen, user=actor(), shared=shared)
            click.echo(f"已保存导入方案 / mapping saved: {save_profile}")
        code = run_import(
            census.store,
            census.surveys[form_name],
            file,
            user=actor(),
            dry_run=dry_run,
            strict=strict,
            profile=chosen,
            echo=click.echo,
            lang=lang,
        )
    sys.exit(code)


@click.command("pending")
@click.option("--json", "as_json", is_flag=True, help="JSON 输出 / as JSON")
def pending_command(as_json: bool) -> None:
    """待核实: the records an import stored without a field its file lacked (住房性质 …),
    for a surveyor to complete; each waits for review until then."""
    import json

    from census.sheets.followup import pending_records

    with open_census() as census:
        rows = pending_records(census.store, census.surveys)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("没有待核实的记录 / nothing to verify")
        return
    states = choice_lists()["review_state"]  # 待审核, as the export writes it (JSON: the code)
    for row in rows:
        state = states.get(row["review_state"], {}).get("zh", row["review_state"])
        click.echo(
            f"{row['title']}\t{row['address']}\t{row['head']}\t缺少 missing: "
            f"{'；'.join(row['lacking'])}\t{state}"
        )
    click.echo(f"共 {len(rows)} 条 / {len(rows)} records")


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
    from census.queries.records import community_records
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
