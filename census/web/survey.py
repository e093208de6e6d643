"""Field work: a surveyor's buildings, a building's dwellings, and the survey forms."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import HTTPException

from census.domain import checks
from census.domain.address import address_key, address_text, place_key
from census.domain.gate import REVIEWED
from census.fieldwork.assignments import refusal
from census.queries import lookup, places
from census.queries.accounts import display_names
from census.services import records, review
from census.store import Conflict
from census.surveys.conform import masked, unmasked
from census.surveys.photos import photo_names
from census.surveys.wtf import (
    attach_problems,
    entry_named,
    field_at,
    form_class,
    formdata_to_raw,
    record_to_formdata,
    repeat_named,
)
from census.web.access import ROLES, roles_required
from census.web.current import context, get_store
from census.web.helpers import head_name, lang, surveys
from census.web.offline import client_checks, page_version

bp = Blueprint("survey", __name__, url_prefix="/survey")


def _room_key(household: dict[str, Any]) -> tuple[Any, ...]:
    return address_key(household)[1:]


def buildings_for(user: Any) -> list[dict[str, Any]]:
    """The buildings this user may survey, with the number of households in each."""
    rows = [b for b in places.buildings(get_store()) if user.covers(b)]
    model = context().derived.coverage()  # kept up with every write: no count per building
    for row in rows:
        row["households"] = model.building(row["name"])[2]
    return sorted(rows, key=lambda b: place_key(b.get("grid"), b["name"]))


def _missing(name: str) -> bool:
    """Is this no building of the tree? (a staff save there adds it: ``services.places``)"""
    return places.building(get_store(), name) is None


def _building_or_404(name: str) -> dict[str, Any]:
    building = places.building(get_store(), name)
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
    return render_template("survey/home.html", buildings=buildings, groups=by_grid(buildings))


def by_grid(buildings: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Buildings grouped by grid, grids and buildings in natural order (未分网格 last)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for building in sorted(buildings, key=lambda b: place_key(b.get("grid"), b["name"])):
        groups.setdefault(building.get("grid") or "", []).append(building)
    return list(groups.items())


def _stamp(*parts: Any) -> str:
    """A short digest of what a kept page shows: another digest, another page."""
    data = orjson.dumps(parts, default=str, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(data).hexdigest()[:16]


def _building_stamps(store: Any, buildings: list[dict[str, Any]]) -> dict[str, str]:
    """Each building's stamp: its own record and every household, storefront and visit in it.

    One pass over each collection (``scan_shared``: read only), whatever the number of
    buildings; an edit, a move to another building, a visit or its withdrawal changes the
    stamp of the buildings concerned.
    """
    parts = lookup.building_parts(store, [b["name"] for b in buildings])
    return {b["name"]: _stamp(b, parts[b["name"]]) for b in buildings}


def _record_title(defn: Any, record: dict[str, Any]) -> str:
    """A returned record as the surveyor knows it: its door and head (a door visit's), or its
    name and place."""
    if defn.door_visits:
        head = head_name(record)
        return " · ".join(part for part in (address_text(record), head) if part)
    where = record.get("address") or record.get("building") or ""
    return " · ".join(part for part in (record.get("name") or "", where) if part)


def _comment(
    comment: dict[str, Any] | None, names: dict[str, str], defn: Any, record: dict[str, Any]
) -> dict[str, Any] | None:
    """A return's comment for the form: its fields followed to their people as the roster now
    is (``members[1].id_number``), and those of people since removed as ``gone``."""
    if comment is None:
        return None
    author = comment.get("author") or ""
    named = review.fields_now(defn, record, comment, lang())
    return {
        "by": names.get(author, author),
        "text": comment.get("text") or "",
        "at": comment["at"],
        "fields": named.paths,  # what it is about: members[1].id_number
        "gone": named.gone,  # 李四 · 手机号码: a member deleted since
        "people": named.as_shown(),  # who each path's member is, for a page drawn before
    }


def returned_records(store: Any, user: Any) -> list[dict[str, Any]]:
    """The user's records a reviewer sent back (households, storefronts, units), for the tablet.

    Each with its title, revision, the comment it was returned with, its edit page and the
    API address its fix is sent to. Staff fix records themselves: none for them.
    """
    if user.is_staff:
        return []
    found = [
        (collection, record, comment)
        for collection in review.COLLECTIONS
        for record, comment in review.returned_to(store, user.username, collection)
    ]
    names = display_names(store) if found else {}
    rows = []
    for collection, record, comment in found:
        form_name = REVIEWED[collection]
        defn = surveys()[form_name]
        rows.append(
            {
                "id": record["id"],
                "form": form_name,
                "title": _record_title(defn, record),
                "building": record.get("building") or "",
                "rev": record.get("_rev"),
                "comment": _comment(comment, names, defn, record),
                "edit": url_for("survey.edit", form_name=form_name, record_id=record["id"]),
                "api": f"/api/v1/{collection}/{record['id']}",
            }
        )
    return rows


@bp.get("/keep.json")
@login_required
def keep():
    """What the tablet keeps for working without signal; the page's script asks in the background.

    ``pages``: the pages to keep, each with a stamp that changes when the page would (the
    records and visits of its building, a returned record's revision and comment, a form's
    definition, the release and the language), so a tablet fetches only the pages that
    changed since it last kept them, not every page at every login. A surveyor keeps home,
    the outbox, one copy of each new-record form (the worker opens it for any building; a
    staff survey's too, whose records the outbox sends like households), each
    assigned building and the edit page of each returned record; staff keep the pages they
    open. ``returned``: the records a reviewer sent back, counted under 需要修改 on the tablet.
    """
    store = get_store()
    user = current_user
    version = (page_version(), lang(), user.username)
    returned = returned_records(store, user)
    buildings = [] if user.is_staff else buildings_for(user)
    stamps = _building_stamps(store, buildings)
    grids = places.grid_revisions(store)
    pages = [
        {
            "url": url_for("survey.home"),
            "stamp": _stamp(version, stamps, grids, [(r["api"], r["rev"]) for r in returned]),
        },
        {"url": url_for("survey.outbox"), "stamp": _stamp(version)},
    ]
    forms = surveys()
    first = buildings[0]["name"] if buildings else None
    for form_name in ("household", "storefront", "unit"):
        if form_name not in forms or (form_name != "unit" and not (first or user.is_staff)):
            continue
        where = {"building": first} if form_name != "unit" and first else {}
        url = url_for("survey.new", form_name=form_name, **where)
        pages.append({"url": url, "stamp": _stamp(version, repr(forms[form_name]))})
    for form_name in sorted(context().custom & set(forms)):  # staff surveys: a blank form each
        url = url_for("survey.new", form_name=form_name)
        pages.append({"url": url, "stamp": _stamp(version, repr(forms[form_name]))})
    for building in buildings:
        url = url_for("survey.building", name=building["name"])
        pages.append({"url": url, "stamp": _stamp(version, stamps[building["name"]])})
    for record in returned:
        stamp = _stamp(version, record["rev"], record["comment"], repr(forms.get(record["form"])))
        pages.append({"url": record["edit"], "stamp": stamp})
    return jsonify(pages=pages, returned=returned)


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
    households = sorted(lookup.households_in_building(store, name), key=_room_key)
    storefronts = sorted(
        lookup.storefronts_in_building(store, name),
        key=lambda s: (s.get("address") or "", s.get("name") or ""),
    )
    return render_template(
        "survey/building.html",
        building=building,
        households=households,
        storefronts=storefronts,
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
    elif not building_name and defn.in_address_tree and not current_user.is_staff:
        abort(403)  # a surveyor starts one at a building of theirs
    # A door page opens the form with its address: building, and unit and room when known.
    initial = {k: request.args.get(k, "") for k in ("building", "unit", "room")}
    return _form_page(defn, None, {k: v for k, v in initial.items() if v})


@bp.route("/<form_name>/<int:record_id>/edit", methods=["GET", "POST"])
@roles_required(*ROLES)
def edit(form_name: str, record_id: int):
    """Edit a stored record; the revision it was opened at travels with the form."""
    defn = _definition(form_name)
    record = lookup.record(get_store(), defn.collection, record_id)
    if record is None:
        abort(404)
    if not (current_user.is_staff or record.get("created_by") == current_user.username):
        abort(403)
    # ID numbers are shown masked, to every role (full ones only on the admin's logged
    # pages); a masked number that comes back unchanged keeps the stored one.
    return _form_page(defn, record, masked(defn, record))


@bp.get("/<form_name>/<int:record_id>/photo/<name>")
@roles_required(*ROLES)
def photo(form_name: str, record_id: int, name: str):
    """One photo of a record, for those who may open the record's form: staff, and the
    surveyor who registered it. A name the record does not hold is no photo (404)."""
    defn = _definition(form_name)
    store = get_store()
    record = lookup.record(store, defn.collection, record_id)
    if record is None:
        abort(404)
    if not (current_user.is_staff or current_user.username in _registered_by(record)):
        abort(403)
    if name not in photo_names(record):
        abort(404)
    data = store.media.get(defn.collection, name)
    if data is None:
        abort(404)
    response = Response(data, mimetype="image/png" if name.endswith(".png") else "image/jpeg")
    # a stored photo never changes (an edit that replaces it names a new file)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


def _registered_by(record: dict[str, Any]) -> set[str]:
    return {str(record.get(k)) for k in ("created_by", "surveyor") if record.get(k)}


def _return_comment(defn: Any, record: dict[str, Any] | None) -> dict[str, Any] | None:
    """The reviewer's comment a returned record was sent back with (None when not returned)."""
    if record is None or defn.collection not in review.COLLECTIONS:
        return None
    if review.state_of(record) != review.RETURNED:
        return None
    store = get_store()
    returns = [
        c for c in review.thread(store, record["id"], defn.collection) if c["action"] == "return"
    ]
    if not returns:
        return None
    return _comment(returns[-1], display_names(store), defn, record)


def review_notes(form: Any, returned: dict[str, Any] | None) -> dict[str, str]:
    """The reviewer's words beside each field the return named, by the field's input name
    (审核意见：… or, when the reviewer only ticked the field, 请核对)."""
    if not returned or not returned["fields"]:
        return {}
    text = returned["text"]
    note = _("审核意见：%(text)s", text=text) if text else _("审核意见：请核对")
    notes = {}
    for path in returned["fields"]:
        field = field_at(form, path)
        if field is not None:
            notes[field.name] = note
    return notes


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
    adding, removing = request.form.get("add_item"), request.form.get("remove_item")
    if request.method == "POST" and roster and adding:
        # the first roster, or a repeat inside an entry named by its button (members-0-kids)
        (repeat_named(form, adding) or getattr(form, roster)).append_entry()
    elif request.method == "POST" and roster and removing:
        inner = entry_named(form, removing)  # members-0-kids-1: that entry of that repeat
        entries, index = inner or (
            getattr(form, roster).entries,
            request.form.get("remove_item", type=int),
        )
        if index is not None and 0 <= index < len(entries) and len(entries) > 1:
            entries.pop(index)
    elif form.validate_on_submit():
        store = get_store()
        raw = formdata_to_raw(defn, form)
        if record is not None:
            raw = unmasked(defn, raw, record, moved=True)
        if record is not None and record.get("building"):  # a form that does not ask for
            raw.setdefault("building", record["building"])  # it keeps the page's building
        # every record (new or edited, of any kind) lands only in the user's buildings, as
        # through the API: a storefront may not be moved into another grid's building either
        barred = refusal(store, current_user, defn, str(raw.get("building") or ""))
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
                    stored=record,
                    account=current_user.doc,
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
            if defn.door_visits and result.record.get("building"):  # back to its doors
                return redirect(url_for("survey.building", name=result.record["building"]))
            if not current_user.is_staff:  # the lists are staff pages; a surveyor goes home
                return redirect(url_for("survey.home"))
            return redirect(url_for("households.records", form_name=defn.name))
        others = attach_problems(form, shown, lang())
    building_name = (record or initial).get("building")
    returned = _return_comment(defn, record)
    return render_template(
        "survey/form.html",
        form=form,
        defn=defn,
        record=record,
        others=others,
        warnings=getattr(form, "warnings", {}),
        checks=client_checks(defn, lang()),
        outbox=_outbox_mode(defn, record),
        returned=returned,
        notes=review_notes(form, returned),
        back=url_for("survey.building", name=building_name) if building_name else None,
    )


def _outbox_mode(defn: Any, record: dict[str, Any] | None) -> tuple[str, str] | None:
    """How the browser saves this form through its outbox: the method and the API address.

    A new record is POSTed to its collection, an edit PUT to the record; a staff survey's
    records go to ``/api/v1/records/<name>``, as work records do. None leaves the form to
    the ordinary POST to this page (a form whose records the API does not take).
    """
    if defn.name in context().custom:
        api = f"/api/v1/records/{defn.name}"
    else:
        api = f"/api/v1/{defn.collection}"
    method, path = ("POST", api) if record is None else ("PUT", f"{api}/{record['id']}")
    try:
        current_app.url_map.bind("localhost").match(path, method=method)
    except HTTPException:  # no such route, or not for this method
        return None
    return method, path
