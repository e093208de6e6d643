"""A street on a bad day: one community's store cannot be opened or read.

Its row (or its column) of every street table says 暂不可用 and why, the 合计 says it leaves
that community out (合计（不含：西区社区）) and adds up the others, and nothing answers 5xx
but the community's own pages, which say 503 in words. On a real TinyDB folder (its data
file cut short, as a disk that filled mid-write leaves it), on the real PostgreSQL (the
community's schema dropped under the running server, or its tables not the store's), on
the pages, workbooks and prints and on ``census street …``. Each fails on the tree before:
the street pages answered 500 (or raised), ``census street`` stopped with a traceback.
"""

from __future__ import annotations

import io
import json
import logging
import re

import psycopg
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from pypdf import PdfReader
from werkzeug.test import Client

from census.cli import main
from census.street.deployment import COOKIE, Deployment
from tests.conftest import PG_URL
from tests.street.street_site import EAST, WEST, login, make_street

WITHOUT = f"合计（不含：{WEST}）"
CORRUPT = "数据文件已损坏，无法读取"
DATABASE = "数据库连接失败，或该社区的数据表已不存在"
STREET_PAGES = ("/street/", "/street/registers", "/street/report")
DOWNLOADS = (
    "/street/summary.xlsx",
    "/street/registers.xlsx",
    "/street/report.xlsx",
    "/street/summary.pdf",
    "/street/registers.pdf",
    "/street/report.pdf",
)


def _cut_short(data_dir) -> bytes:
    """Cut 西区's data file short (its first kilobyte): no longer JSON. Its bytes before."""
    path = data_dir / "communities" / "xq" / "census.json"
    whole = path.read_bytes()
    path.write_bytes(whole[:1000])
    return whole


@pytest.fixture
def broken(tmp_path):
    """A street whose 西区 folder no longer loads, opened by a server started after."""
    config = {"DATA_DIR": str(tmp_path / "data"), "TESTING": True, "FSYNC": False}
    made = make_street(config)
    east_households = len(made.census.store.collection("households").scan())
    made.close()
    whole = _cut_short(tmp_path / "data")
    deployment = Deployment(config)
    deployment.east_households = east_households
    deployment.whole = whole
    yield deployment
    deployment.close()


def _rows(page: str) -> dict[str, str]:
    return dict(re.findall(r'<tr data-community="([^"]*)"[^>]*>(.*?)</tr>', page, re.S))


def _cells(row: str) -> list[str]:
    return re.findall(r"<td[^>]*>([^<]*)</td>", row)


def _check_pages(client: Client, reason: str, east_households: int) -> None:
    """Every street page, workbook and print answers, 西区 暂不可用 with ``reason``."""
    summary = client.get("/street/")
    assert summary.status_code == 200
    rows = _rows(summary.get_data(as_text=True))
    assert EAST in rows[""] and f"暂不可用：{reason}" in rows["xq"]
    assert f">{WITHOUT}</th>" in rows["total"]
    assert int(_cells(rows["total"])[0]) == int(_cells(rows[""])[0]) == east_households
    registers = client.get("/street/registers")
    page = registers.get_data(as_text=True)
    assert registers.status_code == 200
    assert f'<th scope="col">{WITHOUT}</th>' in page and f"{WEST}暂不可用：{reason}" in page
    report = client.get("/street/report?from=2025-01-01&to=2025-06-30")
    assert report.status_code == 200
    rows = _rows(report.get_data(as_text=True))
    assert f"暂不可用：{reason}" in rows["xq"] and f">{WITHOUT}</th>" in rows["total"]
    for url in DOWNLOADS:
        answer = client.get(url)
        assert answer.status_code == 200, url
        if url.endswith(".pdf"):
            text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(answer.data)).pages)
            text = re.sub(r"\s", "", text)
            assert WITHOUT in text and "暂不可用" in text and reason in text, url
        else:
            sheet = load_workbook(io.BytesIO(answer.data)).active
            cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c]
            assert WITHOUT in cells and "暂不可用" in cells, url
            assert any(f"{WEST}暂不可用：{reason}" in c for c in cells), url


def test_a_corrupt_community_folder_leaves_the_street_pages_standing(broken, caplog):
    staff = Client(broken)
    login(staff, "street1")
    with caplog.at_level(logging.WARNING, logger="census.street"):
        _check_pages(staff, CORRUPT, broken.east_households)
    said = [r.getMessage() for r in caplog.records if r.name == "census.street"]
    assert said and all("xq" in m and "not valid JSON" in m for m in said)


def test_the_broken_community_s_own_pages_say_503_in_words(broken):
    """Its login page, any page of its cookie, and its API: 503 and why, no traceback;
    the first community's pages are as ever."""
    visitor = Client(broken)
    page = visitor.get("/login?community=xq")
    assert page.status_code == 503
    text = page.get_data(as_text=True)
    assert f"{WEST}暂不可用" in text and CORRUPT in text and "Traceback" not in text
    assert "is unavailable" in text  # and in English
    chosen = Client(broken)
    chosen.set_cookie(COOKIE, "xq")  # a browser that chose 西区 yesterday
    assert chosen.get("/survey/").status_code == 503
    api = Client(broken).get("/api/v1/households", headers={"X-Census-Community": "xq"})
    assert api.status_code == 503 and api.get_json()["error"] == "community_unavailable"
    assert CORRUPT in api.get_json()["message"]
    assert Client(broken).get("/login?community=").status_code == 200


def test_a_repaired_folder_is_back_on_the_next_page(broken):
    staff = Client(broken)
    login(staff, "street1")
    assert "暂不可用" in staff.get("/street/").get_data(as_text=True)
    (broken.census.data_dir / "communities" / "xq" / "census.json").write_bytes(broken.whole)
    page = staff.get("/street/").get_data(as_text=True)
    assert "暂不可用" not in page and WITHOUT not in page and ">合计</th>" in page
    assert Client(broken).get("/login?community=xq").status_code == 200


@pytest.fixture
def pg_street(tmp_path):
    """A street of two schemas of the real PostgreSQL, its server running."""
    schema = "census_street_down"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.execute(f"DROP SCHEMA IF EXISTS {schema}_xq CASCADE")
        conn.execute(f"CREATE SCHEMA {schema}")
    url = f"{PG_URL}?options=-c%20search_path%3D{schema}"
    deployment = make_street({"DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": url})
    deployment.schema = schema
    try:
        yield deployment
    finally:
        deployment.close()
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            conn.execute(f"DROP SCHEMA IF EXISTS {schema}_xq CASCADE")


def test_a_community_schema_dropped_under_the_running_server(pg_street):
    staff, west = Client(pg_street), Client(pg_street)
    login(staff, "street1")
    login(west, "boss", "xq")
    east_households = len(pg_street.census.store.collection("households").scan())
    assert "暂不可用" not in staff.get("/street/").get_data(as_text=True)
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {pg_street.schema}_xq CASCADE")
    _check_pages(staff, DATABASE, east_households)
    own = west.get("/households")
    assert own.status_code == 503
    assert f"{WEST}暂不可用" in own.get_data(as_text=True) and DATABASE in own.get_data(
        as_text=True
    )
    api = Client(pg_street).get("/api/v1/households", headers={"X-Census-Community": "xq"})
    assert api.status_code == 503 and api.get_json()["error"] == "community_unavailable"


# ------------------------------------------------------------------ the command line
@pytest.fixture
def run(tmp_path):
    def invoke(*args: str, env: dict[str, str], code: int = 0):
        result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result

    return invoke


def _street_commands(run, env: dict[str, str], reason: str, out) -> None:
    """census street summary|registers|report (tables and --json) and print: 西区 left out,
    said on the gate's line (or standard error), the others counted."""
    summary = run("street", "summary", env=env)
    lines = summary.stdout.splitlines()
    assert f"{WEST}暂不可用：{reason}。" in lines[0]
    rows = {line.split("\t")[0]: line.split("\t")[1:] for line in lines[2:]}
    first = lines[2].split("\t")[0]  # the first community, named by census demo
    assert list(rows) == [first, WEST, WITHOUT]
    assert rows[WEST][0] == "暂不可用" and rows[WITHOUT][0] == rows[first][0] == "12"
    body = json.loads(run("street", "summary", "--json", env=env).stdout)
    assert body[WEST] == {"unavailable": reason}
    assert body[WITHOUT]["households"] == body[first]["households"] == 12
    registers = run("street", "registers", env=env)
    assert registers.stdout.splitlines()[0].split("\t")[1:] == [first, WEST, WITHOUT]
    assert f"{WEST}暂不可用：{reason}" in registers.stderr
    counts = json.loads(run("street", "registers", "--json", env=env).stdout)
    assert counts[WEST] == {"unavailable": reason} and counts[WITHOUT] == counts[first]
    report = run("street", "report", env=env).stdout
    assert f"{WEST}暂不可用：{reason}" in report and f"\n{WITHOUT}\t" in report
    cases = json.loads(run("street", "report", "--json", env=env).stdout)
    assert list(cases) == [first, WEST, WITHOUT] and cases[WEST] == {"unavailable": reason}
    for target in ("summary", "registers", "report"):
        pdf = out / f"{target}.pdf"
        run("street", "print", target, "-o", str(pdf), env=env)
        text = re.sub(r"\s", "", "".join(p.extract_text() for p in PdfReader(pdf).pages))
        assert WITHOUT in text and reason in text, target


def test_census_street_leaves_out_a_corrupt_community(run, tmp_path):
    env = {"CENSUS_DATA_DIR": str(tmp_path / "data"), "CENSUS_FSYNC": "false"}
    run("init", "--community", EAST, env=env)
    run("demo", "--households", "12", env=env)
    run("community", "add", WEST, "--code", "xq", env=env)
    run("--community", "xq", "demo", "--households", "9", env=env)
    _cut_short(tmp_path / "data")
    _street_commands(run, env, CORRUPT, tmp_path)


def test_census_street_leaves_out_a_community_whose_tables_are_not_the_store_s(run, tmp_path):
    """A schema whose documents table is something else (a restore gone wrong) fails to read
    (one dropped, or without its tables, is not made again: test_street_store_gone.py)."""
    schema = "census_street_cli_down"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.execute(f"DROP SCHEMA IF EXISTS {schema}_xq CASCADE")
        conn.execute(f"CREATE SCHEMA {schema}")
    env = {
        "CENSUS_DATA_DIR": str(tmp_path / "data"),
        "CENSUS_DATABASE_URL": f"{PG_URL}?options=-c%20search_path%3D{schema}",
    }
    try:
        run("init", "--community", EAST, env=env)
        run("demo", "--households", "12", env=env)
        run("community", "add", WEST, "--code", "xq", env=env)
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema}_xq CASCADE")
            conn.execute(f"CREATE SCHEMA {schema}_xq")
            conn.execute(f"CREATE TABLE {schema}_xq.census_documents (note text)")
        _street_commands(run, env, DATABASE, tmp_path)
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            conn.execute(f"DROP SCHEMA IF EXISTS {schema}_xq CASCADE")


def test_census_street_says_so_when_the_first_community_cannot_be_opened(run, tmp_path):
    """The first store lists the street: without it there is no street to add up (exit 1
    and why, not a traceback)."""
    data = tmp_path / "data"
    env = {"CENSUS_DATA_DIR": str(data), "CENSUS_FSYNC": "false"}
    run("init", "--community", EAST, env=env)
    run("community", "add", WEST, "--code", "xq", env=env)
    (data / "census.json").write_text("{not json", encoding="utf-8")
    for command in ("summary", "registers", "report"):
        said = run("street", command, env=env, code=1)
        assert f"第一个社区的数据无法打开（{CORRUPT}）" in said.stderr, command
