"""The files the service worker keeps (CENSUS_FILES) are every file a kept page loads.

A script or stylesheet a survey page loads that is not on the list is fetched from the
network: without signal the page opens without it (the staff menu bar once was such a
script). The pages are read as the tablet keeps them, for a surveyor and for staff, and
their script and stylesheet tags followed through the modules' imports, so the next new
file is caught too.
"""

from __future__ import annotations

import re

from census.services import records, review
from census.util.resources import STATIC_DIR
from census.web.current import context
from census.web.offline import OFFLINE_FILES
from tests.conftest import Auth
from tests.factories import make_household

TAGS = re.compile(r'<(?:script[^>]*\ssrc|link[^>]*rel="stylesheet"[^>]*\shref)="/static/([^"?]+)')
IMPORTS = re.compile(r'(?:\bfrom\s*|\bimport\s*\(?\s*)"\./([^"]+\.js)"')


def loaded_files(html: str) -> set[str]:
    """The app's own files a page loads: its tags, then what their modules import."""
    found: set[str] = set()
    todo = TAGS.findall(html)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        if name.endswith(".js"):
            todo += IMPORTS.findall((STATIC_DIR / name).read_text(encoding="utf-8"))
    return found


def kept_pages(client, extra: list[str]) -> set[str]:
    """The pages the tablet keeps for this account (keep.json), and the ones named."""
    pages = client.get("/survey/keep.json").get_json()["pages"]
    return {page["url"] for page in pages} | set(extra)


def test_the_import_pattern_reads_the_modules_of_the_survey_form():
    html = '<script type="module" src="/static/survey.js"></script>'
    assert {"survey.js", "kept.js", "outbox.js", "db.js", "checks.js"} <= loaded_files(html)


def test_the_worker_keeps_every_file_that_a_kept_page_loads(app, store):
    forms = context(app).surveys
    mine = records.save(store, forms["household"], make_household(room="301"), user="surveyor1")
    review.act(store, mine.id, "return", username="reviewer", role="reviewer", comment="请补电话")
    edit = f"/survey/household/{mine.id}/edit"
    seen: dict[str, set[str]] = {}
    for username, extra in (
        ("surveyor1", [edit, "/survey/building/1栋"]),
        ("admin", [edit, "/survey/building/1栋", "/survey/household/new?building=1栋"]),
    ):
        client = app.test_client()
        Auth(client).login(username)
        pages = kept_pages(client, extra)
        listed = kept_pages(client, [])
        assert (edit in listed) == (username == "surveyor1")  # the returned record's form
        for url in sorted(pages):
            response = client.get(url)
            assert response.status_code == 200, (username, url)
            for name in loaded_files(response.get_data(as_text=True)):
                seen.setdefault(name, set()).add(f"{username} {url}")
    assert {"offline.js", "survey.js", "menu.js"} <= set(seen)
    missing = {name: sorted(where) for name, where in seen.items() if name not in OFFLINE_FILES}
    assert not missing, missing
