"""A print takes its records from the read model the registers and summary see: it shows a
write made just before it, keeps to the gate it asked for, and reads the store again only
when another server wrote (TinyDB through the web, PostgreSQL through the web and the
worker's planning, with the job record and the PDF of the real runner)."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from pypdf import PdfReader

from census.app import create_app
from census.cli.worker import _make_plan
from census.context import Census, load_config
from census.printing.jobs import SharedJobRunner
from census.printing.plans import HOUSEHOLD_LIST, PrintRequest
from census.services import records
from census.services.accounts import add_user
from census.store import open_store
from census.surveys.definition import load_surveys
from census.web.current import context, get_store
from census.web.prints import runner
from tests.conftest import FAST_HASH, PASSWORD, Auth, csrf_token
from tests.factories import make_household, make_member

NEWCOMER = "贺新来"


def _save(store, room: str, name: str = "张建国", user: str = "t") -> None:
    form = load_surveys()["household"]
    household = make_household(building="1栋", room=room, members=1)
    household["members"] = [make_member(0, name=name)]
    result = records.save(store, form, household, user=user)
    assert result.saved, result.problems


def _start(client, **form) -> str:
    token = csrf_token(client, "/prints/")
    fields = {"target": HOUSEHOLD_LIST, "building": "1栋", "csrf_token": token} | form
    response = client.post("/prints/", data=fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]


def _text(path: str) -> str:
    with open(path, "rb") as pdf:
        return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.read())).pages)


def test_a_web_print_shows_the_write_just_before_it_from_the_pages_read_model(
    app, client, auth, store
):
    app.config["PRINT_WORKERS"] = 0
    _save(store, "101")
    auth.login("reviewer")
    derived = context(app).derived
    first = runner(app).wait(_start(client, records="all"))
    assert first.state == "done", first.error
    assert derived.full_reads == 1  # the print read the records once, into the read model
    _save(store, "102", NEWCOMER, user="surveyor1")  # a surveyor's: waits for review
    everything = runner(app).wait(_start(client, records="all"))
    approved = runner(app).wait(_start(client))  # 已审核: the newcomer is not counted
    assert everything.state == approved.state == "done"
    assert NEWCOMER in _text(everything.result)
    assert NEWCOMER not in _text(approved.result) and "待审核" in _text(approved.result)
    # the write was taken into the read model document by document: no read of everything
    assert derived.full_reads == 1
    # and the registers page sees the same records, from the same read model
    newest = derived.view(date.today(), False).records.households[-1]
    assert newest["members"][0]["name"] == NEWCOMER


def _names(the_plan) -> str:
    return json.dumps([part.context for part in the_plan.parts], ensure_ascii=False, default=str)


def test_the_workers_planning_rereads_only_after_another_servers_write(tmp_path, pg_url):
    config = load_config(
        {"DATA_DIR": str(tmp_path / "worker"), "DATABASE_URL": pg_url, "FSYNC": False}
    )
    census = Census.open(config)
    other = open_store(pg_url)  # another app server on the same database
    try:
        census.store.collection("buildings").insert({"name": "1栋", "grid": "第一网格"})
        _save(census.store, "101")
        make_plan = _make_plan(census)
        request = PrintRequest(HOUSEHOLD_LIST, building="1栋", approved=False)
        make_plan(request)
        assert census.derived.full_reads == 1
        again = make_plan(request)  # nothing changed: the read model as it was
        assert census.derived.full_reads == 1 and NEWCOMER not in _names(again)
        _save(other, "102", NEWCOMER)  # a write this process was not told of
        after_other = make_plan(request)
        assert NEWCOMER in _names(after_other)
        # read again in full, or document by document once the store follows other
        # servers' writes so: at most once either way
        reads = census.derived.full_reads
        assert reads in (1, 2)
        _save(census.store, "103", "马晓东")  # its own write: taken in document by document
        after_own = make_plan(request)
        assert "马晓东" in _names(after_own) and NEWCOMER in _names(after_own)
        make_plan(request)
        assert census.derived.full_reads == reads
    finally:
        other.close()
        census.close()


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


def test_a_print_asked_on_postgres_shows_the_write_just_before_it(pg_app, pg_url):
    store = get_store(pg_app)
    _save(store, "101")
    client = pg_app.test_client()
    Auth(client).login("reviewer")
    jobs = runner(pg_app)
    assert isinstance(jobs, SharedJobRunner)
    # the worker's planning on this app's context (one process here: the server's writes
    # are its own, told document by document)
    make_plan = _make_plan(context(pg_app))
    first = jobs.run(_start(client, records="all"), make_plan)
    assert first is not None and first.state == "done", first and first.error
    _save(store, "102", NEWCOMER)
    job_id = _start(client, records="all")
    assert jobs.get(job_id).state == "queued"  # waits for a worker
    second = jobs.run(job_id, make_plan)
    assert second is not None and second.state == "done", second and second.error
    assert NEWCOMER in _text(jobs.get(job_id).result)
    assert context(pg_app).derived.full_reads == 1
