"""The ``census`` command: init, user, token, demo, serve, print."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Any

import click
from flask import Flask

from census.store import StoreLocked


def _app(**config: Any) -> Flask:
    """Create the app, turning a locked data folder into a clear message and exit code 1."""
    from census.app import create_app

    try:
        return create_app(config or None)
    except StoreLocked as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)


@click.group()
def main() -> None:
    """社区入户摸底调查 / Community Census."""


@main.command()
@click.option("--community", default=None, help="社区名称 / the community's name")
def init(community: str | None) -> None:
    """Create the data folder (storage/ or $CENSUS_DATA_DIR)."""
    from census.app import get_store
    from census.seed import set_community

    app = _app()
    if community:
        set_community(get_store(app), community)
    click.echo(f"数据目录 / data folder: {app.config['DATA_DIR']}")


@main.group()
def user() -> None:
    """Manage accounts."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["admin", "reviewer", "surveyor"]), required=True)
@click.option("--password", default=None, help="omit to be prompted")
@click.option("--display-name", default="")
@click.option("--grid", "grids", multiple=True, help="assign a grid (surveyors)")
@click.option("--building", "buildings", multiple=True, help="assign a building (surveyors)")
def user_add(
    name: str,
    role: str,
    password: str | None,
    display_name: str,
    grids: tuple[str, ...],
    buildings: tuple[str, ...],
) -> None:
    """Add an account."""
    from census.app import get_store
    from census.users import UserError, add_user

    if password is None:
        password = click.prompt("密码 / password", hide_input=True, confirmation_prompt=True)
    app = _app()
    try:
        add_user(
            get_store(app),
            name,
            role,
            password,
            display_name=display_name,
            grids=list(grids),
            buildings=list(buildings),
        )
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已添加用户 / added user {name} ({role})")


@main.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.argument("name")
def token_create(name: str) -> None:
    """Create an API token for a user; the token is the last word printed."""
    from census.app import get_store
    from census.users import UserError, create_token

    app = _app()
    try:
        value = create_token(get_store(app), name)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"API token for {name}: {value}")


@main.command()
@click.option("--households", default=50, show_default=True)
def demo(households: int) -> None:
    """Load the demo community and demo accounts (once)."""
    from census.app import get_store
    from census.demo import generate_demo
    from census.seed import DEMO_ACCOUNTS, load_demo

    app = _app()
    counts = load_demo(
        get_store(app), generate_demo(households=households), app.extensions["census_surveys"]
    )
    if counts:
        click.echo(
            "已载入示范社区 / demo community loaded: "
            + ", ".join(f"{k} {v}" for k, v in counts.items())
        )
    else:
        click.echo("已有数据，未重复载入 / data present, demo not loaded again")
    click.echo("示范账号 / demo accounts (用户名 username / 密码 password / 角色 role):")
    for username, role, password, _name, grids in DEMO_ACCOUNTS:
        click.echo(
            f"  {username:<10} {password:<11} {role}{'  ' + '、'.join(grids) if grids else ''}"
        )


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
def serve(host: str, port: int, threads: int) -> None:
    """Serve the app with waitress (a production WSGI server)."""
    from waitress import serve as waitress_serve

    app = _app()
    click.echo(f"社区入户摸底调查: http://{host}:{port}/  (Ctrl+C 停止 / to stop)")
    waitress_serve(app, host=host, port=port, threads=threads)


@main.group("print")
def print_group() -> None:
    """Print to PDF."""


@print_group.command("household-list")
@click.option("--building", required=True, help="楼栋名称 / building name")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option(
    "--full-ids", is_flag=True, help="完整证件号码（记录在审计日志）/ unmasked IDs (audited)"
)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh")
def print_household_list(building: str, output: Path, full_ids: bool, lang: str) -> None:
    """The household list of one building."""
    from census import audit
    from census.app import get_store
    from census.web.households import building_list_pdf

    app = _app()
    store = get_store(app)
    if store.collection("buildings").find_one(name=building) is None:
        raise click.ClickException(f"没有楼栋“{building}” / no building named {building}")
    with app.app_context():
        pdf = building_list_pdf(store, building, full_ids=full_ids, lang=lang)
    output.write_bytes(pdf)
    audit.record(
        store, f"cli:{getpass.getuser()}", "print", f"household-list/{building}", full_ids=full_ids
    )
    click.echo(f"已生成 / written: {output} ({len(pdf)} bytes)")
