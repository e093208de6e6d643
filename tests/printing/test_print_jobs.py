"""Print jobs on the web: queued → running → done with progress, downloads for the owner
and admins only, full ID numbers for admins only, every print in the audit log."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from census.printing.jobs import Job
from census.printing.plans import PrintRequest
from census.services import audit, records
from census.services.accounts import add_user
from census.surveys.definition import load_surveys
from census.web.prints import runner
from tests.conftest import FAST_HASH, PASSWORD, csrf_token
from tests.factories import make_household


@pytest.fixture
def people(app, store):
    """Two households in 1栋 and one in 2栋; print jobs render in the server's thread."""
    app.config["PRINT_WORKERS"] = 0
    form = load_surveys()["household"]
    saved = []
    for building, room in (("1栋", "101"), ("1栋", "102"), ("2栋", "201")):
        result = records.save(store, form, make_household(building=building, room=room), user="t")
        assert result.saved, result.problems
        saved.append(store.collection("households").get(result.id))
    add_user(store, "reviewer2", "reviewer", PASSWORD, hash_method=FAST_HASH)
    return saved


def fetch(client, url: str):
    """GET a download, read it and close the file behind it."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def start(client, **form) -> str:
    token = csrf_token(client, "/prints/")
    response = client.post("/prints/", data={"as_of": "2025-09-01", "csrf_token": token, **form})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]


def test_a_job_goes_queued_running_done_and_its_owner_downloads(app, client, auth, store, people):
    auth.login("reviewer")
    job_id = start(client, target="household-list")
    job = runner(app).wait(job_id)
    assert job.state == "done", job.error
    states = [state for state, _, _ in job.history]
    assert states[0] == "queued" and states[-1] == "done"
    assert "running" in states and states.index("running") < states.index("done")
    progress = [(done, total) for state, done, total in job.history if state == "running" and total]
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)
    assert progress[-1] == (2, 2)  # two buildings with households, one part each

    status = client.get(f"/prints/{job_id}.json").get_json()
    assert (status["state"], status["done"], status["total"], status["percent"]) == (
        "done",
        2,
        2,
        100,
    )
    page = client.get(f"/prints/{job_id}").get_data(as_text=True)
    assert "下载 PDF" in page and 'http-equiv="refresh"' not in page

    response = fetch(client, status["download"])
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "1栋 住户花名册" in text and "2栋 住户花名册" in text
    for household in people:
        for member in household["members"]:
            assert member["id_number"] not in re.sub(r"\s+", "", text)

    logged = audit.entries(store, action="print", actor="reviewer")
    assert logged[0]["target"] == "household-list/community"
    assert logged[0]["detail"]["job"] == job_id and logged[0]["detail"]["full_ids"] is False


def test_only_the_owner_and_admins_may_see_or_download(app, client, auth, people):
    auth.login("reviewer")
    job_id = start(client, target="summary")
    assert runner(app).wait(job_id).state == "done"
    auth.logout()
    auth.login("reviewer2")
    for url in (f"/prints/{job_id}", f"/prints/{job_id}.json", f"/prints/{job_id}/download"):
        assert fetch(client, url).status_code == 403
    assert job_id not in client.get("/prints/").get_data(as_text=True)
    auth.logout()
    auth.login("admin")
    assert fetch(client, f"/prints/{job_id}/download").status_code == 200
    assert job_id in client.get("/prints/").get_data(as_text=True)
    auth.logout()
    auth.login("surveyor1")
    assert client.get("/prints/").status_code == 403
    assert fetch(client, f"/prints/{job_id}/download").status_code == 403


def test_full_ids_only_for_admins_and_logged(app, client, auth, store, people):
    auth.login("reviewer")
    token = csrf_token(client, "/prints/")
    refused = client.post(
        "/prints/",
        data={"target": "household-list", "building": "1栋", "full_ids": "1", "csrf_token": token},
    )
    assert refused.status_code == 403
    assert "完整证件号码" not in client.get("/prints/").get_data(as_text=True)
    auth.logout()

    auth.login("admin")
    assert "打印完整证件号码" in client.get("/prints/").get_data(as_text=True)
    job_id = start(client, target="household-list", building="1栋", full_ids="1")
    assert runner(app).wait(job_id).state == "done"
    data = fetch(client, f"/prints/{job_id}/download").data
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert all(m["id_number"] in text for m in people[0]["members"])
    entry = audit.entries(store, action="print", actor="admin")[0]
    assert entry["target"] == "household-list/building:1栋"
    assert entry["detail"]["full_ids"] is True
    assert audit.entries(store, action="print_download", actor="admin")[0]["detail"]["full_ids"]


def test_a_register_job_and_an_unknown_building(app, client, auth, people):
    auth.login("reviewer")
    job = runner(app).wait(start(client, target="registered", grid="第一网格"))
    assert job.state == "done" and job.pages >= 1
    token = csrf_token(client, "/prints/")
    response = client.post(
        "/prints/",
        data={"target": "household-list", "building": "99栋", "csrf_token": token},
        follow_redirects=True,
    )
    assert "99栋" in response.get_data(as_text=True)


def test_a_waiting_job_page_refreshes_itself_without_scripts(app, client, auth, people):
    auth.login("reviewer")
    waiting = Job(id="abc123", owner="reviewer", request=PrintRequest("summary"), total=4, done=1)
    runner(app)._jobs[waiting.id] = waiting
    page = client.get("/prints/abc123").get_data(as_text=True)
    assert '<noscript><meta http-equiv="refresh"' in page
    assert '<progress id="bar" max="100" value="25">' in page
    assert "排队中" in page and "/prints/abc123.json" in page


def test_the_building_print_button_uses_the_cache(app, client, auth, store, people):
    auth.login("reviewer")
    first = client.get("/buildings/1栋/household-list.pdf")
    assert first.status_code == 200
    cached = list((Path(app.config["DATA_DIR"]) / "print-cache").glob("*.pdf"))
    assert len(cached) == 1
    again = client.get("/buildings/1栋/household-list.pdf")
    assert again.data == first.data


def test_jobs_survive_a_restart_and_an_unfinished_one_shows_as_interrupted(tmp_path, demo_records):
    import json

    from census.printing.jobs import JobRunner
    from census.printing.plans import plan

    request = PrintRequest("household-list", building=demo_records.buildings[0]["name"])
    first = JobRunner(tmp_path, workers=0)
    job = first.submit("admin", request, lambda r: plan(r, demo_records))
    done = first.wait(job.id)
    assert done.state == "done", done.error
    first.shutdown()
    # the record a server leaves behind when it stops in the middle of a print
    stuck = Job(id="0123abcd", owner="reviewer", request=request, state="running", done=2, total=5)
    (tmp_path / "print-jobs" / "0123abcd.json").write_text(json.dumps(stuck.record()))

    again = JobRunner(tmp_path, workers=0)
    kept = again.get(job.id)
    assert (kept.state, kept.owner, kept.title, kept.pages, kept.result) == (
        "done",
        "admin",
        done.title,
        done.pages,
        done.result,
    )
    assert kept.request == done.request and Path(kept.result).exists()
    interrupted = again.get("0123abcd")
    assert interrupted.state == "failed" and "interrupted" in interrupted.error
    assert [j.id for j in again.jobs("reviewer")] == ["0123abcd"]
    again.shutdown()
    # the interrupted state is kept: a third start does not see it as running again
    assert JobRunner(tmp_path, workers=0).get("0123abcd").state == "failed"


def test_printing_everything_leaves_the_stored_records_as_they_were(store, people, tmp_path):
    from census.printing.pipeline import print_parts
    from census.printing.plans import plan, read_records

    before = store.collection("households").scan()
    for target in ("household-list", "household-cards", "summary", "elderly_60", "minority"):
        records_ = read_records(store, "幸福社区")
        the_plan = plan(PrintRequest(target, full_ids=True), records_)
        print_parts(the_plan.parts, tmp_path / f"{target}.pdf", tmp_path, workers=0)
    assert store.collection("households").scan() == before
