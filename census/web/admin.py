"""Admin pages: the accounts, and which grids and buildings each surveyor works in."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from census.app import get_store
from census.fieldwork import assignments
from census.fieldwork.coverage import building_rows
from census.fieldwork.outcomes import load_dwellings
from census.web.access import ADMIN, roles_required
from census.web.helpers import client_ip

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users")
@roles_required(ADMIN)
def users():
    """Every account with its role and, for surveyors, their area."""
    store = get_store()
    rows = sorted(
        store.collection("users").scan(),
        key=lambda u: (("admin", "reviewer", "surveyor").index(u["role"]), u["username"]),
    )
    buildings = store.collection("buildings").scan()
    counts = {
        u["username"]: len(assignments.assigned_buildings(u, buildings))
        for u in rows
        if u["role"] == assignments.SURVEYOR
    }
    return render_template("admin/users.html", users=rows, counts=counts)


@bp.route("/users/<username>/assignments", methods=["GET", "POST"])
@roles_required(ADMIN)
def assign(username: str):
    """Tick the grids and buildings a surveyor works in; every change is audited."""
    store = get_store()
    user = store.collection("users").find_one(username=username)
    if user is None:
        abort(404)
    if user["role"] != assignments.SURVEYOR:
        abort(404)
    buildings = store.collection("buildings").scan()
    grids = assignments.grid_names(store.collection("grids").scan(), buildings)
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
    for other in store.collection("users").find(role=assignments.SURVEYOR):
        if other["username"] == username:
            continue
        who = other.get("display_name") or other["username"]
        for kind in ("grids", "buildings"):
            for name in other.get(kind) or []:
                taken[kind].setdefault(name, []).append(who)
    return taken
