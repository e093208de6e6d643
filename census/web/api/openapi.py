"""The OpenAPI 3 description of ``/api/v1``, made from the form definitions.

The request bodies are the forms themselves (``forms/*.yaml``): a field's type, code list,
length and range become its JSON schema here, so the description cannot drift from what
the server checks. Served at ``/api/v1/openapi.json``; a test holds it against the routes.
"""

from __future__ import annotations

from typing import Any

from census.fieldwork.outcomes import OUTCOMES
from census.surveys.definition import FieldDef, FormDef
from census.surveys.validate import DEFAULT_MAX_LENGTH, MAX_REPEAT_ITEMS

RECORD_FORMS = {"households": "household", "storefronts": "storefront", "units": "unit"}
UUID = {"type": "string", "minLength": 1, "maxLength": 64, "description": "client-made, once"}
REVISION = {"type": "integer", "minimum": 1}


def field_schema(f: FieldDef) -> dict[str, Any]:
    """The JSON schema of one field's value as a client may send it."""
    if f.type == "repeat":
        return {
            "type": "array",
            "maxItems": MAX_REPEAT_ITEMS,
            "items": _object(f.fields, extra={"person_id": {"type": "string"}}),
        }
    if f.type == "select_many":
        return {"type": "array", "items": {"type": "string", "enum": sorted(f.codes)}}
    if f.type == "select_one":
        return {"type": "string", "enum": sorted(f.codes)}
    if f.type == "integer":
        schema: dict[str, Any] = {"type": "integer"}
        if f.min is not None:
            schema["minimum"] = f.min
        if f.max is not None:
            schema["maximum"] = f.max
        return schema
    if f.type == "date":
        return {"type": "string", "format": "date"}
    if f.type == "yes_no":
        return {"type": "boolean"}
    limit = f.max_length or DEFAULT_MAX_LENGTH.get(f.type, 64)
    return {"type": "string", "maxLength": limit}


def _object(fields: tuple[FieldDef, ...], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    properties = {f.key: field_schema(f) for f in fields} | (extra or {})
    return {"type": "object", "properties": properties, "additionalProperties": False}


def _record(form: FormDef, extra: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = _object(form.fields, extra)
    schema["required"] = required
    return schema


def _answers(*codes: int) -> dict[str, Any]:
    words = {
        200: "the same request again: the first answer",
        201: "stored",
        400: "not a JSON object",
        401: "no valid token",
        403: "not the caller's building or record",
        404: "no such record",
        409: "a uuid used for another body, or an edit that crossed another change",
        413: "the body is larger than 1 MB",
        422: "errors by field path, e.g. members[1].id_number",
        507: "the server's disk is full: keep the record and send it later",
    }
    return {str(c): {"description": words[c]} for c in codes}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _id_parameter() -> dict[str, Any]:
    return {
        "name": "record_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": 2**31},
    }


def describe(forms: dict[str, FormDef], work_forms: dict[str, FormDef]) -> dict[str, Any]:
    """The whole OpenAPI document for these forms (the survey forms and the work records)."""
    meta = {
        "uuid": UUID,
        "visited_at": {"type": "string", "format": "date-time"},
        "visit_outcome": {"type": "string", "enum": list(OUTCOMES)},
    }
    paths: dict[str, Any] = {}
    for plural, name in RECORD_FORMS.items():
        form = forms[name]
        new = _record(form, meta, ["uuid"])
        edit = _record(
            form,
            meta | {"base_revision": REVISION},
            ["uuid", "base_revision"],
        )
        paths[f"/{plural}"] = {
            "post": {
                "operationId": f"create_{name}",
                "summary": f"a new {name} ({form.text('en')})",
                "requestBody": _json(new),
                "responses": _answers(200, 201, 400, 401, 403, 409, 413, 422, 507),
            }
        }
        paths[f"/{plural}/{{record_id}}"] = {
            "put": {
                "operationId": f"edit_{name}",
                "summary": f"an edit of a {name}, made from base_revision",
                "parameters": [_id_parameter()],
                "requestBody": _json(edit),
                "responses": _answers(200, 400, 401, 403, 404, 409, 413, 422, 507),
            }
        }
    full = {
        "name": "full",
        "in": "query",
        "required": False,
        "description": "1: full ID numbers (admins only, logged); otherwise they are masked",
        "schema": {"type": "string", "enum": ["1"]},
    }
    paths["/households"]["get"] = {
        "operationId": "list_households",
        "parameters": [
            {"name": "building", "in": "query", "required": False, "schema": {"type": "string"}},
            full,
        ],
        "responses": _answers(200, 401, 403),
    }
    paths["/households/{record_id}"]["get"] = {
        "operationId": "get_household",
        "parameters": [_id_parameter(), full],
        "responses": _answers(200, 401, 403, 404),
    }
    visit = {
        "type": "object",
        "properties": {
            "uuid": UUID,
            "building": {"type": "string", "maxLength": 40},
            "unit": {"type": "string", "maxLength": 10},
            "room": {"type": "string", "maxLength": 20},
            "outcome": {"type": "string", "enum": list(OUTCOMES)},
            "visited_at": {"type": "string", "format": "date-time"},
            "notes": {"type": "string", "maxLength": 200},
        },
        "required": ["uuid", "building", "room", "outcome"],
        "additionalProperties": False,
    }
    paths["/visits"] = {
        "post": {
            "operationId": "record_visit",
            "requestBody": _json(visit),
            "responses": _answers(200, 201, 400, 401, 403, 409, 413, 422, 507),
        },
        "get": {
            "operationId": "list_visits",
            "parameters": [
                {"name": "building", "in": "query", "required": False, "schema": {"type": "string"}}
            ],
            "responses": _answers(200, 401, 403),
        },
    }
    paths["/visits/{uuid}/undo"] = {
        "post": {
            "operationId": "undo_visit",
            "description": "Withdraw one's own visit recorded by mistake (撤销), within an hour",
            "parameters": [{"name": "uuid", "in": "path", "required": True, "schema": UUID}],
            "responses": _answers(200, 401, 404, 422, 507),
        }
    }
    paths["/me"] = {"get": {"operationId": "me", "responses": _answers(200, 401)}}
    paths["/openapi.json"] = {
        "get": {"operationId": "openapi", "security": [], "responses": _answers(200)}
    }
    names = sorted(work_forms)
    form_parameter = {
        "name": "form_name",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "enum": names},
    }
    work_bodies = [_record(work_forms[n], {"uuid": UUID}, []) | {"title": n} for n in names]
    paths["/records/{form_name}"] = {
        "post": {
            "operationId": "create_work_record",
            "parameters": [form_parameter],
            "requestBody": _json({"oneOf": work_bodies} if work_bodies else {"type": "object"}),
            "responses": _answers(200, 201, 400, 401, 404, 413, 422, 507),
        },
        "get": {
            "operationId": "list_work_records",
            "parameters": [
                form_parameter,
                {
                    "name": "household",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string"},
                },
            ],
            "responses": _answers(200, 401, 404),
        },
    }
    work_edits = [
        _record(work_forms[n], {"uuid": UUID, "base_revision": REVISION}, ["uuid", "base_revision"])
        | {"title": n}
        for n in names
    ]
    paths["/records/{form_name}/{record_id}"] = {
        "get": {
            "operationId": "get_work_record",
            "parameters": [form_parameter, _id_parameter()],
            "responses": _answers(200, 401, 403, 404),
        },
        "put": {
            "operationId": "edit_work_record",
            "summary": "an edit of a work record or staff survey record, made from base_revision",
            "parameters": [form_parameter, _id_parameter()],
            "requestBody": _json({"oneOf": work_edits} if work_edits else {"type": "object"}),
            "responses": _answers(200, 400, 401, 403, 404, 409, 413, 422, 507),
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Community Census API",
            "version": "1",
            "description": "Households, storefronts, units, door visits and work records. "
            "Keys and codes as in the form definitions; every write carries a client-made uuid.",
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"token": []}],
        "paths": paths,
    }
