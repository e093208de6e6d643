"""The fast XLSX reader returns exactly what openpyxl returns, for files from openpyxl and Excel."""

# ruff: noqa: E501  (the XML parts of a hand-made workbook are kept one element per line)

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from census.sheets import reader
from census.sheets.xlsx import Book


def trimmed(sheets):
    out = []
    for sheet in sheets:
        rows = []
        for row in sheet.rows:
            row = list(row)
            while row and row[-1] is None:
                row.pop()
            rows.append(row)
        out.append((sheet.name, rows))
    return out


def same_as_openpyxl(path: Path):
    fast = reader.read_xlsx(path)
    slow = reader._read_xlsx_openpyxl(path)
    assert trimmed(fast) == trimmed(slow)
    return fast


def test_a_file_written_by_openpyxl(tmp_path):
    book = Workbook()
    ws = book.active
    ws.title = "人口"
    ws.append(["姓名", "出生日期", "人数", "比例", "是否", "公式", "备注"])
    ws.append(["张三", date(1990, 1, 2), 3, 0.25, True, "=1+2", "a & b <c>"])
    ws.append(["李四", datetime(1990, 1, 2, 8, 30), -4, 1e20, False, None, "  空格  "])
    ws["A6"] = "隔行"
    ws["C6"] = "１２３"
    ws.merge_cells("D2:D3")
    book.create_sheet("空表")
    path = tmp_path / "a.xlsx"
    book.save(path)
    sheets = same_as_openpyxl(path)
    assert [s.name for s in sheets] == ["人口", "空表"]
    rows = sheets[0].rows
    assert rows[1][:5] == ["张三", datetime(1990, 1, 2), 3, 0.25, True]
    assert rows[2][3] == 0.25  # filled from the merged D2:D3
    assert rows[3] == [None] * len(rows[3]) and rows[5][0] == "隔行"


SHEET = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<x:sheetData>
<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="B1" t="s"><x:v>1</x:v></x:c></x:row>
<x:row r="3"><x:c r="A3" t="s"><x:v>2</x:v></x:c><x:c r="B3" s="1"><x:v>32875</x:v></x:c>
<x:c r="C3" s="2"><x:v>32875</x:v></x:c><x:c r="D3" t="str"><x:f>A3</x:f><x:v>a&amp;b</x:v></x:c>
<x:c r="E3" t="e"><x:v>#N/A</x:v></x:c><x:c r="F3" t="b"><x:v>1</x:v></x:c>
<x:c r="G3"><x:v>6.50103196805121E+17</x:v></x:c></x:row>
<x:row r="4"><x:c r="B4"><x:v>7</x:v></x:c></x:row>
</x:sheetData>
<x:mergeCells count="1"><x:mergeCell ref="A3:A4"/></x:mergeCells>
</x:worksheet>"""
STRINGS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3" uniqueCount="3">
<si><t>姓名</t></si>
<si><r><rPr><b/></rPr><t>出生</t></r><r><t xml:space="preserve">日期 </t></r></si>
<si><t>张三</t><rPh sb="0" eb="2"><t>ちょう</t></rPh></si>
</sst>"""
STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="1"><numFmt numFmtId="176" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts>
<fonts count="1"><font/></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders>
<cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs>
<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="176" applyNumberFormat="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""
WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"
 xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="花名册" sheetId="1" r:id="rId1"/></sheets></workbook>"""
RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>
<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
</Relationships>"""
TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
</Types>"""
ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""


@pytest.fixture
def excel_file(tmp_path):
    """A file shaped like Excel's own: shared strings, rich text, prefixed tags, date styles."""
    path = tmp_path / "excel.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", TYPES)
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", RELS)
        z.writestr("xl/worksheets/sheet1.xml", SHEET)
        z.writestr("xl/sharedStrings.xml", STRINGS)
        z.writestr("xl/styles.xml", STYLES)
    return path


def test_a_file_shaped_like_excels_own(excel_file):
    (sheet,) = same_as_openpyxl(excel_file)
    assert sheet.name == "花名册"
    assert sheet.rows[0][:2] == ["姓名", "出生日期 "]
    third = sheet.rows[2]
    assert third[:7] == [
        "张三",
        datetime(1990, 1, 2),
        datetime(1990, 1, 2),
        "a&b",
        "#N/A",
        True,
        6.50103196805121e17,
    ]
    assert sheet.rows[3][0] == "张三"  # merged A3:A4


def test_the_fast_reader_is_really_used(excel_file):
    book = Book(str(excel_file))
    rows, merges = book.read(book.sheets[0][1])
    book.close()
    assert rows[2][0] == "张三" and merges == [(2, 0, 3, 0)]
