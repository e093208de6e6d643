"""``census survey``: the surveys of the app, and surveys that staff add."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from census.cli.common import LANG_OPTION, actor, open_census


@click.group("survey")
def survey_group() -> None:
    """问卷: the surveys of the app, and surveys that staff add (XLSForm or YAML)."""


@survey_group.command("list")
def survey_list_command() -> None:
    """Every survey with its code, records and whether staff added it."""
    from census.queries.lookup import record_count
    from census.surveys import custom

    with open_census() as census:
        mine = custom.names(census)
        for name, form in census.surveys.items():
            added = " *" if name in mine else ""
            count = record_count(census.store, form.collection)
            click.echo(f"{name}\t{form.text('zh')}\t{count}{added}")


@survey_group.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", default="", help="问卷代号 / the survey's code (default: form_id)")
@click.option("--replace", is_flag=True, help="替换同名问卷 / replace a survey of this name")
@LANG_OPTION
def survey_add_command(file: Path, name: str, replace: bool, lang: str) -> None:
    """Add a survey from an XLSForm (.xlsx or .xls) or a YAML definition; problems by cell."""
    from census.services import audit
    from census.surveys import custom

    with open_census() as census:
        added = custom.add(census, file.name, file.read_bytes(), name=name, replace=replace)
        for note in added.notes:
            click.echo(f"{note.where(lang)}: {note.message(lang)}")
        if added.form is None:
            for problem in added.problems:
                click.echo(f"{problem.where(lang)}: {problem.message(lang)}", err=True)
            sys.exit(1)
        action = "survey_replace" if added.replaced else "survey_add"
        audit.record(census.store, actor(), action, f"surveys/{added.form.name}", file=file.name)
    click.echo(f"已添加 / added: {added.form.name} ({added.form.text(lang)})")


@survey_group.command("export")
@click.argument("name")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--full-ids", is_flag=True, help="完整证件号码（记入日志）/ whole ID numbers (logged)"
)
def survey_export_command(name: str, file: Path, full_ids: bool) -> None:
    """Export a staff survey's records to FILE.xlsx (a sheet per repeat) or FILE.zip (the
    workbook and its photos); ID numbers masked unless --full-ids."""
    from census.services import audit
    from census.sheets.survey_export import survey_sheets, workbook_bytes, zip_bytes
    from census.surveys import custom
    from census.util.outputs import write_output

    kind = file.suffix.lower().lstrip(".")
    if kind not in ("xlsx", "zip"):
        words = "文件名应以 .xlsx 或 .zip 结尾 / use .xlsx or .zip"
        raise click.BadParameter(words, param_hint="FILE")
    with open_census() as census:
        if name not in custom.names(census):
            words = f"没有这个自建问卷 / no staff survey “{name}”"
            raise click.BadParameter(words, param_hint="NAME")
        form = census.surveys[name]
        export = survey_sheets(census.store, form, full_ids=full_ids)
        target = f"surveys/{name}/records.{kind}"
        if kind == "zip":
            data, photos = zip_bytes(census.store, form, export)
        else:
            data, photos = workbook_bytes(export), 0
        write_output(file, data)
        if full_ids:
            audit.full_ids_shown(census.store, actor(), target, export.ids_shown)
        audit.record(
            census.store, actor(), "export", target, file=file.name, records=export.records,
            photos=photos, full_ids=full_ids,
        )  # fmt: skip
    sheets = "，".join(f"{title} {len(rows)}" for title, (_h, rows) in export.sheets.items())
    click.echo(f"已导出 / written: {file} ({sheets}; 照片 photos {photos})")
