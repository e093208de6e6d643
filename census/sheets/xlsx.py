"""A fast, bounded reader for the cell values of XLSX worksheets; openpyxl stays the reference.

openpyxl in read-only mode spends about 30 µs per cell (descriptor objects, rich-text
parsing of every inline string), so a 50,000-person register (a million cells) takes half
a minute before any checking starts. The sheet XML that Excel, WPS and openpyxl write is
regular: ``<c r="B5" s="3" t="s"><v>12</v></c>``. This module reads it with regular
expressions over the streamed XML, row by row, and resolves shared strings and date styles
itself, at about 1–2 µs per cell. It returns what openpyxl's ``iter_rows(values_only=True)``
returns (tests compare the two), row by row without the padding: a row is as long as its
last cell holding a value, and raises ``Unsupported`` for any shape it does not know, so
that the caller falls back to openpyxl.

Everything it reads is bounded (``census.sheets.limits``): the zip's entries, methods and
declared sizes are checked first (``check_archive``), every part is read through
``Archive.open``, which counts the bytes inflated against the part's and the archive's
limits, the worksheets and shared strings are streamed in chunks of ``CHUNK`` bytes, and
rows, columns, cells, cell lengths, shared strings and merged ranges are counted as they
come. No XML part may declare a DOCTYPE or entities (``check_prolog``); the parts parsed
whole go through defusedxml as well.
"""

from __future__ import annotations

import codecs
import html
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import lru_cache
from typing import IO, Any

import defusedxml
import defusedxml.ElementTree as SafeET
from openpyxl.styles.stylesheet import Stylesheet
from openpyxl.utils import column_index_from_string
from openpyxl.utils.datetime import (
    CALENDAR_MAC_1904,
    CALENDAR_WINDOWS_1900,
    from_excel,
    from_ISO8601,
)

from census.sheets.limits import (
    MAX_ARCHIVE_BYTES,
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_MERGES,
    MAX_PART_BYTES,
    MAX_PARTS,
    MAX_ROW_BYTES,
    MAX_ROWS,
    MAX_SHARED_STRINGS,
    MAX_SHEETS,
    MAX_SMALL_PART_BYTES,
    MAX_STRINGS_PART_BYTES,
    Budget,
    SheetError,
    cell_too_long,
    size_text,
    too_many_columns,
    too_many_rows,
)

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CHUNK = 1024 * 1024
PROLOG_BYTES = 64 * 1024
METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}

_SHEET_DATA = re.compile(rb"<(?:\w+:)?sheetData\b[^>]*?(/?)>")
_SHEET_DATA_END = re.compile(rb"</(?:\w+:)?sheetData>")
_ROW_EMPTY = re.compile(rb"<(?:\w+:)?row\b[^>]*/>")
_ROW_NUMBER = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="([0-9]+)"')
_FIRST_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="[A-Z]+([0-9]+)"')
# The cell as Excel, WPS and openpyxl write it: r, s, t in this order, a value or one run of
# inline text. Chunks holding any other shape go through the general pattern below.
_PLAIN = re.compile(
    rb'<c r="([A-Z]{1,3})([0-9]+)"(?: s="([0-9]+)")?(?: t="([a-zA-Z]+)")?'
    rb"(?:\s*/>|><v>([^<]*)</v></c>|><is><t(?: [^>]*)?>([^<]*)</t></is></c>|></c>)"
)
_ANY_CELL = re.compile(rb"<(?:\w+:)?c[\s/>]")
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_ATTR = re.compile(rb'([\w:]+)\s*=\s*"([^"]*)"')
_VALUE = re.compile(rb"<(?:\w+:)?v(?:\s[^>]*)?>(.*?)</(?:\w+:)?v>", re.S)
_TEXT = re.compile(rb"<(?:\w+:)?t(?:\s[^>]*)?>(.*?)</(?:\w+:)?t>", re.S)
_PHONETIC = re.compile(rb"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)
_SI = re.compile(rb"<(?:\w+:)?si\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?si>)", re.S)
_SI_EMPTY = re.compile(rb"<(?:\w+:)?si\b[^>]*/>")
_CLOSING = re.compile(rb"</(?:\w+:)?")
_ANY_SI = re.compile(rb"<(?:\w+:)?si[\s/>]")
_REF = re.compile(r"([A-Z]{1,3})([0-9]+)")
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
_PROLOG_ITEM = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->)", re.S)
Merge = tuple[int, int, int, int]  # first row, first column, last row, last column (0-based)


class Unsupported(Exception):
    """The file has a shape this reader does not handle; use openpyxl instead."""


@lru_cache(maxsize=512)
def _column(letters: str) -> int:
    return column_index_from_string(letters) - 1


def _text(raw: bytes) -> str:
    """The text of a string item: its <t> runs, phonetic guides left out, entities resolved."""
    if b"<" not in raw:
        return ""
    parts = _TEXT.findall(_PHONETIC.sub(b"", raw) if b"rPh" in raw else raw)
    text = b"".join(parts).decode("utf-8")
    return html.unescape(text) if "&" in text else text


# -- the archive ---------------------------------------------------------------------------


def damaged(reason: object) -> SheetError:
    """The file is not a readable zip (or one of its parts is broken)."""
    return SheetError("xlsx_damaged", reason=str(reason)[:200] or "?")


def open_zip(source: str | IO[bytes]) -> zipfile.ZipFile:
    """The zip file, or a SheetError saying why it is not one."""
    try:
        return zipfile.ZipFile(source)
    except zipfile.BadZipFile as exc:
        raise damaged(exc) from None
    except (zipfile.LargeZipFile, ValueError, EOFError, NotImplementedError) as exc:
        raise damaged(f"{type(exc).__name__}: {exc}") from None


def check_archive(archive: zipfile.ZipFile) -> None:
    """Entries, methods and the sizes the zip declares, before anything is unpacked."""
    infos = archive.infolist()
    if len(infos) > MAX_PARTS:
        raise SheetError("too_many_parts", count=f"{len(infos):,}", limit=f"{MAX_PARTS:,}")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise SheetError("zip_method", part=info.filename, method="encrypted")
        if info.compress_type not in METHODS:
            raise SheetError("zip_method", part=info.filename, method=str(info.compress_type))
        if info.file_size > MAX_PART_BYTES:
            raise part_too_large(info.filename, info.file_size, MAX_PART_BYTES)
        total += info.file_size
    if total > MAX_ARCHIVE_BYTES:
        raise archive_too_large(total)


def part_too_large(part: str, size: int | str, limit: int) -> SheetError:
    shown = size if isinstance(size, str) else size_text(size)
    return SheetError("part_too_large", part=part, size=shown, limit=size_text(limit))


def archive_too_large(size: int | str) -> SheetError:
    shown = size if isinstance(size, str) else size_text(size)
    return SheetError("archive_too_large", size=shown, limit=size_text(MAX_ARCHIVE_BYTES))


def check_prolog(head: bytes, part: str) -> None:
    """Refuse a part whose XML declares a DOCTYPE (entities, external references).

    Such a declaration can only stand before the root element, so the first bytes tell:
    after the XML declaration, processing instructions and comments comes the root element,
    or the part is refused.
    """
    text = head[:PROLOG_BYTES]
    if text.startswith(codecs.BOM_UTF8):
        text = text[3:]
    elif text[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or b"\x00" in text[:4]:
        if text[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            encoding = "utf-16"
        else:
            encoding = "utf-16-be" if text[:1] == b"\x00" else "utf-16-le"
        text = text[: len(text) // 2 * 2].decode(encoding, "ignore").encode("utf-8", "ignore")
    pos = 0
    while (found := _PROLOG_ITEM.match(text, pos)) is not None and found.end() > pos:
        pos = found.end()
    if text[pos:].lstrip().startswith(b"<!"):
        raise SheetError("xml_dtd", part=part)


class Counted:
    """One part of the archive, read through a count of the bytes it inflates to."""

    def __init__(self, archive: Archive, name: str, limit: int) -> None:
        try:
            info = archive.zip.getinfo(name)
        except KeyError:
            raise damaged(f"{name}: missing") from None
        if info.file_size > limit:
            raise part_too_large(name, info.file_size, limit)
        self.archive, self.name, self.limit, self.count = archive, name, limit, 0
        try:
            self.fh = archive.zip.open(info)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError) as exc:
            raise damaged(f"{name}: {exc}") from None

    def read(self, n: int = CHUNK) -> bytes:
        """Up to ``n`` bytes; refuses beyond the part's or the archive's limit."""
        try:
            data = self.fh.read(n)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
            raise damaged(f"{self.name}: {exc}") from None
        self.count += len(data)
        self.archive.unpacked += len(data)
        if self.archive.progress is not None:
            self.archive.progress(self.archive.unpacked)
        if self.count > self.limit:
            raise part_too_large(self.name, f"> {size_text(self.limit)}", self.limit)
        if self.archive.unpacked > MAX_ARCHIVE_BYTES:
            raise archive_too_large(f"> {size_text(MAX_ARCHIVE_BYTES)}")
        return data

    def __enter__(self) -> Counted:
        return self

    def __exit__(self, *exc: object) -> None:
        self.fh.close()


class Archive:
    """A checked zip file whose parts are read within their limits."""

    def __init__(self, source: str | IO[bytes]) -> None:
        self.zip = open_zip(source)
        self.unpacked = 0
        self.progress: Callable[[int], None] | None = None  # told the bytes unpacked so far
        try:
            check_archive(self.zip)
        except BaseException:
            self.zip.close()
            raise
        self.names = set(self.zip.namelist())

    def open(self, name: str, limit: int = MAX_PART_BYTES) -> Counted:
        """A part to read in chunks."""
        return Counted(self, name, limit)

    def read(self, name: str, limit: int = MAX_SMALL_PART_BYTES) -> bytes:
        """A whole part (a small one: the workbook, relationships, styles)."""
        pieces = []
        with self.open(name, limit) as fh:
            while data := fh.read(CHUNK):
                pieces.append(data)
        return b"".join(pieces)

    def xml(self, name: str) -> ET.Element:
        """A small part parsed whole, DOCTYPE and entities refused."""
        data = self.read(name)
        check_prolog(data, name)
        try:
            return SafeET.fromstring(data, forbid_dtd=True)
        except defusedxml.DefusedXmlException:
            raise SheetError("xml_dtd", part=name) from None
        except ET.ParseError as exc:
            raise damaged(f"{name}: {exc}") from None

    def check_prologs(self) -> None:
        """Every XML part's head (for openpyxl, which parses them itself)."""
        for name in sorted(self.names):
            if name.endswith((".xml", ".rels", ".vml")):
                with self.open(name) as fh:
                    check_prolog(fh.read(PROLOG_BYTES), name)

    def count(self, name: str, pattern: re.Pattern[bytes], limit: int = MAX_PART_BYTES) -> int:
        """How many times a short pattern occurs in a part, streamed."""
        found, carry = 0, b""
        with self.open(name, limit) as fh:
            while data := fh.read(CHUNK):
                buffer = carry + data
                keep = min(16, len(buffer))
                found += len(pattern.findall(buffer, 0, len(buffer) - keep))
                carry = buffer[len(buffer) - keep :]
        return found + len(pattern.findall(carry))

    def merges(self, fh: Counted, buffer: bytes, name: str) -> list[Merge]:
        """The merged ranges of what is left of a worksheet (after its rows)."""
        found: list[Merge] = []
        while True:
            cut = buffer.rfind(b">") + 1
            for c1, r1, c2, r2 in _MERGE.findall(buffer, 0, cut):
                found.append((int(r1) - 1, _column(c1.decode()), int(r2) - 1, _column(c2.decode())))
            if len(found) > MAX_MERGES:
                raise SheetError("too_many_merges", sheet=name, limit=f"{MAX_MERGES:,}")
            buffer = buffer[cut:][-1024:]
            data = fh.read(CHUNK)
            if not data:
                return found
            buffer += data

    def close(self) -> None:
        """Close the zip file."""
        self.zip.close()


def _last_end(pattern: re.Pattern[bytes], buffer: bytes, start: int) -> int | None:
    """Where the last match of ``pattern`` at or after ``start`` ends."""
    last = None
    for last in pattern.finditer(buffer, start):  # noqa: B007
        pass
    return last.end() if last is not None else None


def _last_close(buffer: bytes, start: int, tag: bytes, empty: re.Pattern[bytes]) -> int | None:
    """Where the last element ``tag`` at or after ``start`` ends: the last ``</tag>`` (or
    ``</x:tag>``), found from the end; else the last empty ``<tag …/>``."""
    end = tag + b">"
    pos = buffer.rfind(end, start)
    while pos >= 0:
        lt = buffer.rfind(b"<", start, pos)
        if lt >= 0 and _CLOSING.fullmatch(buffer, lt, pos) is not None:
            return pos + len(end)
        pos = buffer.rfind(end, start, pos)
    return _last_end(empty, buffer, start)


def _row_at(buffer: bytes) -> str:
    found = _ROW_NUMBER.search(buffer, 0, 4096)
    return f"{int(found.group(1)):,}" if found else "?"


# -- the workbook --------------------------------------------------------------------------


class Book:
    """The parts of a workbook needed to read cell values: sheets, strings, date styles."""

    def __init__(self, source: str | IO[bytes]) -> None:
        self.archive = Archive(source)
        self.zip = self.archive.zip
        try:
            self._open_workbook()
        except BaseException:
            self.archive.close()
            raise

    def _open_workbook(self) -> None:
        names = self.archive.names
        if "xl/workbook.xml" not in names:
            if "_rels/.rels" in names and b"officeDocument" in self.archive.read("_rels/.rels"):
                raise Unsupported("the workbook is not at xl/workbook.xml")
            raise SheetError("not_a_workbook")
        if "xl/_rels/workbook.xml.rels" not in names:
            raise Unsupported("no relationships for the workbook")
        workbook = self.archive.xml("xl/workbook.xml")
        pr = workbook.find(f"{MAIN}workbookPr")
        date1904 = pr is not None and pr.get("date1904") in ("1", "true")
        self.epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
        targets = self._relationships()
        self.sheets: list[tuple[str, str]] = []
        for sheet in workbook.iter(f"{MAIN}sheet"):
            target = targets.get(sheet.get(f"{REL}id") or "")
            if target is None:
                raise Unsupported("sheet without a target")
            if "/worksheets/" in target:  # chart sheets hold no cells
                self.sheets.append((sheet.get("name") or "", target))
        if len(self.sheets) > MAX_SHEETS:
            raise SheetError("too_many_sheets", count=len(self.sheets), limit=MAX_SHEETS)
        for _name, target in self.sheets:
            if target not in names:
                raise Unsupported(f"no part {target}")
        self.strings = self._shared_strings(targets)
        self.date_styles, self.duration_styles = self._date_styles(targets)

    def _relationships(self) -> dict[str, str]:
        rels = self.archive.xml("xl/_rels/workbook.xml.rels")
        found = {}
        for rel in rels.iter(f"{PKG_REL}Relationship"):
            target = rel.get("Target") or ""
            path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
            found[rel.get("Id") or ""] = posixpath.normpath(path)
            found["type:" + (rel.get("Type") or "").rsplit("/", 1)[-1]] = found[rel.get("Id") or ""]
        return found

    def _shared_strings(self, targets: dict[str, str]) -> list[str]:
        """The shared strings, streamed: at most ``MAX_SHARED_STRINGS`` of them."""
        path = targets.get("type:sharedStrings")
        if path is None or path not in self.archive.names:
            return []
        strings: list[str] = []
        append = strings.append
        with self.archive.open(path, MAX_STRINGS_PART_BYTES) as fh:
            data = fh.read(CHUNK)
            check_prolog(data, path)
            buffer = b""
            while True:
                searched = max(0, len(buffer) - 16)
                buffer += data
                cut = _last_close(buffer, searched, b"si", _SI_EMPTY) if data else len(buffer)
                if cut is None:
                    if len(buffer) > MAX_ROW_BYTES:
                        raise SheetError(
                            "string_too_large",
                            part=path,
                            index=f"{len(strings) + 1:,}",
                            limit=size_text(MAX_ROW_BYTES),
                        )
                else:
                    for m in _SI.finditer(buffer, 0, cut):
                        # openpyxl drops the escape of a literal "_x": keep its result exactly.
                        append(_text(m.group(1) or b"").replace("x005F_", ""))
                    if len(strings) > MAX_SHARED_STRINGS:
                        raise SheetError(
                            "too_many_strings", part=path, limit=f"{MAX_SHARED_STRINGS:,}"
                        )
                    buffer = buffer[cut:]
                if not data:
                    return strings
                data = fh.read(CHUNK)

    def _date_styles(self, targets: dict[str, str]) -> tuple[frozenset[int], frozenset[int]]:
        path = targets.get("type:styles")
        if path is None or path not in self.archive.names:
            return frozenset(), frozenset()
        stylesheet = Stylesheet.from_tree(self.archive.xml(path))
        return frozenset(stylesheet.date_formats), frozenset(stylesheet.timedelta_formats)

    def read(
        self, path: str, name: str = "", budget: Budget | None = None
    ) -> tuple[list[list[Any]], list[Merge]]:
        """The values of one worksheet, row 1 first, and its merged ranges.

        Rows are as openpyxl's ``iter_rows(values_only=True)`` gives them, except that each
        is only as long as its last cell holding a value (an empty row is ``[]``). Only
        cells present are allocated; a value beyond ``MAX_ROWS`` or ``MAX_COLUMNS``, a text
        longer than ``MAX_CELL_CHARS`` or more cells than ``budget`` allows is refused.
        """
        budget = budget if budget is not None else Budget()
        rows: list[list[Any]] = []
        merges: list[Merge] = []
        for number, cells in self._rows(path, merges, name, budget):
            last = -1
            for column, value in cells:
                if value is None:
                    continue
                if column >= MAX_COLUMNS:
                    raise too_many_columns(name, number, column)
                if value.__class__ is str and len(value) > MAX_CELL_CHARS:
                    raise cell_too_long(name, number, column, len(value))
                if column > last:
                    last = column
            if last < 0:
                continue  # formatted but empty cells: nothing to keep
            if number > MAX_ROWS:
                raise too_many_rows(name, number)
            if number > len(rows):
                rows.extend([] for _ in range(number - len(rows)))
            row = rows[number - 1]
            if len(row) <= last:
                row.extend([None] * (last + 1 - len(row)))
            for column, value in cells:
                if value is not None:
                    row[column] = value
        return rows, merges

    def _rows(
        self, path: str, merges: list[Merge], name: str, budget: Budget
    ) -> Iterator[tuple[int, list[tuple[int, Any]]]]:
        """(row number, [(column, value)]) for every run of cells of one row."""
        columns: dict[bytes, int] = {}
        strings = self.strings
        for chunk in self._row_chunks(path, merges, name):
            found = len(_ANY_CELL.findall(chunk))
            if not found:
                continue
            first = _FIRST_REF.search(chunk)
            budget.take(found, name, int(first.group(1)) if first else "?")
            plain = _PLAIN.findall(chunk)
            if len(plain) != found:
                yield from self._general(chunk)
                continue
            row_bytes, cells = b"", []
            for letters, row, style, kind, value, text in plain:
                if row != row_bytes:
                    if cells:
                        yield int(row_bytes), cells
                    row_bytes, cells = row, []
                column = columns.get(letters)
                if column is None:
                    column = columns[letters] = _column(letters.decode())
                if kind == b"inlineStr" and text:
                    decoded = text.decode("utf-8")
                    cells.append((column, html.unescape(decoded) if "&" in decoded else decoded))
                elif kind == b"s" and value:
                    cells.append((column, strings[int(value)]))
                else:
                    cells.append((column, self._plain(style, kind, value, text)))
            if cells:
                yield int(row_bytes), cells

    def _general(self, chunk: bytes) -> Iterator[tuple[int, list[tuple[int, Any]]]]:
        """Cells of any shape (formulas, rich text, prefixes, other attribute orders)."""
        for match in _CELL.finditer(chunk):
            attrs = dict(_ATTR.findall(match.group(1)))
            ref = attrs.get(b"r")
            if ref is None:
                raise Unsupported("a cell without a reference")
            found = _REF.fullmatch(ref.decode())
            if found is None:
                raise Unsupported(f"cell reference {ref!r}")
            value = self._value(attrs, match.group(2) or b"")
            yield int(found.group(2)), [(_column(found.group(1)), value)]

    def _row_chunks(self, path: str, merges: list[Merge], name: str) -> Iterator[bytes]:
        """The sheetData of a worksheet in pieces of about ``CHUNK`` bytes that end at a
        row boundary; what follows the rows is scanned for merged cells into ``merges``.

        At most ``MAX_ROW_BYTES`` are held waiting for the end of a row.
        """
        with self.archive.open(path, MAX_PART_BYTES) as fh:
            data = fh.read(CHUNK)
            check_prolog(data, path)
            buffer = data
            while (found := _SHEET_DATA.search(buffer)) is None:
                data = fh.read(CHUNK)
                if not data:
                    return
                buffer = buffer[-512:] + data  # the tag may straddle two chunks
            buffer = buffer[found.end() :]
            if not found.group(1):  # rows follow (<sheetData/> has none)
                searched = 0
                while True:
                    end = _SHEET_DATA_END.search(buffer, searched)
                    if end is not None:
                        if end.start():
                            yield buffer[: end.start()]
                        buffer = buffer[end.end() :]
                        break
                    cut = _last_close(buffer, searched, b"row", _ROW_EMPTY)
                    if cut is not None:
                        yield buffer[:cut]
                        buffer = buffer[cut:]
                    elif len(buffer) > MAX_ROW_BYTES:
                        raise SheetError(
                            "row_too_large",
                            sheet=name,
                            row=_row_at(buffer),
                            limit=size_text(MAX_ROW_BYTES),
                        )
                    data = fh.read(CHUNK)
                    if not data:  # a sheet cut short: what is there
                        if buffer.strip():
                            yield buffer
                        return
                    searched = max(0, len(buffer) - 32)
                    buffer += data
            merges.extend(self.archive.merges(fh, buffer, name))

    def _plain(self, style: bytes, kind: bytes, value: bytes, text: bytes) -> Any:
        """A cell matched by ``_PLAIN`` (empty groups are b"")."""
        if kind == b"inlineStr":
            if not text:
                return None if not value else self._value({b"t": kind}, b"<v>" + value + b"</v>")
            decoded = text.decode("utf-8")
            return html.unescape(decoded) if "&" in decoded else decoded
        if not value:
            return None
        if kind == b"s":
            return self.strings[int(value)]
        if not kind or kind == b"n":
            if style and int(style) in self.date_styles:
                return self._value({b"s": style}, b"<v>" + value + b"</v>")
            return float(value) if b"." in value or b"E" in value or b"e" in value else int(value)
        return self._value({b"t": kind, b"s": style}, b"<v>" + value + b"</v>")

    def _value(self, attrs: dict[bytes, bytes], body: bytes) -> Any:
        kind = attrs.get(b"t", b"n")
        if not body:
            return None
        if kind == b"inlineStr":
            return _text(body)
        found = _VALUE.search(body)
        if found is None:
            return None
        raw = found.group(1)
        if raw == b"":
            return None
        if kind == b"n":
            number: int | float = (
                float(raw) if b"." in raw or b"E" in raw or b"e" in raw else int(raw)
            )
            style = int(attrs.get(b"s") or 0)
            if style in self.date_styles:
                try:
                    return from_excel(number, self.epoch, timedelta=style in self.duration_styles)
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return number
        if kind == b"s":
            return self.strings[int(raw)]
        if kind == b"b":
            return bool(int(raw))
        if kind in (b"str", b"e"):
            text = raw.decode("utf-8")
            return html.unescape(text) if "&" in text else text
        if kind == b"d":
            value: datetime = from_ISO8601(raw.decode())
            return value
        raise Unsupported(f"cell type {kind!r}")

    def close(self) -> None:
        """Close the zip file."""
        self.zip.close()
