"""``census backup`` and ``census restore``: everything in one file, and back."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import click

from census.cli.common import cannot_open, store_place
from census.context import load_config
from census.queries.communities import COLLECTION, HOME, Community, added_in_database
from census.street.places import community_config


def _chosen(config: Mapping[str, Any]) -> str:
    """The community ``census --community CODE`` (else ``CENSUS_COMMUNITY``) names, or ""."""
    ctx = click.get_current_context(silent=True)
    chosen = str(ctx.find_root().params.get("community") or "") if ctx is not None else ""
    return chosen or str(config.get("COMMUNITY") or "")


def _street(config: Mapping[str, Any]) -> list[Community]:
    """The communities added to the street, as the first community's store lists them.

    A data folder is read from its files, never opened (a server owns it); a database is
    opened, as every server and command shares it. Cannot be read: one line, exit 1.
    """
    from census.services.backup import BackupError, read_folder
    from census.store import StoreError

    url = config.get("DATABASE_URL")
    try:
        if url:
            return added_in_database(str(url))
        folder = Path(str(config["DATA_DIR"]))
        contents = read_folder(folder)
        if not contents.present:
            raise BackupError(f"{folder} holds no census store (no {folder / 'census.json'})")
    except (BackupError, StoreError, OSError) as exc:
        click.echo(cannot_open(config, exc), err=True)
        sys.exit(1)
    rows = contents.collections.get(COLLECTION, [])  # by id: the order they were added
    return [Community(str(row["code"]), str(row["name"])) for row in rows]


def _place(config: Mapping[str, Any], code: str) -> tuple[str, Path, Community]:
    """Where community ``code`` ("" the first) keeps its store and files; one the street
    does not list: one line, exit 1."""
    found = Community(HOME, "")
    if code:
        listed = {community.code: community for community in _street(config)}
        if code not in listed:
            click.echo(
                f"没有代码为 {code} 的社区 / no community coded {code} "
                f"({store_place(config)}; census community list)",
                err=True,
            )
            sys.exit(1)
        found, config = listed[code], community_config(config, code)
    url = config.get("DATABASE_URL")
    data_dir = Path(str(config["DATA_DIR"]))
    return (str(url) if url else str(data_dir)), data_dir, found


def _words(community: Mapping[str, str] | None) -> str:
    from census.services.backup import described

    return f"{described(community, 'zh')} / {described(community, 'en')}"


def _is_stdout(path: Path) -> bool:
    """True when ``path`` is where standard output goes (``/dev/stdout``, ``/proc/self/fd/1``)."""
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


@click.command("backup")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--all",
    "every",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    metavar="DIR",
    help=(
        "街道的每个社区各一个文件：DIR/census-日期.tar.gz（第一个社区）、"
        "DIR/census-代码-日期.tar.gz / one file per community of the street"
    ),
)
@click.option("--with-print-cache", is_flag=True, help="包括打印缓存 / include the print cache")
def backup_command(file: Path | None, every: Path | None, with_print_cache: bool) -> None:
    """Write everything (every collection, secret key, staff surveys) to FILE (.tar.gz).

    `census --community CODE backup FILE`: that community of the street; `--all DIR`:
    every community, one file each. Safe while `census serve` runs, on a data folder as
    on PostgreSQL.
    """
    from census.services.backup import BackupError, backup
    from census.store import StoreError

    if (file is None) == (every is None):
        raise click.UsageError("给出 FILE 或 --all DIR 之一 / give FILE or --all DIR")
    config = load_config()
    if every is not None:
        ctx = click.get_current_context()
        if ctx.find_root().params.get("community"):
            raise click.UsageError(
                "--all 备份每个社区，不与 --community 同用 / --all backs up every community: "
                "leave out --community"
            )
        _backup_all(config, every, with_print_cache=with_print_cache)
        return
    assert file is not None
    target, data_dir, community = _place(config, _chosen(config))
    try:
        result = backup(
            file, target, data_dir, with_print_cache=with_print_cache, community=community.code
        )
    except (BackupError, StoreError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    err = _is_stdout(file)  # `census backup /dev/stdout | ssh …`: the report goes to stderr
    _echo_result(result, err=err)
    click.echo(f"社区 / community: {_words(result.community)}", err=err)
    click.echo(
        f"已备份 / written: {file} ({f'{result.size:,} bytes, ' if result.size else ''}"
        f"{result.backend}, {result.seconds:.2f} s)",
        err=err,
    )
    click.echo(f"内容哈希 / content hash: {result.content_hash}", err=err)


def _backup_all(config: Mapping[str, Any], folder: Path, *, with_print_cache: bool) -> None:
    """One backup file per community of the street, the first included; one that fails is
    said in one line and the others are still written; exit 1 at the end if any failed."""
    from census.services.backup import BackupError, backup
    from census.store import StoreError

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.ClickException(f"{folder}: {exc}") from None
    day = date.today().isoformat()
    communities = [Community(HOME, ""), *_street(config)]
    failed = []
    for community in communities:
        code = community.code
        out = folder / (f"census-{code}-{day}.tar.gz" if code else f"census-{day}.tar.gz")
        own = community_config(config, code) if code else config
        url = own.get("DATABASE_URL")
        data_dir = Path(str(own["DATA_DIR"]))
        try:
            result = backup(
                out,
                str(url) if url else str(data_dir),
                data_dir,
                with_print_cache=with_print_cache,
                community=code,
            )
        except (BackupError, StoreError, OSError) as exc:
            failed.append(community)
            said = " ".join(str(exc).split())
            click.echo(
                f"{_words({'code': code, 'name': community.name})}: 未备份 / not backed up: {said}",
                err=True,
            )
            continue
        who = _words(result.community)
        click.echo(
            f"{who}: 已备份 / written: {out} ({result.documents} 条 documents, "
            f"{result.size:,} bytes, {result.backend}, {result.seconds:.2f} s)"
        )
        click.echo(f"{who}: 内容哈希 / content hash: {result.content_hash}")
    if failed:
        codes = ", ".join(community.code or "—" for community in failed)
        click.echo(
            f"{len(communities) - len(failed)} 个社区已备份，{len(failed)} 个未备份（{codes}）"
            f" / {len(communities) - len(failed)} communities backed up, {len(failed)} not "
            f"({codes})",
            err=True,
        )
        sys.exit(1)


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--into-other-community",
    "into_other",
    is_flag=True,
    help=(
        "把另一个社区的备份恢复到这个社区（两个社区的居民会混在一起）"
        " / restore a backup made of another community into this one"
    ),
)
def restore_command(file: Path, into_other: bool) -> None:
    """Restore a backup into an empty data folder or an empty database schema.

    `census --community CODE restore FILE`: into that community of the street (its store
    is made again if it is gone). Refused, with nothing changed, when the target already
    holds records, or when FILE is a backup of another community (unless
    --into-other-community).
    """
    from census.services.backup import BackupError, restore
    from census.store import StoreError

    config = load_config()
    target, data_dir, community = _place(config, _chosen(config))
    into = {"code": community.code, "name": community.name}
    try:
        result = restore(file, target, data_dir, community=into, into_other=into_other)
    except (BackupError, StoreError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"备份 / backup of: {result.origin}")
    click.echo(f"社区 / community: {_words(result.community)}")
    if result.into_other:
        click.echo(f"注意 / note: {result.into_other}", err=True)
    _echo_result(result)
    click.echo(f"备份的内容哈希 / content hash of the backup: {result.expected_hash}")
    if result.content_hash != result.expected_hash:
        raise click.ClickException(
            f"恢复后的内容与备份不一致 / the restored store differs from the backup: "
            f"{result.content_hash}"
        )
    click.echo(f"已恢复 / restored into {result.target} ({result.seconds:.2f} s)")
    click.echo(f"内容哈希 / content hash: {result.content_hash}")
