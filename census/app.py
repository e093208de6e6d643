"""The application factory: configuration → one application context → the web layer."""

from __future__ import annotations

import fcntl
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, g, request, session

from census import web
from census.context import Census, load_config
from census.surveys import custom
from census.util.i18n import LANGUAGES, SOURCE_LANGUAGE
from census.util.resources import TEMPLATES_DIR
from census.util.timing import ServerTiming
from census.web.security import config_flag

WEB_DEFAULTS: dict[str, Any] = {
    "WTF_CSRF_TIME_LIMIT": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    "BABEL_DEFAULT_LOCALE": SOURCE_LANGUAGE,
    "SECURE_COOKIES": False,  # CENSUS_SECURE_COOKIES=true: session cookie always Secure
    "BEHIND_PROXY": False,  # CENSUS_BEHIND_PROXY=true: trust X-Forwarded-For/-Proto (1 hop)
    "SERVER_TIMING": False,  # CENSUS_SERVER_TIMING=true: a Server-Timing header on each answer
}


def _secret_key(census: Census) -> str:
    """A per-installation secret: in the database every server shares (PostgreSQL), else in
    the data folder; made on first start by whichever process comes first."""
    local = _secret_key_file(census.data_dir)
    shared = getattr(census.store, "shared", None)
    if shared is None:
        return local
    # One key for every server, so that a login holds on all of them. The first server
    # offers its folder's key (a restored backup's comes back so); the others take it
    # and keep a copy in their folder, which is what a backup of the folder holds.
    key = str(shared.secret("secret_key", local))
    if key != local:
        _write_key(census.data_dir / "secret_key", key)
    return key


def _write_key(path: Path, key: str) -> None:
    """Put ``key`` in ``path`` whole: written 0600 (whatever the umask: the key signs every
    session cookie) into a file of its own, then moved into place."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(key)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _secret_key_file(data_dir: Path) -> str:
    """The secret kept in the data folder (created on first start, never empty)."""
    path = data_dir / "secret_key"
    key = path.read_text().strip() if path.exists() else ""
    if key:
        path.chmod(0o600)
        return key
    # Made under a lock (processes or threads starting at once on a new folder each wait
    # for the first) and written whole: nobody reads a key half written. An empty file
    # (an older version stopped while writing it) is replaced.
    lock_fd = os.open(data_dir / ".secret_key.lock", os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(lock_fd, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        key = path.read_text().strip() if path.exists() else ""
        if not key:
            key = secrets.token_hex(32)
            _write_key(path, key)
    path.chmod(0o600)
    return key


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. Tests pass a dict; deployments set CENSUS_* environment variables."""
    app = Flask(__name__, template_folder=str(TEMPLATES_DIR), static_folder="static")
    app.config.update(load_config(config, **WEB_DEFAULTS))
    census = Census.open(app.config)
    try:
        if "COMMUNITY_NAME" not in (config or {}):
            app.config["COMMUNITY_NAME"] = census.community_name()
        if not app.config.get("SECRET_KEY"):
            app.config["SECRET_KEY"] = _secret_key(census)
        app.extensions["census"] = census
        web.init_app(app)
        if config_flag(app.config.get("SERVER_TIMING")):
            app.wsgi_app = ServerTiming(app.wsgi_app)  # type: ignore[method-assign]
    except BaseException:
        census.close()  # a start that fails frees the folder
        raise

    @app.before_request
    def _language() -> None:
        wanted = request.args.get("lang")
        if wanted in LANGUAGES:
            session["lang"] = wanted
        g.lang = session.get("lang", SOURCE_LANGUAGE)

    @app.before_request
    def _surveys_of_every_server() -> None:
        # PostgreSQL: a staff survey another server added (or removed) is served at once.
        custom.refresh(census)

    return app
