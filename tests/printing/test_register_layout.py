"""Printed registers: columns as wide as their content asks, and numbers never broken over
lines (phones, ID numbers, dates, door numbers); PDFs rendered and read back line by line."""

from __future__ import annotations

from datetime import date, datetime

from print_factories import make_building
from pypdf import PdfReader

from census.domain.registers import rows_in
from census.domain.residents import build_community
from census.printing.grid import MIN_FONT_PT, Column, cells, fit_columns, wrap
from census.printing.pipeline import print_parts
from census.printing.plans import PrintRequest, Records, plan
from census.printing.register_list import cell_text, register_layout
from census.surveys.registers import load_registers

DAY = date(2025, 9, 1)
MOBILE = "13812345678"
LANDLINE = "0991-12345678"
HUKOU = "新疆维吾尔自治区乌鲁木齐市天山区解放南路街道和平巷社区居民委员会"


def community() -> Records:
    households = make_building(12)
    head = households[0]["members"][-1]
    head.update(phone=MOBILE, residence_type="registered")
    households[0]["hardship"] = ["low_income"]
    for h in households[1:6]:  # floating residents with long hukou addresses
        h["members"][0].update(
            residence_type="floating", hukou_address=HUKOU, move_in_date="2020-03-01"
        )
    unit = {
        "name": "乌鲁木齐市天山区人民政府和平巷街道办事处社区卫生服务站", "kind": "government",
        "address": "3栋1单元101室", "contact": "王主任", "phone": LANDLINE, "staff_count": 12,
        "key_unit": True, "safe_unit": True,
    }  # fmt: skip
    buildings = [{"name": "3栋", "grid": "第一网格"}]
    return Records("幸福社区", buildings, households, [], [unit])


def printed_lines(tmp_path, target: str, **options) -> list[str]:
    request = PrintRequest(target, as_of=DAY, printed_at=datetime(2025, 9, 2), **options)
    out = tmp_path / f"{target}.pdf"
    print_parts(plan(request, community()).parts, out, tmp_path / "cache", workers=0)
    return [line for page in PdfReader(out).pages for line in page.extract_text().splitlines()]


def test_a_phone_number_and_an_id_number_stay_whole_on_one_line(tmp_path):
    lines = printed_lines(tmp_path, "registered", full_ids=True)
    head = community().households[0]["members"][-1]
    assert any(MOBILE in line for line in lines)
    assert any(head["id_number"] in line and MOBILE in line for line in lines)  # one row, one line


def test_a_masked_head_id_number_of_a_household_register_is_whole(tmp_path):
    lines = printed_lines(tmp_path, "hardship")
    head = community().households[0]["members"][-1]
    masked = head["id_number"][:6] + "*" * 8 + head["id_number"][-4:]
    assert any(masked in line for line in lines)  # was cut after 12 characters


def test_a_landline_with_its_area_code_stays_whole(tmp_path):
    lines = printed_lines(tmp_path, "safe_units", full_ids=True)
    assert any(LANDLINE in line for line in lines)


def test_a_short_column_is_narrow_and_the_spare_width_goes_to_text_that_wraps():
    reg = next(r for r in load_registers() if r.key == "floating")
    rows = rows_in(reg, build_community(community().households, DAY), [], [])
    texts = [{k: cell_text(reg, row, k, "zh", False) for k in reg.columns} for row in rows]
    widths = {c.key: c.width for c in register_layout(reg, "zh", texts=texts).columns}
    assert widths["sex"] < widths["address"] < widths["hukou_address"]
    assert widths["sex"] <= 6 and widths["id_number"] >= 18 and widths["move_in_date"] >= 10
    assert widths["hukou_address"] >= cells(HUKOU) // 2  # wraps onto two lines at most
    assert widths["phone"] <= 14  # not the whole rest of the page


def test_numbers_glued_to_chinese_move_whole_to_the_next_line():
    assert wrap("3栋2单元1201室", 10) == ["3栋2单元", "1201室"]
    assert wrap("电话13812345678", 14) == ["电话", "13812345678"]
    assert wrap("中共预备党员", 10) == ["中共预备党", "员"]  # Chinese still breaks anywhere


def test_a_narrow_page_narrows_text_but_never_the_numbers():
    wide = [Column(f"text{i}", "备注", 30) for i in range(12)]
    numbers = [Column("id", "证件号码", 18, floor=18), Column("phone", "联系电话", 11, floor=11)]
    orientation, font, fitted = fit_columns([*wide, *numbers])
    assert orientation == "landscape" and font == MIN_FONT_PT  # as small as it gets
    widths = {c.key: c.width for c in fitted}
    assert widths["id"] == 18 and widths["phone"] == 11
    assert all(widths[f"text{i}"] < 30 for i in range(12))
