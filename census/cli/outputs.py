"""``census print``, ``summary``, ``registers``, ``worklog report``: what staff hand upward."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from census.cli.common import (
    AS_OF_OPTION,
    LANG_OPTION,
    PREPARED_BY_OPTION,
    actor,
    as_of_date,
    open_census,
    records_option,
)
from census.util.i18n import gettext


@click.command("print")
@click.argument("target")
@click.option("--building", default=None, help="楼栋名称 / one building")
@click.option("--grid", default=None, help="网格名称 / one grid")
@AS_OF_OPTION
@click.option(
    "--full-ids", is_flag=True, help="完整证件号码（记录在审计日志）/ unmasked IDs (audited)"
)
@LANG_OPTION
@records_option(approved=True)
@PREPARED_BY_OPTION
@click.option("--workers", type=int, default=None, help="渲染进程数 / render processes")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def print_command(
    target: str,
    building: str | None,
    grid: str | None,
    as_of: Any,
    full_ids: bool,
    lang: str,
    approved: bool,
    prepared_by: str,
    workers: int | None,
    output: Path,
) -> None:
    """Print REGISTER|household-cards|household-list|summary to PDF.

    Without --building or --grid: the whole community. REGISTER is a key of
    forms/registers.yaml (`census registers` lists them). Approved records only unless
    --all; the first page says how many records wait for review. Each list and register
    ends with 制表人、审核人、日期: the 制表人 is left to sign by hand unless --prepared-by.
    """
    from datetime import date

    from census.printing.plans import PrintRequest, PrintRequestError, plan, read_records
    from census.services import audit

    request = PrintRequest(
        target,
        building=building or None,
        grid=grid or None,
        as_of=as_of.date() if as_of else date.today(),
        full_ids=full_ids,
        lang=lang,
        approved=approved,
        prepared_by=prepared_by,
    )
    with open_census() as census:
        records = read_records(census.store, census.community_name())
        try:
            the_plan = plan(request, records, census.registers, census.surveys)
        except PrintRequestError as exc:
            raise click.ClickException(str(exc)) from None
        stats = _print(the_plan, output, census.data_dir, workers)
        audit.record(
            census.store,
            actor(),
            "print",
            request.audit_target(),
            full_ids=full_ids,
            pages=stats.pages,
            approved=approved,
        )
    click.echo(
        f"已生成 / written: {output} ({stats.pages} 页 pages; "
        f"{stats.rendered} 部分重新生成 rendered, {stats.cached} 部分取自缓存 cached; "
        f"{stats.seconds:.1f} s)"
    )


def _print(the_plan: Any, output: Path, data_dir: Path, workers: int | None) -> Any:
    """Render the plan's parts into ``output``, with a bar on a terminal, else a line a part."""
    from census.printing.pipeline import print_parts

    def line_progress(done: int, total: int, label: str) -> None:
        if label:  # one line per finished part where no terminal shows a bar
            click.echo(f"[{done}/{total}] {label}", err=True)

    if sys.stderr.isatty():
        with click.progressbar(
            length=len(the_plan.parts),
            label=the_plan.title,
            file=sys.stderr,
            item_show_func=lambda item: item or "",
        ) as bar:

            def bar_progress(done: int, total: int, label: str) -> None:
                bar.update(done - bar.pos, label)

            return print_parts(
                the_plan.parts,
                output,
                data_dir,
                title=the_plan.title,
                workers=workers,
                progress=bar_progress,
            )
    else:
        click.echo(the_plan.title, err=True)
        stats = print_parts(
            the_plan.parts,
            output,
            data_dir,
            title=the_plan.title,
            workers=workers,
            progress=line_progress,
        )
    return stats


def _gated(store: Any, approved: bool, day: Any) -> tuple[Any, Any, list[Any], Any]:
    """The gate; every household, storefront and unit; those the gate lets through; and
    what waits for review on the date (left out, or with --all counted unreviewed)."""
    from census.domain.gate import Gate, pending_of
    from census.queries.records import community_records

    gate = Gate(approved)
    found = community_records(store)
    return gate, found, [gate.keep(records) for records in found], pending_of(*found, day)


@click.command("summary")
@click.option("--json", "as_json", is_flag=True, help="JSON, keys exactly as docs/domain.md §6")
@AS_OF_OPTION
@LANG_OPTION
@records_option(approved=True)
def summary_command(as_json: bool, as_of: Any, lang: str, approved: bool) -> None:
    """基本情况: the community's figures on a date, and the report's opening paragraph.

    Approved records only unless --all; the first line says how many records wait for
    review (with --json on standard error: the JSON keeps exactly the keys of §6).
    """
    import json

    from census.domain.summary import figure_label, percent, report_paragraph, summary

    day = as_of_date(as_of)
    with open_census() as census:
        gate, _found, kept, pending = _gated(census.store, approved, day)
        figures = summary(*kept, day)
        community = census.community_name()
    line = gate.line(pending, lang)
    if as_json:
        click.echo(line, err=True)
        click.echo(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    click.echo(line)
    for key, value in figures.items():
        if isinstance(value, dict):
            value = "，".join(f"{k} {v}" for k, v in value.items())
        elif key == "minority_share":
            value = percent(value)
        click.echo(f"{figure_label(key, lang)}\t{value}")
    click.echo("")
    click.echo(report_paragraph(figures, community, lang))


@click.command("registers")
@AS_OF_OPTION
@LANG_OPTION
@records_option(approved=True)
def registers_command(as_of: Any, lang: str, approved: bool) -> None:
    """台账: every register of forms/registers.yaml with its number of rows on a date.

    Approved records only unless --all, as the 台账 page; a register's rows of records
    waiting for review are said after its name, the gate's line goes to standard error.
    """
    from census.domain.gate import Gate
    from census.domain.registers import register_counts

    day = as_of_date(as_of)
    with open_census() as census:
        defs = census.registers
        gate, found, kept, pending = _gated(census.store, approved, day)
        counts = register_counts(defs, *kept, day)
        every = counts if not approved else register_counts(defs, *found, day)
        reviewed = counts if approved else register_counts(defs, *map(Gate().keep, found), day)
    click.echo(gate.line(pending, lang), err=True)
    width = max(len(r.key) for r in defs)
    for reg in defs:
        waiting = every[reg.key] - reviewed[reg.key]
        note = ""
        if waiting:
            note = gettext("（待审核 {n}）", lang, n=waiting)
        click.echo(f"{reg.key:<{width}}  {counts[reg.key]:>7}  {reg.title(lang)}{note}")


@click.group("worklog")
def worklog_group() -> None:
    """工作台账: work records, completion rates and the period work report."""


@worklog_group.command("report")
@click.option("--from", "start", default="", help="起始日期 YYYY-MM-DD（默认今年1月1日）/ from")
@click.option("--to", "end", default="", help="截止日期 YYYY-MM-DD（默认今天）/ to")
@LANG_OPTION
@records_option(approved=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
def worklog_report_command(
    start: str, end: str, lang: str, approved: bool, output: Path | None
) -> None:
    """Print the work report of a period, or write it to OUTPUT (.pdf or .xlsx); logged.

    Its opening counts approved records only unless --all, and says how many wait.
    """
    from datetime import datetime

    from census.services import audit
    from census.sheets.writer import write_xlsx
    from census.util.outputs import write_output
    from census.worklog.periods import parse_period
    from census.worklog.printing import report_pdf
    from census.worklog.report import report_sheets
    from census.worklog.store import period_report

    period, bad = parse_period(start, end)
    if bad:
        raise click.BadParameter("日期应为 YYYY-MM-DD / dates are YYYY-MM-DD", param_hint=bad[0])
    if output is not None and output.suffix.lower() not in (".pdf", ".xlsx"):
        raise click.BadParameter("文件名应以 .pdf 或 .xlsx 结尾 / use .pdf or .xlsx")
    with open_census() as census:
        report = period_report(
            census.store,
            census.surveys,
            census.community_name(),
            period,
            lang,
            approved=approved,
        )
        if output is None:
            click.echo(report.title(lang))
            click.echo(report.gate)
            click.echo(report.opening)
            click.echo(report.services)
            return
        if output.suffix.lower() == ".pdf":
            write_output(output, report_pdf(report, datetime.now(), lang))
        else:
            sheets = report_sheets(report, lang)
            write_output(output, lambda fh: write_xlsx(fh, sheets))
        action = "print" if output.suffix.lower() == ".pdf" else "export"
        audit.record(census.store, actor(), action, f"worklog/report/{period.label('en')}")
    click.echo(f"已写入 / written: {output}")
