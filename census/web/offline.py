"""The installable survey app: the service worker, the manifest, and the checks the browser runs.

The service worker is served from the site root so that its scope covers every page it may
have to answer offline (``/`` redirects to ``/survey/``). Its script starts with a version
made from the files it caches, so any change to them makes browsers install the new worker
and drop the old caches.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, url_for

from census.domain import problems
from census.domain.ids import EARLIEST_BIRTH_YEAR, OTHER_ID_MAX_LENGTH, RESIDENT_ID, SEX_WORDS
from census.surveys.definition import FieldDef, FormDef
from census.util.resources import STATIC_DIR, TEMPLATES_DIR
from census.web.current import context

bp = Blueprint("offline", __name__)
# Which community answered (a street deployment serves them all on the same addresses): the
# service worker keeps pages per user of a community, and drops the kept pages when a page
# of another community comes.
COMMUNITY_HEADER = "X-Census-Community"


@bp.after_app_request
def _say_which_community(response: Response) -> Response:
    """Every answer names its community's code ("" for the first, or a single one)."""
    response.headers[COMMUNITY_HEADER] = str(context().config.get("COMMUNITY_CODE") or "")
    return response


# What a surveyor's tablet keeps for a day without signal (pages are cached as they are opened).
# Every file a kept page loads (tests/web/test_offline_file_list.py): staff pages load the
# menu bar's script too.
OFFLINE_FILES = (
    "app.css",
    "fieldwork.css",
    "forms.js",
    "offline.js",
    "menu.js",
    "i18n.js",
    "db.js",
    "outbox.js",
    "kept.js",
    "drafts.js",
    "checks.js",
    "fields.js",
    "survey.js",
    "lists.js",
    "visits.js",
    "find.js",
    "manifest.webmanifest",
    "icons/icon-192.png",
    "icons/icon-512.png",
)


@cache
def _version(folder: Path) -> str:
    """A digest of the worker and every file it caches (computed once per process)."""
    digest = hashlib.sha256()
    for name in ("sw.js", *OFFLINE_FILES):
        digest.update(name.encode())
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()[:16]


@cache
def _templates_digest(folder: Path) -> str:
    """A digest of every template (computed once per process: they change with a release)."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.html")):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def page_version() -> str:
    """What every kept page depends on besides its data: the worker's files and the templates.

    Part of each page's stamp in the tablet's list of pages to keep (``survey.keep``), so a
    new release makes the tablet fetch its pages again.
    """
    folder = Path(current_app.static_folder or STATIC_DIR)
    templates = Path(current_app.template_folder or TEMPLATES_DIR)
    if current_app.debug:
        return _version.__wrapped__(folder) + _templates_digest.__wrapped__(templates)
    return _version(folder) + _templates_digest(templates)


@bp.get("/sw.js")
def service_worker() -> Response:
    """The service worker, with its version and file list, allowed to control the whole site."""
    folder = Path(current_app.static_folder or STATIC_DIR)
    version = _version(folder) if not current_app.debug else _version.__wrapped__(folder)
    files = [url_for("static", filename=name) for name in OFFLINE_FILES]
    head = (
        f"const CENSUS_VERSION = {json.dumps(version)};\n"
        f"const CENSUS_FILES = {json.dumps(files)};\n"
    )
    body = head + (folder / "sw.js").read_text(encoding="utf-8")
    response = Response(body, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    # Browsers check for a new worker on navigation; never let a cache hide one.
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
def manifest() -> Response:
    """The web app manifest (install to the home screen, open at the surveyor's buildings)."""
    folder = Path(current_app.static_folder or STATIC_DIR)
    response = Response(
        (folder / "manifest.webmanifest").read_bytes(), mimetype="application/manifest+json"
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


def _field_rules(f: FieldDef) -> dict[str, Any]:
    rules: dict[str, Any] = {"key": f.key, "type": f.type}
    for name in (
        "required",
        "relevant",
        "default",
        "min",
        "max",
        "max_length",
        "pattern",
        "past",
        "id_type_field",
        "birth_date_field",
        "sex_field",
        "min_items",
    ):
        value = getattr(f, name)
        if value is not None and value is not False:  # min: 0 is a rule, not a blank
            rules[name] = value
    if f.exactly_one:
        rules["exactly_one"] = f.exactly_one
    if f.fields:
        rules["fields"] = [_field_rules(s) for s in f.fields]
    return rules


def client_checks(defn: FormDef, lang: str) -> dict[str, Any]:
    """What the browser needs to check a form as ``clean`` does: the rules and the messages.

    The messages are the problem catalogue itself (census/domain/problems.py), so the wording
    at the door is the wording the server would send back.
    """
    return {
        "form": defn.name,
        "fields": [_field_rules(f) for f in defn.fields],
        "messages": problems.templates(lang),
        "resident_id": RESIDENT_ID,
        "id_max_length": OTHER_ID_MAX_LENGTH,
        "earliest_birth_year": EARLIEST_BIRTH_YEAR,
        "sex_words": SEX_WORDS,
    }
