"""``census user``, ``census token``, ``census assign``: accounts, API tokens, assignments."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from census.cli.common import actor, open_census
from census.domain.roles import ACCOUNT_ROLES
from census.store import Store


@click.group()
def user() -> None:
    """Manage accounts."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ACCOUNT_ROLES), required=True)
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
    from census.services.accounts import add_user

    if password is None:
        password = click.prompt("密码 / password", hide_input=True, confirmation_prompt=True)
    with _accounts() as store:
        add_user(
            store,
            name,
            role,
            password,
            display_name=display_name,
            grids=list(grids),
            buildings=list(buildings),
            actor=actor(),
            check_policy=True,
        )
    click.echo(f"已添加用户 / added user {name} ({role})")


@contextmanager
def _accounts() -> Iterator[Store]:
    """The accounts' store for one command (closed after it); a refused change ends it in words."""
    from census.services.accounts import UserError

    try:
        with open_census() as census:
            yield census.store
    except UserError as exc:
        raise click.ClickException(str(exc)) from None


@user.command("passwd")
@click.argument("name")
@click.option("--password", default=None, help="omit to be prompted")
def user_passwd(name: str, password: str | None) -> None:
    """Set a new password (the policy applies); the account's sessions end."""
    from census.services import throttle
    from census.services.accounts import set_password

    if password is None:
        password = click.prompt("新密码 / new password", hide_input=True, confirmation_prompt=True)
    with _accounts() as store:
        set_password(store, name, password, actor=actor())
        throttle.unlock(store, name)
    click.echo(f"已为 {name} 设置新密码 / new password set for {name}")


@user.command("deactivate")
@click.argument("name")
def user_deactivate(name: str) -> None:
    """Deactivate an account: no login, its sessions end, its API tokens are revoked."""
    _set_active(name, False)
    click.echo(f"已停用 {name} / {name} deactivated")


@user.command("activate")
@click.argument("name")
def user_activate(name: str) -> None:
    """Let a deactivated account log in again (its old tokens stay revoked)."""
    _set_active(name, True)
    click.echo(f"已启用 {name} / {name} activated")


def _set_active(name: str, active: bool) -> None:
    from census.services.accounts import set_active

    with _accounts() as store:
        set_active(store, name, active, actor=actor())


@user.command("unlock")
@click.argument("name")
def user_unlock(name: str) -> None:
    """Forget an account's failed logins, so that it may log in again at once."""
    from census.services import audit, throttle

    with _accounts() as store:
        unlocked = throttle.unlock(store, name)
        if unlocked:
            audit.record(store, actor(), "login_unlock", f"users/{name}")
    if unlocked:
        click.echo(f"已解除 {name} 的登录限制 / {name} unlocked")
    else:
        click.echo(f"{name} 没有被限制登录 / {name} was not locked")


@click.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.argument("name")
@click.option("--days", type=click.IntRange(min=1), default=None, help="expires after N days")
def token_create(name: str, days: int | None) -> None:
    """Create an API token for a user; the token is the last word printed."""
    from census.services.accounts import create_token

    with _accounts() as store:
        value = create_token(store, name, days=days, actor=actor())
    click.echo(f"API token for {name}: {value}")


@token.command("list")
@click.argument("name", required=False)
def token_list(name: str | None) -> None:
    """List API tokens (of one user, or all): id, user, created, expires. Never the token."""
    from census.services.accounts import list_tokens

    with _accounts() as store:
        rows = list_tokens(store, name)
    if not rows:
        click.echo("没有访问令牌 / no tokens")
    for row in rows:
        expiry = row["expires_at"] or "-"
        state = "  (已过期 / expired)" if row["expired"] else ""
        click.echo(f"{row['token_id']}  {row['username']:<12} {row['created_at']}  {expiry}{state}")


@token.command("revoke")
@click.argument("name")
@click.option("--id", "token_id", default=None, help="only the token with this id (token list)")
def token_revoke(name: str, token_id: str | None) -> None:
    """Revoke a user's API tokens (all of them, or the one given by --id)."""
    from census.services.accounts import revoke_tokens

    with _accounts() as store:
        count = revoke_tokens(store, name, actor=actor(), token_id=token_id)
    click.echo(f"已撤销 {count} 个令牌 / {count} token(s) of {name} revoked")


@click.command("assign")
@click.argument("username")
@click.option("--grid", "grids", multiple=True, help="网格 / a grid (repeatable)")
@click.option("--building", "buildings", multiple=True, help="楼栋 / a building (repeatable)")
@click.option(
    "--replace", "mode", flag_value="replace", help="替换现有分配 / replace the current assignment"
)
@click.option("--remove", "mode", flag_value="remove", help="取消这些分配 / unassign these")
def assign_command(
    username: str, grids: tuple[str, ...], buildings: tuple[str, ...], mode: str | None
) -> None:
    """Assign grids or buildings to a surveyor (added to theirs unless --replace/--remove)."""
    from census.fieldwork.assignments import AssignmentError, assign

    try:
        with open_census() as census:
            user = assign(
                census.store,
                username,
                list(grids),
                list(buildings),
                actor=actor(),
                mode=mode or "add",
            )
    except AssignmentError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"{username}: 网格 / grids: {'、'.join(user.get('grids') or []) or '—'}; "
        f"楼栋 / buildings: {'、'.join(user.get('buildings') or []) or '—'}"
    )
