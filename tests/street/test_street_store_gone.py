"""A community's store that is gone is never made again empty, and no command ends in a
traceback when a store cannot be opened.

An added community whose data folder (or its census.json), or whose PostgreSQL schema (or
its documents table), disappeared is 暂不可用 on the street's pages after a restart, 503
in words on its own pages, and ``census --community CODE …`` says so in one line and
exits 1; nothing is created in its place. A brand-new deployment is still made by
``census init`` on an empty folder or database, and an added community by
``census community add``. ``census serve`` starts with a broken added community and stops
in one line (exit 1) with a broken first one. Real TinyDB folders, the real PostgreSQL and
real ``census`` processes. On the tree before, the dropped schema came back empty (the
street showed 西区's households as 0), the removed folder came back empty too, and the
commands and ``census serve`` ended in a traceback.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import psycopg
import pytest
import requests
from werkzeug.test import Client

from census.street.deployment import Deployment
from tests.conftest import PG_URL
from tests.servers import Server
from tests.street.street_site import EAST, WEST, census, login, make_street

MISSING = "该社区的数据已不存在（数据目录或数据表缺失），请从备份恢复"
CORRUPT = "数据文件已损坏，无法读取"


def said_in_one_line(done: subprocess.CompletedProcess[str], *words: str) -> str:
    """Exit 1, one line on standard error naming ``words``, no traceback."""
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def _west_row(deployment: Deployment) -> str:
    staff = Client(deployment)
    login(staff, "street1")
    page = staff.get("/street/")
    assert page.status_code == 200
    rows = dict(re.findall(r'<tr data-community="([^"]*)"[^>]*>(.*?)</tr>', page.text, re.S))
    return rows["xq"]


# ------------------------------------------------------------------ TinyDB
@pytest.fixture
def tiny(tmp_path):
    config = {"DATA_DIR": str(tmp_path / "data"), "TESTING": True, "FSYNC": False}
    make_street(config).close()
    return config, tmp_path / "data" / "communities" / "xq"


@pytest.mark.parametrize("gone", ["folder", "census.json"])
def test_a_community_folder_gone_is_not_made_again_empty(tiny, gone):
    config, west = tiny
    if gone == "folder":
        shutil.rmtree(west)
    else:
        (west / "census.json").unlink()
        (west / "census.journal").unlink(missing_ok=True)
    deployment = Deployment(config)
    try:
        assert f"暂不可用：{MISSING}" in _west_row(deployment)
        own = Client(deployment).get("/login?community=xq")
        assert own.status_code == 503 and MISSING in own.text
        assert not (west / "census.json").exists()
        assert west.exists() == (gone != "folder")  # nothing made in its place
    finally:
        deployment.close()


def test_commands_say_in_one_line_what_cannot_be_opened(tmp_path):
    data = tmp_path / "data"
    env = {"CENSUS_DATA_DIR": str(data), "CENSUS_FSYNC": "false"}
    assert census("init", "--community", EAST, env=env).returncode == 0
    assert census("community", "add", WEST, "--code", "xq", env=env).returncode == 0
    west = data / "communities" / "xq"
    shutil.rmtree(west)
    said_in_one_line(census("--community", "xq", "demo", env=env), str(west), "备份")
    assert not west.exists()
    (data / "census.json").write_text("{not json", encoding="utf-8")
    for command in (["demo"], ["user", "unlock", "nobody"], ["community", "list"]):
        said_in_one_line(
            census(*command, env=env), "第一个社区", CORRUPT, str(data / "census.json")
        )


def test_serve_stops_in_one_line_when_the_first_community_is_broken(tmp_path):
    data = tmp_path / "data"
    env = {"CENSUS_DATA_DIR": str(data), "CENSUS_FSYNC": "false"}
    assert census("init", env=env).returncode == 0
    (data / "census.json").write_text("{not json", encoding="utf-8")
    said_in_one_line(census("serve", "--port", "1", env=env), "第一个社区", CORRUPT)


def test_serve_starts_with_a_broken_added_community(tmp_path):
    data = tmp_path / "data"
    env = {"CENSUS_DATA_DIR": str(data), "CENSUS_FSYNC": "false", "CENSUS_SECRET_KEY": "k" * 32}
    assert census("init", "--community", EAST, env=env).returncode == 0
    assert census("community", "add", WEST, "--code", "xq", env=env).returncode == 0
    (data / "communities" / "xq" / "census.json").write_text("{not json", encoding="utf-8")
    server = Server(env)
    try:
        assert requests.get(f"{server.url}/login", timeout=30).status_code == 200
        west = requests.get(f"{server.url}/login?community=xq", timeout=30)
        assert west.status_code == 503 and CORRUPT in west.text
    finally:
        server.stop()


# ------------------------------------------------------------------ PostgreSQL
def _drop(*schemas: str) -> None:
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        for schema in schemas:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _schemas(prefix: str) -> set[str]:
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (prefix + "%",)
        ).fetchall()
    return {row[0] for row in rows}


@pytest.fixture
def pg_schema():
    schema = "census_store_gone"
    _drop(schema, f"{schema}_xq")
    yield schema
    _drop(schema, f"{schema}_xq")


@pytest.mark.parametrize("gone", ["schema", "table"])
def test_a_community_schema_gone_is_not_made_again_empty(pg_schema, tmp_path, gone):
    url = f"{PG_URL}?options=-c%20search_path%3D{pg_schema}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {pg_schema}")
    config = {"DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": url, "TESTING": True}
    made = make_street(config)
    assert _west_row(made).count("暂不可用") == 0
    made.close()
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        if gone == "schema":
            conn.execute(f"DROP SCHEMA {pg_schema}_xq CASCADE")
        else:
            conn.execute(f"DROP TABLE {pg_schema}_xq.census_documents CASCADE")
    deployment = Deployment(config)  # a server started after
    try:
        assert f"暂不可用：{MISSING}" in _west_row(deployment)
        api = Client(deployment).get("/api/v1/households", headers={"X-Census-Community": "xq"})
        assert api.status_code == 503 and MISSING in api.get_json()["message"]
    finally:
        deployment.close()
    env = {"CENSUS_DATA_DIR": str(tmp_path / "data"), "CENSUS_DATABASE_URL": url}
    line = said_in_one_line(census("--community", "xq", "demo", env=env), f"{pg_schema}_xq")
    assert "postgres@" not in line  # the database named, not its URL
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = %s", (f"{pg_schema}_xq",)
        ).fetchone()
    assert _schemas(f"{pg_schema}_xq") == (set() if gone == "schema" else {f"{pg_schema}_xq"})
    assert tables is not None and (gone == "schema" or tables[0] > 0)  # left as it was


def test_a_brand_new_database_is_made_by_init_and_add(pg_schema, tmp_path):
    """No schema yet: census init makes the first community's, community add the next."""
    env = {
        "CENSUS_DATA_DIR": str(tmp_path / "data"),
        "CENSUS_DATABASE_URL": f"{PG_URL}?options=-c%20search_path%3D{pg_schema}",
    }
    assert census("init", "--community", EAST, env=env).returncode == 0
    assert _schemas(pg_schema) == {pg_schema}
    done = census("community", "add", WEST, "--code", "xq", env=env)
    assert done.returncode == 0, done.stderr
    assert _schemas(pg_schema) == {pg_schema, f"{pg_schema}_xq"}
    loaded = census("--community", "xq", "demo", "--households", "3", env=env)
    assert loaded.returncode == 0, loaded.stderr


def test_no_database_server_is_said_in_one_line(tmp_path):
    env = {
        "CENSUS_DATA_DIR": str(tmp_path / "data"),
        "CENSUS_DATABASE_URL": "postgresql://census@127.0.0.1:1/census",
    }
    said_in_one_line(census("init", env=env), "127.0.0.1/census")


def test_a_first_community_gone_beside_its_communities_is_not_made_again(tmp_path):
    """Its folder keeps the added communities' folders: not a new deployment, so neither
    census init nor census serve makes the first store again, empty (the street's list of
    communities and its accounts would be gone without a word)."""
    data = tmp_path / "data"
    env = {"CENSUS_DATA_DIR": str(data), "CENSUS_FSYNC": "false"}
    assert census("init", "--community", EAST, env=env).returncode == 0
    assert census("community", "add", WEST, "--code", "xq", env=env).returncode == 0
    (data / "census.json").unlink()
    (data / "census.journal").unlink(missing_ok=True)
    for command in (["init"], ["serve", "--port", "1"], ["community", "list"]):
        said_in_one_line(census(*command, env=env), "第一个社区", str(data), "xq")
    assert not (data / "census.json").exists()


def test_a_first_schema_gone_beside_its_communities_is_not_made_again(pg_schema, tmp_path):
    env = {
        "CENSUS_DATA_DIR": str(tmp_path / "data"),
        "CENSUS_DATABASE_URL": f"{PG_URL}?options=-c%20search_path%3D{pg_schema}",
    }
    assert census("init", "--community", EAST, env=env).returncode == 0
    assert census("community", "add", WEST, "--code", "xq", env=env).returncode == 0
    _drop(pg_schema)
    for command in (["init"], ["serve", "--port", "1"]):
        said_in_one_line(census(*command, env=env), "第一个社区", pg_schema, f"{pg_schema}_xq")
    assert _schemas(pg_schema) == {f"{pg_schema}_xq"}


def test_a_gone_community_is_back_once_its_backup_is_restored(pg_schema, tmp_path):
    """What the line says to do: census restore into that community's schema (named by its
    URL, the data folder its own), and the street counts it again."""
    data = tmp_path / "data"
    url = f"{PG_URL}?options=-c%20search_path%3D{pg_schema}"
    env = {"CENSUS_DATA_DIR": str(data), "CENSUS_DATABASE_URL": url}
    assert census("init", "--community", EAST, env=env).returncode == 0
    assert census("community", "add", WEST, "--code", "xq", env=env).returncode == 0
    assert census("--community", "xq", "demo", "--households", "7", env=env).returncode == 0
    west = {
        "CENSUS_DATA_DIR": str(data / "communities" / "xq"),
        "CENSUS_DATABASE_URL": f"{PG_URL}?options=-c%20search_path%3D{pg_schema}_xq",
    }
    kept = tmp_path / "xq.tar.gz"
    assert census("backup", str(kept), env=west).returncode == 0
    _drop(f"{pg_schema}_xq")
    said_in_one_line(census("--community", "xq", "demo", env=env), f"{pg_schema}_xq")
    restored = census("restore", str(kept), env=west)
    assert restored.returncode == 0, restored.stderr
    summary = census("street", "summary", "--json", env=env)
    assert summary.returncode == 0, summary.stderr
    assert json.loads(summary.stdout)[WEST]["households"] == 7


def test_a_community_added_on_the_street_page_has_its_store_after_a_restart(tiny):
    from tests.street.test_street_community_names import token

    config, _west = tiny
    deployment = Deployment(config)
    try:
        boss = Client(deployment)
        login(boss, "boss")
        csrf = token(boss, "/street/communities")
        added = boss.post(
            "/street/communities", data={"name": "北区社区", "code": "bq", "csrf_token": csrf}
        )
        assert added.status_code == 302
    finally:
        deployment.close()
    restarted = Deployment(config)
    try:
        staff = Client(restarted)
        login(staff, "street1")
        page = staff.get("/street/").text
        row = dict(re.findall(r'<tr data-community="([^"]*)"[^>]*>(.*?)</tr>', page, re.S))["bq"]
        assert "北区社区" in row and "暂不可用" not in row
    finally:
        restarted.close()
