"""``census init``, ``census demo``, ``census serve``: a data folder, the demo, the server."""

from __future__ import annotations

import atexit
import logging
import os
import signal
import sys
import threading
from typing import Any

import click

from census.cli.common import cannot_open, open_census
from census.util.gcpause import freeze_long_lived


@click.command()
@click.option("--community", default=None, help="社区名称 / the community's name")
def init(community: str | None) -> None:
    """Create the data folder (storage/ or $CENSUS_DATA_DIR)."""
    from census.demo.seed import set_community

    with open_census() as census:
        if community:
            set_community(census.store, community)
        click.echo(f"数据目录 / data folder: {census.data_dir}")


@click.command()
@click.option("--households", default=50, show_default=True)
def demo(households: int) -> None:
    """Load the demo community and demo accounts (once)."""
    from census.demo.generate import generate_demo
    from census.demo.seed import DEMO_ACCOUNTS, load_demo

    with open_census() as census:
        counts = load_demo(census.store, generate_demo(households=households), census.surveys)
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


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
def serve(host: str, port: int, threads: int) -> None:
    """Serve the app with waitress (a production WSGI server)."""
    from waitress import serve as waitress_serve

    from census.context import load_config
    from census.store import StoreError, StoreLocked
    from census.street.deployment import Deployment

    try:
        app = Deployment()  # the first community, and each one added to the street
    except StoreLocked as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    except (StoreError, OSError) as exc:
        # The first community's store lists the street and holds its accounts: without it
        # there is nothing to serve, and a server answering 503 on every page would look
        # started to a service manager. Exit 1, in one line; an added community that cannot
        # be opened is 暂不可用 on the street's pages and the server starts.
        click.echo(cannot_open(load_config(), exc), err=True)
        sys.exit(1)
    # Every community of a street opened now, beside the first requests, not by the first
    # street page (a dozen communities took 12 s there); what they keep is then frozen.
    threading.Thread(target=_open_all, args=(app,), name="open-communities", daemon=True).start()
    freeze_long_lived()  # the first community's records, before any request
    # Stopped by a service manager (SIGTERM) as by Ctrl+C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    click.echo(f"社区入户摸底调查: http://{host}:{port}/  (Ctrl+C 停止 / to stop)")
    try:
        waitress_serve(app, host=host, port=port, threads=threads)
    except KeyboardInterrupt:
        pass
    finally:
        _exit(app)


def _open_all(app: Any) -> None:
    """Open every community of the deployment, then freeze what they keep (a street's read
    models are millions of objects, made after the server's own start froze its own)."""
    app.open_all()
    freeze_long_lived()


def _exit(app: Any) -> None:
    """End the server: the stores closed (a write under way finishes first), the print
    workers stopped (atexit), and the process ended without freeing its objects one by
    one. A server holding a street of 150,000 households took minutes to exit that way on
    busy cores; nothing it holds needs more than closing."""
    try:
        app.close()
    except Exception as exc:  # closing as it ends: said, and the exit goes on
        click.echo(f"census serve: closing the stores: {exc}", err=True)
    atexit._run_exitfuncs()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
