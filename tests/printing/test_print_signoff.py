"""The sign-off block (制表人、审核人、日期): once where each building's list and each register
ends, with the printing user's name; PDFs rendered and read back."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

from pypdf import PdfReader

from census.printing.grid import SIGNOFF_LINES, Column, Layout, Line, paginate
from census.printing.pipeline import print_parts
from census.printing.plans import PrintRequest, plan
from census.services import records
from census.services.accounts import add_user
from tests.conftest import FAST_HASH, PASSWORD
from tests.factories import make_household

AT = datetime(2025, 9, 2, 10, 0)
SIGNOFF = "制表人：王芳　　审核人：________　　日期：2025-09-02"


def pages_of(path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def flat(text: str) -> str:
    return " ".join(text.split())


def printed(demo_records, tmp_path, target: str, **options) -> list[str]:
    request = PrintRequest(target, as_of=date(2025, 9, 1), printed_at=AT, **options)
    the_plan = plan(request, demo_records)
    out = tmp_path / f"{target}.pdf"
    print_parts(the_plan.parts, out, tmp_path / "cache", workers=0)
    return pages_of(out)


def test_each_buildings_list_ends_with_the_signoff_of_the_printing_user(demo_records, tmp_path):
    grid = demo_records.buildings[0]["grid"]
    buildings = {b["name"] for b in demo_records.buildings if b["grid"] == grid}
    pages = printed(demo_records, tmp_path, "household-list", grid=grid, prepared_by="王芳")
    signed = []
    for text in pages:
        number, total = map(int, re.search(r"第 (\d+) 页 / 共 (\d+) 页", text).groups())
        building = re.search(r"(\S+) 住户花名册", text).group(1)
        assert (SIGNOFF in text) == (number == total), (building, number, total)
        if SIGNOFF in text:
            signed.append(building)
            # under the last household: nothing of the list comes after it but the page number
            assert text.index(SIGNOFF) > max(text.rfind(m) for m in ("男", "女"))
    assert sorted(signed) == sorted(buildings)  # once per building, on its last page


def test_a_register_is_signed_once_at_its_end_in_english_too(demo_records, tmp_path):
    pages = printed(demo_records, tmp_path, "registered", lang="en", prepared_by="Wang Fang")
    assert len(pages) > 1
    line = flat("Prepared by: Wang Fang    Reviewed by: ________    Date: 2025-09-02")
    assert [line in flat(p) for p in pages] == [False] * (len(pages) - 1) + [True]


def test_the_summary_print_ends_with_the_signoff(demo_records, tmp_path):
    pages = printed(demo_records, tmp_path, "summary", prepared_by="王芳")
    assert SIGNOFF in pages[-1]
    assert not any(SIGNOFF in p for p in pages[:-1])


def test_without_a_name_the_preparer_signs_by_hand(demo_records, tmp_path):
    pages = printed(demo_records, tmp_path, "elderly_60")
    assert "制表人：________　　审核人：________　　日期：2025-09-02" in pages[-1]


def test_a_last_page_without_room_for_the_signoff_takes_the_last_block_along():
    layout = Layout("portrait", 8.0, (Column("a", "a", 10),), ("a",))
    first = layout.capacity(True)
    blocks = [[Line(f"{i}-{j}") for j in range(2)] for i in range(first // 2)]  # fills page 1
    plain = paginate(layout, blocks)
    assert len(plain) == 1 and len(plain[0]) == first - first % 2
    pages = paginate(layout, blocks, reserve=SIGNOFF_LINES)
    assert len(pages) == 2
    assert [line.text for line in pages[1]] == [f"{len(blocks) - 1}-0", f"{len(blocks) - 1}-1"]
    assert first - len(pages[0]) >= SIGNOFF_LINES


def test_a_web_print_names_the_user_by_display_name_not_username(app, client, auth, store):
    form = app.extensions["census"].surveys["household"]
    records.save(store, form, make_household(room="101"), user="admin")
    add_user(store, "liuxm", "reviewer", PASSWORD, display_name="刘晓梅", hash_method=FAST_HASH)
    auth.login("liuxm")
    pdf = client.get("/buildings/1栋/household-list.pdf").data
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "制表人：刘晓梅" in text and "审核人：________" in text
    assert "liuxm" not in text
    assert f"日期：{date.today().isoformat()}" in text


def test_the_work_report_print_is_signed_by_its_user(app, client, auth, store):
    add_user(store, "zhangsj", "admin", PASSWORD, display_name="张书记", hash_method=FAST_HASH)
    auth.login("zhangsj")
    pdf = client.get("/worklog/report.pdf").data
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert f"制表人：张书记　　审核人：________　　日期：{date.today().isoformat()}" in text
