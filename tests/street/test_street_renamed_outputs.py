"""A community renamed while its server runs is named so on everything it makes next.

The header reads the name from the store once per request (census.web.helpers.community_name);
the prints, the work records' titles, the registers' paragraph and the sheets' downloads read
the same name, not the one the server started with. On a real TinyDB folder, the PDFs read
back. On the tree before, each of them still said the name of the server's start.
"""

from __future__ import annotations

import io
import re
from urllib.parse import unquote

import pytest
from pypdf import PdfReader

from census.services.communities import name_community

OLD, NEW = "佐斯腾社区", "新名改后社区"  # OLD: the app fixture's COMMUNITY_NAME


@pytest.fixture
def staff(client, auth, store):
    auth.login("admin")
    assert OLD in client.get("/summary").get_data(as_text=True)
    name_community(store, NEW)  # as the street page or another server renames it
    return client


def _pdf_text(answer) -> str:
    assert answer.status_code == 200, answer.status_code
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.data)).pages)
    return re.sub(r"\s", "", text)


def test_the_registers_paragraph_names_the_current_name(staff):
    page = staff.get("/summary").get_data(as_text=True)
    paragraph = re.search(r'<p class="report card">(.*?)</p>', page, re.S)
    assert paragraph is not None and NEW in paragraph.group(1) and OLD not in page


@pytest.mark.parametrize(
    "url",
    [
        "/buildings/1栋/household-list.pdf",
        "/review/checks.pdf",
        "/worklog/rates.pdf?year=2025&by=quarter",
        "/worklog/report.pdf?from=2025-01-01&to=2025-06-30",
        "/worklog/volunteer.pdf",
        "/worklog/service_case.pdf?from=2025-01-01&to=2025-06-30",
    ],
)
def test_prints_name_the_current_name(staff, url):
    text = _pdf_text(staff.get(url))
    assert NEW in text and OLD not in text, url


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_sheet_downloads_are_named_for_the_current_name(staff, fmt):
    answer = staff.get(f"/sheets/export.{fmt}")
    assert answer.status_code == 200
    name = unquote(answer.headers["Content-Disposition"].split("''", 1)[1])
    assert name.startswith(f"{NEW}-"), name


def test_a_print_job_names_the_current_name(app, staff):
    from census.web.prints import runner
    from tests.conftest import csrf_token

    app.config["PRINT_WORKERS"] = 0  # rendered in the job's own thread
    form = {"target": "household-list", "building": "1栋", "as_of": "2026-01-01"}
    token = csrf_token(staff, "/prints/")
    started = staff.post("/prints/", data=form | {"csrf_token": token})
    assert started.status_code == 302
    job = runner(app).wait(started.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    assert job.state == "done", job.error
    answer = staff.get(f"/prints/{job.id}/download")
    text = _pdf_text(answer)
    answer.close()
    assert NEW in text and OLD not in text


def test_a_print_made_before_the_rename_is_not_given_again(client, auth, store):
    """The print cache keeps a building's list for the day; a new name makes a new one."""
    auth.login("admin")
    url = "/buildings/1栋/household-list.pdf"
    assert OLD in _pdf_text(client.get(url))
    name_community(store, NEW)
    text = _pdf_text(client.get(url))
    assert NEW in text and OLD not in text
