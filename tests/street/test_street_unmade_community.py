"""A community listed whose store was never made is made by the next opening of it.

Adding a community writes its entry in the first store, then makes its own store; when the
second step fails (the database down, the disk full, the process killed in between), the
entry says "not made yet". The next opening that needs the community makes its store
empty, names it and marks the entry made: a server's (``Deployment.app_of``),
``census --community CODE …``, ``census street …`` and ``census worker``. Until then the
street's communities page and ``census community list`` say it is not made yet, and
``census community add`` of the same name and code finishes it. A community marked made
whose store is then removed stays 暂不可用 and is not made again. Real TinyDB folders, the
real PostgreSQL and real ``census`` processes; the failure between the two steps is made
for real (the entry added by the service and no store made, or the community's folder
taken by a file). On the tree before, such a community was 暂不可用 for good and adding it
again was refused ("code taken").
"""

from __future__ import annotations

import json
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from werkzeug.test import Client

from census.context import Census, load_config
from census.queries.communities import find
from census.services.accounts import add_user
from census.services.communities import add_community
from census.store import schema_of
from census.street.deployment import Deployment
from census.street.places import community_config
from tests.conftest import FAST_HASH, PASSWORD, PG_URL
from tests.street.street_site import EAST, census, login, make_street

NORTH = "北区社区"
NOT_MADE = "尚未建立数据，将在下次打开时建立"
MISSING = "该社区的数据已不存在（数据目录或数据表缺失），请从备份恢复"


def _schemas(prefix: str) -> set[str]:
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (prefix + "%",)
        ).fetchall()
    return {row[0] for row in rows}


def _drop(*schemas: str) -> None:
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        for schema in schemas:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture(params=["tinydb", "postgres"])
def site(request, tmp_path):
    """The settings of a deployment (a data folder; on PostgreSQL a schema of its own,
    dropped afterwards with its communities' schemas)."""
    config: dict[str, Any] = {"DATA_DIR": str(tmp_path / "data"), "TESTING": True, "FSYNC": False}
    if request.param == "tinydb":
        yield config
        return
    schema = f"census_unmade_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    config["DATABASE_URL"] = f"{PG_URL}?options=-c%20search_path%3D{schema}"
    try:
        yield config
    finally:
        _drop(*_schemas(schema))


@contextmanager
def _opened(config: dict[str, Any]) -> Iterator[Census]:
    """A community's context for a moment (the first one's, by the deployment's settings)."""
    opened = Census.open(load_config(config))
    try:
        yield opened
    finally:
        opened.close()


def _has_store(config: dict[str, Any], code: str) -> bool:
    """Does the community ``code`` have a store (its census.json or journal, or its
    schema)."""
    url = config.get("DATABASE_URL")
    if url:
        return f"{schema_of(url)}_{code}" in _schemas(f"{schema_of(url)}_{code}")
    folder = Path(config["DATA_DIR"]) / "communities" / code
    return any((folder / name).is_file() for name in ("census.json", "census.journal"))


def _remove_store(config: dict[str, Any], code: str) -> None:
    url = config.get("DATABASE_URL")
    if url:
        _drop(f"{schema_of(url)}_{code}")
    else:
        shutil.rmtree(Path(config["DATA_DIR"]) / "communities" / code)


def _half_added(config: dict[str, Any], code: str = "bq", name: str = NORTH) -> None:
    """The street of 东区 and 西区, and a third community listed whose store was not made
    (what a process killed between the two steps of adding it leaves)."""
    street = make_street(config)
    try:
        add_community(street.census.store, name, code, home_name=EAST, actor="test")
    finally:
        street.close()
    assert not _has_store(config, code)


def _rows(client: Client, url: str) -> dict[str, str]:
    page = client.get(url)
    assert page.status_code == 200
    return dict(re.findall(r'<tr data-community="([^"]*)"[^>]*>(.*?)</tr>', page.text, re.S))


def _listing_row(client: Client, name: str) -> str:
    """The row of the community ``name`` on /street/communities."""
    page = client.get("/street/communities")
    assert page.status_code == 200
    rows = re.findall(r"<tr>(.*?)</tr>", page.text, re.S)
    found = [row for row in rows if f"<td>{name}</td>" in row]
    assert len(found) == 1, page.text
    return found[0]


def test_a_community_never_made_is_made_by_the_next_open_and_then_kept(site):
    _half_added(site)
    deployment = Deployment(site)
    try:
        boss = Client(deployment)
        login(boss, "boss")
        assert NOT_MADE in _listing_row(boss, NORTH)
        assert NOT_MADE not in _listing_row(boss, "西区社区")
        entrance = Client(deployment).get("/login?community=bq")  # its first opening
        assert entrance.status_code == 200, entrance.text[:300]
        assert find(deployment.census.store, "bq").made
        assert _has_store(site, "bq")
        north = deployment.census_of("bq")
        assert north is not None and north.community_name() == NORTH
        assert north.store.collection("households").count() == 0
        add_user(north.store, "nb", "admin", PASSWORD, hash_method=FAST_HASH)
        staff = Client(deployment)
        login(staff, "nb", "bq")
        registers = staff.get("/registers/")
        assert registers.status_code == 200 and NORTH in registers.text
        assert NOT_MADE not in _listing_row(boss, NORTH)
        street = Client(deployment)
        login(street, "street1")
        row = _rows(street, "/street/")["bq"]
        assert NORTH in row and "暂不可用" not in row
    finally:
        deployment.close()
    _remove_store(site, "bq")  # made, then lost: restored from a backup, never made again
    restarted = Deployment(site)
    try:
        own = Client(restarted).get("/login?community=bq")
        assert own.status_code == 503 and MISSING in own.text
        street = Client(restarted)
        login(street, "street1")
        assert f"暂不可用：{MISSING}" in _rows(street, "/street/")["bq"]
        assert not _has_store(site, "bq")
    finally:
        restarted.close()


def test_the_street_pages_make_a_community_never_made_and_show_its_zeros(site):
    _half_added(site)
    deployment = Deployment(site)
    try:
        street = Client(deployment)
        login(street, "street1")
        row = _rows(street, "/street/")["bq"]
        assert "暂不可用" not in row
        cells = re.findall(r"<td>(.*?)</td>", row)
        assert cells and cells[0] == "0", row  # its households: it holds nothing
        assert find(deployment.census.store, "bq").made
    finally:
        deployment.close()


def _env(config: dict[str, Any]) -> dict[str, str]:
    env = {"CENSUS_DATA_DIR": config["DATA_DIR"], "CENSUS_FSYNC": "false"}
    if config.get("DATABASE_URL"):
        env["CENSUS_DATABASE_URL"] = config["DATABASE_URL"]
    return env


def _listed(config: dict[str, Any], code: str) -> Any:
    """The street's entry of ``code``, read from the first store."""
    with _opened(config) as home:
        return find(home.store, code)


def test_census_add_that_cannot_make_the_store_says_so_and_its_rerun_finishes_it(site):
    env = _env(site)
    assert census("init", "--community", EAST, env=env).returncode == 0
    folder = Path(site["DATA_DIR"]) / "communities" / "bq"
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text("not a folder", encoding="utf-8")  # its place cannot be made
    failed = census("community", "add", NORTH, "--code", "bq", env=env)
    assert failed.returncode == 1 and "Traceback" not in failed.stderr, failed.stderr
    lines = failed.stderr.strip().splitlines()
    assert len(lines) == 1 and "已列入街道" in lines[0] and "再次运行" in lines[0], lines
    listing = census("community", "list", env=env)
    assert listing.returncode == 0
    assert re.search(rf"^bq\s+{NORTH}\s+{NOT_MADE}", listing.stdout, re.M), listing.stdout
    assert not _listed(site, "bq").made
    refused = census("community", "add", "南区社区", "--code", "bq", env=env)  # another name
    assert refused.returncode == 1 and "bq" in refused.stderr and "taken" in refused.stderr
    folder.unlink()  # the disk repaired
    again = census("community", "add", NORTH, "--code", "bq", env=env)
    assert again.returncode == 0, again.stderr
    assert "已添加社区" in again.stdout
    assert _listed(site, "bq").made and _has_store(site, "bq")
    listing = census("community", "list", env=env)
    assert NOT_MADE not in listing.stdout and re.search(rf"^bq\s+{NORTH}$", listing.stdout, re.M)
    twice = census("community", "add", NORTH, "--code", "bq", env=env)  # made: taken now
    assert twice.returncode == 1 and "已有名为" in twice.stderr
    loaded = census("--community", "bq", "demo", "--households", "3", env=env)
    assert loaded.returncode == 0, loaded.stderr


def _add_unmade(config: dict[str, Any], code: str, name: str) -> None:
    """List one more community and make no store for it."""
    with _opened(config) as home:
        add_community(home.store, name, code, home_name=EAST, actor="test")


def test_commands_make_a_community_never_made(site):
    _half_added(site)
    env = _env(site)
    read = census("--community", "bq", "summary", env=env)
    assert read.returncode == 0, read.stderr
    assert NORTH in read.stdout
    assert _listed(site, "bq").made and _has_store(site, "bq")
    with _opened(community_config_of(site, "bq")) as north:
        assert north.community_name() == NORTH
        assert north.store.collection("households").count() == 0
    _add_unmade(site, "nq", "南区社区")
    summary = census("street", "summary", "--json", env=env)
    assert summary.returncode == 0, summary.stderr
    figures = json.loads(summary.stdout)
    assert figures["南区社区"]["households"] == 0 and figures[NORTH]["households"] == 0
    assert _listed(site, "nq").made and _has_store(site, "nq")


def community_config_of(config: dict[str, Any], code: str) -> dict[str, Any]:
    return community_config(load_config(config), code)


@pytest.mark.parametrize("site", ["postgres"], indirect=True)  # a worker: PostgreSQL only
def test_the_worker_makes_a_community_never_made(site):
    from tests.cluster.conftest import Worker, wait_for

    _half_added(site)
    worker = Worker(_env(site) | {"CENSUS_WORKER_LOOK_SECONDS": "0.5"})
    try:
        wait_for(lambda: "takes the jobs of queue bq" in worker.output(), 120, "bq served")
        said = worker.output()
        assert worker.process.poll() is None, said
    finally:
        worker.stop()
    assert "not opened" not in said, said
    assert _listed(site, "bq").made and _has_store(site, "bq")
    with _opened(community_config_of(site, "bq")) as north:
        assert north.community_name() == NORTH


def test_an_add_on_the_page_that_cannot_make_the_store_says_so(tmp_path):
    from tests.street.test_street_community_names import token

    config = {"DATA_DIR": str(tmp_path / "data"), "TESTING": True, "FSYNC": False}
    deployment = make_street(config)
    try:
        folder = tmp_path / "data" / "communities" / "bq"
        folder.write_text("not a folder", encoding="utf-8")  # its place cannot be made
        boss = Client(deployment)
        login(boss, "boss")
        form = {"name": NORTH, "code": "bq", "csrf_token": token(boss, "/street/communities")}
        added = boss.post("/street/communities", data=form, follow_redirects=True)
        assert added.status_code == 200
        assert f"{NORTH}已列入街道，但其数据未能建立" in added.text
        assert "已添加社区" not in added.text
        assert NOT_MADE in _listing_row(boss, NORTH)
        assert not find(deployment.census.store, "bq").made
        folder.unlink()  # the disk repaired: the next opening makes it
        assert Client(deployment).get("/login?community=bq").status_code == 200
        assert find(deployment.census.store, "bq").made
        assert NOT_MADE not in _listing_row(boss, NORTH)
    finally:
        deployment.close()


def test_two_first_openings_at_once_make_the_community_once(site):
    """Two staff at the door of a community never made, at the same moment: on TinyDB two
    requests of one server, on PostgreSQL two servers (two deployments on one database).
    Both are let in, the store is made once, named once and marked made."""
    import threading

    _half_added(site)
    servers = [Deployment(site)]
    if site.get("DATABASE_URL"):
        servers.append(Deployment(site))
    try:
        doors = [servers[n % len(servers)] for n in range(4)]
        barrier = threading.Barrier(len(doors))
        answers: list[int] = []

        def enter(deployment: Deployment) -> None:
            client = Client(deployment)
            barrier.wait()
            answers.append(client.get("/login?community=bq").status_code)

        threads = [threading.Thread(target=enter, args=(d,)) for d in doors]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert answers == [200] * len(doors)
        assert find(servers[0].census.store, "bq").made
        for deployment in servers:
            north = deployment.census_of("bq")
            assert north is not None and north.community_name() == NORTH
            assert north.store.collection("households").count() == 0
        names = servers[0].census_of("bq").store.collection("settings").find(key="community")
        assert len(names) == 1
    finally:
        for deployment in servers:
            deployment.close()
