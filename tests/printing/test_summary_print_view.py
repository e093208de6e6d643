"""A summary print of the whole community takes its figures, charts and pending records from
the read model's view, as the summary page shows them: the PDF read back says what the page
says after a write made just before the print (TinyDB through the web's print job,
PostgreSQL through the worker's planning), and a second print with nothing changed works
no figure out again."""

from __future__ import annotations

import html
import io
import re
from datetime import date

import pytest
from pypdf import PdfReader

from census.app import create_app
from census.cli.worker import _make_plan
from census.domain.summary import FIGURES, figure_label
from census.printing import plans
from census.printing.jobs import SharedJobRunner
from census.printing.plans import SUMMARY, PrintRequest
from census.queries import derived as derived_module
from census.services import records
from census.services.accounts import add_user
from census.surveys.definition import load_surveys
from census.web.current import context, get_store
from census.web.prints import runner
from tests.conftest import FAST_HASH, PASSWORD, Auth, csrf_token
from tests.factories import make_household, make_member

PLAIN = [k for k in FIGURES if k not in ("by_ethnicity", "age_bands")]


def _save(store, room: str, members: int, hardship: list[str] | None = None) -> None:
    form = load_surveys()["household"]
    household = make_household(building="1栋", room=room, members=members)
    household["members"] = [make_member(n) for n in range(members)]
    household["hardship"] = hardship or []
    result = records.save(store, form, household, user="t")
    assert result.saved, result.problems


def _start_summary(client) -> str:
    token = csrf_token(client, "/prints/")
    fields = {"target": SUMMARY, "records": "all", "csrf_token": token}
    response = client.post("/prints/", data=fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]


def _page_figures(client) -> dict[str, str]:
    """The summary page's figures (every record), by their Chinese names."""
    page = client.get(f"/summary?all=1&as_of={date.today().isoformat()}")
    assert page.status_code == 200
    found = re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)", page.get_data(as_text=True))
    figures = {html.unescape(name).strip(): value.strip() for name, value in found}
    return {figure_label(k): figures[figure_label(k)] for k in PLAIN}


def _pdf_figures(path: str) -> dict[str, str]:
    """The printed summary's table of figures, read back from the PDF: rows of two pairs."""
    with open(path, "rb") as pdf:
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.read())).pages)
    table = text.split("指标 数值 指标 数值\n", 1)[1].split("\n各民族人数", 1)[0]
    figures = {}
    for line in table.splitlines():
        words = line.split()
        figures.update(zip(words[::2], words[1::2], strict=True))
    return figures


def _counted(monkeypatch) -> dict[str, int]:
    """How often the summary's figures and charts are worked out (the real functions, counted)."""
    calls = {"view figures": 0, "charts": 0, "records' figures": 0}

    def counting(name, function):
        def counted(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)

        return counted

    monkeypatch.setattr(
        derived_module, "figures_from", counting("view figures", derived_module.figures_from)
    )
    monkeypatch.setattr(
        derived_module, "summary_charts", counting("charts", derived_module.summary_charts)
    )
    monkeypatch.setattr(plans, "summary", counting("records' figures", plans.summary))
    monkeypatch.setattr(plans, "summary_charts", counting("charts", plans.summary_charts))
    return calls


def test_the_printed_summary_says_what_the_page_says_after_a_write_just_before(
    app, client, auth, store, monkeypatch
):
    app.config["PRINT_WORKERS"] = 0
    _save(store, "101", 3)
    auth.login("reviewer")
    first = runner(app).wait(_start_summary(client))
    assert first.state == "done", first.error
    _save(store, "102", 4, hardship=["low_income"])  # just before the print
    calls = _counted(monkeypatch)
    job = runner(app).wait(_start_summary(client))
    assert job.state == "done", job.error
    # the view's figures, advanced by the write, worked out once for the print; the page
    # shows them as they are (and works out the approved records' beside them)
    assert calls == {"view figures": 1, "charts": 1, "records' figures": 0}
    printed = _pdf_figures(job.result)
    assert printed == _page_figures(client)
    assert printed[figure_label("households")] == "2"
    assert printed[figure_label("residents")] == "7"
    assert calls == {"view figures": 2, "charts": 1, "records' figures": 0}


@pytest.fixture
def pg_app(tmp_path, pg_url):
    app = create_app(
        {
            "DATA_DIR": str(tmp_path / "local"),
            "DATABASE_URL": pg_url,
            "SECRET_KEY": "x",
            "FSYNC": False,
            "PRINT_WORKERS": 0,
        }
    )
    store = get_store(app)
    store.collection("buildings").insert({"name": "1栋", "grid": "第一网格"})
    add_user(store, "reviewer", "reviewer", PASSWORD, hash_method=FAST_HASH)
    yield app
    store.close()


@pytest.mark.postgres
def test_on_postgres_the_printed_summary_says_what_the_page_says(pg_app, monkeypatch):
    store = get_store(pg_app)
    _save(store, "101", 2)
    client = pg_app.test_client()
    Auth(client).login("reviewer")
    jobs = runner(pg_app)
    assert isinstance(jobs, SharedJobRunner)
    make_plan = _make_plan(context(pg_app))  # as census worker plans it
    first = jobs.run(_start_summary(client), make_plan)
    assert first is not None and first.state == "done", first and first.error
    _save(store, "102", 5)
    job = jobs.run(_start_summary(client), make_plan)
    assert job is not None and job.state == "done", job and job.error
    printed = _pdf_figures(jobs.get(job.id).result)
    assert printed == _page_figures(client)
    assert printed[figure_label("households")] == "2"
    assert printed[figure_label("residents")] == "7"


def test_a_second_summary_print_with_nothing_changed_works_no_figure_out(app, store, monkeypatch):
    _save(store, "101", 3)
    calls = _counted(monkeypatch)
    make_plan = _make_plan(context(app))
    request = PrintRequest(SUMMARY, approved=False)
    first = make_plan(request).parts[0].context
    assert calls == {"view figures": 1, "charts": 1, "records' figures": 0}
    again = make_plan(request).parts[0].context
    assert calls == {"view figures": 1, "charts": 1, "records' figures": 0}
    assert again["rows"] == first["rows"] and again["charts"] == first["charts"]
    # a building's summary still works its own figures out, from its households
    make_plan(PrintRequest(SUMMARY, building="1栋", approved=False))
    assert calls["records' figures"] == 1
