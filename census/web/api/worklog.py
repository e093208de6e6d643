"""JSON API for work records and the staff's surveys: saved as the forms save them.

``POST /api/v1/records/<form>`` (a client-made ``uuid`` makes a repeat harmless: the same
uuid and body get the first answer, the same uuid with another body 409, as households),
``PUT /api/v1/records/<form>/<id>`` (an edit from ``base_revision``, as a household's),
``GET /api/v1/records/<form>/<id>``, ``GET /api/v1/records/<form>?household=H0012``.
The tablet's outbox sends a staff survey here, photos inside the body as data URLs.
Authentication is that of the households API (a bearer token, or the session with its
CSRF token); a link to a household or person that leads nowhere is refused (422) with
the path of the field, as every other problem.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, g, jsonify, request

from census.domain.ids import mask_id
from census.domain.problems import errors_by_path
from census.fieldwork import edits
from census.fieldwork.outcomes import body_hash
from census.queries import lookup
from census.services import records
from census.store import DuplicateKey
from census.surveys.definition import FieldDef, FormDef
from census.surveys.validate import unknown_keys
from census.web.api import kit as apikit
from census.web.current import get_store
from census.web.helpers import lang, surveys
from census.worklog.links import Links, households_of, link_problems
from census.worklog.store import records as stored_records
from census.worklog.store import work_forms

bp = Blueprint("worklog_api", __name__, url_prefix="/api/v1/records")
_ID_LIKE = re.compile(r"[0-9]{6}")  # a person link holding digits holds an ID number
# A body with photos (data URLs, each at most 5 MB as bytes) may be this large; the app's
# own limit on any request (MAX_CONTENT_LENGTH) is the same.
PHOTO_BODY_BYTES = 16 * 1024 * 1024


apikit.install(bp)


def _api_form(form_name: str):
    form = work_forms(surveys()).get(form_name)
    if form is None:
        abort(404, "没有这个表单 / no such work record form")
    return form


def _public(form: FormDef, record: dict[str, Any]) -> dict[str, Any]:
    """A work record as the API shows it: a person named by ID number shows it masked.

    Pages and registers show such a link masked too (full only to an admin who asks, and
    logged); nobody reads a resident's whole number through this list.
    """
    shown = _people_masked(form.fields, record)
    hidden = ("_rev", "submission_hash")
    return {k: v for k, v in shown.items() if k not in hidden} | {"revision": record.get("_rev")}


def _has_photos(fields: tuple[FieldDef, ...]) -> bool:
    return any(f.type == "image" or _has_photos(f.fields) for f in fields)


def _body(form: FormDef):
    """The JSON body, with room for photos when the form asks for them."""
    if _has_photos(form.fields):
        request.max_content_length = PHOTO_BODY_BYTES
    return apikit.json_body()


def _people_masked(fields: tuple[FieldDef, ...], doc: dict[str, Any]) -> dict[str, Any]:
    out = dict(doc)
    for f in fields:
        value = out.get(f.key)
        if f.ref == "person" and isinstance(value, str) and _ID_LIKE.search(value):
            out[f.key] = mask_id(value) if "/" not in value else value  # H0012/张伟 stays
        elif f.type == "repeat" and isinstance(value, list):
            out[f.key] = [_people_masked(f.fields, v) if isinstance(v, dict) else v for v in value]
    return out


@bp.post("/<form_name>")
def create(form_name: str):
    """Save a work record: 201 with its id; 422 with errors by field path (links included).

    A client-made ``uuid`` makes a repeat harmless: the same uuid and body again get 200 and
    the id (the outbox resends until it hears back); the same uuid with another body 409.
    """
    form = _api_form(form_name)
    body, refused = _body(form)
    if body is None:
        return refused
    store, user = get_store(), g.api_user
    uuid, problems = apikit.client_uuid(body) if "uuid" in body else ("", [])
    if problems:
        return jsonify(errors=errors_by_path(problems, "zh")), 422
    digest = body_hash(body)
    if uuid:
        earlier = lookup.record_with_uuid(store, form.collection, uuid)
        if earlier is not None:
            return _repeat(earlier, digest)
    raw = {k: v for k, v in body.items() if k != "uuid"}
    errors = errors_by_path(unknown_keys(form, raw, set()), "zh")
    for path, messages in link_problems(Links.seen_by(store, user), form, raw).items():
        errors.setdefault(path, []).extend(messages)
    if errors:
        return jsonify(errors=errors), 422
    try:
        meta = {"uuid": uuid, "submission_hash": digest} if uuid else None
        result = records.save(store, form, raw, user=user.username, meta=meta)
    except DuplicateKey as dup:  # the same uuid a moment ago
        earlier = lookup.record(store, form.collection, dup.existing_id)
        return _repeat(earlier or {"id": dup.existing_id}, digest)
    if not result.saved:
        return jsonify(errors=errors_by_path(result.problems, "zh")), 422
    return jsonify(id=result.id, warnings=errors_by_path(result.problems, "zh", "warning")), 201


def _repeat(earlier: dict[str, Any], digest: str):
    """A uuid seen before: the same body (or a record kept before bodies were hashed) gets
    the first id again, another body 409."""
    return apikit.repeat_answer(earlier, digest, unhashed_is_same=True)


@bp.put("/<form_name>/<int:record_id>")
def edit(form_name: str, record_id: int):
    """Save an edit made from ``base_revision``, as a household's edit is saved: a retry of
    the same uuid gets the same answer, a stale one becomes a conflict (409)."""
    form = _api_form(form_name)
    body, refused = _body(form)
    if body is None:
        return refused
    status, answer = edits.submit(get_store(), form, record_id, body, user=g.api_user, lang=lang())
    return jsonify(answer), status


@bp.get("/<form_name>/<int:record_id>")
def get_record(form_name: str, record_id: int):
    """One work record."""
    form = _api_form(form_name)
    found = lookup.record(get_store(), form.collection, record_id)
    if found is None:
        abort(404, "没有这条记录 / no such record")
    if not (g.api_user.is_staff or found.get("created_by") == g.api_user.username):
        abort(403, "无权查看 / not yours to see")
    return jsonify(_public(form, found))


@bp.get("/<form_name>")
def list_records(form_name: str):
    """Work records of a form; ``?household=H0012`` keeps those that name that household."""
    form = _api_form(form_name)
    store, user = get_store(), g.api_user
    rows = [
        r
        for r in stored_records(store, form)
        if user.is_staff or r.get("created_by") == user.username
    ]
    wanted = request.args.get("household", "").strip()
    if wanted:
        links = Links.seen_by(store, user)
        target = links.household(wanted).household
        rows = [r for r in rows if target and target["id"] in households_of(links, form, r)]
    return jsonify(records=[_public(form, r) for r in rows], count=len(rows))
