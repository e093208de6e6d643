"""The ``census`` command: init, user, token, demo, serve, print."""

from __future__ import annotations

import gc
import getpass
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
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
    from census.users import UserError, add_user

    if password is None:
        password = click.prompt("密码 / password", hide_input=True, confirmation_prompt=True)
    try:
        with _accounts() as store:
            add_user(
                store,
                name,
                role,
                password,
                display_name=display_name,
                grids=list(grids),
                buildings=list(buildings),
                actor=_actor(),
                check_policy=True,
            )
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已添加用户 / added user {name} ({role})")


@contextmanager
def _accounts() -> Iterator[Any]:
    """The store of the accounts for one command, closed when the command is done."""
    from census.app import get_store

    store = get_store(_app())
    try:
        yield store
    finally:
        store.close()


def _actor() -> str:
    """Who the audit log names for a command: the operating-system account."""
    return f"cli:{getpass.getuser()}"


@user.command("passwd")
@click.argument("name")
@click.option("--password", default=None, help="omit to be prompted")
def user_passwd(name: str, password: str | None) -> None:
    """Set a new password (the policy applies); the account's sessions end."""
    from census import throttle
    from census.users import UserError, set_password

    if password is None:
        password = click.prompt("新密码 / new password", hide_input=True, confirmation_prompt=True)
    try:
        with _accounts() as store:
            set_password(store, name, password, actor=_actor())
            throttle.unlock(store, name)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已为 {name} 设置新密码 / new password set for {name}")


@user.command("deactivate")
@click.argument("name")
def user_deactivate(name: str) -> None:
    """Deactivate an account: no login, its sessions end, its API tokens are revoked."""
    from census.users import UserError, set_active

    try:
        with _accounts() as store:
            set_active(store, name, False, actor=_actor())
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已停用 {name} / {name} deactivated")


@user.command("activate")
@click.argument("name")
def user_activate(name: str) -> None:
    """Let a deactivated account log in again (its old tokens stay revoked)."""
    from census.users import UserError, set_active

    try:
        with _accounts() as store:
            set_active(store, name, True, actor=_actor())
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已启用 {name} / {name} activated")


@user.command("unlock")
@click.argument("name")
def user_unlock(name: str) -> None:
    """Forget an account's failed logins, so that it may log in again at once."""
    from census import audit, throttle

    with _accounts() as store:
        unlocked = throttle.unlock(store, name)
        if unlocked:
            audit.record(store, _actor(), "login_unlock", f"users/{name}")
    if unlocked:
        click.echo(f"已解除 {name} 的登录限制 / {name} unlocked")
    else:
        click.echo(f"{name} 没有被限制登录 / {name} was not locked")


@main.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.argument("name")
@click.option("--days", type=click.IntRange(min=1), default=None, help="expires after N days")
def token_create(name: str, days: int | None) -> None:
    """Create an API token for a user; the token is the last word printed."""
    from census.users import UserError, create_token

    try:
        with _accounts() as store:
            value = create_token(store, name, days=days, actor=_actor())
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"API token for {name}: {value}")


@token.command("list")
@click.argument("name", required=False)
def token_list(name: str | None) -> None:
    """List API tokens (of one user, or all): id, user, created, expires. Never the token."""
    from census.users import list_tokens

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
    from census.users import UserError, revoke_tokens

    try:
        with _accounts() as store:
            count = revoke_tokens(store, name, actor=_actor(), token_id=token_id)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已撤销 {count} 个令牌 / {count} token(s) of {name} revoked")


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
    # The store keeps every record in memory (TinyDB): hundreds of thousands of objects that
    # live as long as the server. Out of the cycle collector's sight, a full collection no
    # longer walks them all (about half a second at 13,000 households) in some request.
    gc.collect()
    gc.freeze()
    # Stopped by a service manager (SIGTERM) as by Ctrl+C: exit normally, so that the print
    # workers are stopped too (atexit) instead of being left behind holding memory.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    click.echo(f"社区入户摸底调查: http://{host}:{port}/  (Ctrl+C 停止 / to stop)")
    waitress_serve(app, host=host, port=port, threads=threads)


@main.command("print")
@click.argument("target")
@click.option("--building", default=None, help="楼栋名称 / one building")
@click.option("--grid", default=None, help="网格名称 / one grid")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="统计日期 YYYY-MM-DD（默认今天）/ register date (default today)",
)
@click.option(
    "--full-ids", is_flag=True, help="完整证件号码（记录在审计日志）/ unmasked IDs (audited)"
)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh")
@click.option("--workers", type=int, default=None, help="渲染进程数 / render processes")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def print_command(
    target: str,
    building: str | None,
    grid: str | None,
    as_of: Any,
    full_ids: bool,
    lang: str,
    workers: int | None,
    output: Path,
) -> None:
    """Print REGISTER|household-cards|household-list|summary to PDF.

    Without --building or --grid: the whole community. REGISTER is a key of
    forms/registers.yaml (`census registers` lists them).
    """
    from datetime import date

    from census import audit
    from census.app import get_store
    from census.printing.pipeline import print_parts
    from census.printing.plans import PrintRequest, PrintRequestError, plan, read_records

    app = _app()
    store = get_store(app)
    request = PrintRequest(
        target,
        building=building or None,
        grid=grid or None,
        as_of=as_of.date() if as_of else date.today(),
        full_ids=full_ids,
        lang=lang,
    )
    records = read_records(store, app.config["COMMUNITY_NAME"])
    try:
        the_plan = plan(request, records, app.extensions.get("census_registers"))
    except PrintRequestError as exc:
        raise click.ClickException(str(exc)) from None

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

            stats = print_parts(
                the_plan.parts,
                output,
                app.config["DATA_DIR"],
                title=the_plan.title,
                workers=workers,
                progress=bar_progress,
            )
    else:
        click.echo(the_plan.title, err=True)
        stats = print_parts(
            the_plan.parts,
            output,
            app.config["DATA_DIR"],
            title=the_plan.title,
            workers=workers,
            progress=line_progress,
        )
    audit.record(
        store,
        f"cli:{getpass.getuser()}",
        "print",
        request.audit_target(),
        full_ids=full_ids,
        pages=stats.pages,
    )
    click.echo(
        f"已生成 / written: {output} ({stats.pages} 页 pages; "
        f"{stats.rendered} 部分重新生成 rendered, {stats.cached} 部分取自缓存 cached; "
        f"{stats.seconds:.1f} s)"
    )


def _as_of(value: Any) -> Any:
    """--as-of YYYY-MM-DD as a date (today when absent)."""
    from datetime import date

    return value.date() if value else date.today()


AS_OF_OPTION = click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="统计日期 YYYY-MM-DD（默认今天）/ register date (default today)",
)


@main.command("summary")
@click.option("--json", "as_json", is_flag=True, help="JSON, keys exactly as DOMAIN.md §6")
@AS_OF_OPTION
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh")
def summary_command(as_json: bool, as_of: Any, lang: str) -> None:
    """基本情况: the community's figures on a date, and the report's opening paragraph."""
    import json

    from census.app import get_store
    from census.domain.summary import figure_label, percent, report_paragraph, summary
    from census.web.registers import community_records

    app = _app()
    figures = summary(*community_records(get_store(app)), _as_of(as_of))
    if as_json:
        click.echo(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    for key, value in figures.items():
        if isinstance(value, dict):
            value = "，".join(f"{k} {v}" for k, v in value.items())
        elif key == "minority_share":
            value = percent(value)
        click.echo(f"{figure_label(key, lang)}\t{value}")
    click.echo("")
    click.echo(report_paragraph(figures, app.config["COMMUNITY_NAME"], lang))


@main.command("registers")
@AS_OF_OPTION
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh")
def registers_command(as_of: Any, lang: str) -> None:
    """台账: every register of forms/registers.yaml with its number of rows on a date."""
    from census.app import get_store
    from census.domain.registers import register_counts
    from census.web.registers import community_records

    app = _app()
    defs = app.extensions["census_registers"]
    counts = register_counts(defs, *community_records(get_store(app)), _as_of(as_of))
    width = max(len(r.key) for r in defs)
    for reg in defs:
        click.echo(f"{reg.key:<{width}}  {counts[reg.key]:>7}  {reg.title(lang)}")


@main.command("assign")
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
    from census.app import get_store
    from census.fieldwork.assignments import AssignmentError, assign

    app = _app()
    store = get_store(app)
    try:
        user = assign(
            store,
            username,
            list(grids),
            list(buildings),
            actor=f"cli:{getpass.getuser()}",
            mode=mode or "add",
        )
    except AssignmentError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"{username}: 网格 / grids: {'、'.join(user.get('grids') or []) or '—'}; "
        f"楼栋 / buildings: {'、'.join(user.get('buildings') or []) or '—'}"
    )


@main.command("import")
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
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh")
def import_command(
    file: Path, form_name: str, dry_run: bool, strict: bool, maps: tuple[str, ...], lang: str
) -> None:
    """Import an Excel/CSV register: report (row, column, message); exit 1 when rows fail."""
    from census.app import get_store
    from census.sheets.console import parse_maps, run_import
    from census.surveys.definition import load_surveys

    try:
        by_header = parse_maps(maps, load_surveys()[form_name])
    except ValueError as bad:
        raise click.BadParameter(
            f"{bad}（应为 列名=字段 / HEADER=KEY）", param_hint="--map"
        ) from None
    app = _app()
    form = app.extensions["census_surveys"][form_name]
    code = run_import(
        get_store(app),
        form,
        file,
        user=f"cli:{getpass.getuser()}",
        dry_run=dry_run,
        strict=strict,
        maps=by_header,
        echo=click.echo,
        lang=lang,
    )
    sys.exit(code)


@main.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def export_command(file: Path) -> None:
    """Export everything to FILE.xlsx (住户, 成员, 门面, 单位) or the members to FILE.csv."""
    from census.app import get_store
    from census.sheets.console import run_export

    if file.suffix.lower() not in (".xlsx", ".csv"):
        raise click.BadParameter(
            "文件名应以 .xlsx 或 .csv 结尾 / use .xlsx or .csv", param_hint="FILE"
        )
    app = _app()
    counts = run_export(
        get_store(app), app.extensions["census_surveys"], file, user=f"cli:{getpass.getuser()}"
    )
    click.echo(f"已导出 / written: {file} ({counts})")


def _locations() -> tuple[str, Path]:
    """The store (a PostgreSQL URL, else the data folder) and the data folder, from CENSUS_*.

    Read as ``create_app`` reads them, without opening the store: a backup runs beside a
    server that owns the folder.
    """
    import os

    from flask import Config

    from census.app import PROJECT_ROOT

    config = Config(str(PROJECT_ROOT))
    config.from_mapping(DATA_DIR=os.environ.get("CENSUS_DATA_DIR", str(PROJECT_ROOT / "storage")))
    config.from_prefixed_env("CENSUS")
    data_dir = Path(str(config["DATA_DIR"]))
    url = config.get("DATABASE_URL")
    return (str(url) if url else str(data_dir)), data_dir


def _is_stdout(path: Path) -> bool:
    """True when ``path`` is where standard output goes (``/dev/stdout``, ``/proc/self/fd/1``)."""
    import os

    try:
        there, out = os.stat(path), os.fstat(sys.stdout.fileno())
    except (OSError, ValueError):
        return False
    return (there.st_dev, there.st_ino) == (out.st_dev, out.st_ino)


def _echo_result(result: Any, *, err: bool = False) -> None:
    """What a backup or restore holds: collections, numbers, files."""
    shown = "，".join(f"{name} {n}" for name, n in result.counts.items()) or "—"
    click.echo(f"集合 / collections ({result.documents} 条 documents): {shown}", err=err)
    if result.numbers:
        numbers = "，".join(f"{k} {v}" for k, v in sorted(result.numbers.items()))
        click.echo(f"编号 / numbers: {numbers}", err=err)
    click.echo(f"文件 / files: {', '.join(result.files) or '—'}", err=err)
    for note in result.notes:
        click.echo(f"注意 / note: {note}", err=True)


@main.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--with-print-cache", is_flag=True, help="包括打印缓存 / include the print cache")
def backup_command(file: Path, with_print_cache: bool) -> None:
    """Write everything (every collection, secret key, staff surveys) to FILE (.tar.gz).

    Safe while `census serve` runs, on a data folder as on PostgreSQL.
    """
    from census.backup import BackupError, backup

    target, data_dir = _locations()
    try:
        result = backup(file, target, data_dir, with_print_cache=with_print_cache)
    except (BackupError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    err = _is_stdout(file)  # `census backup /dev/stdout | ssh …`: the report goes to stderr
    _echo_result(result, err=err)
    click.echo(
        f"已备份 / written: {file} ({f'{result.size:,} bytes, ' if result.size else ''}"
        f"{result.backend}, {result.seconds:.2f} s)",
        err=err,
    )
    click.echo(f"内容哈希 / content hash: {result.content_hash}", err=err)


@main.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore_command(file: Path) -> None:
    """Restore a backup into an empty data folder or an empty database schema.

    Refused, with nothing changed, when the target already holds records.
    """
    from census.backup import BackupError, restore
    from census.store import StoreError

    target, data_dir = _locations()
    try:
        result = restore(file, target, data_dir)
    except (BackupError, StoreError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"备份 / backup of: {result.origin}")
    _echo_result(result)
    click.echo(f"备份的内容哈希 / content hash of the backup: {result.expected_hash}")
    if result.content_hash != result.expected_hash:
        raise click.ClickException(
            f"恢复后的内容与备份不一致 / the restored store differs from the backup: "
            f"{result.content_hash}"
        )
    click.echo(f"已恢复 / restored into {result.target} ({result.seconds:.2f} s)")
    click.echo(f"内容哈希 / content hash: {result.content_hash}")


@main.group("worklog")
def worklog_group() -> None:
    """工作台账: work records, completion rates and the period work report."""


@worklog_group.command("report")
@click.option("--from", "start", default="", help="起始日期 YYYY-MM-DD（默认今年1月1日）/ from")
@click.option("--to", "end", default="", help="截止日期 YYYY-MM-DD（默认今天）/ to")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
def worklog_report_command(start: str, end: str, lang: str, output: Path | None) -> None:
    """Print the work report of a period, or write it to OUTPUT (.pdf or .xlsx); logged."""
    from datetime import datetime

    from census import audit
    from census.app import get_store
    from census.outputs import write_output
    from census.sheets.writer import write_xlsx
    from census.worklog.periods import parse_period
    from census.worklog.printing import report_pdf
    from census.worklog.report import report_sheets
    from census.worklog.store import period_report

    period, bad = parse_period(start, end)
    if bad:
        raise click.BadParameter("日期应为 YYYY-MM-DD / dates are YYYY-MM-DD", param_hint=bad[0])
    if output is not None and output.suffix.lower() not in (".pdf", ".xlsx"):
        raise click.BadParameter("文件名应以 .pdf 或 .xlsx 结尾 / use .pdf or .xlsx")
    app = _app()
    store = get_store(app)
    report = period_report(
        store, app.extensions["census_surveys"], app.config["COMMUNITY_NAME"], period, lang
    )
    if output is None:
        click.echo(report.title(lang))
        click.echo(report.opening)
        click.echo(report.services)
        return
    if output.suffix.lower() == ".pdf":
        write_output(output, report_pdf(report, datetime.now(), lang))
    else:
        sheets = report_sheets(report, lang)
        write_output(output, lambda fh: write_xlsx(fh, sheets))
    action = "print" if output.suffix.lower() == ".pdf" else "export"
    audit.record(store, f"cli:{getpass.getuser()}", action, f"worklog/report/{period.label('en')}")
    click.echo(f"已写入 / written: {output}")


@main.group("survey")
def survey_group() -> None:
    """问卷: the surveys of the app, and surveys that staff add (XLSForm or YAML)."""


@survey_group.command("list")
def survey_list_command() -> None:
    """Every survey with its code, records and whether staff added it."""
    from census.app import get_store
    from census.surveys import custom

    app = _app()
    store = get_store(app)
    mine = custom.names(app)
    for name, form in app.extensions["census_surveys"].items():
        added = " *" if name in mine else ""
        click.echo(f"{name}\t{form.text('zh')}\t{len(store.collection(form.collection))}{added}")


@survey_group.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", default="", help="问卷代号 / the survey's code (default: form_id)")
@click.option("--replace", is_flag=True, help="替换同名问卷 / replace a survey of this name")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh")
def survey_add_command(file: Path, name: str, replace: bool, lang: str) -> None:
    """Add a survey from an XLSForm (.xlsx) or a YAML definition; problems by row and column."""
    from census import audit
    from census.app import get_store
    from census.surveys import custom

    app = _app()
    added = custom.add(app, file.name, file.read_bytes(), name=name, replace=replace)
    for note in added.notes:
        click.echo(f"{note.where(lang)}: {note.message(lang)}")
    if added.form is None:
        for problem in added.problems:
            click.echo(f"{problem.where(lang)}: {problem.message(lang)}", err=True)
        sys.exit(1)
    action = "survey_replace" if added.replaced else "survey_add"
    user = f"cli:{getpass.getuser()}"
    audit.record(get_store(app), user, action, f"surveys/{added.form.name}", file=file.name)
    click.echo(f"已添加 / added: {added.form.name} ({added.form.text(lang)})")
