"""The household list of a building, printed to a real PDF and read back with pypdf."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from print_factories import (
    flat,
    make_building,
    make_household,
    make_person,
    page_texts,
    render_building,
)
from pypdf import PdfReader
from stdnum.cn import ric

from census.domain.ids import mask_id
from census.printing.grid import wrap
from census.printing.household_list import household_layout, household_values


def all_members(households: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for h in households for m in h["members"]]


def test_the_test_building_is_realistic(forty_households):
    members = all_members(forty_households)
    assert len({m["name"] for m in members}) == len(members) == 120
    assert all(ric.is_valid(m["id_number"]) for m in members)
    assert len({(h["unit"], h["room"]) for h in forty_households}) == 40


def test_title_names_the_community_and_building(forty_pdf):
    first = page_texts(forty_pdf)[0]
    assert "幸福社区 3栋 住户花名册" in first
    assert "打印日期：2024-05-06" in first
    assert "共 40 户 120 人" in first
    assert "内部资料 注意保密" in first


def test_forty_households_span_several_pages_numbered_in_the_footer(forty_pdf):
    texts = page_texts(forty_pdf)
    total = len(texts)
    assert total >= 3
    for number, text in enumerate(texts, start=1):
        assert f"第 {number} 页 / 共 {total} 页" in text
        assert "内部资料 注意保密" in text


def test_pages_are_a4_landscape(forty_pdf):
    for page in forty_pdf.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert width == pytest.approx(842, abs=1)
        assert height == pytest.approx(595, abs=1)


def test_a_cjk_font_is_embedded(forty_pdf):
    names = set()
    for page in forty_pdf.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            descriptor = (descendants[0].get_object() if descendants else font)[
                "/FontDescriptor"
            ].get_object()
            assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
            names.add(str(descriptor["/FontName"]))
    plain = {re.sub(r"[^A-Za-z]", "", name.split("+")[-1]) for name in names}
    cjk = r"NotoSans(Mono)?CJK|NotoSerifCJK|SourceHanSans|WenQuanYi"
    assert any(re.search(cjk, n) for n in plain)


def test_every_member_is_printed_by_chinese_name(forty_pdf, forty_households):
    text = "\n".join(page_texts(forty_pdf))
    for member in all_members(forty_households):
        assert member["name"] in text


def test_id_numbers_and_mobiles_are_masked(forty_pdf, forty_households):
    text = "\n".join(page_texts(forty_pdf))
    compact = re.sub(r"\s+", "", text)
    for member in all_members(forty_households):
        number, phone = member["id_number"], member["phone"]
        assert number not in compact
        assert mask_id(number) in text
        assert re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", mask_id(number))
        assert phone not in compact
        assert f"{phone[:3]}****{phone[-4:]}" in text


def test_codes_print_as_chinese_labels(forty_pdf):
    text = "\n".join(page_texts(forty_pdf))
    for word in (
        "户主",
        "配偶",
        "子女",
        "男",
        "女",
        "户籍人口",
        "流动人口",
        "群众",
        "中共党员",
        "自有",
        "租住",
        "低保户",
        "退役军人",
        "维吾尔族",
    ):
        assert word in text
    for code in ("registered", "floating", "cpc_member", "low_income", "head", "rented"):
        assert code not in text


def test_households_follow_unit_and_room_with_the_head_first(forty_pdf, forty_households):
    text = "\n".join(page_texts(forty_pdf))
    printed = re.findall(r"(H\d{4})", text)

    def room_key(h):
        return int(h["unit"]), int(h["room"])

    assert printed == [h["household_no"] for h in sorted(forty_households, key=room_key)]
    for household in forty_households:
        head = next(m for m in household["members"] if m["relation"] == "head")
        others = [m for m in household["members"] if m is not head]
        assert all(text.index(head["name"]) < text.index(m["name"]) for m in others)
        assert re.search(rf"1\s*{head['name']}\s*户主", text)


def test_a_household_is_not_split_across_pages(forty_pdf, forty_households):
    texts = page_texts(forty_pdf)
    for household in forty_households:
        pages = {i for i, t in enumerate(texts) if household["household_no"] in t}
        assert len(pages) == 1
        (page,) = pages
        assert all(m["name"] in texts[page] for m in household["members"])


def test_rented_household_shows_its_landlord():
    household = make_household(4, housing="rented", landlord_name="房东甲某")
    owned = make_household(5, housing="owned", landlord_name="不应打印")
    text = page_texts(render_building([household, owned]))[0]
    assert "房东：房东甲某" in text
    assert "不应打印" not in text


def test_full_ids_shows_full_numbers():
    households = make_building(2)
    text = "\n".join(page_texts(render_building(households, full_ids=True)))
    for member in all_members(households):
        assert member["id_number"] in text
        assert member["phone"] in text


def test_moved_out_member_is_listed_last_and_marked():
    household = make_household(1)
    household["members"].insert(0, make_person(200, relation="child", status="moved_out"))
    text = page_texts(render_building([household]))[0]
    assert "已迁出" in text
    assert "共 1 户 3 人" in text
    assert text.index(household["members"][0]["name"]) > text.index(
        household["members"][-1]["name"]
    )


def test_empty_building_prints_one_page_saying_so():
    reader = render_building([])
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "幸福社区 3栋 住户花名册" in text
    assert "本楼栋暂无住户登记" in text
    assert "第 1 页 / 共 1 页" in text


def test_english_printout():
    text = flat(page_texts(render_building(make_building(2), lang="en"))[0])
    assert "Household list" in text
    assert "Page 1 of 1" in text
    assert "Registered" in text and "resident" in text
    assert "Internal — confidential" in text


def test_markup_in_names_and_notes_prints_as_text_and_fetches_nothing(caplog):
    evil_name = "<img src=http://x>"
    evil_notes = '<link rel="stylesheet" href="file:///etc/passwd"></style><b>粗体</b>'
    household = make_household(
        1, notes=evil_notes, landlord_name='"><img src=http://y>', housing="rented"
    )
    household["members"][0]["name"] = evil_name
    with caplog.at_level(logging.DEBUG, logger="weasyprint"):
        reader: PdfReader = render_building([household])
    # long values wrap inside their column, line by line beside the other columns
    text = reader.pages[0].extract_text()
    width = {c.key: c.width for c in household_layout().columns}
    notes = household_values(household, "zh", False)["notes"]
    assert evil_notes in notes and '"><img src=http://y>' in notes
    for value, key in ((evil_name, "name"), (notes, "notes")):
        for piece in wrap(value, width[key]):
            assert piece in text
    fetched = [
        r.getMessage()
        for r in caplog.records
        if "http://" in r.getMessage() or "passwd" in r.getMessage()
    ]
    assert fetched == []


def test_rendering_logs_no_layout_warnings(caplog, forty_households):
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        render_building(forty_households[:3])
    assert [r.getMessage() for r in caplog.records] == []
