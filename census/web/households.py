"""Staff pages: find households, open one, see its history, print a building's list."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_login import current_user

from census.domain.address import address_text, search_key
from census.domain.diff import version_diffs
from census.domain.gate import gate_from
from census.printing.pipeline import cache_dir, print_parts
from census.printing.plans import HOUSEHOLD_LIST, PrintRequest, Records, plan
from census.queries import lookup, places
from census.services import audit, records
from census.surveys.conform import id_numbers
from census.surveys.definition import FormDef
from census.web.access import ROLES, STAFF, roles_required
from census.web.current import context, get_store
from census.web.helpers import client_ip, community_name, lang, surveys
from census.web.layout import facts, list_cell, roster_table, shown

bp = Blueprint("households", __name__)
PAGE_SIZE = 50
HOUSEHOLDS = "households"


def household_pages(form: FormDef) -> bool:
    """Are this form's records the households, which have pages of their own (the list,
    the household page and history, the life events)? Any other form's records are on
    /records/<form>. The one place that tells them apart for links and routes."""
    return form.collection == HOUSEHOLDS


def records_url(form: FormDef) -> str:
    """Where the records of a form are listed."""
    if household_pages(form):
        return url_for("households.index")
    return url_for("households.records", form_name=form.name)


def history_url(form: FormDef, record_id: int) -> str:
    """Where every saved version of one record of a form is shown."""
    if household_pages(form):
        return url_for("households.history", record_id=record_id)
    return url_for("households.record_history", form_name=form.name, record_id=record_id)


@bp.app_context_processor
def _links() -> dict[str, Any]:
    return {"records_url": records_url, "history_url": history_url}


def _matches(household: dict[str, Any], q: str) -> bool:
    """Search by household no., building or address, member name or ID number, compared as
    the import reads cells: case, spaces and full-width forms ignored, Chinese numerals as
    digits (１栋 and 一栋 find 1栋; 3单元101 finds 1栋3单元101室)."""
    q = search_key(q)
    fields = [household.get("household_no"), household.get("building"), address_text(household)]
    for m in household.get("members") or []:
        fields += [m.get("name"), m.get("id_number")]
    return any(q in search_key(f) for f in fields if f)


def _search_text(household: dict[str, Any]) -> str:
    """The fields ``_matches`` looks in, each as ``search_key`` makes it, one a line: a
    search word (no white space once ``search_key`` made it) is in one of them exactly when
    it is in this text."""
    fields = [household.get("household_no"), household.get("building"), address_text(household)]
    for m in household.get("members") or []:
        fields += [m.get("name"), m.get("id_number")]
    return "\n".join(search_key(f) for f in fields if f)


@bp.route("/households")
@roles_required(*STAFF)
def index():
    """All households, filtered by building and a search word, in address order."""
    store = get_store()
    building = request.args.get("building", "")
    q = request.args.get("q", "").strip()
    derived = context().derived
    assert derived is not None
    # the read model's households in address order, made once for the records as they are
    # now (shared, read only: filtered into a new list, never sorted or changed here)
    order = derived.address_order()
    rows = order.in_building(building) if building else order.households
    if q and search_key(q):
        rows = order.matching(rows, search_key(q), _search_text)
    elif q:
        rows = [h for h in rows if _matches(h, q)]
    page = max(1, request.args.get("page", 1, type=int))
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    buildings = places.building_names(store)
    form = surveys()["household"]
    return render_template(
        "households/index.html",
        columns=[c.text(lang()) for c in form.list_columns],
        rows=[(h, [list_cell(form, c, h, lang()) for c in form.list_columns]) for h in shown],
        households=shown,
        total=len(rows),
        page=page,
        pages=pages,
        q=q,
        building=building,
        buildings=buildings,
    )


@bp.route("/households/<int:record_id>")
@roles_required(*ROLES)
def view(record_id: int):
    """One household with its members; full ID numbers only for those permitted, and logged."""
    store = get_store()
    household = lookup.household(store, record_id)
    if household is None:
        abort(404)
    if not current_user.may_open(household):
        abort(403)
    full = request.args.get("full") == "1"
    form = surveys()["household"]
    if full:
        if not current_user.may_see_full_ids:
            abort(403)
        shown = id_numbers(form, household)
        audit.full_ids_shown(
            store, current_user.username, f"households/{record_id}", len(shown), ip=client_ip()
        )
    return render_template(
        "households/view.html",
        household=household,
        full=full,
        defn=form,
        facts=facts(form, household, lang(), full_ids=full),
        roster=roster_table(form, household, lang(), full_ids=full),
    )


@bp.route("/households/<int:record_id>/history")
@roles_required(*STAFF)
def history(record_id: int):
    """Every saved version of a household: who saved it and when."""
    store = get_store()
    household = lookup.household(store, record_id)
    if household is None:
        abort(404)
    versions = records.history(store, "households", record_id)
    return render_template("households/history.html", household=household, versions=versions)


@bp.route("/records/<form_name>", endpoint="records")
@roles_required(*STAFF)
def records_list(form_name: str):
    """Storefronts or units, with links to their forms."""
    defn = surveys().get(form_name)
    if defn is None or household_pages(defn):
        abort(404)
    rows = lookup.records_of(get_store(), defn.collection)
    cells = [(r, [list_cell(defn, c, r, lang()) for c in defn.list_columns]) for r in rows]
    return render_template("households/records.html", defn=defn, rows=cells)


@bp.route("/records/<form_name>/<int:record_id>/history", endpoint="record_history")
@roles_required(*STAFF)
def record_history(form_name: str, record_id: int):
    """Every saved version of a storefront or unit and what it changed (IDs masked)."""
    defn = surveys().get(form_name)
    if defn is None or household_pages(defn):
        abort(404)
    store = get_store()
    record = lookup.record(store, defn.collection, record_id)
    if record is None:
        abort(404)
    fields = {f.key: f for f in defn.fields}
    versions = []
    for version, changed in version_diffs(records.history(store, defn.collection, record_id)):
        rows = [
            (
                fields[c.key].text(lang()),
                shown(fields[c.key], c.before, lang()),
                shown(fields[c.key], c.after, lang()),
            )
            for c in changed.fields
            if c.key in fields
        ]
        versions.append((version, rows))
    return render_template(
        "households/record_history.html", defn=defn, record=record, versions=versions
    )


@bp.route("/buildings/<name>/household-list.pdf")
@roles_required(*STAFF)
def print_building(name: str):
    """The household list of one building as an A4 landscape PDF (logged; full numbers too):
    its approved households, or every one with ``?all=1`` (census.domain.gate)."""
    store = get_store()
    if places.building(store, name) is None:
        abort(404)
    full = request.args.get("full") == "1"
    if full and not current_user.may_see_full_ids:
        abort(403)
    gate = gate_from(request.args)
    pdf = building_list_pdf(store, name, full_ids=full, lang=lang(), approved=gate.approved)
    if full:
        form = surveys()["household"]
        printed = gate.keep(lookup.households_in_building(store, name))
        count = sum(len(id_numbers(form, h)) for h in printed)
        audit.full_ids_shown(
            store, current_user.username, f"household-list/{name}", count, ip=client_ip()
        )
    audit.record(
        store,
        current_user.username,
        "print",
        f"household-list/{name}",
        ip=client_ip(),
        full_ids=full,
        approved=gate.approved,
    )
    filename = quote(f"{name}-住户花名册.pdf")
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f"inline; filename*=UTF-8''{filename}"},
    )


def building_list_pdf(
    store: Any, name: str, *, full_ids: bool = False, lang: str = "zh", approved: bool = True
) -> bytes:
    """Render one building's household list: its approved households unless ``approved`` is
    False (every household); the first page says which, and how many wait for review.

    Goes through the print cache: printing the same building again the same day, with
    nothing changed, renders nothing.
    """
    building = places.building(store, name) or {"name": name}
    households = lookup.households_in_building(store, name)
    for household in households:
        household.setdefault("grid", building.get("grid"))
    records = Records(community_name(), [building], households)
    request_ = PrintRequest(
        HOUSEHOLD_LIST,
        building=name,
        full_ids=full_ids,
        lang=lang,
        approved=approved,
        prepared_by=current_user.display_name,  # 制表人 of the sign-off block
    )
    the_plan = plan(request_, records, context().registers)
    data_dir = Path(current_app.config["DATA_DIR"])
    with tempfile.TemporaryDirectory(dir=cache_dir(data_dir)) as tmp:
        target = Path(tmp) / "list.pdf"
        print_parts(the_plan.parts, target, data_dir, workers=0)
        return target.read_bytes()


def print_url(name: str) -> str:
    """Where the household list of a building is printed."""
    return url_for("households.print_building", name=name)
