"""``census community`` and ``census street``: the communities of a street and their roll-up.

``census --community CODE <command>`` runs any command in an added community (its own
store, as ``census.street.places`` says where); without it commands work on the first
community, the deployment's own data folder or database, as a single installation does.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from census.cli.common import (
    AS_OF_OPTION,
    LANG_OPTION,
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
    from census.domain.gate import Gate, Pending
    from census.domain.rollup import street_total
    from census.domain.summary import FIGURES, figure_label, percent
    from census.util.i18n import gettext

    day, gate = as_of_date(as_of), Gate(approved=approved)
    rows: list[tuple[str, dict[str, Any]]] = []
    waiting = Pending()
    for name, config in _every_community():
        with open_census(**config) as census:
            assert census.derived is not None
            view = census.derived.view(day, approved=approved)
            rows.append((name or census.community_name(), view.figures()))
            waiting = waiting + view.pending()
    total = street_total(f for _n, f in rows)
    click.echo(gate.line(waiting, lang), err=as_json)
    if as_json:
        body = {name: figures for name, figures in rows} | {gettext("合计", lang): total}
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    keys = [k for k in FIGURES if k not in ("by_ethnicity", "age_bands")]
    click.echo("\t".join([gettext("社区", lang), *(figure_label(k, lang) for k in keys)]))
    for name, figures in [*rows, (gettext("合计", lang), total)]:
        cells = [percent(figures[k]) if k == "minority_share" else figures[k] for k in keys]
        click.echo("\t".join([name, *map(str, cells)]))


def _every_community() -> list[tuple[str, dict[str, Any]]]:
    """The name (the street's list's; blank: the store's own) and settings of the first
    community and of each added one, in the street's order."""
    from census.queries.communities import added
    from census.street.places import community_config

    with open_census(home=True) as home:
        first = dict(home.config, COMMUNITY=None, COMMUNITY_CODE="")  # the first one
        listed = added(home.store)
    return [("", first), *((c.name, community_config(first, c.code)) for c in listed)]
