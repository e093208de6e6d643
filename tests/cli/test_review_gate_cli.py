"""The review gate on the command line: `census summary`, `registers`, `print`, `worklog
report` count approved records by default and say how many wait; `--all` counts them too;
`census export` holds every record by default and `--approved` only the approved ones, its
审核状态 in words and its 调查员 by name, both read back by the import."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from pypdf import PdfReader

from census.app import create_app
from census.cli import main
from census.services import records, review
from census.services.accounts import add_user
from census.sheets.apply import apply_plan
from census.sheets.plan import NEW, UNCHANGED, UPDATE
from census.sheets.wizard import plan_file
from census.web.current import context, get_store
from tests.conftest import FAST_HASH, PASSWORD
from tests.factories import make_household, make_member, make_storefront

DAY = date.today().isoformat()
LINE = "仅含已审核记录；另有 1 户待审核未计入"
UNIT = {"name": "社区卫生服务站", "kind": "other", "address": "1栋旁", "contact": "李医生"}


@pytest.fixture(scope="module")
def runner(tmp_path_factory):
    """A data folder with an approved household of 3 (张建国 …), a submitted one (库尔班,
    alone, by a surveyor), a submitted storefront and an approved unit (both by the
    surveyor, 王芳); a runner of `census` on it."""
    data = tmp_path_factory.mktemp("gate") / "data"
    app = create_app({"DATA_DIR": str(data), "FSYNC": False, "SECRET_KEY": "x"})
    store = get_store(app)
    store.collection("buildings").insert({"name": "1栋", "grid": "第一网格"})
    add_user(
        store,
        "surveyor1",
        "surveyor",
        PASSWORD,
        display_name="王芳",
        grids=["第一网格"],
        hash_method=FAST_HASH,
    )
    forms = context(app).surveys
    assert records.save(store, forms["household"], make_household(room="101"), user="admin").saved
    pending = make_household(room="102", members=0) | {
        "members": [make_member(5, relation="head", name="库尔班")]
    }
    assert records.save(store, forms["household"], pending, user="surveyor1").saved
    shop = records.save(store, forms["storefront"], make_storefront(), user="surveyor1")
    assert store.collection("storefronts").get(shop.id)["review_state"] == "submitted"
    unit = records.save(store, forms["unit"], UNIT, user="surveyor1")
    review.act(store, unit.id, "approve", username="admin", role="admin", collection="units")
    store.close()
    env = {"CENSUS_DATA_DIR": str(data), "CENSUS_FSYNC": "false"}
    runner = CliRunner(env=env)
    runner.data = data  # type: ignore[attr-defined]
    return runner


def run(runner, *args):
    result = runner.invoke(main, list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def test_summary_json_leaves_the_submitted_household_out_and_says_so(runner):
    default = run(runner, "summary", "--json", "--as-of", DAY)
    figures = json.loads(default.stdout)
    assert (figures["households"], figures["residents"], figures["storefronts"]) == (1, 3, 0)
    assert default.stderr.strip() == "仅含已审核记录；另有 1 户、1 家门面待审核未计入"
    every = run(runner, "summary", "--json", "--all", "--as-of", DAY)
    figures = json.loads(every.stdout)
    assert (figures["households"], figures["residents"], figures["storefronts"]) == (2, 4, 1)
    assert every.stderr.strip() == "含未审核记录：其中 1 户、1 家门面待审核"
    text = run(runner, "summary", "--as-of", DAY).stdout.splitlines()
    assert text[0] == "仅含已审核记录；另有 1 户、1 家门面待审核未计入"
    assert any(
        line.startswith("佐斯腾社区共有居民1户3人") or "共有居民1户3人" in line for line in text
    )
    english = run(runner, "summary", "--lang", "en", "--as-of", DAY).stdout.splitlines()
    assert english[0] == (
        "Approved records only; 1 household and 1 storefront awaiting review not counted"
    )


def test_registers_count_approved_rows_and_name_the_waiting_ones(runner):
    default = run(runner, "registers", "--as-of", DAY)
    rows = {line.split()[0]: line for line in default.stdout.splitlines()}
    assert rows["registered"].split()[1] == "3" and "（待审核 1）" in rows["registered"]
    assert rows["storefronts"].split()[1] == "0" and "（待审核 1）" in rows["storefronts"]
    assert "待审核" not in rows["units"]
    assert default.stderr.strip() == "仅含已审核记录；另有 1 户、1 家门面待审核未计入"
    every = run(runner, "registers", "--all", "--as-of", DAY)
    rows = {line.split()[0]: line for line in every.stdout.splitlines()}
    assert rows["registered"].split()[1] == "4" and "（待审核 1）" in rows["registered"]


def test_the_printed_list_and_summary_with_and_without_all(runner, tmp_path):
    out = tmp_path / "list.pdf"
    run(runner, "print", "household-list", "--building", "1栋", "--workers", "0", "-o", str(out))
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(out).pages).split())
    assert "张建国" in text and "库尔班" not in text and LINE in text
    run(runner, "print", "household-list", "--all", "--workers", "0", "-o", str(out))
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(out).pages).split())
    assert "张建国" in text and "库尔班" in text and "含未审核记录：其中 1 户待审核" in text
    run(runner, "print", "summary", "--workers", "0", "-o", str(out))
    text = "".join(" ".join(p.extract_text() for p in PdfReader(out).pages).split())
    assert "仅含已审核记录；另有1户、1家门面待审核未计入" in text and "共有居民1户3人" in text


def test_the_work_report_opening_counts_approved_records(runner, tmp_path):
    shown = run(runner, "worklog", "report").stdout.splitlines()
    assert shown[1] == "仅含已审核记录；另有 1 户、1 家门面待审核未计入"
    assert "共有居民1户3人" in shown[2]
    every = run(runner, "worklog", "report", "--all").stdout.splitlines()
    assert every[1] == "含未审核记录：其中 1 户、1 家门面待审核"
    assert "共有居民2户4人" in every[2]
    pdf = tmp_path / "report.pdf"
    run(runner, "worklog", "report", "-o", str(pdf))
    text = "".join(" ".join(p.extract_text() for p in PdfReader(pdf).pages).split())
    assert "仅含已审核记录；另有1户、1家门面待审核未计入" in text and "共有居民1户3人" in text
    xlsx = tmp_path / "report.xlsx"
    run(runner, "worklog", "report", "-o", str(xlsx))
    _heads, title = list(load_workbook(xlsx).worksheets[0].iter_rows(values_only=True))[:2]
    assert title[1] == "仅含已审核记录；另有 1 户、1 家门面待审核未计入"


def test_the_export_holds_every_record_unless_approved(runner, tmp_path):
    out = tmp_path / "all.xlsx"
    every = run(runner, "export", str(out))
    assert "含未审核记录：其中 1 户、1 家门面待审核" in every.stdout
    book = load_workbook(io.BytesIO(out.read_bytes()), read_only=True)
    rows = list(book["住户"].iter_rows(values_only=True))
    header, rows = rows[0], rows[1:]
    assert header[-1] == "审核状态"
    assert sorted(row[-1] for row in rows) == ["已审核", "待审核"]
    # The surveyor by the account's name, not its username.
    surveyors = {row[header.index("调查员")] for row in rows}
    assert "王芳" in surveyors and "surveyor1" not in surveyors
    assert len(list(book["门面"].iter_rows(min_row=2))) == 1
    names = {row[4] for row in book["成员"].iter_rows(min_row=2, values_only=True)}
    assert "库尔班" in names and "张建国" in names
    approved = run(runner, "export", "--approved", str(out))
    assert "仅含已审核记录；另有 1 户、1 家门面待审核未计入" in approved.stdout
    book = load_workbook(io.BytesIO(out.read_bytes()), read_only=True)
    assert [row[-1] for row in book["住户"].iter_rows(min_row=2, values_only=True)] == ["已审核"]
    names = {row[4] for row in book["成员"].iter_rows(min_row=2, values_only=True)}
    assert "库尔班" not in names
    assert list(book["门面"].iter_rows(min_row=2)) == []


def test_the_export_read_back_gives_the_same_records(runner, tmp_path):
    """The words and names of the export are read back as the codes and usernames stored:
    nothing changes; a sheet with the old codes reads back the same."""
    out = tmp_path / "all.xlsx"
    run(runner, "export", str(out))
    app = create_app({"DATA_DIR": str(runner.data), "FSYNC": False, "SECRET_KEY": "x"})
    store, form = get_store(app), context(app).surveys["household"]
    try:
        plan, _sheets = plan_file(store, form, out)
        assert (plan.counts[UNCHANGED], plan.counts[NEW], plan.counts[UPDATE]) == (2, 0, 0)
        for name in ("storefront", "unit"):
            plan, _sheets = plan_file(store, context(app).surveys[name], out)
            counts = (plan.counts[UNCHANGED], plan.counts[NEW], plan.counts[UPDATE])
            assert counts == (1, 0, 0), name
        book = load_workbook(out)
        sheet = book["住户"]
        header = [c.value for c in sheet[1]]
        state, surveyor = header.index("审核状态") + 1, header.index("调查员") + 1
        words = {"已审核": "approved", "待审核": "submitted"}
        for row in range(2, sheet.max_row + 1):
            cell = sheet.cell(row, state)
            cell.value = words[cell.value]
            if sheet.cell(row, surveyor).value == "王芳":
                sheet.cell(row, surveyor).value = "surveyor1"
        old = tmp_path / "codes.xlsx"
        book.save(old)
        plan, _sheets = plan_file(store, form, old)
        assert plan.counts[UNCHANGED] == 2
        # A word that is no review state is not taken for one.
        sheet.cell(2, state).value = "已审核过"
        book.save(old)
        plan, _sheets = plan_file(store, form, old)
        refused = [i for i in plan.all_issues() if i.code == "choice_not_allowed"]
        assert plan.counts[UNCHANGED] == 1 and plan.counts[UPDATE] == 0
        assert [(i.row, i.header) for i in refused] == [(2, "审核状态")]
        assert (
            "“已审核过”不是“审核状态”的可选值；可填：待审核、已退回、已审核" in refused[0].message()
        )
    finally:
        store.close()


def test_storefronts_and_units_carry_their_surveyor_and_review_state_both_ways(runner, tmp_path):
    """The 门面 and 单位 sheets name who registered each record and its review state, as
    the 住户 sheet does; imported into another data folder, each comes back as it was: the
    submitted storefront still waits for review and both are the surveyor's."""
    out = tmp_path / "all.xlsx"
    run(runner, "export", str(out))
    book = load_workbook(out, read_only=True)
    for title, state in (("门面", "待审核"), ("单位", "已审核")):
        header, *rows = list(book[title].iter_rows(values_only=True))
        assert header[-2:] == ("调查员", "审核状态"), title
        assert [row[-2:] for row in rows] == [("王芳", state)], title
    book.close()
    data = tmp_path / "other"
    app = create_app({"DATA_DIR": str(data), "FSYNC": False, "SECRET_KEY": "x"})
    store = get_store(app)
    try:
        add_user(
            store, "surveyor1", "surveyor", PASSWORD, display_name="王芳", hash_method=FAST_HASH
        )
        for name in ("storefront", "unit"):
            plan, _sheets = plan_file(store, context(app).surveys[name], out)
            assert plan.counts[NEW] == 1 and not [i for i in plan.all_issues() if i.is_error]
            apply_plan(store, plan, user="admin")
        (shop,) = store.collection("storefronts").scan()
        (unit,) = store.collection("units").scan()
        assert (shop["surveyor"], shop["review_state"]) == ("surveyor1", "submitted")
        assert (unit["surveyor"], unit["review_state"]) == ("surveyor1", "approved")
        assert review.submitter(shop) == "surveyor1"
    finally:
        store.close()


def test_census_pending_names_the_review_state_in_words(tmp_path):
    data = tmp_path / "data"
    app = create_app({"DATA_DIR": str(data), "FSYNC": False, "SECRET_KEY": "x"})
    store = get_store(app)
    store.collection("buildings").insert({"name": "1栋", "grid": "第一网格"})
    form = context(app).surveys["household"]
    raw = {k: v for k, v in make_household(room="201").items() if k != "housing"}
    meta = {records.PENDING: ["housing"], "review_state": "submitted"}
    assert records.save(store, form, raw, user="admin", meta=meta).saved
    store.close()
    runner = CliRunner(env={"CENSUS_DATA_DIR": str(data), "CENSUS_FSYNC": "false"})
    lines = run(runner, "pending").stdout.splitlines()
    assert lines[0].endswith("\t缺少 missing: 住房性质\t待审核"), lines
    listed = json.loads(run(runner, "pending", "--json").stdout)
    assert [r["review_state"] for r in listed] == ["submitted"]
