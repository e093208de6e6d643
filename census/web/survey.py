"""Field work: a surveyor's buildings, a building's dwellings, and the survey forms."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from census.domain import checks
from census.domain.address import address_key, place_key
from census.fieldwork.assignments import refusal
from census.services import records
from census.store import Conflict
from census.surveys.conform import masked, unmasked
from census.surveys.wtf import attach_problems, form_class, formdata_to_raw, record_to_formdata
from census.web.access import ROLES, roles_required
from census.web.current import get_store
from census.web.helpers import lang, surveys
from census.web.offline import client_checks

bp = Blueprint("survey", __name__, url_prefix="/survey")


def _room_key(household: dict[str, Any]) -> tuple[Any, ...]:
    return address_key(household)[1:]


def buildings_for(user: Any) -> list[dict[str, Any]]:
    """The buildings this user may survey, with the number of households in each."""
    store = get_store()
    households = store.collection("households")
    rows = [b for b in store.collection("buildings").scan() if user.covers(b)]
    for row in rows:
        row["households"] = households.count(building=row["name"])
    return sorted(rows, key=lambda b: place_key(b.get("grid"), b["name"]))


def _missing(name: str) -> bool:
    """Is this no building of the tree? (a staff save there adds it: ``services.places``)"""
    return get_store().collection("buildings").find_one(name=name) is None


def _building_or_404(name: str) -> dict[str, Any]:
    building = get_store().collection("buildings").find_one(name=name)
    if building is None:
        abort(404)
    if not current_user.covers(building):
        abort(403)
    return building


@bp.route("/")
@login_required
def home():
    """The buildings assigned to the user (all of them for staff)."""
    buildings = buildings_for(current_user)
    return render_template(
        "survey/home.html", buildings=buildings, precache=_precache(b["name"] for b in buildings)
    )


def _precache(names: Any) -> list[str]:
    """Pages a tablet keeps for working without signal.

    Home, the outbox and the unit form, then each building with its household and
    storefront forms.
    """
    urls = [url_for("survey.home"), url_for("survey.outbox")]
    urls.append(url_for("survey.new", form_name="unit"))
    for name in names:
        urls.append(url_for("survey.building", name=name))
        urls.append(url_for("survey.new", form_name="household", building=name))
        urls.append(url_for("survey.new", form_name="storefront", building=name))
    return urls


@bp.route("/outbox")
@login_required
def outbox():
    """Saved forms waiting to be sent, and those the server sent back (需要修改).

    The lists live in the tablet's IndexedDB, so the page is a shell that the browser fills;
    it works the same without signal.
    """
    return render_template("survey/outbox.html")


@bp.route("/building/<name>")
@login_required
def building(name: str):
    """One building: its doors, its households in unit and room order, its storefronts."""
    building = _building_or_404(name)
    store = get_store()
    households = sorted(store.collection("households").find(building=name), key=_room_key)
    storefronts = sorted(
        store.collection("storefronts").find(building=name),
        key=lambda s: (s.get("address") or "", s.get("name") or ""),
    )
    return render_template(
        "survey/building.html",
        building=building,
        households=households,
        storefronts=storefronts,
        precache=_precache([name]),
    )


def _definition(form_name: str):
    try:
        return surveys()[form_name]
    except KeyError:
        abort(404)


@bp.route("/<form_name>/new", methods=["GET", "POST"])
@roles_required(*ROLES)
def new(form_name: str):
    """A blank survey form; the building comes from the page it was opened on."""
    defn = _definition(form_name)
    building_name = request.values.get("building", "")
    if building_name and not (current_user.is_staff and _missing(building_name)):
        _building_or_404(building_name)  # staff may start a household in a new building
    elif not building_name and form_name == "household" and not current_user.is_staff:
        abort(403)
    # A door page opens the form with its address: building, and unit and room when known.
    initial = {k: request.args.get(k, "") for k in ("building", "unit", "room")}
    return _form_page(defn, None, {k: v for k, v in initial.items() if v})


@bp.route("/<form_name>/<int:record_id>/edit", methods=["GET", "POST"])
@roles_required(*ROLES)
def edit(form_name: str, record_id: int):
    """Edit a stored record; the revision it was opened at travels with the form."""
    defn = _definition(form_name)
    record = get_store().collection(defn.collection).get(record_id)
    if record is None:
        abort(404)
    if not (current_user.is_staff or record.get("created_by") == current_user.username):
        abort(403)
    # ID numbers are shown masked, to every role (full ones only on the admin's logged
    # pages); a masked number that comes back unchanged keeps the stored one.
    return _form_page(defn, record, masked(defn, record))


def _form_page(defn: Any, record: dict[str, Any] | None, initial: dict[str, Any]):
    """Render, or validate and save, one survey form (new or edit)."""
    form_cls = form_class(defn, lang())
    if request.method == "POST":
        form = form_cls()
    else:
        data = record_to_formdata(defn, initial)
        if record is None:  # a new form: what the door page gave, the form's defaults for the rest
            data = {key: value for key, value in data.items() if key in initial}
        form = form_cls(data=data)
    roster = next((f.key for f in defn.fields if f.type == "repeat"), None)
    others: dict[str, list[str]] = {}
    if request.method == "POST" and roster and request.form.get("add_item"):
        getattr(form, roster).append_entry()
    elif request.method == "POST" and roster and request.form.get("remove_item"):
        entries = getattr(form, roster).entries
        index = request.form.get("remove_item", type=int)
        if index is not None and 0 <= index < len(entries) and len(entries) > 1:
            entries.pop(index)
    elif form.validate_on_submit():
        store = get_store()
        raw = formdata_to_raw(defn, form)
        if record is not None:
            raw = unmasked(defn, raw, record, moved=True)
        if record is not None and defn.name != "household" and record.get("building"):
            raw.setdefault("building", record["building"])
        # every record (new or edited, of any kind) lands only in the user's buildings, as
        # through the API: a storefront may not be moved into another grid's building either
        barred = refusal(store, current_user, defn.name, str(raw.get("building") or ""))
        if barred is not None and barred.code != "building_unknown":
            abort(403)
        if barred is not None:  # a building the community does not have: said at its field
            result = records.SaveResult(None, raw, [barred])
        else:
            try:
                result = records.save(
                    store,
                    defn,
                    raw,
                    user=current_user.username,
                    record_id=record["id"] if record else None,
                    expected_rev=(request.form.get("_rev", type=int) or None) if record else None,
                )
            except Conflict:
                flash(_("此记录已被他人修改，请重新打开后再保存"), "error")
                return redirect(url_for("survey.edit", form_name=defn.name, record_id=record["id"]))
        shown = checks.as_seen_by(result.problems, staff=current_user.is_staff)
        if result.saved:
            flash(_("已保存"), "success")
            for problem in shown:
                if not problem.is_error:
                    other = problem.params.get("id")
                    link = url_for("households.view", record_id=other) if other else ""
                    flash([problem.message(lang()), link], "warning")
            if defn.name == "household" and result.record.get("building"):
                return redirect(url_for("survey.building", name=result.record["building"]))
            if not current_user.is_staff:  # the lists are staff pages; a surveyor goes home
                return redirect(url_for("survey.home"))
            return redirect(url_for("households.records", form_name=defn.name))
        others = attach_problems(form, shown, lang())
    building_name = (record or initial).get("building")
    return render_template(
        "survey/form.html",
        form=form,
        defn=defn,
        record=record,
        others=others,
        warnings=getattr(form, "warnings", {}),
        checks=client_checks(defn, lang()),
        outbox=_outbox_mode(defn, record),
        back=url_for("survey.building", name=building_name) if building_name else None,
    )


def _outbox_mode(defn: Any, record: dict[str, Any] | None) -> tuple[str, str] | None:
    """How the browser saves this form through its outbox: the method and the API address.

    A new record is POSTed to its collection, an edit PUT to the record. None leaves the
    form to the ordinary POST to this page (what the API does not take: storefront and
    unit edits).
    """
    api = f"/api/v1/{defn.collection}"
    method, rule = ("POST", api) if record is None else ("PUT", api + "/<int:record_id>")
    taken = any(
        r.rule == rule and method in (r.methods or ()) for r in current_app.url_map.iter_rules()
    )
    if not taken:
        return None
    return method, api if record is None else f"{api}/{record['id']}"
