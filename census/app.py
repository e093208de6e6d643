"""The application factory: configuration as data, one store per app, blueprints per task."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, g, request, session

from census.store import Store, open_store

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("zh", "en")


def _secret_key(data_dir: Path) -> str:
    """A per-installation secret kept in the data folder (created on first start)."""
    path = data_dir / "secret_key"
    if not path.exists():
        # Created 0600 whatever the umask: the key signs every session cookie.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it a moment ago
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32))
    path.chmod(0o600)
    return path.read_text().strip()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. Tests pass a dict; deployments set CENSUS_* environment variables."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder="static",
    )
    app.config.from_mapping(
        DATA_DIR=os.environ.get("CENSUS_DATA_DIR", str(PROJECT_ROOT / "storage")),
        COMMUNITY_NAME="示范社区",
        FSYNC=True,
        WTF_CSRF_TIME_LIMIT=None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        BABEL_DEFAULT_LOCALE="zh",
        SECURE_COOKIES=False,  # CENSUS_SECURE_COOKIES=true: session cookie always Secure
        BEHIND_PROXY=False,  # CENSUS_BEHIND_PROXY=true: trust X-Forwarded-For/-Proto (1 hop)
    )
    app.config.from_prefixed_env("CENSUS")
    if config:
        app.config.from_mapping(config)
    data_dir = Path(app.config["DATA_DIR"])
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        data_dir.chmod(0o700)  # who lives where: nobody but the app's own account reads it
    except PermissionError:  # a folder owned by someone else: leave its mode to them
        pass
    app.config.setdefault("SECRET_KEY", None)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _secret_key(data_dir)

    # The data folder always holds the local files (secret key, print cache, uploads); the
    # records live there too (TinyDB) unless a PostgreSQL URL is given.
    target = app.config.get("DATABASE_URL") or data_dir
    store = open_store(target, fsync=bool(app.config["FSYNC"]))
    app.extensions["census_store"] = store
    try:
        from census.records import prepare_store, repair_stored
        from census.web import register

        prepare_store(store)
        settings = store.collection("settings").find_one(key="community")
        if settings and "COMMUNITY_NAME" not in (config or {}):
            app.config["COMMUNITY_NAME"] = settings["name"]
        register(app)
        repair_stored(store, app.extensions["census_surveys"])
    except BaseException:
        store.close()  # a start that fails (e.g. a broken survey definition) frees the folder
        raise

    @app.before_request
    def _language() -> None:
        wanted = request.args.get("lang")
        if wanted in LANGUAGES:
            session["lang"] = wanted
        g.lang = session.get("lang", "zh")

    return app


def get_store(app: Flask | None = None) -> Store:
    """The store of the current (or given) app."""
    from flask import current_app

    return (app or current_app).extensions["census_store"]
