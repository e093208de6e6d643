"""Two apps on one PostgreSQL database, each with a data folder of its own, share what a
second server behind a load balancer must see: the secret key and the staff surveys. On a
data folder (TinyDB) both stay files there, as before."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest
import yaml

from census.app import create_app
from census.surveys import custom
from census.web.current import get_store
from tests.conftest import PG_URL
from tests.surveys.xlsform_files import xlsform

pytestmark = pytest.mark.postgres

PETS = {
    "form": "pets",
    "title": {"zh": "犬只登记", "en": "Dog register"},
    "fields": [{"key": "dog_name", "type": "text", "label": "犬名", "required": True}],
}


def _app(tmp_path, name, pg_url=None):
    config = {"DATA_DIR": str(tmp_path / name), "TESTING": True, "FSYNC": False}
    if pg_url:
        config["DATABASE_URL"] = pg_url
    return create_app(config)


def test_servers_of_one_database_share_one_secret_key(tmp_path, pg_url):
    first, second = _app(tmp_path, "a", pg_url), _app(tmp_path, "b", pg_url)
    try:
        assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
        assert len(first.config["SECRET_KEY"]) == 64
        # each folder keeps a copy of the one key (a backup of either holds it)
        assert (tmp_path / "b" / "secret_key").read_text() == first.config["SECRET_KEY"]
    finally:
        get_store(first).close()
        get_store(second).close()


def test_a_survey_added_on_one_server_is_served_by_the_other_at_once(tmp_path, pg_url):
    first, second = _app(tmp_path, "a", pg_url), _app(tmp_path, "b", pg_url)
    try:
        text = yaml.safe_dump(PETS, allow_unicode=True).encode()
        added = custom.add(first.extensions["census"], "pets.yaml", text)
        assert added.form is not None, added.problems
        assert "pets" not in second.extensions["census"].surveys
        with second.test_request_context("/"):
            second.preprocess_request()  # what every request does first
        assert second.extensions["census"].surveys["pets"].text("zh") == "犬只登记"
        assert (tmp_path / "b" / "surveys" / "pets.yaml").exists()  # the folder's copy
        assert custom.source_file(second.extensions["census"], "pets").read_bytes() == text
        custom.remove(first.extensions["census"], "pets")
        assert custom.refresh(second.extensions["census"])
        assert "pets" not in second.extensions["census"].surveys
        assert not (tmp_path / "b" / "surveys" / "pets.yaml").exists()
    finally:
        get_store(first).close()
        get_store(second).close()


def test_a_data_folders_surveys_move_into_a_new_database_once(tmp_path, pg_url):
    local = _app(tmp_path, "a")
    custom.add(local.extensions["census"], "roster.xlsx", xlsform())
    get_store(local).close()
    moved = _app(tmp_path, "a", pg_url)
    other = _app(tmp_path, "b", pg_url)
    try:
        assert "roster" in moved.extensions["census"].surveys
        assert "roster" in other.extensions["census"].surveys
        custom.remove(other.extensions["census"], "roster")
    finally:
        get_store(moved).close()
        get_store(other).close()
    again = _app(tmp_path, "a", pg_url)  # its folder's copy came back: removed stays removed
    try:
        assert "roster" not in again.extensions["census"].surveys
    finally:
        get_store(again).close()


def test_on_a_data_folder_the_key_and_surveys_stay_files(tmp_path):
    app = _app(tmp_path, "a")
    try:
        key = (tmp_path / "a" / "secret_key").read_text().strip()
        assert app.config["SECRET_KEY"] == key
        custom.add(app.extensions["census"], "pets.yaml", yaml.safe_dump(PETS).encode())
        assert (tmp_path / "a" / "surveys" / "pets.yaml").exists()
        assert custom.refresh(app.extensions["census"]) is False
    finally:
        get_store(app).close()


def test_a_prepared_print_runs_on_the_server_asked_and_downloads_from_another(tmp_path, pg_url):
    from census.printing.jobs import DONE, PREPARED, SharedJobRunner
    from census.printing.plans import PrintRequest, plan, read_records
    from census.web.prints import runner

    first, second = _app(tmp_path, "a", pg_url), _app(tmp_path, "b", pg_url)
    try:
        census = first.extensions["census"]
        the_plan = plan(
            PrintRequest("summary"), read_records(census.store, "佐斯腾社区"), census.registers
        )
        asked, other = runner(first), runner(second)
        assert isinstance(asked, SharedJobRunner) and isinstance(other, SharedJobRunner)
        job = asked.submit("admin", PrintRequest(f"{PREPARED}service"), lambda _r: the_plan)
        assert other.wait(job.id, timeout=60).state == DONE
        found = other.get(job.id)
        assert found is not None and found.result is not None
        assert found.result.startswith(str(tmp_path / "b"))  # that server's own copy
        with open(found.result, "rb") as pdf:
            assert pdf.read(5) == b"%PDF-"
        assert [j.id for j in other.jobs("admin")] == [job.id]
        assert other.jobs("someone else") == []
        # a finished job changes no more (a worker taken for dead that wakes up late)
        assert asked.shared.save_job(job.id, "print", "admin", "running", {}) is False
        assert other.get(job.id).state == DONE
    finally:
        get_store(first).close()
        get_store(second).close()


def test_a_prepared_print_cut_short_by_a_restart_is_shown_interrupted(tmp_path, pg_url):
    from census.printing.jobs import FAILED, INTERRUPTED, PREPARED, Job, SharedJobRunner
    from census.printing.plans import PrintRequest
    from census.web.prints import runner

    first = _app(tmp_path, "a", pg_url)
    try:
        asked = runner(first)
        assert isinstance(asked, SharedJobRunner)
        left = Job(id="0123456789abcdef", owner="admin", request=PrintRequest(f"{PREPARED}x"))
        left.state = "running"
        asked._save(left, attempts=1, server=asked.server)  # as a server stopped mid-print
        other = Job(id="fedcba9876543210", owner="admin", request=PrintRequest("summary"))
        asked._save(other, attempts=0)  # queued for the workers: not this server's
        again = SharedJobRunner(tmp_path / "a", asked.shared, asked.queue)
        found = again.get(left.id)
        assert found is not None and (found.state, found.error) == (FAILED, INTERRUPTED)
        assert again.get(other.id).state == "queued"
    finally:
        get_store(first).close()


def test_a_backup_on_a_database_reads_its_key_and_surveys_and_restores_them_there(tmp_path, pg_url):
    import tarfile

    from census.services import backup

    first = _app(tmp_path, "a", pg_url)
    try:
        key = first.config["SECRET_KEY"]
        text = yaml.safe_dump(PETS, allow_unicode=True).encode()
        assert custom.add(first.extensions["census"], "pets.yaml", text).form is not None
    finally:
        get_store(first).close()
    # run where no server ever ran: an empty data folder, no copy of key or survey
    out = tmp_path / "street.census-backup"
    made = backup.backup(out, pg_url, tmp_path / "elsewhere")
    assert {"secret_key", "surveys/pets.yaml", "surveys/pets.source.yaml"} <= set(made.files)
    with tarfile.open(out) as tar:
        assert tar.extractfile("files/secret_key").read().decode() == key
        assert "dog_name" in tar.extractfile("files/surveys/pets.yaml").read().decode()
    schema = f"census_restored_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    target = f"{PG_URL}?options=-c%20search_path%3D{schema}"
    try:
        backup.restore(out, target, tmp_path / "restored")
        assert (tmp_path / "restored" / "secret_key").read_text() == key  # and a copy
        again = _app(tmp_path, "c", target)  # a new server on the restored database
        try:
            assert again.config["SECRET_KEY"] == key  # its sessions still hold
            assert again.extensions["census"].surveys["pets"].text("zh") == "犬只登记"
        finally:
            get_store(again).close()
        with pytest.raises(backup.BackupError, match="already holds staff surveys"):
            backup.restore(out, target, tmp_path / "restored")
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def test_an_apply_whose_server_died_is_shown_interrupted_and_its_upload_let_go(tmp_path, pg_url):
    from census.sheets import uploads
    from census.sheets.jobs import APPLY, FAILED, INTERRUPTED, RUNNING, ImportJob, _record
    from census.web import sheets

    first, second = _app(tmp_path, "a", pg_url), _app(tmp_path, "b", pg_url)
    try:
        shared = get_store(first).shared
        kept = uploads.create(
            tmp_path / "a", "台账.csv", b"a,b\n1,2\n", "household", "admin", shared
        )
        jobs = {}
        for name, age in (("dead", "1 minute"), ("alive", "1 second")):
            job = ImportJob(id=f"{name:0>16}", owner="admin", upload_id=kept.id, kind=APPLY)
            job.state = RUNNING
            shared.save_job(job.id, "import", "admin", RUNNING, _record(job, "gone:/srv"))
            with psycopg.connect(pg_url, autocommit=True) as conn:  # its last heartbeat
                conn.execute(
                    "UPDATE census_jobs SET updated_at = now() - %s::interval WHERE id = %s",
                    (age, job.id),
                )
            jobs[name] = job.id
        assert kept.claim(jobs["dead"])
        assert not kept.claim("someone else")  # held: a second apply waits
        with second.test_request_context("/"):
            other = sheets._jobs()
            assert other.get(jobs["alive"]).state == RUNNING
            found = other.get(jobs["dead"])
            assert (found.state, found.failure) == (FAILED, INTERRUPTED)
            again = uploads.load(tmp_path / "b", kept.id, get_store(second).shared)
        assert again is not None and again.state == uploads.KEPT  # to be checked again
        assert again.path.read_bytes() == b"a,b\n1,2\n"  # the file, fetched from the database
        assert again.claim("the next apply")
        again.discard()
        assert uploads.load(tmp_path / "a", kept.id, shared) is None
    finally:
        get_store(first).close()
        get_store(second).close()


def test_saved_import_mappings_are_the_databases(tmp_path, pg_url):
    from census.sheets import profiles

    (tmp_path / "b").mkdir()
    old = {"from_before": {"form": "household", "maps": {"户主姓名": "name"}}}
    (tmp_path / "b" / profiles.FILE).write_text(json.dumps(old), encoding="utf-8")
    first, second = _app(tmp_path, "a", pg_url), _app(tmp_path, "b", pg_url)
    try:
        one, two = get_store(first).shared, get_store(second).shared
        assert set(profiles.load_all(tmp_path / "b", shared=two)) == {"from_before"}  # moved in
        mine = profiles.Profile("household", {"住户姓名": "name"}, header_row=3)
        profiles.save(tmp_path / "a", "system_x", mine, user="admin", shared=one)
        seen = profiles.load_all(tmp_path / "b", "household", shared=two)
        assert set(seen) == {"from_before", "system_x"}
        assert seen["system_x"].header_row == 3 and seen["system_x"].saved_by == "admin"
        profiles.save(
            tmp_path / "b", "system_x", mine.with_options(header_row=4), user="b", shared=two
        )
        assert profiles.load(tmp_path / "a", "system_x", one).header_row == 4  # one, replaced
        assert not (tmp_path / "a" / profiles.FILE).exists()
    finally:
        get_store(first).close()
        get_store(second).close()


def test_an_import_job_queued_behind_a_long_one_is_not_taken_for_dead(
    tmp_path, pg_url, monkeypatch
):
    """Both jobs keep beating, the long one also when its worker wrote it running before
    submit had written it queued (what a busy machine does now and then: that job then
    had no beat and another server took it for dead once ``stalled`` passed)."""
    import threading
    import time

    from census.sheets import jobs as import_jobs

    monkeypatch.setattr(import_jobs, "HEARTBEAT_SECONDS", 0.2)
    submit = import_jobs.ImportJobs.submit

    def worker_first(self, *args, **kwargs):
        # Let the worker write the job running before submit goes on, whenever it can:
        # not while submit holds the runner's lock, nor for a job queued behind another.
        job = submit(self, *args, **kwargs)
        ahead = [j for j in self._jobs.values() if j is not job and not j.finished]
        if not self._lock._is_owned() and not ahead:
            until = time.monotonic() + 10
            while job.id not in self._written and not job.finished:
                assert time.monotonic() < until, "the worker never wrote the job"
                time.sleep(0.01)
        return job

    monkeypatch.setattr(import_jobs.ImportJobs, "submit", worker_first)
    app = _app(tmp_path, "a", pg_url)
    release = threading.Event()
    try:
        shared = get_store(app).shared
        here = import_jobs.SharedImportJobs(shared, "here", stalled=1.0)
        there = import_jobs.SharedImportJobs(shared, "there", stalled=5.0)
        started = time.monotonic()
        long = here.submit("a" * 16, import_jobs.CHECK, "admin", lambda _p: release.wait(60))
        waiting = here.submit("b" * 16, import_jobs.CHECK, "admin", lambda _p: "checked")
        # Each row is touched again after twice here's allowed silence: its server beats.
        # Waited for as a condition, however slowly the machine runs; a row nobody beats
        # only ages, and the wait ends in a failure.
        for name, job in (("long", long), ("waiting", waiting)):
            last, until = shared.job_age(job.id), time.monotonic() + 30
            while True:
                age = shared.job_age(job.id)
                if age < last and time.monotonic() - started > 2.0:
                    break  # touched again since the last look
                assert time.monotonic() < until, f"the {name} job not touched for {age:.1f} s"
                last = age
                time.sleep(0.05)
        assert there.get(long.id).state == import_jobs.RUNNING
        assert there.get(waiting.id).state == import_jobs.QUEUED
        release.set()
        assert here.wait(waiting, 30).state == import_jobs.DONE
        assert there.get(waiting.id).state == import_jobs.DONE
    finally:
        release.set()
        get_store(app).close()
