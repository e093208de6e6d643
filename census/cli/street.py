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
    """Add a community: its own store, its pages at login with ?community=CODE.

    Its entry is written first, then its store is made; if that fails, the community is
    listed and its store is made the next time it is opened, or by this command again."""
    from census.context import Census
    from census.services.communities import CommunityError, add_community, finish_community
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
        try:  # its store made now, and named, then marked made in the street's list
            census = Census.open(config | {"CREATE_STORE": True})
        except Exception as exc:
            click.echo(_not_made(added.name, added.code, exc), err=True)
            sys.exit(1)
        try:
            finish_community(home.store, census.store, added)
            where = census.config.get("DATABASE_URL") or census.data_dir
        except Exception as exc:
            click.echo(_not_made(added.name, added.code, exc), err=True)
            sys.exit(1)
        finally:
            census.close()
    click.echo(f"已添加社区 / added community {added.name} ({added.code}): {where}")


def _not_made(name: str, code: str, exc: BaseException) -> str:
    """The one line of an add whose community is listed but whose store was not made."""
    said = " ".join(str(exc).split())
    return (
        f"社区 {name}（{code}）已列入街道，但其数据未能建立：{said}；将在下次打开时建立，"
        f"或再次运行本命令 / community {name} ({code}) is listed but its store could not be "
        f"made: {said}; it is made the next time it is opened, or run this command again"
    )


@community_group.command("list")
def community_list() -> None:
    """The communities: code (blank for the first) and name (and a community whose store
    is not made yet, said so)."""
    from census.queries.communities import added

    with open_census(home=True) as home:
        click.echo(f"{'':<12}  {home.community_name()}")
        for community in added(home.store):
            note = "" if community.made else f"  {NOT_MADE}"
            click.echo(f"{community.code:<12}  {community.name}{note}")


NOT_MADE = "尚未建立数据，将在下次打开时建立 / no store yet: it is made the next time it is opened"


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
    from census.domain.rollup import street_total
    from census.util.i18n import gettext

    day = as_of_date(as_of)
    rows, line = _summaries(day, approved, lang)
    if as_json:
        click.echo(line, err=True)
        _say_left_out(_order(rows), lang)
        total = street_total(f for _n, f in _read(rows))
        body = {name: _json(figures, lang) for name, figures in rows}
        body |= {_total(rows, lang, gettext("合计", lang)): total}
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    table = _summary_table(day, approved, lang, (rows, line))
    click.echo(table.gate)  # the gate's line, and which communities it leaves out and why
    for cells in [table.flat_heads(lang), *table.lines()]:
        click.echo("\t".join(map(str, cells)))


def _read(rows: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """The rows of the communities that were read."""
    from census.queries.street import Unavailable

    return [(name, found) for name, found in rows if not isinstance(found, Unavailable)]


def _order(rows: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Every community's name in the street's order, and why it was not read (None: read)."""
    from census.queries.street import Unavailable

    return [(name, found if isinstance(found, Unavailable) else None) for name, found in rows]


def _total(rows: list[tuple[str, Any]], lang: str, total: str) -> str:
    """合计, or 合计（不含：西区社区） when a community could not be read."""
    from census.street.tables import total_label

    return total_label(_order(rows), total, lang)


def _json(found: Any, lang: str) -> Any:
    """A community's part of the --json output: its figures, or why it is not there."""
    from census.queries.street import Unavailable

    if isinstance(found, Unavailable):
        return {"unavailable": found.reason(lang)}
    return found


def _say_left_out(order: list[tuple[str, Any]], lang: str) -> None:
    """Each community that could not be read, and why, on standard error (the --json
    outputs; a table says it on its gate's line)."""
    from census.street.tables import left_out, notes

    for name, missing in left_out(order):
        click.echo(notes([(name, missing)], lang), err=True)


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
        body = {name: _json(n, lang) for name, n in counts}
        body |= {
            _total(counts, lang, gettext("合计", lang)): register_total(
                n for _c, n in _read(counts)
            )
        }
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    click.echo("\t".join(table.flat_heads(lang)))
    for line in table.lines():
        click.echo("\t".join(map(str, line)))


def _registers_table(day: Any, approved: bool, lang: str) -> tuple[Any, list[tuple[str, Any]]]:
    """The street's register table, and each community's name and rows of each register
    (``Unavailable`` for one that could not be read)."""
    from census.domain.gate import Gate
    from census.domain.rollup import registers_table
    from census.queries.derived import View
    from census.queries.street import Unavailable, side_by_side
    from census.street.tables import with_columns

    registers: list[tuple[str, str]] = []

    def each() -> Iterator[tuple[str, Any]]:
        nonlocal registers
        for name, census in _each_census():
            if isinstance(census, Unavailable):
                yield name, census
                continue
            registers = registers or [(reg.key, reg.title(lang)) for reg in census.registers]
            yield name, census.derived

    rows, waiting = side_by_side(each(), day, approved, View.counts)
    keys = [key for key, _title in registers]
    counts = [
        (name, n if isinstance(n, Unavailable) else {key: n.get(key, 0) for key in keys})
        for name, n in rows
    ]
    read = _read(counts)
    line = Gate(approved).line(waiting, lang)
    table = registers_table(
        [name for name, _n in read], [n for _name, n in read], registers, day, line, lang
    )
    return with_columns(table, _order(counts), lang), counts


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
    from census.worklog.report import word
    from census.worklog.street import report_json

    report = _report(start, end, lang, approved)
    if as_json:
        click.echo(report.gate, err=True)
        _say_left_out(report.order, lang)
        counted = report_json(report, lang)
        total = counted.pop(word("all", lang))
        body = {
            name: {"unavailable": missing.reason(lang)} if missing else counted[name]
            for name, missing in report.order
        }
        body |= {_total(report.order, lang, word("all", lang)): total}
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    table = _report_table(report, lang)
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


def _report_table(report: Any, lang: str) -> Any:
    """The report's table, a row for each community (暂不可用 for one not read)."""
    from census.street.tables import with_rows
    from census.worklog.street import report_table

    return with_rows(report_table(report, lang), report.order, lang)


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
        report = _report(start, end, lang, approved)
        table, what = _report_table(report, lang), report.period.label("en")
    write_output(output, street_pdf(table, datetime.now(), lang, prepared_by))
    with open_census(home=True) as home:
        audit.record(home.store, actor(), "print", f"street/{target}/{what}", approved=approved)
    click.echo(f"已生成 / written: {output}")


def _summaries(day: Any, approved: bool, lang: str) -> tuple[list[tuple[str, Any]], str]:
    """Each community's name and figures on a date, and the gate's line over all of them."""
    from census.domain.gate import Gate
    from census.queries.derived import View
    from census.queries.street import Unavailable, side_by_side

    each = (
        (name, census if isinstance(census, Unavailable) else census.derived)
        for name, census in _each_census()
    )
    rows, waiting = side_by_side(each, day, approved, View.figures)
    return rows, Gate(approved).line(waiting, lang)


def _summary_table(day: Any, approved: bool, lang: str, read: Any = None) -> Any:
    """The street's summary table on a date, with the gate's line over all communities
    (``read``: the rows and line ``_summaries`` gave, else read now)."""
    from census.domain.rollup import summary_table
    from census.street.tables import with_rows

    rows, line = read or _summaries(day, approved, lang)
    table = summary_table(_read(rows), day, line, lang)
    return with_rows(table, _order(rows), lang)


def _each_census() -> Iterator[tuple[str, Any]]:
    """Each community's name and context in the street's order, one open at a time; for
    one whose store cannot be opened, why (``Unavailable``, logged), and the next."""
    from census.context import Census, load_config
    from census.queries.street import logged
    from census.services.communities import finish_community

    for name, config, community in _every_community():
        try:
            census = Census.open(load_config(config))
        except Exception as exc:  # that community alone is left out of the street's tables
            yield name or str(config.get("COMMUNITY_NAME")), logged(name or "(first)", exc)
            continue
        try:
            if community is not None and not community.made:  # made just now: named
                with open_census(home=True) as first:
                    finish_community(first.store, census.store, community)
            yield name or census.community_name(), census
        finally:
            census.close()


def _every_community() -> list[tuple[str, dict[str, Any], Any]]:
    """The name (the street's list's; blank: the store's own) and settings of the first
    community and of each added one, in the street's order, and each added one's entry (one
    whose store was never made: its settings make it). The first community's store lists the others:
    if it cannot be opened, nothing can be added up (exit 1, and why)."""
    from census.queries.communities import added
    from census.queries.street import logged
    from census.store import StoreError
    from census.street.places import community_config

    try:
        with open_census(home=True) as home:
            first = dict(home.config, COMMUNITY=None, COMMUNITY_CODE="")  # the first one
            listed = added(home.store)
    except (StoreError, OSError) as exc:
        reason = logged("(first)", exc).reason("zh")
        click.echo(
            f"第一个社区的数据无法打开（{reason}），街道的社区无从列出 / "
            f"the first community's store cannot be opened ({exc}): it lists the street",
            err=True,
        )
        sys.exit(1)
    return [
        ("", first, None),
        *(
            (c.name, community_config(first, c.code) | {"CREATE_STORE": not c.made}, c)
            for c in listed
        ),
    ]
