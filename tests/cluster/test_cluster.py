"""Two ``census serve`` processes and workers on one PostgreSQL database, behind a proxy
that sends each request to the other server: one truth whichever server answers."""

from __future__ import annotations

import io
import re
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
import requests
import yaml
from pypdf import PdfReader

from tests.cluster.conftest import ADMIN, csrf, login, uploaded, upstream, wait_for, workbook
from tests.servers import Server, household

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sheets"))
import hostile_files as hf  # noqa: E402

pytestmark = pytest.mark.postgres
HOUSEHOLDS = 160  # enough cards that the print is caught in the middle


def _admin(cluster) -> requests.Session:
    session = requests.Session()
    page, answer = login(session, cluster.url, *ADMIN)
    assert answer.status_code == 302, answer.text[:300]
    assert upstream(page) != upstream(answer)
    return session


def test_a_login_on_one_server_holds_on_the_other(cluster):
    session = requests.Session()
    page, answer = login(session, cluster.url, *ADMIN)
    # the form's CSRF token (signed by one server) was taken by the other
    assert upstream(page) != upstream(answer) and answer.status_code == 302
    seen = set()
    for _ in range(4):
        page = session.get(f"{cluster.url}/prints/", allow_redirects=False)
        assert page.status_code == 200, page.status_code
        seen.add(upstream(page))
    assert len(seen) == 2


def test_failed_logins_count_across_both_servers(cluster):
    session = requests.Session()
    answers = []
    page = session.get(f"{cluster.url}/login")  # one form, posted six times in turn
    for _ in range(6):
        answer = session.post(
            f"{cluster.url}/login",
            # an unknown username is counted exactly as an account is (and leaves admin be)
            data={"username": "ghost", "password": "wrong-pass-9", "csrf_token": csrf(page)},
            allow_redirects=False,
        )
        answers.append((answer.status_code, upstream(answer)))
    assert {where for _, where in answers} == {
        s.url.removeprefix("http://") for s in cluster.servers
    }
    # five free failures in all, then the wait: three on each server would never lock
    assert [code for code, _ in answers[:5]] == [200] * 5
    assert answers[5][0] == 429


def test_a_staff_survey_added_on_one_server_is_served_by_the_other_at_once(cluster):
    session = _admin(cluster)
    definition = {
        "form": "pets",
        "title": {"zh": "犬只登记", "en": "Dog register"},
        "fields": [{"key": "dog_name", "type": "text", "label": "犬名", "required": True}],
    }
    page = session.get(f"{cluster.url}/admin/surveys/")
    added = session.post(
        f"{cluster.url}/admin/surveys/",
        data={"csrf_token": csrf(page)},
        files={"file": ("pets.yaml", io.BytesIO(yaml.safe_dump(definition).encode()))},
        allow_redirects=False,
    )
    assert added.status_code == 302, added.text[:500]
    for _ in range(2):  # the next request goes to the other server, then back
        form = session.get(f"{cluster.url}/survey/pets/new")
        assert form.status_code == 200 and "犬名" in form.text, upstream(form)


def _start_print(cluster, session, **fields) -> tuple[str, str]:
    page = session.get(f"{cluster.url}/prints/")
    answer = session.post(
        f"{cluster.url}/prints/",
        data={"csrf_token": csrf(page), "records": "all"} | fields,
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text[:500]
    return answer.headers["Location"].rstrip("/").rsplit("/", 1)[-1], upstream(answer)


def _status(cluster, session, job_id):
    return session.get(f"{cluster.url}/prints/{job_id}.json").json()


def test_a_print_started_on_one_server_runs_on_the_worker_and_downloads_from_the_other(cluster):
    cluster.worker()
    session = _admin(cluster)
    job_id, started_on = _start_print(cluster, session, target="household-list", building="1栋")
    done = wait_for(
        lambda: (s := _status(cluster, session, job_id))["state"] == "done" and s,
        60,
        "the print is done",
    )
    assert done["pages"] >= 1
    listed = session.get(f"{cluster.url}/prints/")
    assert job_id in listed.text
    pdf = session.get(f"{cluster.url}/prints/{job_id}/download")
    if upstream(pdf) == started_on:  # the other server's turn next
        pdf = session.get(f"{cluster.url}/prints/{job_id}/download")
    assert upstream(pdf) != started_on and pdf.status_code == 200
    reader = PdfReader(io.BytesIO(pdf.content))
    assert len(reader.pages) == done["pages"]
    assert "1栋" in reader.pages[0].extract_text()
    cluster.stop_workers()


def _households(cluster, count: int) -> None:
    headers = {"Authorization": f"Bearer {cluster.token}"}
    with requests.Session() as api:
        for n in range(count):
            answer = api.post(
                f"{cluster.url}/api/v1/households", json=household(n), headers=headers
            )
            assert answer.status_code == 201, answer.text[:300]


def test_a_worker_killed_mid_print_leaves_the_job_to_the_next_worker(cluster):
    _households(cluster, HOUSEHOLDS)
    first = cluster.worker()
    session = _admin(cluster)
    job_id, _ = _start_print(cluster, session, target="household-cards")
    running = wait_for(
        lambda: (
            (s := _status(cluster, session, job_id))["state"] == "running"
            and 0 < s["done"] < s["total"]
            and s
        ),
        60,
        "the print is under way",
    )
    first.kill()  # kill -9 in the middle of the print
    for _ in range(2):  # neither server calls it done, nor serves half a file
        status = _status(cluster, session, job_id)
        assert status["state"] == "running" and "download" not in status, status
        assert session.get(f"{cluster.url}/prints/{job_id}/download").status_code == 404
    cluster.worker()
    done = wait_for(
        lambda: (s := _status(cluster, session, job_id))["state"] in ("done", "failed") and s,
        90,
        "the second worker finishes the print",
    )
    assert done["state"] == "done", done
    assert done["total"] == running["total"]
    for _ in range(2):  # from both servers
        pdf = session.get(f"{cluster.url}/prints/{job_id}/download")
        assert pdf.status_code == 200
        assert len(PdfReader(io.BytesIO(pdf.content)).pages) == done["pages"]


def test_a_print_of_an_added_community_runs_on_that_communitys_worker(cluster):
    added = cluster.census("community", "add", "第二社区", "--code", "c2")
    assert added.returncode == 0, added.stderr
    account = ("admin2", "second-office-26")
    made = cluster.census(
        "--community", "c2", "user", "add", account[0], "--role", "admin",
        "--password", account[1],
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    cluster.worker(community="c2")
    session = requests.Session()
    session.get(f"{cluster.url}/login?community=c2")  # remembered in a cookie
    _page, answer = login(session, cluster.url, *account)
    assert answer.status_code == 302, answer.text[:300]
    job_id, started_on = _start_print(cluster, session, target="summary")
    done = wait_for(
        lambda: (s := _status(cluster, session, job_id))["state"] == "done" and s,
        60,
        "the second community's print is done",
    )
    pdf = session.get(f"{cluster.url}/prints/{job_id}/download")
    if upstream(pdf) == started_on:
        pdf = session.get(f"{cluster.url}/prints/{job_id}/download")
    assert pdf.status_code == 200 and upstream(pdf) != started_on
    assert len(PdfReader(io.BytesIO(pdf.content)).pages) == done["pages"]
    assert "第二社区" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    cluster.stop_workers()


def _text(pdf: requests.Response) -> str:
    assert pdf.status_code == 200, pdf.status_code
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)


def _done(cluster, session, job_id: str, what: str) -> dict:
    status = wait_for(
        lambda: (s := _status(cluster, session, job_id))["state"] in ("done", "failed") and s,
        60,
        what,
    )
    assert status["state"] == "done", status
    return status


def test_a_print_on_the_worker_shows_the_household_saved_just_before_it(cluster):
    worker = cluster.worker()
    session = _admin(cluster)
    job_id, _ = _start_print(cluster, session, target="household-list", building="3栋")
    _done(cluster, session, job_id, "the first print is done")  # the worker's read model made
    newcomer = household(9002) | {"room": "902"}  # 9002 % 8 buildings: 3栋
    newcomer["members"][0]["name"] = "贺新来"
    with requests.Session() as api:
        saved = api.post(
            f"{cluster.url}/api/v1/households",
            json=newcomer,
            headers={"Authorization": f"Bearer {cluster.token}"},
        )
    assert saved.status_code == 201, saved.text[:300]
    job_id, _ = _start_print(cluster, session, target="household-list", building="3栋")
    _done(cluster, session, job_id, "the second print is done")
    text = _text(session.get(f"{cluster.url}/prints/{job_id}/download"))
    assert "贺新来" in text and "902" in text, worker.output()[-2000:]
    cluster.stop_workers()


def _community(cluster, code: str, name: str) -> requests.Session:
    """A community added to the street, with an admin of its own logged in to it."""
    added = cluster.census("community", "add", name, "--code", code)
    assert added.returncode == 0, added.stderr
    account = (f"admin_{code}", "office-pass-26")
    made = cluster.census(
        "--community", code, "user", "add", account[0], "--role", "admin",
        "--password", account[1],
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    session = requests.Session()
    session.get(f"{cluster.url}/login?community={code}")  # remembered in a cookie
    _page, answer = login(session, cluster.url, *account)
    assert answer.status_code == 302, answer.text[:300]
    return session


def test_one_worker_prints_for_every_community_and_for_one_added_while_it_runs(cluster):
    east = _community(cluster, "east", "东区社区")
    worker = cluster.worker()  # no --community: the whole street
    first = _admin(cluster)
    asked = [(first, *_start_print(cluster, first, target="summary"))]
    asked.append((east, *_start_print(cluster, east, target="summary")))
    for session, job_id, _ in asked:
        _done(cluster, session, job_id, "a print of each community is done")
    east_job = asked[1][1]
    assert "东区社区" in _text(east.get(f"{cluster.url}/prints/{east_job}/download"))
    west = _community(cluster, "west", "西区社区")  # added after the worker started
    job_id, _ = _start_print(cluster, west, target="summary")
    _done(cluster, west, job_id, "the print of the community added since is done")
    assert "西区社区" in _text(west.get(f"{cluster.url}/prints/{job_id}/download"))
    assert worker.process.poll() is None and len(cluster.workers) == 1
    assert "takes the jobs of queue west" in worker.output()
    cluster.stop_workers()


def _households_stored(cluster) -> int:
    with psycopg.connect(cluster.env["CENSUS_DATABASE_URL"]) as conn:
        row = conn.execute(
            "SELECT count(*) FROM census_documents WHERE collection = 'households'"
        ).fetchone()
    return int(row[0])


def _job_of(answer: requests.Response) -> str:
    assert answer.status_code == 302, answer.text[:300]
    found = re.search(r"/sheets/job/([0-9a-f]{16})$", answer.headers["Location"])
    assert found, answer.headers["Location"]
    return found.group(1)


def _finished(session, base: str, job_id: str) -> dict:
    return wait_for(
        lambda: (s := session.get(f"{base}/sheets/job/{job_id}.json").json())["finished"] and s,
        60,
        "the import job is finished",
    )


def test_an_import_uploaded_on_one_server_is_checked_and_applied_on_the_other(cluster, tmp_path):
    session = _admin(cluster)
    one, two = (server.url for server in cluster.servers)
    rows = 40
    data = hf.normal_xlsx(tmp_path / "register.xlsx", rows).read_bytes()
    before = _households_stored(cluster)
    page = session.get(f"{one}/sheets/")
    sent = session.post(
        f"{one}/sheets/upload",
        data={"csrf_token": csrf(page), "form": "household"},
        files={"file": ("台账.xlsx", io.BytesIO(data))},
        allow_redirects=False,
    )
    assert sent.status_code == 302, sent.text[:300]
    upload_id = re.search(r"/sheets/import/([0-9a-f]{16})", sent.headers["Location"]).group(1)
    # the other server reads the file (from the database) for the mapping, and checks it
    mapping = session.get(f"{two}/sheets/import/{upload_id}")
    assert mapping.status_code == 200 and "户编号" in mapping.text
    check = _job_of(session.get(f"{two}/sheets/import/{upload_id}/report", allow_redirects=False))
    assert _finished(session, one, check)["state"] == "done"  # its progress, seen on the first
    shown = session.get(f"{two}/sheets/job/{check}", allow_redirects=False)
    report = session.get(f"{two}{shown.headers['Location']}")
    assert report.status_code == 200 and f'class="count-new">{rows}<' in report.text
    fingerprint = re.search(r'name="fingerprint" value="([^"]+)"', report.text).group(1)
    token = csrf(report)

    # an admin clicks import on both servers at once: one imports, once
    def apply(base: str) -> requests.Response:
        with requests.Session() as other:
            other.cookies.update(session.cookies)
            return other.post(
                f"{base}/sheets/import/{upload_id}/apply",
                data={"csrf_token": token, "fingerprint": fingerprint},
                allow_redirects=False,
            )

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(apply, (one, two)))
    jobs = {_job_of(a) for a in answers if "/sheets/job/" in a.headers.get("Location", "")}
    assert len(jobs) == 1, [(a.status_code, a.headers.get("Location")) for a in answers]
    (job,) = jobs
    status = _finished(session, two, job)
    assert (status["kind"], status["state"]) == ("apply", "done"), status
    for base in (one, two):  # its result on either server
        done = session.get(f"{base}/sheets/job/{job}")
        assert done.status_code == 200 and "台账.xlsx" in done.text, done.text[:300]
    assert _households_stored(cluster) == before + rows
    # the upload is gone from both; applying it again imports nothing
    for base in (one, two):
        again = session.post(
            f"{base}/sheets/import/{upload_id}/apply",
            data={"csrf_token": token, "fingerprint": fingerprint},
            allow_redirects=False,
        )
        assert again.status_code == 404
    assert _households_stored(cluster) == before + rows


def _report(session, base: str, upload_id: str) -> requests.Response:
    """The upload's report on one server (checked there, waited for)."""
    answer = session.get(f"{base}/sheets/import/{upload_id}/report", allow_redirects=False)
    if answer.status_code == 302:
        assert _finished(session, base, _job_of(answer))["state"] == "done"
        answer = session.get(f"{base}/sheets/import/{upload_id}/report", allow_redirects=False)
    assert answer.status_code == 200, answer.headers.get("Location")
    return answer


def _count(report: requests.Response, action: str) -> int:
    return int(re.search(rf'class="count-{action}">(\d+)<', report.text).group(1))


def _apply(session, base: str, upload_id: str, report: requests.Response) -> str:
    fingerprint = re.search(r'name="fingerprint" value="([^"]+)"', report.text).group(1)
    return _job_of(
        session.post(
            f"{base}/sheets/import/{upload_id}/apply",
            data={"csrf_token": csrf(report), "fingerprint": fingerprint},
            allow_redirects=False,
        )
    )


def _housing(cluster, housing: str) -> int:
    with psycopg.connect(cluster.env["CENSUS_DATABASE_URL"]) as conn:
        row = conn.execute(
            "SELECT count(*) FROM census_documents WHERE collection = 'households'"
            " AND doc->>'household_no' LIKE 'H2%%' AND doc->>'housing' = %s",
            (housing,),
        ).fetchone()
    return int(row[0])


def test_a_server_killed_mid_import_leaves_the_rest_to_be_checked_and_imported_once(
    cluster, tmp_path
):
    session = _admin(cluster)
    one, two = (server.url for server in cluster.servers)
    third = Server(cluster.env | {"CENSUS_DATA_DIR": str(cluster.root / "server3")})
    try:
        rows = hf.people(300, start=2001)  # H2001 … H2300
        first = uploaded(session, one, workbook(tmp_path / "a.xlsx", hf.HEADER, rows))
        job = _apply(session, one, first, _report(session, one, first))
        assert _finished(session, one, job)["state"] == "done"
        stored = _households_stored(cluster)
        # the same households moved into public housing: 300 changes, saved one by one
        moved = [[*row[:3], "公租房", *row[4:]] for row in rows]
        upload_id = uploaded(session, third.url, workbook(tmp_path / "b.xlsx", hf.HEADER, moved))
        report = _report(session, third.url, upload_id)
        assert _count(report, "update") == 300
        job = _apply(session, third.url, upload_id, report)
        wait_for(
            lambda: (
                (s := session.get(f"{one}/sheets/job/{job}.json").json())["step"] == "save"
                and s["done"] >= 20
            ),
            60,
            "the import is saving",
        )
        third.process.send_signal(signal.SIGKILL)  # kill -9 in the middle of the changes
        third.process.wait()
        cut = _housing(cluster, "public")
        assert 0 < cut < 300
        failed = _finished(session, two, job)  # seen by another server once it is silent
        assert failed["state"] == "failed"
        answer = session.get(f"{two}/sheets/job/{job}", allow_redirects=False)
        assert answer.headers["Location"].endswith(f"/sheets/import/{upload_id}")  # kept
        again = _report(session, two, upload_id)  # checked again: what is left
        assert (_count(again, "update"), _count(again, "unchanged")) == (300 - cut, cut)
        job = _apply(session, two, upload_id, again)
        assert _finished(session, one, job)["state"] == "done"
        assert _housing(cluster, "public") == 300
        assert _households_stored(cluster) == stored  # none twice
    finally:
        third.stop()
