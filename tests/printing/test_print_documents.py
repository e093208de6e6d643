"""Every print read back with pypdf: registers, household cards, lists per grid and community,
the summary with its charts. A small generated community keeps it quick."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import pytest
from print_factories import building_bookmarks, make_household, make_person
from pypdf import PdfReader

from census.domain.ids import mask_id
from census.domain.registers import register_rows
from census.printing.grid import wrap
from census.printing.pipeline import print_parts
from census.printing.plans import PrintRequest, PrintRequestError, Records, plan
from census.printing.register_list import register_layout
from census.surveys.registers import load_registers

AS_OF = date(2025, 9, 1)
AT = datetime(2025, 9, 2, 10, 15)


def printed(records, tmp_path, target, workers=0, **options) -> PdfReader:
    request = PrintRequest(target, as_of=AS_OF, printed_at=AT, **options)
    the_plan = plan(request, records)
    out = tmp_path / f"{target}.pdf"
    stats = print_parts(the_plan.parts, out, tmp_path / "data", workers=workers)
    reader = PdfReader(out)
    assert stats.pages == len(reader.pages)
    return reader


def texts(reader: PdfReader) -> list[str]:
    return [page.extract_text() for page in reader.pages]


@pytest.mark.parametrize("key", ["elderly_60", "minority", "registered"])
def test_register_pdf_holds_its_people_and_only_masked_ids(demo_records, tmp_path, key):
    reg = {r.key: r for r in load_registers()}[key]
    rows = register_rows(reg, demo_records.households, [], [], AS_OF)
    assert rows
    pages = texts(printed(demo_records, tmp_path, key))
    text = "\n".join(pages)
    compact = re.sub(r"\s+", "", text)
    assert f"佐斯腾社区 {reg.title()}" in pages[0]
    assert "统计日期：2025-09-01" in pages[0] and "内部资料 注意保密" in pages[0]
    assert f"共 {len(rows)} 人" in pages[0]
    width = {c.key: c.width for c in register_layout(reg).columns}["name"]
    for row in rows:
        assert all(piece in text for piece in wrap(row["name"], width))
        assert mask_id(row["id_number"]) in text
        assert row["id_number"] not in compact
    for n, page in enumerate(pages, 1):
        assert f"第 {n} 页 / 共 {len(pages)} 页" in page
    everyone = {p["id_number"] for h in demo_records.households for p in h["members"]}
    assert not any(number in compact for number in everyone)


def test_register_columns_come_from_the_definition_in_chinese(demo_records, tmp_path):
    reg = {r.key: r for r in load_registers()}["elderly_60"]
    first = texts(printed(demo_records, tmp_path, "elderly_60"))[0]
    for key in reg.columns:
        assert reg.column_label(key) in first
    assert "male" not in first and "registered" not in first


def test_a_register_printed_for_one_building_lists_only_it(demo_records, tmp_path):
    text = "\n".join(texts(printed(demo_records, tmp_path, "registered", building="1栋")))
    names = {h["building"] for h in demo_records.households}
    assert "1栋" in text
    others = [n for n in names - {"1栋"} if n + "1单元" in text or n + "2单元" in text]
    assert others == []


def test_household_cards_one_household_a_page_with_a_signature_line(tmp_path):
    households = [make_household(i, members=3 + i % 2) for i in range(1, 4)]
    households[0]["members"].append(make_person(150, relation="child", status="moved_out"))
    records = Records("幸福社区", [{"name": "3栋", "grid": "第一网格"}], households)
    pages = texts(printed(records, tmp_path, "household-cards", building="3栋"))
    assert len(pages) == 3
    in_door_order = sorted(households, key=lambda h: (int(h["unit"]), int(h["room"])))
    for page, household in zip(pages, in_door_order, strict=True):
        assert f"户卡 {household['household_no']}" in page
        for member in household["members"]:
            assert member["name"] in page
            compact = re.sub(r"\s+", "", page)  # a narrow member column wraps a number
            assert mask_id(member["id_number"]) in compact
            assert member["id_number"] not in compact
        for word in (
            "户主签字",
            "调查员签字",
            "日期：",
            "内部资料 注意保密",
            "统计日期：2025-09-01",
        ):
            assert word in page
        # every member field of the survey form, by its Chinese label
        for label in ("与户主关系", "民族", "人员类别", "政治面貌", "文化程度", "婚姻状况"):
            assert label in page
        others = [h["household_no"] for h in households if h is not household]
        assert not any(number in page for number in others)
    assert "已迁出" in pages[[h is households[0] for h in in_door_order].index(True)]
    assert [f"第 {n} 页 / 共 3 页" in page for n, page in enumerate(pages, 1)] == [True] * 3


def test_a_card_too_long_for_a_page_goes_on_with_its_headings_and_the_next_starts_a_page(
    tmp_path,
):
    big = make_household(1, members=12)
    small = make_household(2, members=2)
    records = Records("幸福社区", [{"name": "3栋", "grid": "第一网格"}], [big, small])
    pages = texts(printed(records, tmp_path, "household-cards", building="3栋"))
    assert len(pages) == 3
    assert "户卡 H0001" in pages[0] and "H0002" not in pages[0] + pages[1]
    assert "户卡 H0002" in pages[2]
    assert "户主签字" not in pages[0] and "户主签字" in pages[1] and "户主签字" in pages[2]
    both = pages[0] + pages[1]
    for member in big["members"]:
        assert member["name"] in both
    assert "成员11" in pages[1] and "项目" in pages[1]  # the headings come again
    assert "户卡 H0001（续）" in pages[1]
    assert [f"第 {n} 页 / 共 3 页" in page for n, page in enumerate(pages, 1)] == [True] * 3


def test_cards_in_english(tmp_path):
    records = Records("Xingfu", [{"name": "3栋", "grid": "第一网格"}], [make_household(1)])
    (page,) = texts(printed(records, tmp_path, "household-cards", building="3栋", lang="en"))
    for text in ("Household cards H0001", "Member 1", "Head of household:", "Page 1 of 1"):
        assert text in page


def building_runs(pages: list[str]) -> list[tuple[str, int, int]]:
    """(title, page number, total) for every page of a household list."""
    found = []
    for page in pages:
        number = re.search(r"第 (\d+) 页 / 共 (\d+) 页", page)
        title = re.search(r"佐斯腾社区 (\S+) 住户花名册", page)
        assert number and title
        found.append((title.group(1), int(number.group(1)), int(number.group(2))))
    return found


def check_numbered_per_building(runs: list[tuple[str, int, int]]) -> list[str]:
    """Each building's pages run 1..N in order; returns the buildings in print order."""
    order: list[str] = []
    for title, number, total in runs:
        if number == 1:
            order.append(title)
        assert title == order[-1]
        assert 1 <= number <= total
    for building in order:
        numbers = [n for t, n, _ in runs if t == building]
        assert numbers == list(range(1, len(numbers) + 1))
        assert {total for t, _, total in runs if t == building} == {len(numbers)}
    return order


def test_grid_list_numbers_each_building_on_its_own(demo_records, tmp_path):
    grid = demo_records.buildings[0]["grid"]
    expected = [b["name"] for b in demo_records.buildings if b["grid"] == grid]
    runs = building_runs(texts(printed(demo_records, tmp_path, "household-list", grid=grid)))
    order = check_numbered_per_building(runs)
    with_people = {h["building"] for h in demo_records.households}
    assert order == [b for b in expected if b in with_people]
    assert len(order) >= 2


def test_community_list_in_worker_processes_numbers_each_building(demo_records, tmp_path):
    crowded = [make_household(100 + i) for i in range(14)]  # 3栋 runs onto a second page
    demo_records = Records(
        demo_records.community, demo_records.buildings, demo_records.households + crowded
    )
    reader = printed(demo_records, tmp_path, "household-list", workers=2)
    pages = texts(reader)
    order = check_numbered_per_building(building_runs(pages))
    assert sorted(order) == sorted({h["building"] for h in demo_records.households})
    assert any(total > 1 for _, _, total in building_runs(pages))
    text = "\n".join(pages)
    for household in demo_records.households:
        assert household["household_no"] in text
    outline = [item.title for item in building_bookmarks(reader)]
    assert outline == order


def test_summary_pdf_has_figures_paragraph_and_charts(demo_records, tmp_path):
    from census.domain.summary import report_paragraph, summary

    figures = summary(demo_records.households, demo_records.storefronts, demo_records.units, AS_OF)
    pages = texts(printed(demo_records, tmp_path, "summary"))
    text = "\n".join(pages)
    compact = re.sub(r"\s+", "", text)
    paragraph = report_paragraph(figures, "佐斯腾社区")
    assert re.sub(r"\s+", "", paragraph) in compact
    assert "户数" in text and str(figures["households"]) in text
    assert "居民人数" in text and str(figures["residents"]) in text
    assert "打印时间：2025-09-02 10:15" in pages[0]
    # the SVG charts render: their titles and axis labels are text in the PDF
    for chart_text in ("年龄性别结构", "各民族人口", "人员类别", "85+", "0-4"):
        assert chart_text in text


def test_unknown_names_are_refused(demo_records):
    for options in ({"building": "99栋"}, {"grid": "第九网格"}):
        with pytest.raises(PrintRequestError, match="99栋|第九网格"):
            plan(PrintRequest("household-list", **options), demo_records)
    with pytest.raises(PrintRequestError, match="no_such"):
        plan(PrintRequest("no_such"), demo_records)


def test_full_ids_print_the_numbers(tmp_path):
    households = [make_household(1)]
    records = Records("幸福社区", [{"name": "3栋", "grid": "第一网格"}], households)
    reader = printed(records, tmp_path, "household-list", building="3栋", full_ids=True)
    text = reader.pages[0].extract_text()
    assert all(m["id_number"] in text for m in households[0]["members"])


def test_pages_are_exactly_the_pages_laid_out(demo_records):
    the_plan = plan(PrintRequest("household-list", as_of=AS_OF), demo_records)
    part = the_plan.parts[0]
    from census.printing.pipeline import part_pdf

    reader = PdfReader(io.BytesIO(part_pdf(part)))
    assert len(reader.pages) == len(part.context["sheets"])
