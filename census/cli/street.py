"""``census community`` and ``census street``: the communities of a street and their roll-up.

``census --community CODE <command>`` runs any command in an added community (its own
store, as ``census.street.places`` says where); without it commands work on the first
community, the deployment's own data folder or database, as a single installation does.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
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


@click.group("community")
def community_group() -> None:
    """社区: the communities of a street deployment."""


@community_group.command("add")
@click.argument("name")
@click.option("--code", required=True, help="小写字母、数字和 _ / lowercase letters, digits, _")
def community_add(name: str, code: str) -> None:
    """Add a community: its own store, its pages at login with ?community=CODE."""
    from census.services.communities import CommunityError, add_community, name_community
    from census.street.places import community_config

    with open_census(home=True) as home:
        try:
            added = add_community(
                home.store, name, code, home_name=home.community_name(), actor=actor()
            )
        except CommunityError as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
        config = community_config(home.config, added.code)
    with open_census(**config) as census:  # its store made now, and named
        name_community(census.store, added.name)
        where = census.config.get("DATABASE_URL") or census.data_dir
    click.echo(f"已添加社区 / added community {added.name} ({added.code}): {where}")


@community_group.command("list")
def community_list() -> None:
    """The communities: code (blank for the first) and name."""
    from census.queries.communities import added

    with open_census(home=True) as home:
        click.echo(f"{'':<12}  {home.community_name()}")
        for community in added(home.store):
            click.echo(f"{community.code:<12}  {community.name}")


@click.group("street")
def street_group() -> None:
    """街道: every community's figures side by side, and the street's total."""


@street_group.command("summary")
@AS_OF_OPTION
@LANG_OPTION
@records_option(approved=True)
@click.option("--json", "as_json", is_flag=True, help="JSON: {community: figures}, then 合计")
def street_summary(as_of: Any, lang: str, approved: bool, as_json: bool) -> None:
    """基本情况 of every community and the street's 合计 (approved records unless --all)."""
    from census.domain.rollup import street_total, summary_table
    from census.util.i18n import gettext

    day = as_of_date(as_of)
    rows, line = _summaries(day, approved, lang)
    click.echo(line, err=as_json)
    if as_json:
        total = street_total(f for _n, f in rows)
        body = {name: figures for name, figures in rows} | {gettext("合计", lang): total}
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    table = summary_table(rows, day, line, lang)
    for cells in [table.flat_heads(lang), *table.lines()]:
        click.echo("\t".join(map(str, cells)))


PRINTS = ("summary", "registers", "report")
FROM_OPTION = click.option(
    "--from", "start", default="", help="起始日期 YYYY-MM-DD（默认今年1月1日）/ from"
)
TO_OPTION = click.option("--to", "end", default="", help="截止日期 YYYY-MM-DD（默认今天）/ to")


@street_group.command("registers")
@AS_OF_OPTION
@LANG_OPTION
@records_option(approved=True)
@click.option("--json", "as_json", is_flag=True, help="JSON: {community: {register: rows}}, 合计")
def street_registers(as_of: Any, lang: str, approved: bool, as_json: bool) -> None:
    """台账 of every community and the street's 合计: rows of each register on a date.

    Approved records only unless --all; the gate's line (how many records of all
    communities wait for review) goes to standard error, as ``census registers`` says it.
    """
    from census.domain.rollup import register_total
    from census.util.i18n import gettext

    day = as_of_date(as_of)
    table, counts = _registers_table(day, approved, lang)
    click.echo(table.gate, err=True)
    if as_json:
        names = table.heads[:-1]
        body = dict(zip(names, counts, strict=True)) | {
            gettext("合计", lang): register_total(counts)
        }
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    click.echo("\t".join(table.flat_heads(lang)))
    for line in table.lines():
        click.echo("\t".join(map(str, line)))


def _registers_table(day: Any, approved: bool, lang: str) -> tuple[Any, list[dict[str, int]]]:
    """The street's register table, and each community's rows of each register."""
    from census.domain.gate import Gate
    from census.domain.rollup import registers_table
    from census.queries.derived import View
    from census.queries.street import side_by_side

    registers: list[tuple[str, str]] = []

    def each() -> Iterator[tuple[str, Any]]:
        nonlocal registers
        for name, census in _each_census():
            registers = registers or [(reg.key, reg.title(lang)) for reg in census.registers]
            yield name, census.derived

    rows, waiting = side_by_side(each(), day, approved, View.counts)
    keys = [key for key, _title in registers]
    counts = [{key: n.get(key, 0) for key in keys} for _name, n in rows]
    names = [name for name, _n in rows]
    line = Gate(approved).line(waiting, lang)
    return registers_table(names, counts, registers, day, line, lang), counts


@street_group.command("report")
@FROM_OPTION
@TO_OPTION
@LANG_OPTION
@records_option(approved=True)
@click.option("--json", "as_json", is_flag=True, help="JSON: {community: {channel: counts}}, 合计")
def street_report_command(start: str, end: str, lang: str, approved: bool, as_json: bool) -> None:
    """街道工作报告: 受理, 办结 and 办结率 per channel of every community, and 合计.

    The 合计 row adds the communities' counts and works its rates out from the sums. The
    gate's line is the second line (with --json on standard error).
    """
    from census.worklog.street import report_json, report_table

    report = _report(start, end, lang, approved)
    if as_json:
        click.echo(report.gate, err=True)
        click.echo(json.dumps(report_json(report, lang), ensure_ascii=False, indent=2))
        return
    table = report_table(report, lang)
    click.echo(table.title)
    click.echo(table.gate)
    click.echo("\t".join(table.flat_heads(lang)))
    for line in table.lines():
        click.echo("\t".join(map(str, line)))


def _report(start: str, end: str, lang: str, approved: bool) -> Any:
    """The street's work report of the period --from/--to name (bad dates: exit 2)."""
    from census.worklog.periods import parse_period
    from census.worklog.street import street_report

    period, bad = parse_period(start, end)
    if bad:
        raise click.BadParameter("日期应为 YYYY-MM-DD / dates are YYYY-MM-DD", param_hint=bad[0])
    return street_report(_each_census(), period, lang, approved=approved)


@street_group.command("print")
@click.argument("target", type=click.Choice(PRINTS))
@AS_OF_OPTION
@FROM_OPTION
@TO_OPTION
@LANG_OPTION
@records_option(approved=True)
@PREPARED_BY_OPTION
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def street_print(
    target: str,
    as_of: Any,
    start: str,
    end: str,
    lang: str,
    approved: bool,
    prepared_by: str,
    output: Path,
) -> None:
    """Print the street's summary|registers|report to PDF (A4 landscape, signed off).

    summary and registers are on --as-of (default today); report is of --from to --to.
    Approved records only unless --all; logged in the first community's audit log.
    """
    from datetime import datetime

    from census.printing.street_print import street_pdf
    from census.services import audit
    from census.util.outputs import write_output

    day = as_of_date(as_of)
    if target == "summary":
        table, what = _summary_table(day, approved, lang), day.isoformat()
    elif target == "registers":
        table, what = _registers_table(day, approved, lang)[0], day.isoformat()
    else:
        from census.worklog.street import report_table

        report = _report(start, end, lang, approved)
        table, what = report_table(report, lang), report.period.label("en")
    write_output(output, street_pdf(table, datetime.now(), lang, prepared_by))
    with open_census(home=True) as home:
        audit.record(home.store, actor(), "print", f"street/{target}/{what}", approved=approved)
    click.echo(f"已生成 / written: {output}")


def _summaries(day: Any, approved: bool, lang: str) -> tuple[list[tuple[str, Any]], str]:
    """Each community's name and figures on a date, and the gate's line over all of them."""
    from census.domain.gate import Gate
    from census.queries.derived import View
    from census.queries.street import side_by_side

    each = ((name, census.derived) for name, census in _each_census())
    rows, waiting = side_by_side(each, day, approved, View.figures)
    return rows, Gate(approved).line(waiting, lang)


def _summary_table(day: Any, approved: bool, lang: str) -> Any:
    """The street's summary table on a date, with the gate's line over all communities."""
    from census.domain.rollup import summary_table

    rows, line = _summaries(day, approved, lang)
    return summary_table(rows, day, line, lang)


def _each_census() -> Iterator[tuple[str, Any]]:
    """Each community's name and context in the street's order, one open at a time."""
    for name, config in _every_community():
        with open_census(**config) as census:
            yield name or census.community_name(), census


def _every_community() -> list[tuple[str, dict[str, Any]]]:
    """The name (the street's list's; blank: the store's own) and settings of the first
    community and of each added one, in the street's order."""
    from census.queries.communities import added
    from census.street.places import community_config

    with open_census(home=True) as home:
        first = dict(home.config, COMMUNITY=None, COMMUNITY_CODE="")  # the first one
        listed = added(home.store)
    return [("", first), *((c.name, community_config(first, c.code)) for c in listed)]
