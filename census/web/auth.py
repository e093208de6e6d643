"""Log in, log out, and the start page that sends each role where it works."""

from __future__ import annotations

import math
import urllib.parse

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo

from census.services import accounts, audit, throttle
from census.web.access import User
from census.web.current import get_store
from census.web.helpers import client_ip

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    """Username and password."""

    username = StringField("用户名", validators=[DataRequired()])
    password = PasswordField("密码", validators=[DataRequired()])


class PasswordForm(FlaskForm):
    """The current password, and the new one twice."""

    current = PasswordField("当前密码", validators=[DataRequired()])
    new = PasswordField("新密码", validators=[DataRequired()])
    confirm = PasswordField(
        "再次输入新密码",
        validators=[DataRequired(), EqualTo("new", message="两次输入的新密码不一致")],
    )


USERNAME_KEPT = 64


def local_target(target: str) -> str | None:
    """``target`` if it is a path on this site, else None (no open redirect).

    Browsers drop tabs and newlines from a URL and read a backslash as a slash, so
    ``/%09/evil.example`` leads to another site: anything but a plain local path is refused.
    """
    if not target.startswith("/") or "\\" in target or not target.isprintable():
        return None
    parts = urllib.parse.urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return None
    return target


@bp.route("/")
def index():
    """Surveyors start at their buildings, staff at the household list."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.is_staff:
        return redirect(url_for("households.index"))
    return redirect(url_for("survey.home"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Check the password (if the throttle lets it be checked); log success and failure.

    Each username and each client address get a few free tries, then a growing delay
    (``census.services.throttle``); a try that comes too early is answered 429 with
    ``Retry-After`` and no password is checked at all.
    """
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        store = get_store()
        # What was typed as a username is kept short: nobody fills the disk by failing.
        tried = form.username.data.strip()[:USERNAME_KEPT]
        attempt = throttle.begin(store, tried, client_ip())
        if not attempt.allowed:
            error = ngettext(
                "登录失败次数过多，请 %(num)s 分钟后再试",
                "登录失败次数过多，请 %(num)s 分钟后再试",
                attempt.minutes,
            )
            page = render_template("auth/login.html", form=form, error=error)
            return page, 429, {"Retry-After": str(math.ceil(attempt.wait))}
        doc = accounts.authenticate(store, form.username.data.strip(), form.password.data)
        if doc:
            throttle.succeeded(store, attempt)
            login_user(User(doc))
            audit.record(store, doc["username"], "login", ip=client_ip())
            return redirect(local_target(request.args.get("next", "")) or url_for("auth.index"))
        wait = attempt.delay_if_failed  # this failure makes the next try wait so long
        detail = {"locked_minutes": math.ceil(wait / 60)} if wait else {}
        audit.record(store, tried, "login_failed", ip=client_ip(), **detail)
        error = _("用户名或密码不正确")
    return render_template("auth/login.html", form=form, error=error)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End the session, and every copy of it: the account's session version moves on."""
    store = get_store()
    accounts.end_sessions(store, current_user.username)
    audit.record(store, current_user.username, "logout", ip=client_ip())
    logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password; every other session of the account ends."""
    form = PasswordForm()
    if form.validate_on_submit():
        store = get_store()
        try:
            doc = accounts.set_password(
                store,
                current_user.username,
                form.new.data,
                actor=current_user.username,
                current=form.current.data,
            )
        except accounts.UserError as exc:
            flash(str(exc), "error")
        else:
            login_user(User(doc))  # this session goes on, under the new version
            flash(_("密码已修改，其他设备上的登录已退出"), "success")
            return redirect(url_for("auth.index"))
    for errors in form.errors.values():
        for message in errors:
            flash(_(message), "error")
    return render_template("auth/password.html", form=form)
