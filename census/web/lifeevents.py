"""Life event pages for staff: one small form per event, each saved by the life-events service."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from census.domain.codes import choice_lists
from census.domain.problems import Problem
from census.queries import lookup, places
from census.services import lifeevents
from census.store import Conflict
from census.surveys.definition import FieldDef, FormDef
from census.web.access import STAFF, roles_required
from census.web.current import get_store
from census.web.helpers import lang, surveys

bp = Blueprint("lifeevents", __name__)
# What an event answers itself for the person it is about: the day it records and the
# status it gives (census.services.lifeevents); the person's form leaves them out.
SET_BY_EVENT = frozenset({"move_in_date", "status", "status_date"})


def _form() -> FormDef:
    return surveys()["household"]


def _insisted(f: FieldDef, filled: Collection[str] = ()) -> bool:
    """Does the page mark the question required? When the form requires it always (no
    skip logic), gives no default and nothing fills it (sex and birth date come from a
    resident ID when blank)."""
    return f.required and f.relevant is None and f.default is None and f.key not in filled


def person_fields() -> list[tuple[FieldDef, bool]]:
    """The roster's questions a life event asks of a person, in form order, each with
    whether the page insists on it."""
    roster = _form().roster
    if roster is None:
        return []
    filled = {
        key for f in roster.fields for key in (f.birth_date_field, f.sex_field) if key is not None
    }
    return [(f, _insisted(f, filled)) for f in roster.fields if f.key not in SET_BY_EVENT]


def household_fields() -> list[tuple[FieldDef, bool]]:
    """The household's own questions a new household answers when it moves in."""
    return [(f, _insisted(f)) for f in _form().fields if f.type != "repeat"]


def event_titles() -> dict[str, str]:
    """The events as staff name them, in the order the page lists them."""
    return {
        "move_in": _("迁入（加入本户）"),
        "birth": _("出生"),
        "move_out": _("迁出"),
        "death": _("死亡"),
        "change_head": _("变更户主"),
        "split": _("分户"),
        "merge": _("合户（他户并入本户）"),
        "change_tenant": _("租户变更"),
    }


def _answer(f: FieldDef, name: str) -> Any:
    """A posted answer: the ticked codes of a multiple choice, else the stripped text."""
    if f.type == "select_many":
        return [v for v in request.form.getlist(name) if v]
    return request.form.get(name, "").strip()


def _person(prefix: str = "p-") -> dict[str, Any]:
    """A person from the form's fields; blank answers are left out so defaults apply."""
    person = {}
    for f, _must in person_fields():
        value = _answer(f, prefix + f.key)
        if value:
            person[f.key] = value
    return person


def _index(name: str) -> int | None:
    value = request.form.get(name, "")
    return int(value) if value.isdigit() else None


def _household(record_id: int) -> dict[str, Any]:
    household = lookup.household(get_store(), record_id)
    if household is None:
        abort(404)
    return household


def _lists() -> dict[str, Any]:
    """The relations an event asks about (the new head's, the merged household's head's)."""
    return {"relation": choice_lists()["relation"]}


@bp.route("/households/<int:record_id>/events")
@roles_required(*STAFF)
def index(record_id: int):
    """The life events that can be recorded on a household."""
    return render_template(
        "lifeevents/index.html", household=_household(record_id), titles=event_titles()
    )


@bp.route("/households/<int:record_id>/events/<kind>", methods=["GET", "POST"])
@roles_required(*STAFF)
def event(record_id: int, kind: str):
    """One life event's form; on success back to the household with the warnings."""
    if kind not in lifeevents.EVENTS:
        abort(404)
    household = _household(record_id)
    problems: list[Any] = []
    if request.method == "POST":
        try:
            result = _record(kind, household)
        except lifeevents.LifeEventError as refused:
            problems = refused.problems
        except Conflict:
            flash(_("此记录已被他人修改，请重新打开后再保存"), "error")
            return redirect(url_for("lifeevents.event", record_id=record_id, kind=kind))
        else:
            return _done(result)
    return render_template(
        "lifeevents/event.html",
        household=household,
        kind=kind,
        title=event_titles()[kind],
        problems=problems,
        lists=_lists(),
        people=person_fields(),
        today=date.today().isoformat(),
        form=request.form,
    )


@bp.route("/events/move-in", methods=["GET", "POST"])
@roles_required(*STAFF)
def move_in_household():
    """A new household moves in: the address, the head, and the date."""
    problems: list[Any] = []
    if request.method == "POST":
        household = {f.key: _answer(f, f.key) for f, _must in household_fields()}
        household["members"] = [_person() | {"relation": "head"}]
        try:
            result = lifeevents.move_in_household(
                get_store(),
                _form(),
                household,
                on=request.form.get("on", ""),
                user=current_user.username,
            )
        except lifeevents.LifeEventError as refused:
            problems = refused.problems
        else:
            return _done(result)
    buildings = places.building_names(get_store())
    return render_template(
        "lifeevents/event.html",
        household=None,
        kind="move_in_household",
        title=_("新住户迁入"),
        problems=problems,
        lists=_lists(),
        people=person_fields(),
        household_fields=household_fields(),
        buildings=buildings,
        today=date.today().isoformat(),
        form=request.form,
    )


def _done(result: lifeevents.EventResult):
    flash(_("已保存"), "success")
    for problem in result.problems:
        if not problem.is_error:
            other = problem.params.get("id")
            link = url_for("households.view", record_id=other) if other else ""
            flash([problem.message(lang()), link], "warning")
    if len(result.ids) > 1 and result.ids[1]:
        flash([_("另一户的记录"), url_for("households.view", record_id=result.ids[1])], "warning")
    return redirect(url_for("households.view", record_id=result.id))


def _record(kind: str, household: dict[str, Any]) -> lifeevents.EventResult:
    """Call the event's function with what the form holds."""
    store, form, user = get_store(), _form(), current_user.username
    hid, on = household["id"], request.form.get("on", "")
    rev = request.form.get("_rev", type=int)
    leaving = [int(v) for v in request.form.getlist("members") if v.isdigit()]
    head = {"new_head": _index("new_head"), "head_relation": request.form.get("head_relation")}
    if kind == "move_in":
        return lifeevents.move_in(store, form, hid, _person(), on=on, user=user, expected_rev=rev)
    if kind == "birth":
        child = _person() | {"birth_date": on}
        return lifeevents.birth(store, form, hid, child, user=user, expected_rev=rev)
    if kind == "move_out":
        return lifeevents.move_out(
            store,
            form,
            hid,
            leaving,
            on=on,
            destination=request.form.get("destination", "").strip(),
            user=user,
            expected_rev=rev,
            **head,
        )
    if kind == "death":
        member = _index("member")
        if member is None:
            raise lifeevents.LifeEventError([Problem("member_unknown", "member")])
        return lifeevents.death(
            store, form, hid, member, on=on, user=user, expected_rev=rev, **head
        )
    if kind == "change_head":
        new_head = _index("new_head")
        if new_head is None:
            raise lifeevents.LifeEventError([Problem("member_unknown", "new_head")])
        return lifeevents.change_head(
            store,
            form,
            hid,
            new_head,
            head_relation=request.form.get("head_relation", ""),
            user=user,
            on=on or None,
            expected_rev=rev,
        )
    if kind == "split":
        new_head = _index("split_head")
        if new_head is None:
            raise lifeevents.LifeEventError([Problem("member_unknown", "split_head")])
        address = {k: request.form.get(k, "").strip() for k in ("building", "unit", "room")}
        return lifeevents.split(
            store,
            form,
            hid,
            leaving,
            new_head=new_head,
            on=on,
            user=user,
            address=address,
            remaining_head=head["new_head"],
            head_relation=head["head_relation"],
            expected_rev=rev,
        )
    if kind == "merge":
        number = request.form.get("other", "").strip()
        other = lookup.household_numbered(store, number)
        if other is None:
            raise lifeevents.LifeEventError([Problem("member_unknown", "other")])
        return lifeevents.merge(
            store,
            form,
            hid,
            other["id"],
            on=on,
            user=user,
            head_relation=request.form.get("head_relation") or "other_relative",
        )
    # change_tenant
    tenants = [] if request.form.get("vacant") else [_person() | {"relation": "head"}]
    return lifeevents.change_tenant(
        store,
        form,
        hid,
        tenants,
        on=on,
        user=user,
        landlord_name=request.form.get("landlord_name", "").strip() or None,
        landlord_phone=request.form.get("landlord_phone", "").strip() or None,
        expected_rev=rev,
    )
