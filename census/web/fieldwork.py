"""Field work pages: record a door's outcome, follow coverage, resolve conflicting edits."""

from __future__ import annotations

import io
import re
import uuid as uuidlib
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from census.fieldwork import conflicts, coverage, outcomes
from census.queries import lookup, places
from census.queries.accounts import active_surveyors
from census.services import audit, records
from census.sheets.writer import write_xlsx
from census.store import Conflict
from census.web.access import ROLES, STAFF, roles_required
from census.web.current import context, get_store
from census.web.helpers import address, client_ip, lang, surveys
from census.web.layout import shown

bp = Blueprint("fieldwork", __name__, url_prefix="/fieldwork")


# -- what the surveyor pages show (survey/home.html and survey/building.html call these) ---


class FieldStatus:
    """Progress, doors and revisits of some buildings, loaded once per page."""

    def __init__(self, buildings: list[dict[str, Any]]):
        self.buildings = buildings
        model = context().derived.coverage()
        self.doors: dict[str, list[outcomes.Dwelling]] = {}
        self._figures: dict[str, coverage.Figures] = {}
        for b in buildings:
            doors, figures, _households = model.building(b["name"])
            self.doors[b["name"]] = doors
            expected = int(b.get("expected_dwellings") or 0)
            self._figures[b["name"]] = replace(figures, expected=expected)
        self.revisits = outcomes.revisits(d for doors in self.doors.values() for d in doors)

    def figures(self, name: str) -> coverage.Figures:
        """The coverage figures of one building."""
        return self._figures.get(name) or coverage.Figures()


@bp.app_context_processor
def _template_helpers() -> dict[str, Any]:
    return {
        "field_status": lambda buildings: FieldStatus(list(buildings)),
        "new_uuid": lambda: str(uuidlib.uuid4()),
        "outcome_label": outcome_label,
        "OUTCOMES": outcomes.OUTCOMES,
    }


def outcome_label(code: str) -> str:
    """A door's state in words (the code list of docs/domain.md §4 visit_outcome)."""
    labels = {
        "completed": _("已登记"),
        "not_home": _("无人在家"),
        "refused": _("拒绝"),
        "vacant": _("空置"),
    }
    return labels.get(code, _("未走访"))


def _covered_building(name: str) -> dict[str, Any]:
    building = places.building(get_store(), name)
    if building is None:
        abort(404)
    if not current_user.covers(building):
        abort(403)
    return building


def _door_url(building: str, unit: str, room: str) -> str:
    return url_for("fieldwork.door", building=building, unit=unit, room=room)


@bp.route("/door")
@login_required
def door():
    """One dwelling: its state, every visit, and one-tap buttons for the next outcome."""
    building = _covered_building(request.args.get("building", ""))
    unit, room = request.args.get("unit", ""), request.args.get("room", "")
    if not room.strip():
        abort(404)
    dwelling = outcomes.dwelling_at(get_store(), building["name"], unit, room)
    households = lookup.households_by_id(get_store(), dwelling.household_ids)
    return render_template(
        "fieldwork/door.html", building=building, dwelling=dwelling, households=households
    )


@bp.post("/visits")
@roles_required(*ROLES)
def record_visit():
    """Record a visit from a button (the page's uuid makes a double tap one visit)."""
    store = get_store()
    buildings = places.buildings_by_name(store)
    form = {k: request.form.get(k, "") for k in ("uuid", "building", "unit", "room", "outcome")}
    visit, problems = outcomes.parse_visit(form, buildings, datetime.now())
    back = (
        url_for("survey.building", name=form["building"])
        if form["building"] in buildings
        else url_for("survey.home")
    )
    if problems:
        for problem in problems:
            flash(problem.message(lang()), "error")
        return redirect(back)
    if not current_user.covers(buildings[visit["building"]]):
        abort(403)
    stored, created = outcomes.record_visit(
        store, visit, user=current_user.username, ip=client_ip()
    )
    door = outcomes.dwelling_at(store, visit["building"], visit["unit"], visit["room"])
    where = f"{door.unit + _('单元') if door.unit else ''}{door.room}"
    if created:
        flash(
            _("已记录：%(door)s %(outcome)s", door=where, outcome=outcome_label(stored["outcome"])),
            "success",
        )
    else:
        flash(_("这次走访已经记录过了：%(door)s", door=where), "success")
    if door.flagged:
        text = _(
            "%(door)s 已 %(n)s 次无人在家，已提醒社区工作人员", door=where, n=door.not_home_count
        )
        flash([text, ""], "warning")  # base.html shows a warning as [text, link]
    return redirect(back)


# -- coverage (staff) ---------------------------------------------------------------------


def _coverage_data(doors: bool = True) -> dict[str, Any]:
    """The coverage tables, from the read model that keeps each building's doors."""
    store = get_store()
    model = context().derived.coverage()
    tables = model.tables()
    surveyors = active_surveyors(store)
    data = {
        "buildings": tables.buildings,
        "grids": tables.grids,
        "surveyors": coverage.surveyor_rows(
            surveyors, model.buildings, tables.buildings, lambda name: tables.made.get(name, 0)
        ),
        "total": tables.total,
        "flagged": tables.flagged,
    }
    if doors:  # every door, for the export
        data["dwellings"] = model.doors()
    return data


@bp.route("/coverage")
@roles_required(*STAFF)
def coverage_page():
    """Progress per grid, building and surveyor, and the doors flagged for staff."""
    return render_template("fieldwork/coverage.html", **_coverage_data(doors=False))


@bp.route("/coverage/building/<name>")
@roles_required(*STAFF)
def coverage_building(name: str):
    """Every door of one building coloured by state, with a legend and a table."""
    building = _covered_building(name)
    status = FieldStatus([building])
    return render_template(
        "fieldwork/building.html",
        building=building,
        figures=status.figures(name),
        doors=status.doors[name],
    )


@bp.route("/coverage.xlsx")
@roles_required(*STAFF)
def coverage_xlsx():
    """The coverage tables as an Excel workbook (the export is audited)."""
    data = _coverage_data()
    sheets = coverage_sheets(data)
    buffer = io.BytesIO()
    write_xlsx(buffer, sheets)
    audit.record(get_store(), current_user.username, "export", "coverage.xlsx", ip=client_ip())
    filename = f"{_('入户进度')}-{datetime.now():%Y%m%d}.xlsx"
    return Response(
        buffer.getvalue(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


def _figure_headers() -> list[str]:
    return [
        _("应有户数"),
        _("已走访"),
        _("已完成"),
        _("已登记"),
        _("空置"),
        _("待回访"),
        _("需关注"),
        _("完成率 %"),
    ]


def _figure_cells(f: coverage.Figures) -> list[Any]:
    return [
        f.expected,
        f.visited,
        f.completed,
        f.registered,
        f.vacant,
        f.revisit,
        f.flagged,
        f.completed_pct,
    ]


def coverage_sheets(data: dict[str, Any]) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """The coverage tables as sheets of (headers, rows)."""
    figures = _figure_headers()
    return {
        _("网格"): (
            [_("网格")] + figures,
            [[r.name] + _figure_cells(r.figures) for r in data["grids"]]
            + [[_("合计")] + _figure_cells(data["total"])],
        ),
        _("楼栋"): (
            [_("楼栋"), _("网格")] + figures,
            [[r.name, r.detail] + _figure_cells(r.figures) for r in data["buildings"]],
        ),
        _("调查员"): (
            [_("用户名"), _("姓名")] + figures + [_("走访次数")],
            [
                [r.name, r.detail] + _figure_cells(r.figures) + [r.visits_made]
                for r in data["surveyors"]
            ],
        ),
        _("住户门"): (
            [
                _("楼栋"),
                _("单元"),
                _("室/门牌号"),
                _("状态"),
                _("无人在家次数"),
                _("需关注"),
                _("走访次数"),
                _("最近走访"),
                _("走访人"),
            ],
            [
                [
                    d.building,
                    d.unit,
                    d.room,
                    outcome_label(d.state),
                    d.not_home_count,
                    d.flagged,
                    len(d.events),
                    (d.last.at if d.last else "").replace("T", " "),
                    d.last.by if d.last else "",
                ]
                for d in data["dwellings"]
            ],
        ),
    }


# -- conflicts (reviewers) ---------------------------------------------------------------


@bp.route("/conflicts")
@roles_required(*STAFF)
def conflict_list():
    """Edits that started from an old revision, waiting for a reviewer."""
    store = get_store()
    rows = conflicts.open_conflicts(store)
    for row in rows:
        defn = _form_of(row)
        record = lookup.record(store, defn.collection, row["household_id"]) or {}
        row["household"], row["title"] = record, _title(defn, record)
    resolved = lookup.resolved_conflicts(store, last=20)
    return render_template("fieldwork/conflicts.html", conflicts=rows, resolved=resolved)


@bp.route("/conflicts/<int:conflict_id>", methods=["GET", "POST"])
@roles_required(*STAFF)
def conflict(conflict_id: int):
    """Resolve a conflict field by field: keep the record's value or take the edit's."""
    store = get_store()
    row = lookup.conflict(store, conflict_id)
    if row is None:
        abort(404)
    defn = _form_of(row)
    current = lookup.record(store, defn.collection, row["household_id"])
    if current is None:
        abort(404)
    full = request.args.get("full") == "1"
    if full and not current_user.may_see_full_ids:
        abort(403)
    errors: list[str] = []
    choices: dict[str, str] = {}
    if request.method == "POST" and row["state"] == conflicts.OPEN:
        choices = {k: v for k, v in request.form.items() if k.startswith(("f.", "m"))}
        try:
            result, _diff = conflicts.resolve(
                store,
                defn,
                row,
                choices,
                user=current_user.username,
                expected_rev=request.form.get("rev", type=int) or 0,
            )
        except Conflict:
            flash(_("此住户刚被他人修改，请根据最新内容重新选择"), "error")
            return redirect(url_for("fieldwork.conflict", conflict_id=conflict_id))
        if result.saved:
            flash(_("已合并并保存为新版本"), "success")
            return redirect(url_for("fieldwork.conflict_list"))
        errors = [
            f"{_where(defn, p.path)}：{p.message(lang())}" for p in result.problems if p.is_error
        ]
    closed = row["state"] != conflicts.OPEN
    compared = current
    if closed:
        # What the reviewer saw: the version that was current when they resolved it.
        seen = row.get("resolved_revision", 1) - 1
        compared = next(
            (
                v["record"]
                for v in records.history(store, defn.collection, current["id"])
                if v["rev"] == seen
            ),
            current,
        )
        choices = row.get("choices") or {}
    diff = conflicts.diff(defn, compared, row["theirs"])
    if full:
        audit.full_ids_shown(
            store,
            current_user.username,
            f"conflicts/{conflict_id}",
            _ids_shown(defn, diff),
            ip=client_ip(),
        )
    return render_template(
        "fieldwork/conflict.html",
        conflict=row,
        household=current,
        title=_title(defn, current),
        diff=diff,
        defn=defn,
        choices=choices,
        closed=closed,
        errors=errors,
        full=full,
        show=lambda f, v: shown(f, v, lang(), full_ids=full),
    )


def _ids_shown(defn: Any, diff: conflicts.Diff) -> int:
    """The ID numbers a conflict page shows: both sides of a changed number, and the number
    of each member only one side has (the page shows only what differs)."""
    count = 0
    for change in diff.fields:
        if defn.field(change.key).type == "id_number":
            count += bool(change.mine) + bool(change.theirs)
    for member in diff.members:
        if member.mine is not None and member.theirs is not None:
            changed = [c for c in member.changes if c.key == "id_number"]
            count += sum(bool(c.mine) + bool(c.theirs) for c in changed)
        else:
            count += bool((member.mine or member.theirs or {}).get("id_number"))
    return count


def _form_of(conflict: dict[str, Any]) -> Any:
    """The survey whose record a conflict is about (households before storefronts had any)."""
    collection = conflict.get("collection") or "households"
    return next(d for d in surveys().values() if d.collection == collection)


def _title(defn: Any, record: dict[str, Any]) -> str:
    """How a reviewer recognises the record: a door visit's by its number and door, else by
    its name."""
    if defn.door_visits:
        return f"{record.get('household_no') or ''} {address(record)}".strip()
    return " · ".join(str(v) for v in (record.get("name"), record.get("address")) if v)


def _where(defn: Any, path: str) -> str:
    """A problem's path as a reviewer reads it: members[1].relation -> 家庭成员 2 · 与户主关系."""
    match = re.fullmatch(r"(\w+)(?:\[(\d+)\])?(?:\.(\w+))?", path)
    if not match:
        return path
    head, index, sub = match.groups()
    try:
        words = [defn.field(head).text(lang())]
        if index is not None:
            words.append(str(int(index) + 1))
        if sub:
            words.append(defn.field(f"{head}.{sub}").text(lang()))
    except (KeyError, StopIteration):
        return path
    return " · ".join(words)
