"""The grid layout: widths of Chinese and Latin text, wrapping, household blocks, page cuts."""

from __future__ import annotations

import base64
import re

from census.printing.grid import (
    Column,
    Layout,
    block_lines,
    cells,
    fit_columns,
    header_lines,
    paginate,
    wrap,
)
from census.printing.gridstyle import HEADER_FILL, grid_text, rows_image


def test_chinese_takes_two_cells_latin_one():
    assert cells("王建国") == 6
    assert cells("H0001") == 5
    assert cells("阿依古丽·买买提") == 16  # the middle dot is full width in the CJK mono face
    assert cells("110105********123X") == 18


def test_wrap_breaks_chinese_anywhere_and_latin_at_spaces():
    assert wrap("中共预备党员", 10) == ["中共预备党", "员"]
    assert wrap("Registered resident", 12) == ["Registered", "resident"]
    assert wrap("", 5) == [""]
    assert wrap("第一行\n第二行", 20) == ["第一行", "第二行"]
    assert all(cells(line) <= 7 for line in wrap("子女在外地工作，孙辈由祖父母照看", 7))


def test_a_block_keeps_household_values_beside_its_members():
    columns = [Column("no", "户编号", 6, span=True), Column("name", "姓名", 6)]
    lines = block_lines(columns, [{"name": "张三"}, {"name": "李四"}], {"no": "H0001"})
    assert [line.text for line in lines] == [" H0001  张三", "        李四"]
    assert lines[-1].cls == "end"


def test_a_long_span_value_adds_lines_to_the_block():
    columns = [Column("notes", "备注", 4, span=True), Column("name", "姓名", 6)]
    lines = block_lines(columns, [{"name": "张三"}], {"notes": "独居老人每月"})
    assert len(lines) == 3
    assert [line.text.split()[0] for line in lines] == ["独居", "老人", "每月"]


def test_columns_line_up_on_every_line():
    columns = [Column("a", "姓名", 8), Column("b", "证件号码", 18), Column("c", "电话", 11)]
    lines = block_lines(columns, [{"a": "王", "b": "110105********123X", "c": "139****5678"}])
    headers = header_lines(columns)
    assert cells(headers[0].rstrip()) <= sum(c.width for c in columns) + len(columns)
    assert lines[0].text.index("110105") == 1 + 8 + 1 - 1  # one gap, "王" two cells, padded


def test_pages_keep_a_block_whole_and_fill_up():
    layout = Layout("landscape", 8.0, (Column("a", "a", 10),), ("a",))
    first, later = layout.capacity(True), layout.capacity(False)
    assert later > first > 30
    blocks = [[object()] * 4 for _ in range(40)]  # 160 lines in blocks of four
    pages = paginate(layout, blocks)  # type: ignore[arg-type]
    assert sum(len(p) for p in pages) == 160
    assert all(len(p) % 4 == 0 for p in pages)
    assert len(pages[0]) <= first and all(len(p) <= later for p in pages[1:])


def test_a_block_longer_than_a_page_is_split():
    layout = Layout("landscape", 8.0, (Column("a", "a", 10),), ("a",))
    big = [[object()] * (layout.capacity(False) + 5)]
    pages = paginate(layout, big)  # type: ignore[arg-type]
    assert len(pages) == 2


def test_wide_registers_turn_landscape_and_shrink():
    narrow = [Column(str(i), "x", 10) for i in range(5)]
    assert fit_columns(narrow)[:2] == ("portrait", 8.0)
    wide = [Column(str(i), "x", 16) for i in range(12)]
    orientation, font, _ = fit_columns(wide)
    assert orientation == "landscape" and font <= 8.0


def test_grid_text_is_one_escaped_block_with_greyed_lines_as_spans():
    text = grid_text(
        [" 户编号  姓名"],
        [[" H0001  <b>王</b>", ""], ["", "end"], [" H0002  李四", "off end"]],
    )
    assert str(text).split("\n") == [
        " 户编号  姓名",
        " H0001  &lt;b&gt;王&lt;/b&gt;",
        " ",  # an empty line keeps its line box
        '<span class="off"> H0002  李四</span>',
    ]


def test_rows_image_shades_the_heading_and_rules_the_end_of_each_block():
    line_mm = 8 * 1.4 * 25.4 / 72  # 8 pt text, lines 1.4 times as high
    url = rows_image(2, [["a", ""], ["b", "end"], ["c", ""], ["d", "end"]], line_mm=line_mm)
    assert url.startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(url.split(",", 1)[1]).decode()
    assert 'viewBox="0 0 1 6"' in svg and 'preserveAspectRatio="none"' in svg
    assert f'<rect width="1" height="2" fill="{HEADER_FILL}"/>' in svg  # two heading lines
    rules = re.findall(r"M0 ([\d.]+)h1v([\d.]+)h-1z", svg)
    bottoms = [round(float(y) + float(h), 3) for y, h in rules]
    assert bottoms == [2, 4]  # under the heading and under "b"; "d" meets the grid's border
    rule = 0.5 / (8 * 1.4)  # 0.5 pt in lines of 8 pt × 1.4
    assert all(abs(float(h) - rule) < 1e-3 for _y, h in rules)
