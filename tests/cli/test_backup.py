"""`census backup` and `census restore` on real data folders and a real PostgreSQL.

Every test runs the commands as an administrator would, in processes of their own, and
reads what they left with the store itself. The writer test backs a store up while a
`census serve` process stores households, restores it elsewhere and serves it again.
"""

from __future__ import annotations

import http.client
import io
import os
import re
import secrets
import subprocess
import sys
import tarfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from census.app import create_app
from census.demo.generate import generate_demo
from census.demo.seed import load_demo
from census.services.accounts import add_user, create_token
from census.services.backup import read_folder, read_store
from census.services.records import HOUSEHOLD_NO, save
from census.store import open_store
from census.store.tinystore import TinyStore
from census.surveys import custom
from census.web.current import get_store
from tests.servers import Client, household, prepare, servers, settings
from tests.store.conftest import pg_server, with_search_path  # noqa: F401  (a fixture)
from tests.surveys.xlsform_files import xlsform

CENSUS = [sys.executable, "-m", "census"]
FAST_HASH = "pbkdf2:sha256:1000"
PASSWORD = "backup-pass-1"
HASH_LINE = re.compile(r"^内容哈希 / content hash: ([0-9a-f]{64})$", re.MULTILINE)


@dataclass
class Place:
    """Where a deployment keeps things: a data folder, and maybe a PostgreSQL schema."""

    data_dir: Path
    url: str | None = None

    @property
    def store(self) -> str:
        return self.url or str(self.data_dir)

    def env(self) -> dict[str, str]:
        env = {"CENSUS_DATA_DIR": str(self.data_dir), "CENSUS_FSYNC": "false"}
        if self.url:
            env["CENSUS_DATABASE_URL"] = self.url
        return env

    def config(self) -> dict[str, object]:
        config: dict[str, object] = {"DATA_DIR": str(self.data_dir), "FSYNC": False}
        if self.url:
            config["DATABASE_URL"] = self.url
        return config


class Places:
    """New places for one test: folders under tmp_path, schemas dropped afterwards."""

    def __init__(self, tmp_path: Path, server: str | None) -> None:
        self.tmp_path = tmp_path
        self.server = server
        self.schemas: list[str] = []

    def new(self, name: str, backend: str) -> Place:
        folder = self.tmp_path / name
        if backend == "tinydb":
            return Place(folder)
        assert self.server is not None
        schema = f"census_test_{secrets.token_hex(6)}"
        with psycopg.connect(self.server, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        self.schemas.append(schema)
        return Place(folder, with_search_path(self.server, schema))

    def drop(self) -> None:
        if not self.schemas:
            return
        with psycopg.connect(self.server, autocommit=True) as conn:
            for schema in self.schemas:
                conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture(params=["tinydb", "postgres"])
def backend(request):
    return request.param


@pytest.fixture
def places(tmp_path, pg_server):  # noqa: F811
    found = Places(tmp_path, pg_server)
    yield found
    found.drop()


def census(place: Place, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CENSUS, *args],
        capture_output=True,
        text=True,
        env=dict(os.environ, **place.env()),
        timeout=300,
    )


def printed_hash(result: subprocess.CompletedProcess[str]) -> str:
    found = HASH_LINE.findall(result.stdout)
    assert found, result.stdout + result.stderr
    return found[-1]


def populate(place: Place) -> str:
    """A store with something in every kind of collection; returns an API token."""
    app = create_app(place.config())  # no SECRET_KEY: one is generated into the data folder
    store = get_store(app)
    try:
        surveys = app.extensions["census"].surveys
        load_demo(store, generate_demo(households=12), surveys)
        add_user(store, "chief", "admin", PASSWORD, hash_method=FAST_HASH)
        token = create_token(store, "chief")
        added = custom.add(app.extensions["census"], "roster.xlsx", xlsform())
        assert added.form is not None, added.problems
        store.collection(added.form.collection).insert({"uuid": "r-1", "notes": "一条记录"})
        for n in range(3):  # saved as the API saves: numbers claimed from the store's counter
            body = household(n)
            uuid = body.pop("uuid")
            result = save(store, surveys["household"], body, user="chief", meta={"uuid": uuid})
            assert result.saved, result.problems
        scratch = store.collection("scratch")
        ids = scratch.insert_many([{"n": 1}, {"n": 2}, {"n": 3}])
        scratch.delete(ids[-1])  # the highest id given out is no longer stored
        scratch.update(ids[0], {"n": 10})  # a second revision
        return token
    finally:
        store.close()


def documents(target: str) -> dict[str, list[dict]]:
    """Every collection's documents as the store returns them (with id and _rev)."""
    names = read_store(target).counts()
    with open_store(target) as store:
        return {name: store.collection(name).scan() for name in names}


# -- the store interface ------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("kind", ["tinydb", "postgres"])
def test_restore_many_keeps_ids_and_revisions(kind, places):
    place = places.new("data", kind)
    with open_store(place.store, fsync=False) as store:
        households = store.collection("households")
        households.restore_many(
            [{"id": 7, "_rev": 3, "name": "甲"}, {"id": 2, "_rev": 1, "name": "乙"}], last_id=9
        )
        assert households.scan() == [
            {"id": 2, "_rev": 1, "name": "乙"},
            {"id": 7, "_rev": 3, "name": "甲"},
        ]
        with pytest.raises(Exception) as refused:
            households.restore_many([{"id": 8, "_rev": 1}, {"id": 7, "_rev": 1}])
        assert "7" in str(refused.value) and len(households) == 2  # all or nothing
        # New ids continue above the restored ones (PostgreSQL: above last_id too).
        assert households.insert({"name": "丙"}) == (10 if kind == "postgres" else 8)
        assert households.update(7, {"name": "甲"}, expected_rev=3) == 4
        store.collection("audit").restore_many([{"id": 4, "_rev": 1, "action": "login"}])
        assert store.collection("audit").insert({"action": "logout"}) == 5


# -- backup and restore -------------------------------------------------------------------


@pytest.mark.postgres
def test_backup_then_restore_gives_the_same_content(backend, places):
    source = places.new("source", backend)
    populate(source)
    backup = source.data_dir.parent / "census.tar.gz"
    made = census(source, "backup", str(backup))
    assert made.returncode == 0, made.stderr
    digest = printed_hash(made)
    assert digest == read_store(source.store).content_hash()

    with tarfile.open(backup) as tar:
        names = tar.getnames()
    for member in ("manifest.json", "collections/households.jsonl", "collections/users.jsonl",
                   "collections/tokens.jsonl", "collections/audit.jsonl",
                   "collections/versions.jsonl", "collections/settings.jsonl",
                   "collections/survey_roster.jsonl", "files/secret_key",
                   "files/surveys/roster.yaml"):  # fmt: skip
        assert member in names

    target = places.new("target", backend)
    restored = census(target, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert printed_hash(restored) == digest
    assert f"content hash of the backup: {digest}" in restored.stdout
    assert documents(target.store) == documents(source.store)
    source_contents, target_contents = read_store(source.store), read_store(target.store)
    assert target_contents.numbers == source_contents.numbers
    assert target_contents.numbers[HOUSEHOLD_NO] >= 3
    for name in ("secret_key", "surveys/roster.yaml", "surveys/roster.source.xlsx"):
        assert (target.data_dir / name).read_bytes() == (source.data_dir / name).read_bytes()
    assert (target.data_dir / "secret_key").stat().st_mode & 0o077 == 0

    # The restored deployment works: the staff survey is there, a login made on the old
    # one is still valid (same secret key), and numbers and ids continue.
    old, new = create_app(source.config()), create_app(target.config())
    try:
        assert "roster" in custom.names(new.extensions["census"])
        browser = old.test_client()
        page = browser.get("/login").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        answer = browser.post(
            "/login", data={"username": "chief", "password": PASSWORD, "csrf_token": csrf}
        )
        assert answer.status_code == 302
        cookie = browser.get_cookie("session")
        other = new.test_client()
        other.set_cookie("session", cookie.value)
        home = other.get("/")
        assert "/login" not in home.headers.get("Location", "")  # not sent back to log in
        assert new.test_client().get("/").headers["Location"].startswith("/login")
        surveys = new.extensions["census"].surveys
        body = household(50)
        uuid = body.pop("uuid")
        store = get_store(new)
        result = save(store, surveys["household"], body, user="chief", meta={"uuid": uuid})
        assert result.saved
        before = {h["household_no"] for h in source_contents.collections["households"]}
        assert result.record["household_no"] not in before
        assert result.id > max(h["id"] for h in source_contents.collections["households"])
        if backend == "postgres":  # the deleted document's id is not given out again
            assert store.collection("scratch").insert({"n": 4}) == 4
    finally:
        get_store(old).close()
        get_store(new).close()


@pytest.mark.postgres
def test_restore_refuses_a_target_that_holds_records(backend, places):
    source = places.new("source", backend)
    populate(source)
    backup = source.data_dir.parent / "census.tar.gz"
    assert census(source, "backup", str(backup)).returncode == 0

    target = places.new("target", backend)
    with open_store(target.store, fsync=False) as store:
        store.collection("households").insert({"household_no": "H9999"})
    target.data_dir.mkdir(exist_ok=True)
    (target.data_dir / "secret_key").write_text("the target's own key")
    before = read_store(target.store)
    refused = census(target, "restore", str(backup))
    assert refused.returncode == 1
    assert "not empty" in refused.stderr and "households 1" in refused.stderr
    after = read_store(target.store)
    assert after.content_hash() == before.content_hash() and after.counts() == {"households": 1}
    assert (target.data_dir / "secret_key").read_text() == "the target's own key"
    assert not (target.data_dir / "surveys").exists()


@pytest.mark.postgres
def test_restore_refuses_a_folder_a_server_holds_and_a_damaged_backup(places, tmp_path):
    source = places.new("source", "tinydb")
    populate(source)
    backup = tmp_path / "census.tar.gz"
    assert census(source, "backup", str(backup)).returncode == 0

    target = places.new("target", "tinydb")
    with open_store(target.store, fsync=False):  # as a running `census serve` would
        refused = census(target, "restore", str(backup))
    assert refused.returncode == 1 and "stop the server" in refused.stderr

    # One document changed inside the file: its hash no longer matches the manifest.
    with tarfile.open(backup) as tar:
        members = [(info, tar.extractfile(info).read()) for info in tar if info.isfile()]
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(damaged, "w:gz") as tar:
        for info, data in members:
            if info.name == "collections/users.jsonl":
                data = data.replace(b'"chief"', b'"root"', 1)
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    empty = places.new("empty", "tinydb")
    refused = census(empty, "restore", str(damaged))
    assert refused.returncode == 1 and "damaged" in refused.stderr
    assert not empty.data_dir.exists() or read_folder(empty.data_dir).is_empty()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(backup.read_bytes()[: backup.stat().st_size // 2])
    refused = census(empty, "restore", str(cut))
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert not (empty.data_dir / "secret_key").exists()


@pytest.mark.postgres
def test_postgres_backup_restores_into_a_data_folder(places):
    source = places.new("source", "postgres")
    populate(source)
    backup = source.data_dir.parent / "census.tar.gz"
    made = census(source, "backup", str(backup))
    assert made.returncode == 0, made.stderr
    target = places.new("target", "tinydb")
    restored = census(target, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert printed_hash(restored) == printed_hash(made)
    assert documents(target.store) == documents(source.store)
    # And back: the folder's backup has the same hash as the database's.
    again = census(target, "backup", str(target.data_dir.parent / "again.tar.gz"))
    assert printed_hash(again) == printed_hash(made)


@pytest.mark.postgres
def test_the_print_cache_only_when_asked(places, tmp_path):
    place = places.new("data", "tinydb")
    populate(place)
    cache = place.data_dir / "print-cache"
    cache.mkdir(exist_ok=True)
    (cache / "abc.json").write_text('{"file": "abc.pdf", "first": 0, "count": 1}')
    (cache / "abc.pdf").write_bytes(b"%PDF-1.7 cached")
    plain, full = tmp_path / "plain.tar.gz", tmp_path / "full.tar.gz"
    assert census(place, "backup", str(plain)).returncode == 0
    assert census(place, "backup", "--with-print-cache", str(full)).returncode == 0
    with tarfile.open(plain) as tar:
        assert not [n for n in tar.getnames() if "print-cache" in n]
    with tarfile.open(full) as tar:
        assert "files/print-cache/abc.pdf" in tar.getnames()
    target = places.new("target", "tinydb")
    assert census(target, "restore", str(full)).returncode == 0
    assert (target.data_dir / "print-cache" / "abc.pdf").read_bytes() == b"%PDF-1.7 cached"


# -- consistency while the store is written -----------------------------------------------


def test_a_folder_read_while_it_is_written_and_compacted_is_always_consistent(tmp_path):
    folder = tmp_path / "data"
    store = TinyStore(folder, fsync=False, compact_min_bytes=0)  # compacts very often
    stop = threading.Event()
    written = [0]

    def write() -> None:
        while not stop.is_set():
            n = written[0]
            with store.atomic():  # two collections, one journal line
                store.collection("a").insert({"n": n})
                store.collection("b").insert({"n": n})
            written[0] = n + 1
            if n % 5 == 0:
                store.compact()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        seen = 0
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            contents = read_folder(folder)
            a = [d["n"] for d in contents.collections.get("a", [])]
            b = [d["n"] for d in contents.collections.get("b", [])]
            assert a == b == list(range(len(a)))  # a prefix of the writes, never half of one
            assert len(a) >= seen
            seen = len(a)
    finally:
        stop.set()
        writer.join()
    assert seen > 0
    with store.atomic():
        pass
    final = read_folder(folder)
    assert len(final.collections["a"]) == written[0]
    store.close()
    assert read_folder(folder).content_hash() == final.content_hash()


def test_a_torn_last_journal_line_is_left_out(tmp_path):
    folder = tmp_path / "data"
    with TinyStore(folder, fsync=False) as store:
        store.collection("a").insert({"n": 1})
    # A server killed half-way through a write leaves a line without its end.
    with open(folder / "census.journal", "ab") as journal:
        journal.write(b'{"t":"a","id":"2","d":{"n":')
    contents = read_folder(folder)
    assert contents.counts() == {"a": 1}
    with TinyStore(folder, fsync=False):  # the store drops the same torn tail
        pass
    assert read_folder(folder).content_hash() == contents.content_hash()


def login(server, username: str, password: str) -> bool:
    """Log in through the login page of a running server, as a browser does."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request("GET", "/login")
        page = conn.getresponse()
        html = page.read().decode()
        cookie = page.getheader("Set-Cookie", "").split(";")[0]
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        form = urllib.parse.urlencode(
            {"username": username, "password": password, "csrf_token": csrf}
        )
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        conn.request("POST", "/login", body=form, headers=headers)
        answer = conn.getresponse()
        answer.read()
        return answer.status == 302 and "/login" not in (answer.getheader("Location") or "")
    finally:
        conn.close()


@pytest.mark.postgres
@pytest.mark.slow
def test_a_backup_taken_while_a_server_stores_households(backend, places):
    source = places.new("source", backend)
    token = prepare(source.data_dir, source.url)
    acked: list[tuple[int, str, str]] = []  # (id, uuid, household_no) once answered 201
    failures: list[object] = []
    stop = threading.Event()
    backup = source.data_dir.parent / "census.tar.gz"

    with servers(1, settings(source.data_dir, source.url)) as (server,):

        def write(first: int) -> None:
            client = Client(server, token)
            try:
                for n in range(first, first + 100_000):  # until stopped, however slow
                    if stop.is_set():
                        return
                    body = household(n)
                    status, answer = client.post("/api/v1/households", body)
                    if status != 201:
                        failures.append((status, answer))
                        return
                    acked.append((answer["id"], body["uuid"], answer["household_no"]))
            finally:
                client.close()

        writers = [threading.Thread(target=write, args=(k * 100_000,)) for k in range(2)]
        for writer in writers:
            writer.start()
        try:
            while len(acked) < 20 and not failures and any(w.is_alive() for w in writers):
                time.sleep(0.02)
            before = list(acked)  # every one of these was acknowledged before the backup
            made = census(source, "backup", str(backup))
            during = len(acked) - len(before)
            deadline = time.monotonic() + 10
            while len(acked) < len(before) + during + 20 and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            stop.set()
            for writer in writers:
                writer.join()
    assert not failures, failures[:3]
    assert made.returncode == 0, made.stderr
    assert during > 0, "no household was stored while the backup ran"
    digest = printed_hash(made)

    target = places.new("target", backend)
    restored = census(target, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert printed_hash(restored) == digest

    contents = read_store(target.store)
    households = contents.collections["households"]
    ids = {h["id"] for h in households}
    assert {i for i, _u, _n in before} <= ids  # everything acknowledged before it started
    assert len(acked) > len(households)  # the server went on writing after the backup
    by_id = {i: (u, n) for i, u, n in acked}
    for h in households:  # each one as it was acknowledged, with its version (same block)
        assert (h["uuid"], h["household_no"]) == by_id[h["id"]]
    versions = {v["key"] for v in contents.collections["versions"]}
    assert {f"households/{i}" for i in ids} <= versions
    numbers = [h["household_no"] for h in households]
    assert len(set(numbers)) == len(numbers)
    assert contents.numbers[HOUSEHOLD_NO] >= max(int(n[1:]) for n in numbers)

    # The restored store serves: logins and the API token work; ids and numbers continue.
    with servers(1, settings(target.data_dir, target.url)) as (again,):
        assert login(again, "admin", "admin-pass-1")
        assert not login(again, "admin", "wrong-password")
        client = Client(again, token)
        status, answer = client.post("/api/v1/households", household(399))
        client.close()
    assert status == 201, answer
    assert answer["id"] not in ids and answer["id"] > max(ids)
    assert answer["household_no"] not in numbers


@pytest.mark.postgres
def test_a_backup_of_no_store_is_refused(places, tmp_path):
    nowhere = places.new("nowhere", "tinydb")
    refused = census(nowhere, "backup", str(tmp_path / "b.tar.gz"))
    assert refused.returncode == 1 and "no census store" in refused.stderr
    assert not (tmp_path / "b.tar.gz").exists()
    fresh = places.new("fresh", "tinydb")
    assert census(fresh, "init").returncode == 0
    empty = census(fresh, "backup", str(tmp_path / "b.tar.gz"))  # empty, but a store
    assert empty.returncode == 0, empty.stderr
