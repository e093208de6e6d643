"""What every JSON API blueprint shares: who is calling, the body gate, JSON errors.

``install(bp)`` gives a blueprint the bearer-token (or session + CSRF) authentication, the
body size limit and JSON answers for HTTP errors; its views read bodies with
``json_body()`` and client-made uuids with ``client_uuid()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, g, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from werkzeug.exceptions import HTTPException
from wtforms.validators import ValidationError

from census.domain.problems import Problem, errors_by_path
from census.services import accounts
from census.surveys import jsonbody
from census.web.access import ROLES, User
from census.web.current import get_store

# Per status code: the app's HTML pages for 403/404 would otherwise win over a class handler.
JSON_ERRORS = (400, 403, 404, 405, 413, 500)
PUBLIC_ENDPOINTS = frozenset({"api.openapi_document"})  # a description, no data


def install(bp: Blueprint) -> None:
    """Authentication, the body limit and JSON error answers for every view of ``bp``."""
    bp.before_request(limit_body)
    bp.before_request(authenticate)
    for code in JSON_ERRORS:
        bp.register_error_handler(code, json_error)


def authenticate() -> Any:
    """A bearer token, or the logged-in session of the survey pages (whose outbox sends here).

    A session is a cookie the browser adds by itself, so a request that changes something
    must also carry the page's CSRF token in ``X-CSRFToken``.
    """
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    header = request.headers.get("Authorization", "")
    if not header and current_user.is_authenticated:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            try:
                validate_csrf(request.headers.get("X-CSRFToken", ""))
            except ValidationError:
                return jsonify(
                    error="csrf_invalid",
                    message="页面已过期，请刷新后重试 / the CSRF token is missing or invalid",
                ), 400
        g.api_user = current_user._get_current_object()
        return _community_role(g.api_user)
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    doc = accounts.user_for_token(get_store(), token) if token else None
    if doc is None:
        return jsonify(
            error="unauthorized", message="需要有效的访问令牌 / a valid bearer token is required"
        ), 401
    g.api_user = User(doc)
    return _community_role(g.api_user)


def _community_role(user: User) -> Any:
    """Only a community's own roles use its API: a street account (role ``street``) reads the
    street's figures on its pages and no record, whichever way it calls."""
    if user.role in ROLES:
        return None
    return jsonify(
        error="forbidden",
        message="街道人员不能读写社区的记录 / a street account reads no community's records",
    ), 403


def limit_body() -> None:
    """A JSON write is small: refuse more than ``MAX_BODY_BYTES`` before reading it (413)."""
    request.max_content_length = jsonbody.MAX_BODY_BYTES


def json_body() -> tuple[dict[str, Any] | None, Any]:
    """The request's JSON object once it passed the gate, or (None, the answer to send).

    Not JSON, or not an object: 400. JSON holding what no field may hold (control
    characters, lone surrogates, numbers out of range, absurd nesting): 422 with the path
    of each such value. Every write of the API reads its body through here.
    """
    try:
        body = jsonbody.parse(request.get_data(cache=True))
    except jsonbody.BodyError as bad:
        return None, (jsonify(error="invalid_json", message=str(bad)), 400)
    if not isinstance(body, dict):
        message = "请求体应为 JSON 对象 / the body must be a JSON object"
        return None, (jsonify(error="invalid_json", message=message), 400)
    problems = jsonbody.inspect(body)
    if problems:
        return None, (jsonify(errors=errors_by_path(problems, "zh")), 422)
    return body, None


def client_uuid(body: dict[str, Any]) -> tuple[str, list[Problem]]:
    """The client-made uuid of a write (stripped), and what is wrong with it."""
    value = body.get("uuid")
    if value is None or value == "":
        return "", [Problem("required", "uuid")]
    if not isinstance(value, str) or len(value.strip()) > 64:
        return "", [Problem("uuid_invalid", "uuid")]
    uuid = value.strip()
    return uuid, [] if uuid else [Problem("required", "uuid")]


SUBMISSION_REUSED = (
    "该 uuid 已用于另一份内容不同的提交 / this uuid was used for a different submission"
)


def repeat_answer(
    earlier: dict[str, Any],
    digest: str,
    same: Callable[[], dict[str, Any]] = dict,
    *,
    reused: str = SUBMISSION_REUSED,
    unhashed_is_same: bool = False,
):
    """The answer to a client uuid seen before: the same body (by its digest) gets 200 with
    the first id and ``same()``, another body 409. ``unhashed_is_same`` takes a record kept
    before bodies were hashed as the same."""
    stored = earlier.get("submission_hash")
    if stored == digest or (unhashed_is_same and stored is None):
        return jsonify(id=earlier["id"], **same()), 200
    return jsonify(error="conflict", id=earlier["id"], message=reused), 409


def json_error(exc: HTTPException):
    """An HTTP error as JSON: ``{"error": "not_found", "message": …}``."""
    message = exc.description
    if exc.code == 413:
        limit = (request.max_content_length or jsonbody.MAX_BODY_BYTES) // 1024
        message = f"请求体过大（上限 {limit} KB）/ the body is larger than {limit} KB"
    return jsonify(error=exc.name.lower().replace(" ", "_"), message=message), exc.code
