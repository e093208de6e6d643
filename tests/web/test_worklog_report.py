"""The period work report, the completion rates and the work registers: page, PDF and XLSX,
with counts known beforehand, read back from the files themselves."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from census.services import audit, records
from tests.web.worklog_helpers import stored_household


def save(app, store, kind, record):
    result = records.save(store, app.extensions["census"].surveys[kind], record, user="admin")
    assert result.saved, result.problems
    return result.id


def case(channel, received, state, handled=None):
    return {
        "channel": channel,
        "received_date": received,
        "matter": "开具证明",
        "state": state,
        "handled_date": handled,
    }


@pytest.fixture
def year_of_work(app, store):
    """First half of 2025: 3 visits to 2 households, 4 mediations (3 resolved), 2 activities
    (150 people), 2 volunteers (60 hours), and service cases whose rates are known."""
    one = stored_household(app, store)
    two = stored_household(app, store, room="102")
    for day, home, amount in (
        ("2025-01-10", one, 200),
        ("2025-02-10", two, 300),
        ("2025-03-01", one, None),
    ):
        save(app, store, "visit", {
            "date": day, "kind": "condolence", "visitors": "王书记",
            "households": [{"household": home["household_no"]}], "aid_amount": amount,
        })  # fmt: skip
    save(app, store, "visit", {
        "date": "2025-08-01", "kind": "care", "visitors": "王书记",
        "households": [{"household": two["household_no"]}],
    })  # fmt: skip  # outside the period
    for day, outcome in (("2025-01-05", "resolved"), ("2025-02-05", "resolved"),
                         ("2025-03-05", "resolved"), ("2025-04-05", "ongoing")):  # fmt: skip
        save(app, store, "mediation", {
            "date": day, "kind": "neighbour", "matter": "噪音",
            "parties": [{"name": "甲"}, {"name": "乙"}], "outcome": outcome,
        })  # fmt: skip
    for day, people in (("2025-01-28", 120), ("2025-05-01", 30)):
        save(app, store, "activity", {"date": day, "title": "联欢", "kind": "festival",
                                      "participants": people})  # fmt: skip
    head = one["members"][0]
    save(app, store, "volunteer", {"person": f"{one['household_no']}/{head['name']}",
                                   "joined_date": "2024-03-01", "hours": 40})  # fmt: skip
    save(app, store, "volunteer", {"person": two["members"][1]["id_number"],
                                   "joined_date": "2025-03-01", "hours": 20})  # fmt: skip
    for c in (
        case("window", "2025-01-05", "handled", "2025-01-06"),
        case("window", "2025-01-20", "handled", "2025-01-21"),
        case("window", "2025-02-03", "accepted"),
        case("window", "2025-02-04", "consulted"),
        case("window", "2025-04-10", "handled", "2025-04-11"),
        case("petition", "2025-03-08", "handled", "2025-03-30"),
        case("petition", "2025-03-09", "accepted"),
        case("hotline", "2025-06-01", "handled", "2025-06-01"),
        case("hotline", "2025-07-01", "accepted"),  # outside the period
    ):
        save(app, store, "service_case", c)
    return one, two


@pytest.fixture
def staff(client, auth):
    auth.login("admin")
    return client


PERIOD = "from=2025-01-01&to=2025-06-30"


def test_the_report_page_gives_the_period_figures(staff, year_of_work):
    page = staff.get(f"/worklog/report?{PERIOD}").get_data(as_text=True)
    services = re.search(r'data-part="services">([^<]+)<', page).group(1)
    assert services.startswith("2025年1月1日至6月30日，社区共走访慰问3次，走访住户2户")
    assert "发放慰问物资及慰问金折合500元" in services
    assert "调解各类纠纷4起，调解成功3起，调解成功率75%" in services
    assert "开展文体活动2场次，参与群众150人次" in services
    assert "现有注册志愿者2名（本期新增1名），累计服务时长60小时" in services
    assert "窗口接待咨询5件，受理4件，办结3件，办结率75%" in services
    assert "受理信访2件，办结1件，办结率50%" in services
    assert "接听热线1个，受理1件，办结1件，办结率100%" in services
    opening = re.search(r'data-part="opening">([^<]+)<', page).group(1)
    assert opening.startswith("佐斯腾社区共有居民2户6人")


def test_the_report_pdf_reads_back_with_the_same_figures_and_is_logged(staff, store, year_of_work):
    response = staff.get(f"/worklog/report.pdf?{PERIOD}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))
    assert "佐斯腾社区工作报告（2025-01-01至2025-06-30）" in text
    assert "佐斯腾社区共有居民2户6人" in text
    assert "社区共走访慰问3次，走访住户2户" in text
    assert "调解成功率75%" in text and "办结率75%" in text
    assert "窗口54375%" in text  # 咨询 受理 办结 办结率: 5 4 3 75%
    assert "合计87571.43%" in text  # 8 received, 7 accepted, 5 handled
    assert "第1页/共1页" in text
    entry = audit.entries(store, action="print")[0]
    assert entry["target"] == "worklog/report/2025-01-01 to 2025-06-30"


def test_the_report_xlsx_has_the_text_figures_and_cases(staff, year_of_work):
    response = staff.get(f"/worklog/report.xlsx?{PERIOD}")
    book = load_workbook(io.BytesIO(response.data))
    first, cases = book.worksheets
    values = {row[0]: row[1] for row in first.iter_rows(min_row=2, values_only=True)}
    assert values["走访慰问（次）"] == "3" and values["调解成功率"] == "75%"
    assert values["二、服务工作"].startswith("2025年1月1日至6月30日")
    rows = list(cases.iter_rows(values_only=True))
    assert rows[0] == ("渠道", "咨询", "受理", "办结", "办结率")
    assert rows[1] == ("窗口", 5, 4, 3, "75%")
    assert rows[-1] == ("合计", 8, 7, 5, "71.43%")


def test_the_report_in_english(staff, year_of_work):
    page = staff.get(f"/worklog/report?{PERIOD}&lang=en").get_data(as_text=True)
    assert "made 3 home visits to 2 households" in page
    assert "Service window: 5 received, 4 accepted, 3 handled, completion rate 75%" in page


def test_completion_rates_by_month_quarter_and_year(staff, year_of_work):
    page = staff.get("/worklog/rates?year=2025&by=month").get_data(as_text=True)

    def cell(html, period, name):
        row = re.search(rf'data-period="{period}">(.*?)</tr>', html, re.S).group(1)
        return re.search(rf'data-cell="{name}">([^<]*)<', row).group(1)

    assert cell(page, "2025-01", "window-rate") == "100%"
    assert cell(page, "2025-02", "window-consulted") == "2"
    assert cell(page, "2025-02", "window-rate") == "0%"
    assert cell(page, "2025-03", "petition-rate") == "50%"
    assert cell(page, "2025-05", "all-rate") == "—"
    quarters = staff.get("/worklog/rates?year=2025&by=quarter").get_data(as_text=True)
    assert cell(quarters, "2025-Q1", "window-accepted") == "3"
    assert cell(quarters, "2025-Q1", "all-rate") == "60%"
    assert cell(quarters, "2025-Q3", "hotline-rate") == "0%"
    years = staff.get("/worklog/rates?year=2025&by=year").get_data(as_text=True)
    assert cell(years, "2025", "all-consulted") == "9"
    assert cell(years, "2025", "all-rate") == "62.5%"  # the hotline case of July is open
    book = load_workbook(io.BytesIO(staff.get("/worklog/rates.xlsx?year=2025&by=quarter").data))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:5] == ("期间", "窗口咨询", "窗口受理", "窗口办结", "窗口办结率")
    assert rows[1][0] == "2025年第1季度" and rows[1][-1] == "60%"
    pdf = PdfReader(io.BytesIO(staff.get("/worklog/rates.pdf?year=2025&by=quarter").data))
    assert "2025年第3季度" in pdf.pages[0].extract_text()


def test_a_register_prints_and_exports_the_rows_of_its_period(staff, store, year_of_work):
    page = staff.get(f"/worklog/visit?{PERIOD}").get_data(as_text=True)
    assert "共 3 条" in page
    pdf = PdfReader(io.BytesIO(staff.get(f"/worklog/service_case.pdf?{PERIOD}").data))
    text = "".join(p.extract_text() for p in pdf.pages)
    assert "便民服务/信访/热线台账" in text and "共 8 条" in text
    assert "窗口：5/4/3 75%" in text
    book = load_workbook(io.BytesIO(staff.get(f"/worklog/visit.xlsx?{PERIOD}").data))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("走访日期", "走访类型", "走访住户") and len(rows) == 4
    assert rows[1][2].startswith("H0001 1栋1单元101") and rows[1][5] is None
    assert {e["target"] for e in audit.entries(store, action="export")} == {"worklog/visit.xlsx"}
    case_page = staff.get(f"/worklog/service_case?{PERIOD}").get_data(as_text=True)
    assert re.search(
        r'data-channel="信访"><td>信访</td><td>2</td><td>2</td><td>1</td><td>50%', case_page
    )


def test_full_id_numbers_are_for_admins_and_logged(app, client, auth, store, year_of_work):
    number = "11010519900101123X"  # typed for a volunteer, but nobody on the register
    save(app, store, "volunteer", {"person": number, "joined_date": "2025-01-01"})
    auth.login("reviewer")
    masked = client.get("/worklog/volunteer").get_data(as_text=True)
    assert "110105********123X（未找到）" in masked and number not in masked
    assert client.get("/worklog/volunteer?full=1").status_code == 403
    auth.logout()
    auth.login("admin")
    full = client.get("/worklog/volunteer?full=1").get_data(as_text=True)
    assert f"{number}（未找到）" in full
    assert audit.entries(store, action="view_full_ids")[0]["target"] == "worklog/volunteer"


def test_a_long_register_prints_as_a_background_job(app, staff, store, monkeypatch, year_of_work):
    from census.web import worklog
    from census.web.prints import runner

    app.config["PRINT_WORKERS"] = 0  # render in the job's own thread
    monkeypatch.setattr(worklog, "JOB_FROM_PARTS", 0)  # as if it ran to hundreds of pages
    response = staff.get(f"/worklog/service_case.pdf?{PERIOD}")
    assert response.status_code == 302 and "/prints/" in response.headers["Location"]
    job_id = response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    job = runner(app).wait(job_id)
    assert job.state == "done", job.error
    assert job.title == "佐斯腾社区 便民服务/信访/热线台账"
    response = staff.get(f"/prints/{job_id}/download")
    data = response.data
    response.close()  # the file behind a send_file
    assert "共 8 条" in PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert audit.entries(store, action="print")[0]["detail"]["job"] == job_id
