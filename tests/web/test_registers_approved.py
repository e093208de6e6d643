"""The staff pages behind the review gate: 台账, 基本情况 and the work report count approved
records by default and every record with 全部 (?all=1), with the gate's line on top and the
records waiting for review beside the counts; the export holds every record unless
?approved=1."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from pypdf import PdfReader

from census.services import records
from tests.factories import make_household, make_member, make_storefront

DAY = "2026-01-01"


def two_households(app, store):
    """An approved household of 2 and a submitted one of 3 (of them a 回族 head)."""
    defn = app.extensions["census"].surveys["household"]
    records.save(store, defn, make_household(room="101", members=2), user="admin")
    pending = records.save(store, defn, make_household(room="102", members=3), user="surveyor1")
    assert store.collection("households").get(pending.id)["review_state"] == "submitted"


def test_the_summary_counts_approved_records_and_says_what_waits(app, client, auth, store):
    two_households(app, store)
    auth.login("reviewer")
    approved = client.get(f"/summary?as_of={DAY}").get_data(as_text=True)
    assert "共有居民1户2人" in approved
    assert "仅含已审核记录；另有 1 户待审核未计入" in approved
    # beside the figures: 户数 1 (+1), 居民人数 2 (+3)
    assert re.search(r"<dt>户数</dt><dd>1 <small[^>]*>另有 1 待审核</small></dd>", approved)
    assert re.search(r"<dt>居民人数</dt><dd>2 <small[^>]*>另有 3 待审核</small></dd>", approved)
    assert 'name="all" value="" checked' in approved
    legacy = client.get(f"/summary?as_of={DAY}&approved=1").get_data(as_text=True)
    assert "共有居民1户2人" in legacy
    everything = client.get(f"/summary?as_of={DAY}&all=1").get_data(as_text=True)
    assert "共有居民2户5人" in everything
    assert "含未审核记录：其中 1 户待审核" in everything
    assert re.search(r"<dt>户数</dt><dd>2 <small[^>]*>含 1 待审核</small></dd>", everything)
    assert 'name="all" value="1" checked' in everything
    english = client.get(f"/summary?as_of={DAY}&lang=en").get_data(as_text=True)
    assert "Approved records only; 1 household awaiting review not counted" in english
    assert "+3 awaiting review" in english


def test_the_registers_show_the_pending_rows_beside_each_count(app, client, auth, store):
    two_households(app, store)
    shops = app.extensions["census"].surveys["storefront"]
    records.save(store, shops, make_storefront(), user="surveyor1")
    auth.login("reviewer")
    page = client.get(f"/registers/?as_of={DAY}").get_data(as_text=True)
    assert "仅含已审核记录；另有 1 户、1 家门面待审核未计入" in page
    assert re.search(
        r'data-register="registered">2</strong> <small[^>]*>另有 3 待审核</small>', page
    )
    assert re.search(
        r'data-register="storefronts">0</strong> <small[^>]*>另有 1 待审核</small>', page
    )
    assert 'href="/registers/registered?as_of=2026-01-01"' in page
    every = client.get(f"/registers/?as_of={DAY}&all=1").get_data(as_text=True)
    assert re.search(
        r'data-register="registered">5</strong> <small[^>]*>含 3 待审核</small>', every
    )
    assert "/registers/registered?as_of=2026-01-01&amp;all=1" in every
    one = client.get(f"/registers/registered?as_of={DAY}").get_data(as_text=True)
    assert "共 2 条" in one and "另有 3 待审核" in one
    assert make_member(2)["name"] not in one  # the submitted household's third member
    listed = client.get(f"/registers/registered?as_of={DAY}&all=1").get_data(as_text=True)
    assert "共 5 条" in listed and make_member(2)["name"] in listed
    assert "含未审核记录：其中 1 户、1 家门面待审核" in listed


def test_the_work_report_page_and_its_print(app, client, auth, store):
    two_households(app, store)
    auth.login("reviewer")
    page = client.get("/worklog/report").get_data(as_text=True)
    assert "仅含已审核记录；另有 1 户待审核未计入" in page and "共有居民1户2人" in page
    assert "/worklog/report.pdf?from=" in page and "all=1" not in page
    every = client.get("/worklog/report?all=1").get_data(as_text=True)
    assert "含未审核记录：其中 1 户待审核" in every and "共有居民2户5人" in every
    assert re.search(r"/worklog/report\.pdf\?[^\"]*all=1", every)
    pages = PdfReader(io.BytesIO(client.get("/worklog/report.pdf").data)).pages
    text = "".join(" ".join(p.extract_text() for p in pages).split())
    assert "仅含已审核记录；另有1户待审核未计入" in text and "共有居民1户2人" in text


def test_the_web_export_holds_every_record_unless_approved_only(app, client, auth, store):
    two_households(app, store)
    auth.login("reviewer")
    page = client.get("/sheets/").get_data(as_text=True)
    assert "/sheets/export.xlsx?approved=1" in page

    def states(query: str) -> list[str]:
        data = client.get(f"/sheets/export.xlsx{query}").data
        sheet = load_workbook(io.BytesIO(data), read_only=True)["住户"]
        return sorted(row[-1] for row in sheet.iter_rows(min_row=2, values_only=True))

    assert states("") == ["已审核", "待审核"]  # 审核状态 in words
    assert states("?approved=1") == ["已审核"]
