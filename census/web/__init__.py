"""Web layer: extensions and one blueprint per task."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from census.i18n import TRANSLATIONS, compile_catalogs
from census.store import StoreFull, is_disk_full
from census.web import security
from census.web.access import User, load_session


def register(app: Flask) -> None:
    """Attach login, CSRF, translations, template helpers and blueprints to the app."""
    from census.app import get_store
    from census.web import admin, api, auth, fieldwork, households, offline, registers, survey

    compile_catalogs()
    Babel(
        app,
        locale_selector=lambda: g.get("lang", "zh"),
        default_translation_directories=str(TRANSLATIONS),
    )
    csrf = CSRFProtect(app)
    login = LoginManager(app)
    login.login_view = "auth.login"
    login.login_message = None

    @login.user_loader
    def load_user(session_id: str) -> User | None:
        return load_session(get_store(app), session_id)

    security.install(app)

    for module in (auth, survey, households, registers, offline):
        app.register_blueprint(module.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # the API authenticates with bearer tokens, not cookies
    app.register_blueprint(__import__("census.web.prints", fromlist=["bp"]).bp)  # 打印任务
    app.register_blueprint(admin.bp)  # assignments, accounts
    app.register_blueprint(fieldwork.bp)  # visit outcomes, coverage, conflicts
    app.register_blueprint(__import__("census.web.sheets", fromlist=["bp"]).bp)  # 导入/导出
    app.register_blueprint(__import__("census.web.review", fromlist=["bp"]).bp)  # 审核、核查
    app.register_blueprint(__import__("census.web.lifeevents", fromlist=["bp"]).bp)  # 人员变动
    app.register_blueprint(__import__("census.web.audit_log", fromlist=["bp"]).bp)  # 审计日志

    from census.web import helpers

    helpers.install(app)
    # After install: these add the staff's own surveys and check every work register.
    app.register_blueprint(__import__("census.web.surveys_admin", fromlist=["bp"]).bp)  # 问卷管理
    app.register_blueprint(__import__("census.web.worklog", fromlist=["bp"]).bp)  # 工作台账、报告
    app.register_blueprint(__import__("census.web.worklog_api", fromlist=["bp"]).bp)  # 工作记录 API

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
