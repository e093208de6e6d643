"""The street's work report, prints and gate line on the pages, against each community's own.

Two generated communities (real TinyDB folders, ``street_site``), each with its own service
cases drawn at random; every number the street shows is checked against the report each
community makes of its own records (``census.worklog.store.period_report``, the report of its
/worklog/report page), and the PDFs are read back.
"""

from __future__ import annotations

import io
import re
from datetime import date

import psycopg
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from werkzeug.test import Client

from census.services import audit
from census.worklog.periods import Period
from census.worklog.store import period_report
from tests.conftest import PG_URL
from tests.street.street_site import (
    EAST,
    WEST,
    login,
    make_street,
    save_cases,
    service_cases,
    submit_household,
)

PERIOD = Period(date(2025, 1, 1), date(2025, 6, 30))
QUERY = "from=2025-01-01&to=2025-06-30"
SIGNED = "制表人：街道王芳　　审核人：________　　日期："


@pytest.fixture
def street(tmp_path):
    deployment = make_street({"DATA_DIR": str(tmp_path / "data"), "TESTING": True, "FSYNC": False})
    save_cases(deployment.census, service_cases(seed=1, count=60))
    save_cases(deployment.census_of("xq"), service_cases(seed=2, count=25))
    yield deployment
    deployment.close()


@pytest.fixture
def street1(street):
    client = Client(street)
    login(client, "street1")
    return client


def own_reports(street) -> dict[str, dict[str, tuple[int, int, int, str]]]:
    """Each community's own report of the period: (consulted, accepted, handled, rate) per
    channel name and 合计, as its work report's case table reads."""
    found = {}
    for code, name in (("", EAST), ("xq", WEST)):
        census = street.census_of(code)
        report = period_report(census.store, census.surveys, name, PERIOD)
        found[name] = {row[0]: tuple(row[1:]) for row in report.cases}
    return found


def page_rows(html: str) -> dict[str, list[str]]:
    """The report page's rows: community code (or total) -> its cells."""
    return {
        code: re.findall(r"<td>([^<]*)</td>", row)
        for code, row in re.findall(r'<tr data-community="([^"]*)">(.*?)</tr>', html, re.S)
    }


def test_the_street_total_adds_each_communitys_own_report_and_works_its_rates_out_again(
    street, street1
):
    page = street1.get(f"/street/report?{QUERY}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    rows = page_rows(html)
    own = own_reports(street)
    names = ["窗口", "信访", "热线", "合计"]  # the community report's rows; 合计 = all channels
    for code, name in (("", EAST), ("xq", WEST)):
        expected = []
        for channel in names:
            _consulted, accepted, handled, rate = own[name][channel]
            expected += [str(accepted), str(handled), rate]
        assert rows[code] == expected, name
    averaged = 0
    for n, channel in enumerate(names):
        east, west = own[EAST][channel], own[WEST][channel]
        accepted, handled = east[1] + west[1], east[2] + west[2]
        cells = rows["total"][3 * n : 3 * n + 3]
        assert cells[:2] == [str(accepted), str(handled)], channel
        rate = f"{round(handled / accepted, 4) * 100:.2f}".rstrip("0").rstrip(".") + "%"
        assert cells[2] == rate, channel
        mean = (east[2] / east[1] + west[2] / west[1]) / 2
        averaged += abs(mean - handled / accepted) > 0.0001  # the average would differ
    assert averaged >= 3  # so a total made by averaging the rates fails this test
    assert own[EAST]["合计"][1] > 20 and own[WEST]["合计"][1] > 8  # a real sample
    assert "仅含已审核记录；无待审核记录" in html
    assert 'href="/street/report.pdf?from=2025-01-01&amp;to=2025-06-30"' in html


def test_the_report_workbook_holds_the_same_rows_and_the_total(street, street1):
    answer = street1.get(f"/street/report.xlsx?{QUERY}")
    assert answer.status_code == 200 and answer.data[:2] == b"PK"
    sheet = load_workbook(io.BytesIO(answer.data)).active
    table = [[c.value for c in row] for row in sheet.iter_rows()]
    assert table[0][:4] == ["社区", "窗口受理", "窗口办结", "窗口办结率"]
    assert [row[0] for row in table[1:4]] == [EAST, WEST, "合计"]
    own = own_reports(street)
    accepted = own[EAST]["合计"][1] + own[WEST]["合计"][1]
    assert table[3][10] == accepted  # 全部渠道受理 of the 合计 row
    assert table[4][0] == "仅含已审核记录；无待审核记录"
    logged = audit.entries(street.census.store)
    assert any(e["action"] == "export" and e["target"].startswith("street/report") for e in logged)


def test_the_registers_workbook_has_each_communitys_rows_and_the_total_column(street, street1):
    submit_household(street.census_of("xq"), "902")
    answer = street1.get("/street/registers.xlsx?as_of=2025-06-30&all=1")
    assert answer.status_code == 200 and answer.data[:2] == b"PK"
    sheet = load_workbook(io.BytesIO(answer.data)).active
    table = [[c.value for c in row] for row in sheet.iter_rows()]
    assert table[0] == ["台账", EAST, WEST, "合计"]
    day = date(2025, 6, 30)
    east = street.census.derived.view(day, approved=False).counts()
    west = street.census_of("xq").derived.view(day, approved=False).counts()
    registers = street.census.registers
    assert [row[0] for row in table[1:-1]] == [reg.title("zh") for reg in registers]
    for reg, row in zip(registers, table[1:-1], strict=True):
        assert row[1:] == [east[reg.key], west[reg.key], east[reg.key] + west[reg.key]], reg.key
    assert table[-1][0] == "含未审核记录：其中 1 户待审核"


def test_every_street_print_and_export_is_in_the_first_communitys_audit_log(street, street1):
    for url in ("summary.xlsx", "summary.pdf", "registers.xlsx", "registers.pdf"):
        assert street1.get(f"/street/{url}?as_of=2025-06-30").status_code == 200
    for url in ("report.xlsx", "report.pdf"):
        assert street1.get(f"/street/{url}?{QUERY}").status_code == 200
    logged = [
        (e["actor"], e["action"], e["target"])
        for e in reversed(audit.entries(street.census.store))
        if e["target"].startswith("street/")
    ]
    assert logged == [
        ("street1", "export", "street/summary/2025-06-30"),
        ("street1", "print", "street/summary/2025-06-30"),
        ("street1", "export", "street/registers/2025-06-30"),
        ("street1", "print", "street/registers/2025-06-30"),
        ("street1", "export", "street/report/2025-01-01 to 2025-06-30"),
        ("street1", "print", "street/report/2025-01-01 to 2025-06-30"),
    ]
    west = street.census_of("xq").store
    assert not [e for e in audit.entries(west) if e["target"].startswith("street/")]


def pdf_text(answer) -> tuple[PdfReader, str]:
    assert answer.status_code == 200, answer.status_code
    assert answer.mimetype == "application/pdf" and answer.data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(answer.data))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def landscape(reader: PdfReader) -> bool:
    return all(page.mediabox.width > page.mediabox.height for page in reader.pages)


def test_the_three_street_tables_print_landscape_signed_off_with_the_gate(street, street1):
    submit_household(street.census, "901")
    submit_household(street.census_of("xq"), "902")
    waiting = "仅含已审核记录；另有 2 户待审核未计入"  # one of each community

    reader, text = pdf_text(street1.get("/street/summary.pdf?as_of=2025-06-30"))
    assert landscape(reader) and len(reader.pages) == 1
    assert "街道基本情况" in text and "统计日期：2025-06-30" in text and waiting in text
    east = street.census.derived.view(date(2025, 6, 30), approved=True).figures()
    west = street.census_of("xq").derived.view(date(2025, 6, 30), approved=True).figures()
    lines = {line.split()[0]: line.split()[1:] for line in text.splitlines() if line.strip()}
    assert lines[EAST][:2] == [str(east["households"]), str(east["residents"])]
    assert lines[WEST][:2] == [str(west["households"]), str(west["residents"])]
    assert lines["合计"][:2] == [
        str(east["households"] + west["households"]),
        str(east["residents"] + west["residents"]),
    ]
    assert SIGNED in text and "第 1 页 / 共 1 页" in text

    reader, text = pdf_text(street1.get("/street/registers.pdf?as_of=2025-06-30&all=1"))
    assert landscape(reader)
    assert "街道台账" in text and "含未审核记录：其中 2 户待审核" in text and SIGNED in text
    assert re.search(rf"台账 {EAST} {WEST} 合计", text)
    east_n = street.census.derived.view(date(2025, 6, 30), approved=False).counts()
    west_n = street.census_of("xq").derived.view(date(2025, 6, 30), approved=False).counts()
    key = "registered"
    line = re.search(r"户籍人口 (\d+) (\d+) (\d+)", text)
    assert line and list(map(int, line.groups())) == [
        east_n[key],
        west_n[key],
        east_n[key] + west_n[key],
    ]

    reader, text = pdf_text(street1.get(f"/street/report.pdf?{QUERY}"))
    assert landscape(reader)
    assert "街道工作报告（2025-01-01至2025-06-30）" in text and waiting in text and SIGNED in text
    own = own_reports(street)
    total = re.search(r"^合计 (.*)$", text, re.M)
    assert total, text
    cells = total.group(1).split()
    assert int(cells[9]) == own[EAST]["合计"][1] + own[WEST]["合计"][1]
    logged = [e["target"] for e in audit.entries(street.census.store) if e["action"] == "print"]
    assert [t.split("/")[1] for t in logged] == ["report", "registers", "summary"]  # newest first


def test_the_pages_say_how_many_records_of_all_communities_wait(street, street1):
    submit_household(street.census_of("xq"), "902")
    for url in ("/street/", "/street/registers", f"/street/report?{QUERY}"):
        html = street1.get(url).get_data(as_text=True)
        assert "仅含已审核记录；另有 1 户待审核未计入" in html, url
        every = street1.get(url + ("&" if "?" in url else "?") + "all=1").get_data(as_text=True)
        assert "含未审核记录：其中 1 户待审核" in every, url
    summary = street1.get("/street/").get_data(as_text=True)
    for target in ("summary.pdf", "summary.xlsx", "registers", "report"):
        assert f'href="/street/{target}' in summary, target


STREET_ROUTES = (
    "/street/",
    "/street/summary.xlsx",
    "/street/summary.pdf",
    "/street/registers",
    "/street/registers.pdf",
    "/street/registers.xlsx",
    "/street/communities",
    f"/street/report?{QUERY}",
    f"/street/report.pdf?{QUERY}",
    f"/street/report.xlsx?{QUERY}",
)


@pytest.mark.parametrize("url", STREET_ROUTES)
def test_every_street_route_by_role(street, url):
    """The street's account and the first community's admin: the page; a surveyor of the
    first community: 403; nobody: the login page; the second community's admin: no such
    page (the street pages are the first community's)."""
    answers = {}
    for who, community in (("street1", ""), ("boss", ""), ("walker", ""), ("boss", "xq")):
        client = Client(street)
        login(client, who, community)
        answers[(who, community)] = client.get(url)
    assert answers[("street1", "")].status_code == 200
    assert answers[("boss", "")].status_code == 200
    assert answers[("walker", "")].status_code == 403
    assert answers[("boss", "xq")].status_code == 404
    anonymous = Client(street).get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


@pytest.mark.postgres
def test_on_postgresql_the_street_report_adds_the_two_schemas_own_reports(tmp_path):
    """The same sums with the two communities as two schemas of one PostgreSQL database."""
    schema = "census_street_tables"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        for name in (schema, f"{schema}_xq"):
            conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        conn.execute(f"CREATE SCHEMA {schema}")
    url = f"{PG_URL}?options=-c%20search_path%3D{schema}"
    deployment = make_street(
        {"DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": url, "TESTING": True}
    )
    try:
        save_cases(deployment.census, service_cases(seed=1, count=30))
        save_cases(deployment.census_of("xq"), service_cases(seed=2, count=20))
        submit_household(deployment.census_of("xq"), "902")
        client = Client(deployment)
        login(client, "street1")
        html = client.get(f"/street/report?{QUERY}").get_data(as_text=True)
        rows, own = page_rows(html), own_reports(deployment)
        assert "仅含已审核记录；另有 1 户待审核未计入" in html
        every = [own[name]["合计"] for name in (EAST, WEST)]
        accepted, handled = every[0][1] + every[1][1], every[0][2] + every[1][2]
        assert rows["total"][9:11] == [str(accepted), str(handled)]
        assert rows["xq"][9:11] == [str(every[1][1]), str(every[1][2])]
    finally:
        deployment.close()
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            for name in (schema, f"{schema}_xq"):
                conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
