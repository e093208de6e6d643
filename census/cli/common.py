"""What every command shares: the application context, who acts, the date and language options."""

from __future__ import annotations

import getpass
import sys
import urllib.parse
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import Any

import click

from census.context import Census, load_config
from census.store import StoreError, StoreLocked, schema_of


@contextmanager
def open_census(*, home: bool = False, **overrides: Any) -> Iterator[Census]:
    """The installation's context for one command (closed after it); a locked folder: exit 1.

    ``census --community CODE`` (``CENSUS_COMMUNITY``) works in that added community of the
    street; ``home=True`` in the first one whatever was asked (the list of communities).
    """
    config: Mapping[str, Any] = load_config(overrides or None)
    settled = home or "COMMUNITY_CODE" in overrides  # a community's settings: already chosen
    code = "" if settled else _chosen() or str(config.get("COMMUNITY") or "")
    street, unmade = config, None
    if home:
        config = {**config, "COMMUNITY": None}
    elif code:
        config, unmade = _community(config, code)
    try:
        census = Census.open(config)
    except StoreLocked as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    except (StoreError, OSError) as exc:  # corrupt, gone, unreadable, no database: one line
        click.echo(cannot_open(config, exc), err=True)
        sys.exit(1)
    try:
        if unmade is not None:  # its store made just now: named, and marked made
            from census.services.communities import finish_community

            with open_census(home=True, **dict(street)) as first:
                finish_community(first.store, census.store, unmade)
        yield census
    finally:
        census.close()


def store_place(config: Mapping[str, Any]) -> str:
    """Where a configuration keeps its records, in words: the data folder, or the database
    and schema (never the URL: it may hold a password)."""
    url = config.get("DATABASE_URL")
    if not url:
        return f"数据目录 / data folder {config['DATA_DIR']}"
    parts = urllib.parse.urlsplit(str(url))
    database = f"{parts.hostname or 'localhost'}{parts.path or '/'}"
    return f"数据库 / database {database}, schema {schema_of(str(url)) or 'public'}"


def cannot_open(config: Mapping[str, Any], exc: BaseException) -> str:
    """The one line a command says when its store cannot be opened: what, where, what to do."""
    from census.queries.street import unavailable

    which = f"社区 {config['COMMUNITY_CODE']}" if config.get("COMMUNITY_CODE") else "第一个社区"
    found = unavailable(exc)
    reason = f"（{found.reason('zh')}）" if found.kind != "other" else ""
    said = " ".join(str(exc).split())  # psycopg's messages run over several lines
    return (
        f"{which}的数据无法打开{reason}：{store_place(config)} / the store cannot be opened: "
        f"{said} (repair it or restore it from a backup, or start the database, and try again)"
    )


def _chosen() -> str:
    """The community ``census --community CODE`` named, if this runs inside that command."""
    ctx = click.get_current_context(silent=True)
    return str(ctx.find_root().params.get("community") or "") if ctx is not None else ""


def _community(config: Mapping[str, Any], code: str) -> tuple[dict[str, Any], Any]:
    """The settings of the added community ``code``; one the street does not list: exit 1.
    And the community, if its store was never made (adding it failed half-way): these
    settings make it."""
    from census.queries.communities import find
    from census.street.places import community_config

    with open_census(home=True, **dict(config)) as first:
        listed = find(first.store, code)
    if listed is None:
        click.echo(f"没有代码为 {code} 的社区 / no community coded {code}", err=True)
        sys.exit(1)
    if listed.made:
        return community_config(config, code), None
    return community_config(config, code) | {"CREATE_STORE": True}, listed


def actor() -> str:
    """Who the audit log names for a command: the operating-system account."""
    return f"cli:{getpass.getuser()}"


def as_of_date(value: Any) -> date:
    """--as-of YYYY-MM-DD as a date (today when absent)."""
    return value.date() if value else date.today()


AS_OF_OPTION = click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="统计日期 YYYY-MM-DD（默认今天）/ register date (default today)",
)
LANG_OPTION = click.option("--lang", type=click.Choice(["zh", "en"]), default="zh")
# Who made a printed table: the 制表人 of its sign-off line (census.printing.signoff).
PREPARED_BY_OPTION = click.option(
    "--prepared-by",
    "prepared_by",
    default="",
    help="制表人姓名（默认留空，手写）/ name under 'Prepared by' (default: blank, to sign by hand)",
)


def records_option(*, approved: bool) -> Any:
    """``--approved/--all``: approved records only (已审核) or every record (全部), the same
    choice on every command that counts or writes records; ``approved`` is the default."""
    if approved:
        words = (
            "只含已审核记录（默认）；--all 含待审核记录"
            " / approved records only (default); --all: every record"
        )
    else:
        words = (
            "全部记录（默认）；--approved 只含已审核记录"
            " / every record (default); --approved: approved records only"
        )
    return click.option("--approved/--all", "approved", default=approved, help=words)
