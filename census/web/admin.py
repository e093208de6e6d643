"""Admin pages: the accounts, and which grids and buildings each surveyor works in."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from census.domain import roles
from census.fieldwork import assignments
from census.fieldwork.coverage import building_rows
from census.fieldwork.outcomes import load_dwellings
from census.queries import places
from census.queries.accounts import account, all_accounts, surveyors
from census.services import accounts, throttle
from census.web.access import ADMIN, REVIEWER, SURVEYOR, roles_required
from census.web.current import get_store
from census.web.helpers import client_ip

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users")
@roles_required(ADMIN)
def users():
    """Every account with its role and, for surveyors, their area."""
    store = get_store()
    rows = sorted(
        all_accounts(store),
        key=lambda u: (roles.rank(u["role"]), u["username"]),
    )
    buildings = places.buildings(store)
    counts = {
        u["username"]: len(assignments.assigned_buildings(u, buildings))
        for u in rows
        if u["role"] == SURVEYOR
    }
    tokens: dict[str, int] = {}
    for row in accounts.list_tokens(store):
        if not row["expired"]:
            tokens[row["username"]] = tokens.get(row["username"], 0) + 1
    reviewers_full = REVIEWER in accounts.full_id_roles(store)
    return render_template(
        "admin/users.html", users=rows, counts=counts, tokens=tokens, reviewers_full=reviewers_full
    )


@bp.route("/full-ids", methods=["POST"])
@roles_required(ADMIN)
def full_ids():
    """Grant reviewers the right to ask for full ID numbers, or take it back; audited."""
    reviewers = request.form.get("reviewers") == "1"
    accounts.grant_full_ids(get_store(), reviewers, actor=current_user.username)
    if reviewers:
        flash(_("审核人员现在可以查看完整证件号码（每次查看均记录在审计日志）"), "success")
    else:
        flash(_("只有管理员可以查看完整证件号码"), "success")
    return redirect(url_for("admin.users"))


def _account_or_404(username: str) -> dict[str, Any]:
    user = account(get_store(), username)
    if user is None:
        abort(404)
    return user


@bp.route("/users/<username>/password", methods=["GET", "POST"])
@roles_required(ADMIN)
def reset_password(username: str):
    """Give an account a new password (under the policy); its sessions end; audited.

    One's own password is changed on the account page, which asks for the current one.
    """
    user = _account_or_404(username)
    if username == current_user.username:
        return redirect(url_for("auth.change_password"))
    if request.method == "POST":
        new, again = request.form.get("password", ""), request.form.get("confirm", "")
        store = get_store()
        if new != again:
            flash(_("两次输入的新密码不一致"), "error")
        else:
            try:
                accounts.set_password(store, username, new, actor=current_user.username)
            except accounts.UserError as exc:
                flash(str(exc), "error")
            else:
                throttle.unlock(store, username)
                flash(
                    _("已为 %(name)s 设置新密码", name=user.get("display_name") or username),
                    "success",
                )
                return redirect(url_for("admin.users"))
    return render_template("admin/password.html", user=user)


@bp.route("/users/<username>/active", methods=["POST"])
@roles_required(ADMIN)
def set_active(username: str):
    """Deactivate an account (sessions end, tokens revoked) or bring it back; audited."""
    user = _account_or_404(username)
    active = request.form.get("active") == "1"
    if not active and username == current_user.username:
        flash(_("不能停用自己的账号"), "error")
        return redirect(url_for("admin.users"))
    try:
        accounts.set_active(get_store(), username, active, actor=current_user.username)
    except accounts.UserError as exc:
        flash(str(exc), "error")
    else:
        name = user.get("display_name") or username
        if active:
            flash(_("已启用 %(name)s", name=name), "success")
        else:
            flash(_("已停用 %(name)s，其登录和访问令牌已失效", name=name), "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<username>/tokens/revoke", methods=["POST"])
@roles_required(ADMIN)
def revoke_tokens(username: str):
    """Revoke every API token of an account; audited."""
    user = _account_or_404(username)
    count = accounts.revoke_tokens(get_store(), username, actor=current_user.username)
    flash(
        _(
            "已撤销 %(name)s 的 %(n)s 个访问令牌",
            name=user.get("display_name") or username,
            n=count,
        ),
        "success",
    )
    return redirect(url_for("admin.users"))


@bp.route("/users/<username>/assignments", methods=["GET", "POST"])
@roles_required(ADMIN)
def assign(username: str):
    """Tick the grids and buildings a surveyor works in; every change is audited."""
    store = get_store()
    user = account(store, username)
    if user is None:
        abort(404)
    if user["role"] != SURVEYOR:
        abort(404)
    buildings = places.buildings(store)
    grids = assignments.grid_names(places.grids(store), buildings)
    if request.method == "POST":
        try:
            assignments.assign(
                store,
                username,
                request.form.getlist("grid"),
                request.form.getlist("building"),
                actor=current_user.username,
                ip=client_ip(),
            )
        except assignments.AssignmentError as exc:
            flash(str(exc), "error")
        else:
            flash(_("已保存 %(name)s 的分配", name=user.get("display_name") or username), "success")
            return redirect(url_for("admin.users"))
    rows = {r.name: r for r in building_rows(buildings, load_dwellings(store).values())}
    return render_template(
        "admin/assign.html",
        user=user,
        grouped=assignments.buildings_by_grid(grids, buildings),
        rows=rows,
        others=_others(store, username),
    )


def _others(store: Any, username: str) -> dict[str, dict[str, list[str]]]:
    """For grids and buildings: name -> the other surveyors who have it (shown beside each box)."""
    taken: dict[str, dict[str, list[str]]] = {"grids": {}, "buildings": {}}
    for other in surveyors(store):
        if other["username"] == username:
            continue
        who = other.get("display_name") or other["username"]
        for kind in ("grids", "buildings"):
            for name in other.get(kind) or []:
                taken[kind].setdefault(name, []).append(who)
    return taken
