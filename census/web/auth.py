"""Log in, log out, and the start page that sends each role where it works."""

from __future__ import annotations

import urllib.parse

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from census import audit, users
from census.app import get_store
from census.web.access import User
from census.web.helpers import client_ip

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    """Username and password."""

    username = StringField("用户名", validators=[DataRequired()])
    password = PasswordField("密码", validators=[DataRequired()])


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
    """Check the password; log success and failure."""
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        store = get_store()
        doc = users.authenticate(store, form.username.data.strip(), form.password.data)
        if doc:
            login_user(User(doc))
            audit.record(store, doc["username"], "login", ip=client_ip())
            return redirect(local_target(request.args.get("next", "")) or url_for("auth.index"))
        # What was typed as a username is kept short: nobody fills the disk by failing.
        tried = form.username.data.strip()[:USERNAME_KEPT]
        audit.record(store, tried, "login_failed", ip=client_ip())
        error = _("用户名或密码不正确")
    return render_template("auth/login.html", form=form, error=error)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End the session."""
    audit.record(get_store(), current_user.username, "logout", ip=client_ip())
    logout_user()
    return redirect(url_for("auth.login"))
