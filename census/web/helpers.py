"""Template helpers shared by every page: labels of codes, masking, the current language."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Flask, current_app, g, request

from census.domain import roles
from census.domain.address import address_text, grid_name
from census.domain.codes import label
from census.domain.display import head_name_text, relation_pending, timestamp_text
from census.domain.ids import mask_id
from census.store import StoreError
from census.web.access import role_label
from census.web.current import context


def lang() -> str:
    """The interface language of this request."""
    return g.get("lang", "zh")


def community_name() -> str:
    """The community's name as its store has it now, read once per request: a name changed
    while the server runs (on this server or another one on the same database) is on the
    next page. A store that cannot be read gives the configured name (its error page)."""
    if "community_name" not in g:
        try:
            g.community_name = context().community_name()
        except StoreError:
            g.community_name = str(current_app.config["COMMUNITY_NAME"])
    return str(g.community_name)


def surveys() -> dict[str, Any]:
    """The survey definitions loaded at start-up."""
    return context().surveys


def client_ip() -> str:
    """Where a request came from, for the audit log."""
    return request.remote_addr or ""


address = address_text  # 1栋3单元101室, as everywhere


def head_of(household: dict[str, Any]) -> dict[str, Any]:
    """The household head (or the first member when the roster has none)."""
    members = household.get("members") or [{}]
    return next((m for m in members if m.get("relation") == "head"), members[0])


def head_name(household: dict[str, Any]) -> str:
    """The name that stands for the household's head on a page. While an import's relations
    wait to be verified, nobody is known to be the head: the first member is named marked
    户主00（待核实）, as the printouts and registers name it (census.domain.display)."""
    head = head_of(household)
    return head_name_text(head.get("name"), relation_pending(head), lang())


def _with_arg(name: str, value: str) -> str:
    """This page's address with one query argument replaced, the others kept."""
    args = request.args.to_dict(flat=False)
    args[name] = [value]
    return f"{request.path}?{urlencode(args, doseq=True)}"


def lang_url(code: str) -> str:
    """This page in another language, keeping its own query (e.g. ?building=1栋)."""
    return _with_arg("lang", code)


def page_url(page: int) -> str:
    """Another page of this list, keeping its filters."""
    return _with_arg("page", str(page))


def install(app: Flask) -> None:
    """Expose the template helpers to Jinja."""
    app.jinja_env.globals.update(
        code_label=lambda list_name, code: label(list_name, code, lang()),
        grid_name=lambda grid: grid_name(grid, lang()),  # 未分网格 for a building in none
        mask_id=mask_id,
        lang=lang,
        lang_url=lang_url,
        page_url=page_url,
        address=address,
        head_name=head_name,
        community=community_name,
        roles=roles,  # roles.SURVEYOR, not a string of its own, in the templates
        role_label=role_label,
    )
    app.jinja_env.filters["when"] = when


def when(value: str | None) -> str:
    """An ISO timestamp as staff read it: 2026-11-27 08:57 (the ``when`` filter)."""
    return timestamp_text(value)
