"""``census backup`` and ``census restore``: everything in one file, and back."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from census.context import load_config


def _locations() -> tuple[str, Path]:
    """The store (a PostgreSQL URL, else the data folder) and the data folder, from CENSUS_*.

    Read as the application context reads them, without opening the store: a backup runs
    beside a server that owns the folder.
    """
    config = load_config()
    data_dir = Path(str(config["DATA_DIR"]))
    url = config.get("DATABASE_URL")
    return (str(url) if url else str(data_dir)), data_dir


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
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--with-print-cache", is_flag=True, help="包括打印缓存 / include the print cache")
def backup_command(file: Path, with_print_cache: bool) -> None:
    """Write everything (every collection, secret key, staff surveys) to FILE (.tar.gz).

    Safe while `census serve` runs, on a data folder as on PostgreSQL.
    """
    from census.services.backup import BackupError, backup

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


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore_command(file: Path) -> None:
    """Restore a backup into an empty data folder or an empty database schema.

    Refused, with nothing changed, when the target already holds records.
    """
    from census.services.backup import BackupError, restore
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
