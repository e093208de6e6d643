"""The import wizard's checks and imports as background jobs with a progress bar."""

from __future__ import annotations

import io
import re
import sys
import threading
import time
from pathlib import Path

import pytest

from census.sheets import jobs as import_jobs
from census.sheets import wizard
from census.sheets.apply import apply_plan
from census.sheets.limits import SheetError
from census.sheets.plan import plan_import
from census.sheets.reader import read_file
from census.surveys.definition import load_surveys
from tests.conftest import csrf_token

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sheets"))
import hostile_files as hf  # noqa: E402


@pytest.fixture
def admin(app, client, auth):
    app.config["IMPORT_WAIT_SECONDS"] = 0  # every page shows the progress bar first
    auth.login("admin")
    return client


def upload(client, data: bytes, name: str = "台账.xlsx") -> str:
    token = csrf_token(client, "/sheets/")
    response = client.post(
        "/sheets/upload",
        data={"csrf_token": token, "form": "household", "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )
    return re.search(r"/sheets/import/([0-9a-f]{16})", response.headers["Location"]).group(1)


def register(tmp_path: Path, households: int) -> bytes:
    return hf.normal_xlsx(tmp_path / "register.xlsx", households).read_bytes()


def job_id(response) -> str:
    found = re.search(r"/sheets/job/([0-9a-f]{16})$", response.headers["Location"])
    assert found, response.headers.get("Location")
    return found.group(1)


def finished(client, job: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(f"/sheets/job/{job}.json").get_json()
        if status["finished"]:
            return status
        time.sleep(0.05)
    raise AssertionError("the job did not finish")


class Gate:
    """Holds every plan made through the wizard until ``open()``."""

    def __init__(self, monkeypatch):
        self.event = threading.Event()
        original = wizard.plan_file

        def held(*args, **kwargs):
            self.event.wait(30)
            return original(*args, **kwargs)

        monkeypatch.setattr(wizard, "plan_file", held)

    def open(self):
        self.event.set()


def test_check_and_import_run_as_jobs_with_a_progress_bar(admin, app, store, tmp_path, monkeypatch):
    gate = Gate(monkeypatch)
    upload_id = upload(admin, register(tmp_path, 300))
    assert admin.get(f"/sheets/import/{upload_id}").status_code == 200  # mapping reads the file
    response = admin.get(f"/sheets/import/{upload_id}/report")
    check = job_id(response)
    page = admin.get(f"/sheets/job/{check}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<progress" in html and "正在检查" in html
    status = admin.get(f"/sheets/job/{check}.json").get_json()
    assert status["kind"] == "check" and not status["finished"]
    assert status["state"] in ("queued", "running")
    # the same report asked again while checking joins the same job
    assert job_id(admin.get(f"/sheets/import/{upload_id}/report")) == check
    gate.open()
    status = finished(admin, check)
    assert status["state"] == "done" and status["percent"] == 100
    response = admin.get(f"/sheets/job/{check}")
    assert response.headers["Location"].endswith(f"/sheets/import/{upload_id}/report?job={check}")
    report = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert 'class="count-new">300<' in report
    seen = re.search(r'name="fingerprint" value="([^"]+)"', report).group(1)

    token = csrf_token(admin, f"/sheets/import/{upload_id}/report")
    response = admin.post(
        f"/sheets/import/{upload_id}/apply", data={"csrf_token": token, "fingerprint": seen}
    )
    saving = job_id(response)
    status = finished(admin, saving)
    assert status["kind"] == "apply" and status["state"] == "done"
    done = admin.get(f"/sheets/job/{saving}").get_data(as_text=True)
    assert "导入完成" in done and 'class="count-created">300<' in done
    assert len(store.collection("households")) == 300
    assert not (Path(app.config["DATA_DIR"]) / "imports" / upload_id).exists()


def test_a_short_check_is_waited_for(app, client, auth, store, tmp_path):
    auth.login("admin")  # the default wait: a small file's report answers directly
    upload_id = upload(client, register(tmp_path, 3))
    report = client.get(f"/sheets/import/{upload_id}/report")
    assert report.status_code == 200 and 'class="count-new">3<' in report.get_data(as_text=True)


def test_a_stale_check_is_not_applied(admin, app, store, tmp_path):
    upload_id = upload(admin, register(tmp_path, 2))
    check = job_id(admin.get(f"/sheets/import/{upload_id}/report"))
    finished(admin, check)
    token = csrf_token(admin, "/sheets/")
    response = admin.post(
        f"/sheets/import/{upload_id}/apply", data={"csrf_token": token, "fingerprint": "old"}
    )
    finished(admin, job_id(response))
    response = admin.get(response.headers["Location"])
    assert response.headers["Location"].endswith(f"/sheets/import/{upload_id}/report")
    assert "校验之后数据有变化" in admin.get("/sheets/").get_data(as_text=True)
    assert len(store.collection("households")) == 0


def test_a_file_refused_in_the_job_is_dropped_with_its_message(
    admin, app, store, tmp_path, monkeypatch
):
    upload_id = upload(admin, register(tmp_path, 2))

    def refused(*args, **kwargs):
        raise SheetError("too_many_cells", sheet="Sheet", row="9", limit="2,000,000")

    monkeypatch.setattr(wizard, "plan_file", refused)
    check = job_id(admin.get(f"/sheets/import/{upload_id}/report"))
    assert finished(admin, check)["state"] == "failed"
    response = admin.get(f"/sheets/job/{check}")
    assert response.headers["Location"].endswith("/sheets/")
    assert "文件的单元格超过 2,000,000 个" in admin.get("/sheets/").get_data(as_text=True)
    assert not (Path(app.config["DATA_DIR"]) / "imports" / upload_id).exists()


def test_nothing_is_discarded_while_it_is_imported(admin, app, store, tmp_path, monkeypatch):
    upload_id = upload(admin, register(tmp_path, 2))
    check = job_id(admin.get(f"/sheets/import/{upload_id}/report"))
    finished(admin, check)
    report = admin.get(f"/sheets/import/{upload_id}/report?job={check}").get_data(as_text=True)
    seen = re.search(r'name="fingerprint" value="([^"]+)"', report).group(1)
    gate = Gate(monkeypatch)
    monkeypatch.setattr(wizard.PlanCache, "peek", lambda *a, **k: None)
    app.extensions["census_import_plans"] = wizard.PlanCache()  # the apply plans again: held
    token = csrf_token(admin, "/sheets/")
    saving = job_id(
        admin.post(
            f"/sheets/import/{upload_id}/apply", data={"csrf_token": token, "fingerprint": seen}
        )
    )
    response = admin.post(f"/sheets/import/{upload_id}/discard", data={"csrf_token": token})
    assert response.headers["Location"].endswith(f"/sheets/job/{saving}")
    gate.open()
    assert finished(admin, saving)["state"] == "done"
    assert len(store.collection("households")) == 2


def test_a_job_is_its_owners(admin, app, client, auth, tmp_path, monkeypatch):
    gate = Gate(monkeypatch)
    upload_id = upload(admin, register(tmp_path, 2))
    check = job_id(admin.get(f"/sheets/import/{upload_id}/report"))
    auth.logout()
    auth.login("reviewer")
    assert client.get(f"/sheets/job/{check}.json").status_code == 403
    assert client.get("/sheets/job/0123456789abcdef").status_code == 404
    gate.open()
    app.extensions["census_import_jobs"].wait(app.extensions["census_import_jobs"].get(check), 30)


# -- the runner and the progress it is told ------------------------------------------------


def test_jobs_run_one_at_a_time_and_report_their_progress():
    runner = import_jobs.ImportJobs()
    first_may_end, order = threading.Event(), []

    def first(progress):
        progress("read", 1, 4)
        order.append("first started")
        first_may_end.wait(10)
        order.append("first ended")
        return "one"

    def second(progress):
        order.append("second started")
        progress("save", 3, 3)
        return "two"

    a = runner.submit("u1", import_jobs.CHECK, "admin", first)
    b = runner.submit("u2", import_jobs.CHECK, "admin", second)
    deadline = time.monotonic() + 10
    while a.state != import_jobs.RUNNING and time.monotonic() < deadline:
        time.sleep(0.01)
    assert (a.step, a.done, a.total) == ("read", 1, 4) and a.percent == 25
    assert b.state == import_jobs.QUEUED and runner.busy("u2") is b
    assert runner.submit("u1", import_jobs.CHECK, "admin", first) is a  # the same one
    first_may_end.set()
    runner.wait(b, 10)
    assert order == ["first started", "first ended", "second started"]
    assert (a.result, b.result, b.percent) == ("one", "two", 100)
    assert runner.latest("u1") is a and runner.busy("u1") is None


def test_a_failing_job_keeps_the_refusal_or_the_error():
    runner = import_jobs.ImportJobs()

    def refused(progress):
        raise SheetError("file_empty", name="x.csv")

    def broken(progress):
        raise RuntimeError("disk on fire")

    a = runner.wait(runner.submit("u", import_jobs.CHECK, "admin", refused), 10)
    b = runner.wait(runner.submit("u", import_jobs.APPLY, "admin", broken), 10)
    assert a.state == b.state == import_jobs.FAILED
    assert a.error.code == "file_empty" and a.failure is None
    assert b.error is None and b.failure == "RuntimeError: disk on fire"


def test_reading_checking_and_saving_tell_their_progress(store, tmp_path):
    told: list[tuple[str, int, int]] = []

    def progress(step: str, done: int, total: int) -> None:
        assert 0 <= done <= total
        told.append((step, done, total))

    path = hf.normal_xlsx(tmp_path / "a.xlsx", 500)
    sheets = read_file(path, progress=progress)
    reads = [t for t in told if t[0] == "read"]
    assert reads and reads[-1][1] == reads[-1][2] > 0
    form = load_surveys()["household"]
    plan = plan_import(store, form, sheets, progress=progress)
    checks = [t for t in told if t[0] == "check"]
    assert checks[0][1] == 0 and checks[-1] == ("check", 1000, 1000)
    assert [t[1] for t in checks] == sorted(t[1] for t in checks)
    apply_plan(store, plan, user="admin", progress=progress)
    assert [t for t in told if t[0] == "save"][-1] == ("save", 500, 500)
    told.clear()
    csv = tmp_path / "a.csv"
    csv.write_text("户编号,姓名\nH1,张三\n", encoding="utf-8")
    read_file(csv, progress=progress)
    assert told == [("read", 0, 1), ("read", 1, 1)]
