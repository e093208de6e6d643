"""The review gate on prints: approved records only by default, every record with 全部, and
the first page says which and how many records wait for review (PDFs read back)."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader

from census.printing.pipeline import print_parts
from census.printing.plans import PrintRequest, plan, read_records
from census.services import records
from census.web.current import context
from census.web.prints import runner
from tests.conftest import csrf_token
from tests.factories import make_household, make_member, make_storefront

DAY = date(2026, 1, 1)


def text_of(pdf: bytes) -> str:
    """Every page's text, runs of spaces made one (a wrapped cell)."""
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    return " ".join(" ".join(pages).split())


def two_households(app, store):
    """An approved household (张建国 and two more) and a submitted one (库尔班) in 1栋."""
    form = app.extensions["census"].surveys["household"]
    records.save(store, form, make_household(room="101"), user="admin")
    pending = make_household(room="102", members=0) | {
        "members": [make_member(5, relation="head", name="库尔班")]
    }
    saved = records.save(store, form, pending, user="surveyor1")
    assert store.collection("households").get(saved.id)["review_state"] == "submitted"


def printed(app, store, tmp_path, target, **options) -> str:
    request = PrintRequest(target, as_of=DAY, **options)
    census = context(app)
    the_plan = plan(request, read_records(store, "佐斯腾社区"), census.registers, census.surveys)
    out = tmp_path / f"{target}-{options.get('approved', True)}.pdf"
    print_parts(the_plan.parts, out, tmp_path / "cache", workers=0)
    return text_of(out.read_bytes())


def test_the_building_list_leaves_a_submitted_household_out_and_says_so(app, client, auth, store):
    two_households(app, store)
    auth.login("reviewer")
    default = text_of(client.get("/buildings/1栋/household-list.pdf").data)
    assert "张建国" in default and "库尔班" not in default
    assert "仅含已审核记录；另有 1 户待审核未计入" in default
    assert "共 1 户 3 人" in default
    everything = text_of(client.get("/buildings/1栋/household-list.pdf?all=1").data)
    assert "张建国" in everything and "库尔班" in everything
    assert "含未审核记录：其中 1 户待审核" in everything
    english = text_of(client.get("/buildings/1栋/household-list.pdf?lang=en").data)
    assert "Approved records only; 1 household awaiting review not counted" in english


def test_cards_registers_and_the_summary_printed_with_and_without_the_gate(app, store, tmp_path):
    two_households(app, store)
    form = app.extensions["census"].surveys["storefront"]
    records.save(store, form, make_storefront(name="待审小店"), user="surveyor1")
    records.save(store, form, make_storefront(name="老店"), user="admin")

    cards = printed(app, store, tmp_path, "household-cards", building="1栋")
    assert "张建国" in cards and "库尔班" not in cards
    assert "仅含已审核记录；另有 1 户待审核未计入" in cards
    assert "库尔班" in printed(app, store, tmp_path, "household-cards", approved=False)

    registered = printed(app, store, tmp_path, "registered")
    assert "张建国" in registered and "库尔班" not in registered
    assert "仅含已审核记录；另有 1 户待审核未计入" in registered
    every = printed(app, store, tmp_path, "registered", approved=False)
    assert "库尔班" in every and "含未审核记录：其中 1 户待审核" in every

    shops = printed(app, store, tmp_path, "storefronts")
    assert "老店" in shops and "待审小店" not in shops
    assert "仅含已审核记录；另有 1 家门面待审核未计入" in shops

    summary = printed(app, store, tmp_path, "summary")
    assert "仅含已审核记录；另有 1 户、1 家门面待审核未计入" in summary
    assert "共有居民1户3人" in summary and "个体工商户及门面1家" in summary
    both = printed(app, store, tmp_path, "summary", approved=False)
    assert "含未审核记录：其中 1 户、1 家门面待审核" in both
    assert "共有居民2户4人" in both and "个体工商户及门面2家" in both
    english = printed(app, store, tmp_path, "summary", lang="en")
    assert "Approved records only; 1 household and 1 storefront awaiting review not counted" in (
        english
    )


def test_the_print_form_offers_the_choice_and_the_job_keeps_it(app, client, auth, store):
    two_households(app, store)
    auth.login("admin")
    page = client.get("/prints/").get_data(as_text=True)
    assert 'name="records" type="radio" value="approved" checked' in page
    assert 'value="all"' in page and "全部（含待审核、已退回的记录）" in page
    token = csrf_token(client, "/prints/")
    sent = client.post(
        "/prints/",
        data={"csrf_token": token, "target": "summary", "as_of": "2026-01-01", "records": "all"},
    )
    assert sent.status_code == 302
    [job] = runner(app).jobs(None)
    assert job.request.approved is False and job.request.params()["approved"] is False
    assert "含未审核记录" in client.get(sent.headers["Location"]).get_data(as_text=True)
    runner(app).shutdown()
