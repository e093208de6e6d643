"""Hostile spreadsheets for the bounds tests and ``bench/import_bounds.py``, made for real.

The workbooks are zip files of hand-written parts. A compression bomb's sheet is a header,
a block of rows repeated many times and an end: its deflate stream is written by zlib once
for each piece (a full flush between pieces makes the block's compressed bytes the same
every time), so a 2 GiB sheet is a 5 MB file made in a second. ``lie`` writes a size into
the zip's headers that is smaller than what the part really inflates to.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from openpyxl import Workbook

from census.domain.ids import make_resident_id

HEADER = ["户编号", "楼栋", "室", "住房性质", "姓名", "与户主关系", "身份证号"]
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
</Types>"""  # noqa: E501
ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""  # noqa: E501
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
LAUGHS = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE sst [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2">
<si><t>户编号</t></si><si><t>&lol9;</t></si>
</sst>"""
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)
GIB = 1024**3
MIB = 1024**2


def people(n: int, start: int = 1) -> list[list[Any]]:
    """``n`` valid one-person households below HEADER (H1, H2 …, each its own head)."""
    rows = []
    for i in range(start, start + n):
        born = date(1940, 1, 1) + timedelta(days=i)
        number = make_resident_id("110105", born, i % 499 + 1, "male" if i % 2 else "female")
        rows.append([f"H{i}", "1栋", str(100 + i), "自有", f"住户{i}", "户主", number])
    return rows


def normal_xlsx(path: Path, n: int = 1000) -> Path:
    """An ordinary register written by openpyxl: HEADER and ``n`` households."""
    book = Workbook()
    for row in [HEADER, *people(n)]:
        book.active.append(row)
    book.save(path)
    return path


# -- zip files written part by part ----------------------------------------------------------


@dataclass
class Member:
    """One part of a zip: its deflated bytes, CRC and the size the headers declare."""

    name: str
    compressed: bytes
    crc: int
    size: int


def member(name: str, data: bytes | str) -> Member:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return Member(name, packer.compress(raw) + packer.flush(), zlib.crc32(raw), len(raw))


def repeated(name: str, head: bytes, block: bytes, times: int, tail: bytes) -> Member:
    """A part of ``head + block * times + tail``, deflated without inflating it."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)
    middle = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    last = packer.compress(tail) + packer.flush()
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + len(block) * times + len(tail)
    return Member(name, first + middle * times + last, crc, size)


def write_zip(path: Path, members: list[Member], lie: dict[str, int] | None = None) -> Path:
    """A zip file of deflated members; ``lie`` declares other sizes for some of them."""
    lie = lie or {}
    local, central = bytearray(), bytearray()
    for m in members:
        name = m.name.encode("utf-8")
        size = lie.get(m.name, m.size)
        offset = len(local)
        fields = (8, 0, 0x21, m.crc, len(m.compressed), size, len(name))
        local += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0x800, *fields, 0)
        local += name + m.compressed
        central += struct.pack(
            "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0x800, *fields, 0, 0, 0, 0, 0, offset
        )
        central += name
    end = struct.pack(
        "<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(local), 0
    )
    path.write_bytes(bytes(local + central + end))
    return path


def workbook(
    sheets: dict[str, Member | bytes | str], strings: bytes | str | None = None
) -> list[Member]:
    """The parts of a workbook with these sheets (and shared strings)."""
    entries = "".join(
        f'<sheet name="{escape(name)}" sheetId="{n}" r:id="rId{n}"/>'
        for n, name in enumerate(sheets, 1)
    )
    rels = "".join(
        f'<Relationship Id="rId{n}" Type="{REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, len(sheets) + 1)
    )
    if strings is not None:
        rels += f'<Relationship Id="rIdS" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
    parts = [
        member("[Content_Types].xml", TYPES),
        member("_rels/.rels", ROOT_RELS),
        member(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{NS}" xmlns:r="{REL}">'
            f"<sheets>{entries}</sheets></workbook>",
        ),
        member(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns='
            f'"http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>',
        ),
    ]
    for n, content in enumerate(sheets.values(), 1):
        name = f"xl/worksheets/sheet{n}.xml"
        if isinstance(content, Member):
            content.name = name
            parts.append(content)
        else:
            parts.append(member(name, content))
    if strings is not None:
        parts.append(member("xl/sharedStrings.xml", strings))
    return parts


def letters(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out


def row_xml(number: int, values: list[Any], first_column: int = 0) -> str:
    cells = []
    for n, value in enumerate(values, first_column):
        ref = f"{letters(n)}{number}"
        if isinstance(value, int | float):
            cells.append(f'<c r="{ref}"><v>{value}</v></c>')
        elif value is not None:
            cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>')
    return f'<row r="{number}">{"".join(cells)}</row>'


def sheet_xml(rows: str, dimension: str = "A1", merges: tuple[str, ...] = ()) -> str:
    merged = ""
    if merges:
        refs = "".join(f'<mergeCell ref="{ref}"/>' for ref in merges)
        merged = f'<mergeCells count="{len(merges)}">{refs}</mergeCells>'
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}">'
        f'<dimension ref="{dimension}"/><sheetData>{rows}</sheetData>{merged}</worksheet>'
    )


def table_rows(rows: list[list[Any]], start: int = 1) -> str:
    return "".join(row_xml(n, row) for n, row in enumerate(rows, start))


# -- the hostile files -------------------------------------------------------------------------


def bomb_xlsx(path: Path, unpacked: int = 2 * GIB, lie: int | None = None) -> Path:
    """A sheet of one row repeated until it unpacks to ``unpacked`` bytes."""
    head = sheet_xml(table_rows([HEADER]), "A1:G2").split("</sheetData>")[0].encode()
    row = row_xml(2, people(1)[0]).encode()
    block = row * (MIB // len(row))
    times = max(1, (unpacked - len(head)) // len(block))
    sheet = repeated("", head, block, times, b"</sheetData></worksheet>")
    parts = workbook({"住户": sheet})
    return write_zip(path, parts, {sheet.name: lie} if lie is not None else None)


def bomb_of_parts_xlsx(path: Path, parts: int = 3, each: int = 200 * MIB) -> Path:
    """Several sheets, each under the part limit, together beyond the archive's."""
    head = sheet_xml("").split("</sheetData>")[0].encode()
    block = b"<row/>" * (MIB // 6)
    sheets: dict[str, Member | bytes | str] = {
        f"表{n}": repeated("", head, block, each // len(block), b"</sheetData></worksheet>")
        for n in range(1, parts + 1)
    }
    return write_zip(path, workbook(sheets))


def far_row_xlsx(path: Path, *, value: bool, merge: str = "") -> Path:
    """A register claiming A1:XFD1048576, with its last cell on row 1,048,576 (a value or
    only a style), optionally a merged range."""
    rows = table_rows([HEADER, *people(2)])
    if value:
        rows += '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    else:
        rows += '<row r="1048576"><c r="XFD1048576" s="1"/></row>'
    merges = (merge,) if merge else ()
    sheet = sheet_xml(rows, "A1:XFD1048576", merges)
    return write_zip(path, workbook({"住户": sheet}))


def many_rows_xlsx(path: Path, n: int = 200_000) -> Path:
    """HEADER and ``n`` households, written as XML directly (openpyxl would take a minute)."""
    rows = [row_xml(1, HEADER)]
    for i in range(1, n + 1):
        rows.append(
            f'<row r="{i + 1}"><c r="A{i + 1}" t="inlineStr"><is><t>H{i}</t></is></c>'
            f'<c r="E{i + 1}" t="inlineStr"><is><t>住户{i}</t></is></c></row>'
        )
    sheet = sheet_xml("".join(rows), f"A1:G{n + 1}")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for part in workbook({"住户": ""}):
            if part.name.endswith("sheet1.xml"):
                z.writestr(part.name, sheet)
            else:
                z.writestr(part.name, zlib.decompress(part.compressed, -15))
    return path


def wide_xlsx(path: Path, columns: int = 2000) -> Path:
    """A header of ``columns`` titled columns and one row."""
    header = HEADER + [f"列{n}" for n in range(len(HEADER), columns)]
    row = people(1)[0] + ["x"] * (columns - len(HEADER))
    sheet = sheet_xml(table_rows([header, row]), f"A1:{letters(columns - 1)}2")
    return write_zip(path, workbook({"住户": sheet}))


def long_cell_xlsx(path: Path, length: int = 200_000, shared: bool = False) -> Path:
    """Row 3, column E (姓名) holds ``length`` characters, inline or as a shared string
    (openpyxl cuts a longer text to 32,767 characters, so the XML is written here)."""
    rows = table_rows([HEADER, *people(1)])
    if not shared:
        rows += row_xml(3, ["H9", None, None, None, "长" * length])
        return write_zip(path, workbook({"住户": sheet_xml(rows)}))
    strings = (
        f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{NS}" count="1" uniqueCount="1">'
        f"<si><t>{'长' * length}</t></si></sst>"
    )
    rows += '<row r="3"><c r="A3" t="inlineStr"><is><t>H9</t></is></c><c r="E3" t="s"><v>0</v></c></row>'  # noqa: E501
    return write_zip(path, workbook({"住户": sheet_xml(rows)}, strings))


def laughs_xlsx(path: Path, part: str = "sharedStrings") -> Path:
    """A billion laughs in the shared strings (or the workbook)."""
    rows = '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
    parts = workbook({"住户": sheet_xml(rows)}, LAUGHS)
    if part == "workbook":
        for n, m in enumerate(parts):
            if m.name == "xl/workbook.xml":
                body = zlib.decompress(m.compressed, -15).decode()
                doctype = LAUGHS.split("<sst")[0].replace("DOCTYPE sst", "DOCTYPE workbook")
                parts[n] = member(m.name, doctype + body.split("?>", 1)[1])
    return write_zip(path, parts)


def broken_zip(path: Path, good: Path) -> Path:
    """The first half of a real workbook."""
    data = good.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path
