"""Web layer: extensions and one blueprint per task."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from census.store import StoreFull, is_disk_full
from census.util.resources import TRANSLATIONS_DIR
from census.web import helpers, security
from census.web.access import User, load_session
from census.web.current import get_store


def init_app(app: Flask) -> None:
    """Attach login, CSRF, translations, headers, template helpers and every blueprint.

    The app's ``Census`` (store, definitions, read models) is already in
    ``app.extensions["census"]``; nothing here reads a file or the store.
    """
    from census.web import (
        admin,
        audit_log,
        auth,
        fieldwork,
        households,
        lifeevents,
        offline,
        prints,
        registers,
        review,
        sheets,
        survey,
        surveys_admin,
        worklog,
    )
    from census.web.api import households as api
    from census.web.api import worklog as worklog_api

    Babel(
        app,
        locale_selector=lambda: g.get("lang", "zh"),
        default_translation_directories=str(TRANSLATIONS_DIR),
    )
    csrf = CSRFProtect(app)
    login = LoginManager(app)
    login.login_view = "auth.login"
    login.login_message = None

    @login.user_loader
    def load_user(session_id: str) -> User | None:
        return load_session(get_store(app), session_id)

    security.install(app)
    helpers.install(app)
    worklog.install(app)
    for module in (auth, survey, households, registers, offline, prints, admin, fieldwork):
        app.register_blueprint(module.bp)
    for module in (sheets, review, lifeevents, audit_log, surveys_admin, worklog):
        app.register_blueprint(module.bp)
    for api_module in (api, worklog_api):  # bearer tokens, not cookies: no CSRF token asked
        app.register_blueprint(api_module.bp)
        csrf.exempt(api_module.bp)
    _error_pages(app)


def _error_pages(app: Flask) -> None:
    """A full disk, a refusal and a missing page, each in words."""

    @app.errorhandler(StoreFull)
    @app.errorhandler(OSError)
    def disk_full(exc: Exception) -> Any:
        """A full disk: 507 and what to do, never a bare 500 (nothing of the write was kept).

        The API's clients (the tablet's outbox) keep the record and send it again later.
        """
        if not is_disk_full(exc):
            raise exc
        current_app.logger.error("disk full: %s", exc)
        if request.path.startswith("/api/"):
            return jsonify(
                error="storage_full",
                message="存储空间已满，记录保留在平板上，稍后自动重发 / "
                "the server's storage is full: the record stays on the tablet and is sent later",
            ), 507
        return render_template("errors/507.html"), 507

    @app.errorhandler(403)
    def forbidden(_exc: Exception) -> tuple[str, int]:
        return render_template("errors/403.html"), 403

    @app.errorhandler(404)
    def not_found(_exc: Exception) -> tuple[str, int]:
        return render_template("errors/404.html"), 404
