"""An import checked on one server is shown and imported by another without planning the
file again: the check's plan is kept in the database (census.sheets.checked) and read
back. Two real ``census serve`` processes on one PostgreSQL schema (tests/cluster's
fixture); with ``CENSUS_IMPORT_WAIT_SECONDS=0`` a server that checks the file itself
answers the report with a redirect to the check's progress page, so a report page that
answers 200 at once was not planned there."""

from __future__ import annotations

import re
import signal
import sys
from pathlib import Path

import psycopg
import pytest
import requests

from census.sheets import checked
from census.sheets.plan import NEW, UPDATE
from census.surveys.definition import load_surveys
from tests.cluster.conftest import ADMIN, csrf, login, uploaded, wait_for, workbook
from tests.servers import Server, household

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sheets"))
import hostile_files as hf  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import import_persons  # noqa: E402

pytestmark = pytest.mark.postgres


def _admin(cluster) -> requests.Session:
    session = requests.Session()
    login(session, cluster.url, *ADMIN)
    return session


def _job_of(answer: requests.Response) -> str:
    assert answer.status_code == 302, answer.text[:300]
    found = re.search(r"/sheets/job/([0-9a-f]{16})$", answer.headers["Location"])
    assert found, answer.headers["Location"]
    return found.group(1)


def _finished(session, base: str, job_id: str, timeout: float = 90) -> dict:
    return wait_for(
        lambda: (s := session.get(f"{base}/sheets/job/{job_id}.json").json())["finished"] and s,
        timeout,
        "the import job is finished",
    )


def _checked_on(session, base: str, upload_id: str) -> requests.Response:
    """The report on ``base``, checked there (its job waited for)."""
    answer = session.get(f"{base}/sheets/import/{upload_id}/report", allow_redirects=False)
    job = _job_of(answer)
    assert _finished(session, base, job)["state"] == "done"
    answer = session.get(f"{base}/sheets/import/{upload_id}/report", allow_redirects=False)
    assert answer.status_code == 200, answer.headers.get("Location")
    return answer


def _count(report: requests.Response, action: str) -> int:
    return int(re.search(rf'class="count-{action}">(\d+)<', report.text).group(1))


def _fingerprint(report: requests.Response) -> str:
    return re.search(r'name="fingerprint" value="([^"]+)"', report.text).group(1)


def _db(cluster):
    return psycopg.connect(cluster.env["CENSUS_DATABASE_URL"])


def _checks(cluster, upload_id: str) -> int:
    with _db(cluster) as conn:
        row = conn.execute(
            "SELECT count(*) FROM census_jobs WHERE kind = 'import' AND doc->>'kind' = 'check'"
            " AND doc->>'upload_id' = %s",
            (upload_id,),
        ).fetchone()
    return int(row[0])


def _kept_plan(cluster, upload_id: str):
    with _db(cluster) as conn:
        rows = conn.execute(
            "SELECT data FROM census_files WHERE folder = 'imports' AND name = %s ORDER BY part",
            (f"{upload_id}.plan",),
        ).fetchall()
    if not rows:
        return None
    return checked.load(b"".join(bytes(r[0]) for r in rows), load_surveys()["household"])


def _stored(cluster) -> dict[str, dict]:
    with _db(cluster) as conn:
        rows = conn.execute(
            "SELECT id, rev, doc FROM census_documents WHERE collection = 'households'"
        ).fetchall()
    return {doc.get("household_no"): doc | {"id": id_, "_rev": rev} for id_, rev, doc in rows}


def test_a_check_on_one_server_is_shown_and_imported_by_the_other_as_checked(cluster, tmp_path):
    session = _admin(cluster)
    one, two = (server.url for server in cluster.servers)
    rows = hf.people(60, start=5001)  # H5001 … H5060
    first = uploaded(session, one, workbook(tmp_path / "a.xlsx", hf.HEADER, rows[:30]))
    report = _checked_on(session, one, first)
    job = _job_of(
        session.post(
            f"{one}/sheets/import/{first}/apply",
            data={"csrf_token": csrf(report), "fingerprint": _fingerprint(report)},
            allow_redirects=False,
        )
    )
    assert _finished(session, one, job)["state"] == "done"
    # the same 30 with ten moved into public housing, 30 new ones and one without a number
    moved = [[*row[:3], "公租房", *row[4:]] if n < 10 else row for n, row in enumerate(rows)]
    broken = [["H5099", "1栋", "5099", "自有", "无号", "户主", "1101"]]
    upload_id = uploaded(session, one, workbook(tmp_path / "b.xlsx", hf.HEADER, moved + broken))
    shown_one = _checked_on(session, one, upload_id)
    assert (_count(shown_one, NEW), _count(shown_one, UPDATE)) == (30, 10)
    assert _count(shown_one, "unchanged") == 20 and _count(shown_one, "rejected") == 1

    # the other server shows it at once: no check of its own (that would be a redirect)
    shown_two = session.get(f"{two}/sheets/import/{upload_id}/report", allow_redirects=False)
    assert shown_two.status_code == 200, shown_two.headers.get("Location")
    for action in (NEW, UPDATE, "unchanged", "rejected"):
        assert _count(shown_two, action) == _count(shown_one, action)
    assert _fingerprint(shown_two) == _fingerprint(shown_one)
    assert "住房性质" in shown_two.text and "公租房" in shown_two.text  # the changes listed
    assert shown_two.text.count('<tr class="error">') == shown_one.text.count('<tr class="error">')
    assert _checks(cluster, upload_id) == 1
    plan, check_job = _kept_plan(cluster, upload_id)
    assert plan.fingerprint() == _fingerprint(shown_one) and check_job
    # its report workbook too (the file read there, the plan not made again)
    report_book = session.get(f"{two}/sheets/import/{upload_id}/report.xlsx")
    assert report_book.status_code == 200 and report_book.content[:2] == b"PK"

    job = _job_of(
        session.post(
            f"{two}/sheets/import/{upload_id}/apply",
            data={"csrf_token": csrf(shown_two), "fingerprint": _fingerprint(shown_two)},
            allow_redirects=False,
        )
    )
    status = _finished(session, two, job)
    assert (status["kind"], status["state"]) == ("apply", "done"), status
    done = session.get(f"{two}/sheets/job/{job}")
    assert done.status_code == 200 and "台账.xlsx" in done.text
    assert _checks(cluster, upload_id) == 1  # the apply planned nothing either
    # what landed is what the plan said
    stored = _stored(cluster)
    for planned in plan.records:
        record = planned.record or {}
        if planned.action == NEW:
            doc = stored[record["household_no"]]
            assert doc["members"][0]["id_number"] == record["members"][0]["id_number"]
            assert doc["housing"] == record["housing"] == "owned"
        elif planned.action == UPDATE:
            doc = stored[record["household_no"]]
            assert doc["id"] == planned.target["id"] and doc["_rev"] == planned.target["_rev"] + 1
            assert [c.key for c in planned.changes] == ["housing"]
            assert doc["housing"] == planned.changes[0].new == "public"
    assert "H5099" not in stored
    assert sum(1 for no in stored if no and no.startswith("H50")) == 60
    assert _kept_plan(cluster, upload_id) is None  # gone with the upload


def test_an_import_checked_on_one_server_is_applied_by_the_other_without_its_report(
    cluster, tmp_path
):
    session = _admin(cluster)
    one, two = (server.url for server in cluster.servers)
    upload_id = uploaded(
        session, one, workbook(tmp_path / "d.xlsx", hf.HEADER, hf.people(15, start=8001))
    )
    report = _checked_on(session, one, upload_id)
    job = _job_of(
        session.post(
            f"{two}/sheets/import/{upload_id}/apply",
            data={"csrf_token": csrf(report), "fingerprint": _fingerprint(report)},
            allow_redirects=False,
        )
    )
    assert _finished(session, one, job)["state"] == "done"
    done = session.get(f"{one}/sheets/job/{job}")
    assert done.status_code == 200 and "台账.xlsx" in done.text
    assert sum(1 for no in _stored(cluster) if no and no.startswith("H80")) == 15
    assert _checks(cluster, upload_id) == 1


def test_a_check_whose_store_changed_since_is_planned_again_by_the_other(cluster, tmp_path):
    session = _admin(cluster)
    one, two = (server.url for server in cluster.servers)
    upload_id = uploaded(
        session, one, workbook(tmp_path / "c.xlsx", hf.HEADER, hf.people(20, start=6001))
    )
    _checked_on(session, one, upload_id)
    answer = requests.post(
        f"{cluster.url}/api/v1/households",
        json=household(7001),
        headers={"Authorization": f"Bearer {cluster.token}"},
    )
    assert answer.status_code == 201, answer.text[:300]
    # the households changed after the check: the other server checks the file again
    again = session.get(f"{two}/sheets/import/{upload_id}/report", allow_redirects=False)
    assert _finished(session, two, _job_of(again))["state"] == "done"
    assert _checks(cluster, upload_id) == 2
    shown = session.get(f"{two}/sheets/import/{upload_id}/report", allow_redirects=False)
    assert shown.status_code == 200 and _count(shown, NEW) == 20


def test_a_server_killed_mid_check_leaves_the_check_failed_and_a_new_one_works(cluster, tmp_path):
    session = _admin(cluster)
    two = cluster.servers[1].url
    third = Server(cluster.env | {"CENSUS_DATA_DIR": str(cluster.root / "server3")})
    try:
        path = tmp_path / "big.xlsx"
        import_persons.write_xlsx(path, import_persons.person_rows(2500, seed=7))
        upload_id = uploaded(session, third.url, path.read_bytes())
        answer = session.get(f"{third.url}/sheets/import/{upload_id}/report", allow_redirects=False)
        job = _job_of(answer)
        wait_for(
            lambda: (
                (s := session.get(f"{two}/sheets/job/{job}.json").json())["step"] == "check"
                and s["done"] > 0
            ),
            120,
            "the check is checking",
        )
        third.process.send_signal(signal.SIGKILL)  # kill -9 in the middle of the check
        third.process.wait()
        failed = _finished(session, two, job, timeout=60)  # seen once its heartbeat is silent
        assert failed["state"] == "failed"
        assert _kept_plan(cluster, upload_id) is None  # nothing half-kept
        shown = session.get(f"{two}/sheets/job/{job}", allow_redirects=False)
        assert shown.headers["Location"].endswith(f"/sheets/import/{upload_id}")  # kept
        answer = session.get(f"{two}/sheets/import/{upload_id}/report", allow_redirects=False)
        assert _finished(session, two, _job_of(answer), timeout=180)["state"] == "done"
        report = session.get(f"{two}/sheets/import/{upload_id}/report", allow_redirects=False)
        assert report.status_code == 200 and _count(report, NEW) == 2500
        plan, _job = _kept_plan(cluster, upload_id)
        assert plan.count(NEW) == 2500 and plan.fingerprint() == _fingerprint(report)
    finally:
        third.stop()


def test_a_checks_plan_is_kept_with_its_end_and_not_for_an_upload_discarded_meanwhile(
    tmp_path, pg_url
):
    from datetime import date

    from census.app import create_app
    from census.sheets import jobs as import_jobs
    from census.sheets import uploads
    from census.sheets.checked import Checked
    from census.sheets.wizard import PLAN_COLLECTIONS, plan_file
    from census.web.current import get_store

    app = create_app({"DATA_DIR": str(tmp_path / "a"), "DATABASE_URL": pg_url, "FSYNC": False})
    try:
        store = get_store(app)
        shared, form = store.shared, load_surveys()["household"]
        runner = import_jobs.SharedImportJobs(shared, "here")
        other = import_jobs.SharedImportJobs(shared, "there")
        data = workbook(tmp_path / "a.xlsx", hf.HEADER, hf.people(5))
        kept = [
            uploads.create(tmp_path / "a", "台账.xlsx", data, "household", "admin", shared)
            for _ in range(2)
        ]

        def check(upload, discard=False):
            def work(_progress):
                plan, sheets = plan_file(store, form, upload.path)
                if discard:
                    upload.discard()
                return Checked(plan, sheets, store.stamp(*PLAN_COLLECTIONS), date.today())

            job = runner.submit(upload.id, import_jobs.CHECK, "admin", work, key=("k",))
            assert runner.wait(job, 60).state == import_jobs.DONE
            return job

        job = check(kept[0])
        seen = wait_for(lambda: other.checks(kept[0].id, ("k",)), 10, "the check's row done")
        assert [j.id for j in seen] == [job.id]
        found = other.plan_of(seen[0].result, form)
        assert found is not None and found.job == job.id
        assert found.plan.fingerprint() == job.result.plan.fingerprint()
        assert found.plan.counts == job.result.plan.counts
        assert other.checks(kept[0].id, ("another mapping",)) == []
        second = check(kept[1], discard=True)
        wait_for(lambda: other.get(second.id).state == import_jobs.DONE, 10, "its row done")
        assert shared.file_bytes(uploads.FOLDER, uploads.plan_name(kept[1].id)) is None
        kept[0].discard()
        assert shared.file_bytes(uploads.FOLDER, uploads.plan_name(kept[0].id)) is None
        assert other.plan_of(seen[0].result, form) is None  # gone with its upload
    finally:
        get_store(app).close()
