"""JSON API v1 with bearer tokens: households (and storefronts, units) in, households out.

Every new record and visit carries a client-made ``uuid``: a repeat gets the first answer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, g, jsonify, request
from flask_wtf.csrf import generate_csrf

from census.domain import checks
from census.domain.address import natural_sorted
from census.domain.problems import errors_by_path
from census.fieldwork import edits, outcomes
from census.fieldwork.assignments import refusal
from census.queries import lookup, places
from census.services import audit, records
from census.store import DuplicateKey
from census.surveys.conform import id_numbers, masked
from census.surveys.validate import unknown_keys
from census.web.api import kit as apikit
from census.web.current import get_store
from census.web.helpers import client_ip, lang, surveys

bp = Blueprint("api", __name__, url_prefix="/api/v1")
PUBLIC_META = ("uuid", "surveyor", "visited_at", "visit_outcome", "review_state")


apikit.install(bp)


def _public(record: dict[str, Any], full: bool = False) -> dict[str, Any]:
    """A stored household as the API shows it: bookkeeping left out, ID numbers masked.

    ``full`` (an admin who asked with ``?full=1``, logged by ``_full_ids``) shows them whole.
    """
    shown = record if full else masked(surveys()["household"], record)
    return {k: v for k, v in shown.items() if k not in ("submission_hash", "_rev")} | {
        "revision": record.get("_rev")
    }


def _full_ids(target: str, shown: list[dict[str, Any]]) -> bool:
    """Whether this request asked for full ID numbers (as permitted; 403 otherwise).

    Logged with how many numbers the answer holds (the records ``shown``).
    """
    if request.args.get("full") != "1":
        return False
    if not g.api_user.may_see_full_ids:
        abort(403, "无权查看完整证件号码 / not permitted to see full ID numbers")
    form = surveys()["household"]
    count = sum(len(id_numbers(form, r)) for r in shown)
    audit.full_ids_shown(get_store(), g.api_user.username, target, count, ip=client_ip())
    return True


@bp.post("/households")
def create_household():
    """Store a household; a repeat of the same uuid and body returns the first id."""
    return _create("household")


@bp.post("/storefronts")
def create_storefront():
    """Store a storefront (门面); idempotent by uuid like a household."""
    return _create("storefront")


@bp.post("/units")
def create_unit():
    """Store a unit (单位); idempotent by uuid like a household."""
    return _create("unit")


def _create(form_name: str):
    """Store a new record of a survey form from a JSON body carrying its client-made uuid."""
    body, refused = apikit.json_body()
    if body is None:
        return refused
    uuid, problems = apikit.client_uuid(body)
    if problems:
        return jsonify(errors=errors_by_path(problems, lang())), 422
    store, defn, user = get_store(), surveys()[form_name], g.api_user
    digest = outcomes.body_hash(body)
    existing = lookup.record_with_uuid(store, defn.collection, uuid)
    if existing is not None:
        return _repeat(existing, digest)
    barred = refusal(store, user, defn, str(body.get("building") or ""))
    if barred is not None and barred.code == "building_unknown":  # named, at its field
        return jsonify(errors=errors_by_path([barred], lang())), 422
    if barred is not None:
        abort(403, "此楼栋未分配给您 / this building is not assigned to you")
    problems = unknown_keys(defn, body, set(PUBLIC_META))
    raw = {k: v for k, v in body.items() if k not in PUBLIC_META}
    meta = {"uuid": uuid, "submission_hash": digest, "surveyor": user.username}
    meta |= outcomes.visit_meta(body, problems)
    if problems:
        return jsonify(errors=errors_by_path(problems, lang())), 422
    try:
        result = records.save(store, defn, raw, user=user.username, meta=meta, account=user.doc)
    except DuplicateKey as dup:
        if dup.field != "uuid":
            raise
        # Another request with this uuid won the race a moment ago.
        return _repeat(lookup.record(store, defn.collection, dup.existing_id), digest)
    shown = checks.as_seen_by(result.problems, staff=user.is_staff)
    if not result.saved:
        return jsonify(
            errors=errors_by_path(shown, lang()),
            warnings=errors_by_path(shown, lang(), level="warning"),
        ), 422
    answer: dict[str, Any] = {"id": result.id}
    if "household_no" in result.record:
        answer["household_no"] = result.record["household_no"]
    answer["warnings"] = errors_by_path(shown, lang(), level="warning")
    return jsonify(answer), 201


def _repeat(existing: dict[str, Any], digest: str):
    """The answer to a uuid seen before: same body → 200 with its id, other body → 409."""
    return apikit.repeat_answer(
        existing, digest, lambda: {"household_no": existing.get("household_no")}
    )


@bp.get("/households/<int:record_id>")
def get_household(record_id: int):
    """One household; surveyors only see their own submissions."""
    record = lookup.household(get_store(), record_id)
    if record is None:
        abort(404, "没有这条记录 / no such household")
    if not g.api_user.may_open(record):
        abort(403, "无权查看 / not yours to see")
    return jsonify(_public(record, _full_ids(f"households/{record_id}", [record])))


@bp.get("/households")
def list_households():
    """Households of a building (or all); surveyors get their own submissions only."""
    store = get_store()
    building = request.args.get("building")
    rows = lookup.households_in_building(store, building) if building else lookup.households(store)
    user = g.api_user
    rows = [r for r in rows if user.may_open(r)]
    full = _full_ids(f"api/households?building={building or ''}", rows)
    return jsonify(households=[_public(r, full) for r in rows], count=len(rows))


@bp.put("/households/<int:record_id>")
def edit_household(record_id: int):
    """Save an edit made from ``base_revision``; a stale one becomes a conflict (409)."""
    return _edit("household", record_id)


@bp.put("/storefronts/<int:record_id>")
def edit_storefront(record_id: int):
    """Save a storefront's edit as a household's is saved."""
    return _edit("storefront", record_id)


@bp.put("/units/<int:record_id>")
def edit_unit(record_id: int):
    """Save a unit's edit as a household's is saved."""
    return _edit("unit", record_id)


def _edit(form_name: str, record_id: int):
    body, refused = apikit.json_body()
    if body is None:
        return refused
    status, answer = edits.submit(
        get_store(), surveys()[form_name], record_id, body, user=g.api_user, lang=lang()
    )
    return jsonify(answer), status


@bp.post("/visits")
def record_visit():
    """Log one knock on a door (not home, refused, vacant, completed); idempotent by uuid."""
    body, refused = apikit.json_body()
    if body is None:
        return refused
    store, user = get_store(), g.api_user
    digest = outcomes.body_hash(body)
    uuid = str(body.get("uuid") or "").strip()
    earlier = lookup.visit_with_uuid(store, uuid) if uuid else None
    if earlier is not None:
        return _repeat_visit(earlier, digest)
    buildings = places.buildings_by_name(store)
    visit, problems = outcomes.parse_visit(body, buildings, datetime.now())
    if problems:
        return jsonify(errors=errors_by_path(problems, "zh")), 422
    if not user.covers(buildings[visit["building"]]):
        abort(403, "此楼栋未分配给您 / this building is not assigned to you")
    stored, created = outcomes.record_visit(
        store, visit, user=user.username, digest=digest, ip=request.remote_addr or ""
    )
    if not created and stored.get("uuid") != visit["uuid"]:
        # the same outcome tapped again at the same door within a minute: the same visit
        return jsonify(id=stored["id"], same_as=stored["uuid"], **_dwelling_state(store, stored))
    if not created:  # another request with this uuid won the race a moment ago
        return _repeat_visit(stored, digest)
    return jsonify(id=stored["id"], **_dwelling_state(store, stored)), 201


@bp.post("/visits/<uuid>/undo")
def undo_visit(uuid: str):
    """Withdraw a visit its surveyor recorded by mistake (撤销); a repeat answers the same."""
    store, user = get_store(), g.api_user
    visit, problem = outcomes.withdraw_visit(
        store, uuid, user=user.username, ip=request.remote_addr or ""
    )
    if problem is not None and problem.code == "visit_unknown":
        abort(404, problem.message(lang()))
    if problem is not None:
        return jsonify(errors=errors_by_path([problem], lang())), 422
    assert visit is not None
    return jsonify(id=visit["id"], withdrawn=True, **_dwelling_state(store, visit))


def _dwelling_state(store: Any, visit: dict[str, Any]) -> dict[str, Any]:
    """The door's state after a visit, for the client to show at once."""
    door = outcomes.dwelling_at(store, visit["building"], visit["unit"], visit["room"])
    return {"state": door.state, "not_home_count": door.not_home_count, "flagged": door.flagged}


def _repeat_visit(earlier: dict[str, Any], digest: str):
    """A visit uuid seen before: same body → 200 with its id, another body → 409."""
    return apikit.repeat_answer(
        earlier,
        digest,
        lambda: _dwelling_state(get_store(), earlier),
        reused="该 uuid 已用于另一次走访 / this uuid was used for a different visit",
    )


@bp.get("/visits")
def list_visits():
    """The visits logged in a building (or in every building the user covers)."""
    store, user = get_store(), g.api_user
    building = request.args.get("building")
    covered = {b["name"] for b in places.buildings(store) if user.covers(b)}
    if building and building not in covered:
        abort(403, "此楼栋未分配给您 / this building is not assigned to you")
    names = [building] if building else natural_sorted(covered)
    rows = lookup.visits_in_buildings(store, names)
    rows = [{k: v for k, v in r.items() if k not in ("submission_hash", "_rev")} for r in rows]
    return jsonify(visits=rows, count=len(rows))


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI 3 description of this API, made from the form definitions (no login)."""
    from census.web.api import openapi
    from census.worklog.store import work_forms

    forms = surveys()
    return jsonify(openapi.describe(forms, work_forms(forms)))


@bp.get("/me")
def me():
    """Who is calling; a session also gets a fresh CSRF token for its next writes."""
    user = g.api_user
    answer: dict[str, Any] = {"username": user.username, "role": user.role}
    if not request.headers.get("Authorization"):
        answer["csrf_token"] = generate_csrf()
    return jsonify(answer)
