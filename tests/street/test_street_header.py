"""The header of a street deployment's pages: the community's name as it is now, and the
tablet's outbox only for accounts that save records.

A real street of two TinyDB folders (``tests.street.street_site``), its WSGI app asked
through Werkzeug's client with cookies, as a browser goes through ``census serve``.
"""

from __future__ import annotations

import re

import pytest
from werkzeug.test import Client

from census.services.communities import name_community
from tests.street.street_site import EAST, WEST, login, make_street


@pytest.fixture
def street(tmp_path):
    deployment = make_street({"DATA_DIR": str(tmp_path / "data"), "TESTING": True, "FSYNC": False})
    yield deployment
    deployment.close()


def _brand(page: str) -> str:
    found = re.search(r'<a class="brand"[^>]*>([^<]*)</a>', page)
    assert found, "no header on the page"
    return found.group(1)


def _outbox_user(page: str) -> str:
    """Whom offline.js keeps an outbox for (and shows its count and 立即同步 to): blank, nobody."""
    found = re.search(r'<script[^>]*data-census[^>]*data-user="([^"]*)"', page)
    assert found, "no offline script on the page"
    return found.group(1)


def test_a_renamed_first_community_is_in_the_header_of_the_next_page(street):
    """The name changed while the server runs (in its store, as ``census init --community``
    and every server on the same database see it) is in the header, the title and the
    street's table of the very next page, not after a restart."""
    boss, staff = Client(street), Client(street)
    login(boss, "boss")
    login(staff, "street1")
    assert _brand(boss.get("/survey/").get_data(as_text=True)).startswith(EAST)
    name_community(street.census.store, "东区新社区")
    page = boss.get("/survey/").get_data(as_text=True)
    assert _brand(page).startswith("东区新社区")
    assert re.search(r"<title>[^<]*东区新社区</title>", page)
    summary = staff.get("/street/").get_data(as_text=True)
    assert _brand(summary).startswith("东区新社区")
    assert re.search(r'<tr data-community=""><th scope="row">东区新社区</th>', summary)


def test_a_renamed_added_community_is_in_its_own_header(street):
    west = Client(street)
    login(west, "boss", "xq")
    assert _brand(west.get("/survey/").get_data(as_text=True)).startswith(WEST)
    name_community(street.census_of("xq").store, "西区新社区")
    assert _brand(west.get("/survey/").get_data(as_text=True)).startswith("西区新社区")


def test_street_staff_get_no_outbox_and_surveyors_keep_theirs(street):
    """Street accounts save no records: no outbox, no 立即同步, no offline copy on their
    pages. A surveyor of either community keeps them (their account on the tablet)."""
    staff, walker, west = Client(street), Client(street), Client(street)
    login(staff, "street1")
    login(walker, "walker")
    login(west, "walker", "xq")
    for url in ("/street/", "/street/registers", "/street/communities", "/account/password"):
        answer = staff.get(url)
        assert answer.status_code == 200, url
        assert _outbox_user(answer.get_data(as_text=True)) == "", url
    assert _outbox_user(walker.get("/survey/").get_data(as_text=True)) == "walker"
    page = west.get("/survey/").get_data(as_text=True)
    assert _outbox_user(page) == "walker"
    assert 'data-community="xq"' in page
