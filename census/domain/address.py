"""Addresses, one way: the parts of a dwelling, how they are shown, and their natural order.

A surveyor may type a unit as "3", "3单元", "３单元" or "三单元" and a room as "101" or
"101室": all are the same dwelling. ``unit_part`` and ``room_part`` bring each to its
canonical part ("3", "101"), records are stored that way, and ``address_text`` shows a
dwelling one way everywhere: 1栋3单元101室.

``natural_key`` orders names the way people count: 2栋 before 10栋 before 12栋, 第二网格
before 第十网格, 302 before 1101 (digits and Chinese numerals read as numbers).
``place_key`` orders buildings grid by grid that way, the buildings in no grid (未分网格,
``grid_name``: a building a save or an import added without one) after every grid.

``split_dwelling`` reads building, unit and room out of one text as other systems write
them ("1单元101室", "3-1-101", "3号楼1单元1层101"); two numbers joined by a dash ("3-101")
are unit-room in some communities and building-room in others, so they are split only as
whoever imports says (``UNIT_ROOM``, ``BUILDING_ROOM``); ``search_key`` is what a search compares:
full-width folded, no spaces, numerals as digits, so that "１栋" and "一栋" find 1栋.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from census.util.i18n import N_, ByLanguage

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_DIGITS |= {"七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUMBER = re.compile(r"(\d+|[零〇一二两三四五六七八九十百千]+)")
_UNIT_SUFFIX = ("单元", "单")
_ROOM_SUFFIX = ("室", "号", "户")

# A sort key that counts (``natural_key``): (0, number) or (1, text) per piece of the name.
NaturalKey = tuple[tuple[int, int | str], ...]
_Name = TypeVar("_Name", bound=Hashable)


def fold(text: object) -> str:
    """Full-width letters, digits and spaces folded (NFKC), outer spaces dropped."""
    return unicodedata.normalize("NFKC", str(text or "")).strip()


def chinese_number(text: str) -> int | None:
    """三 → 3, 十二 → 12, 一百零一 → 101, 二〇一 → 201; None when it is not a numeral."""
    if not text or any(ch not in _DIGITS and ch not in _UNITS for ch in text):
        return None
    if not any(ch in _UNITS for ch in text):  # digit by digit: 二〇一
        return int("".join(str(_DIGITS[ch]) for ch in text))
    total, digit = 0, None
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        else:
            total += (1 if digit is None else digit) * _UNITS[ch]
            digit = None
    return total + (digit or 0)


def _part(text: object, suffixes: tuple[str, ...]) -> str:
    value = fold(text)
    for suffix in suffixes:
        if value.endswith(suffix) and len(value) > len(suffix):
            value = value[: -len(suffix)].strip()
            break
    number = chinese_number(value)
    return str(number) if number is not None else value


def unit_part(text: object) -> str:
    """The canonical unit: "3" for 3, 3单元, ３单元 or 三单元."""
    return _part(text, _UNIT_SUFFIX)


def room_part(text: object) -> str:
    """The canonical room: "101" for 101 or 101室."""
    return _part(text, _ROOM_SUFFIX)


def dwelling_key(building: object, unit: object, room: object) -> tuple[str, str, str]:
    """The identity of a dwelling: ('1栋', '1', '301') for 1栋 1单元 301室 or 1栋１单元301."""
    return (fold(building), unit_part(unit), room_part(room))


def dwelling_text(unit: object, room: object) -> str:
    """A dwelling within its building as shown everywhere: 3单元101室, 101室, 底商."""
    unit_text, room_text = unit_part(unit), room_part(room)
    shown_unit = f"{unit_text}单元" if unit_text else ""
    shown_room = (
        f"{room_text}室"
        if room_text and room_text[-1:].isalnum() and room_text[-1:].isascii()
        else room_text
    )
    return shown_unit + shown_room


def address_text(record: dict[str, Any]) -> str:
    """Building, unit and room as one text: 1栋3单元101室."""
    return fold(record.get("building")) + dwelling_text(record.get("unit"), record.get("room"))


@lru_cache(maxsize=65536)
def _natural(text: str) -> NaturalKey:
    parts: list[tuple[int, int | str]] = []
    for n, piece in enumerate(_NUMBER.split(fold(text))):
        if not piece:
            continue
        if n % 2:
            number = int(piece) if piece.isdigit() else chinese_number(piece)
            parts.append((0, number) if number is not None else (1, piece))
        else:
            parts.append((1, piece))
    return tuple(parts)


def natural_key(value: object) -> NaturalKey:
    """Sort key that counts: 2栋 < 10栋 < 12栋, 第二网格 < 第十网格, 302 < 1101."""
    return _natural(str(value if value is not None else ""))


def address_key(record: dict[str, Any]) -> tuple[NaturalKey, NaturalKey, NaturalKey]:
    """Address order: building, unit, room, each in natural order."""
    return (
        natural_key(record.get("building")),
        natural_key(unit_part(record.get("unit"))),
        natural_key(room_part(record.get("room"))),
    )


NO_GRID = ByLanguage(N_("未分网格"))


def grid_name(grid: object, lang: str = "zh") -> str:
    """A grid as lists, prints and bookmarks show it: its name, or 未分网格 for none."""
    return fold(grid) or NO_GRID.get(lang, NO_GRID["zh"])


def place_key(grid: object, building: object) -> tuple[bool, NaturalKey, NaturalKey]:
    """Grid by grid as people count (no grid last), then the building: 2栋 < 10栋."""
    return (not fold(grid), natural_key(grid), natural_key(building))


def natural_sorted(names: Iterable[_Name]) -> list[_Name]:
    """Names (grids, buildings) in natural order, each once."""
    return sorted(set(names), key=natural_key)


# -- one text holding building, unit and room ---------------------------------------------

_NUM = r"[0-9零〇一二两三四五六七八九十百千]+"
_DASHES = "-－—–_"
_DASHED = re.compile(rf"(?P<building>\d+)[{_DASHES}](?P<unit>\d+)[{_DASHES}](?P<room>\d+)[室号户]?")
# ... [N栋|N号楼|N幢|N座|N#] [N单元] [N层|N楼] room [室|号|户], read from the end of the text:
# a full address (市、区、街道、小区 …) may come before it.
_MARKED = re.compile(
    rf"(?:(?P<building>[0-9A-Za-z]+|{_NUM})(?P<mark>号楼|栋|幢|座|号院|#楼|#))?"
    rf"(?:(?P<unit>{_NUM})单元)?"
    rf"(?:(?P<floor>-?{_NUM})(?:层|楼))?"
    rf"(?P<room>[0-9A-Za-z]+|{_NUM})(?:室|号|户)?"
)


# How two numbers joined by a dash read ("3-101"): unit and room (the building in a column
# of its own), or building and room.
UNIT_ROOM, BUILDING_ROOM = "unit-room", "building-room"
PATTERNS = (UNIT_ROOM, BUILDING_ROOM)
PATTERN_WORDS = {UNIT_ROOM: ByLanguage(N_("单元-室")), BUILDING_ROOM: ByLanguage(N_("楼栋-室"))}
_PAIR = re.compile(
    rf"(?:(?P<building>[0-9A-Za-z]+|{_NUM})(?P<mark>号楼|栋|幢|座|号院|#楼|#))?"
    rf"(?P<first>\d+)[{_DASHES}](?P<second>\d+)[室号户]?"
)


@dataclass(frozen=True)
class Dwelling:
    """A dwelling read from one text: building ("" when the text does not name it), unit
    ("" likewise) and room, unit and room in their canonical parts."""

    building: str
    unit: str
    room: str


def split_dwelling(text: object, pattern: str | None = None) -> Dwelling | None:
    """Building, unit and room from one address text, or None when it is not one.

    "1单元101室" → ("", "1", "101"); "3-1-101" → ("3栋", "1", "101") (three numbers joined
    by dashes are building, unit and room; the building named as the community's are, N栋);
    "3号楼1单元101" → ("3号楼", "1", "101"); "1单元1层101" → ("", "1", "101"), the floor
    dropped when the room number is the floor and two more digits, kept before it otherwise
    (1层1号 → "1层1"). Two numbers joined by a dash ("3-101") are split only by a
    ``pattern``: ``UNIT_ROOM`` gives ("", "3", "101") (and "5栋3-101" ("5栋", "3", "101")),
    ``BUILDING_ROOM`` ("3栋", "", "101"); without one they are not, since some communities
    write building-room that way and others unit-room. A text naming neither a building nor
    a unit ("101") is no combined address either: None.
    """
    value = re.sub(r"\s+", "", fold(text))
    if not value:
        return None
    if match := _DASHED.search(value):
        if match.end() == len(value):
            return Dwelling(f"{int(match['building'])}栋", str(int(match["unit"])), match["room"])
    if pattern in PATTERNS:
        pair = _pair(value, pattern)
        if pair is not None:
            return pair
    for start in range(len(value)):
        match = _MARKED.fullmatch(value, start)
        if match is None:
            continue
        if not (match["unit"] or match["mark"]):
            return None
        building = ""
        if match["mark"]:
            number = chinese_number(match["building"])
            building = f"{number if number is not None else match['building']}{match['mark']}"
        room = room_part(match["room"])
        if match["floor"]:
            floor = str(chinese_number(match["floor"]) or match["floor"].lstrip("-") or "")
            if floor and not (room.startswith(floor) and len(room) >= len(floor) + 2):
                room = f"{match['floor']}层{room}"
        return Dwelling(building, unit_part(match["unit"] or ""), room)
    return None


def _pair(value: str, pattern: str) -> Dwelling | None:
    """Two numbers joined by a dash, read by ``pattern``: the whole text, or the end of a
    longer one after a marked building (幸福路3号楼2-502)."""
    for start in range(len(value)):
        match = _PAIR.fullmatch(value, start)
        if match is None or not (start == 0 or match["mark"]):
            continue
        building = ""
        if match["mark"]:
            number = chinese_number(match["building"])
            building = f"{number if number is not None else match['building']}{match['mark']}"
        if pattern == UNIT_ROOM:
            return Dwelling(building, str(int(match["first"])), room_part(match["second"]))
        if building:  # building-room after a named building: the building twice
            return None
        return Dwelling(f"{int(match['first'])}栋", "", room_part(match["second"]))
    return None


_NUMERAL_RUN = re.compile(r"[零〇一二两三四五六七八九十百千]+")


def search_key(text: object) -> str:
    """A text as a search compares it: full-width folded, no spaces, upper case, Chinese
    numerals as digits ("１栋", "一栋" and "1 栋" all give "1栋"; 三单元 gives 3单元)."""
    return _search_key(str(text if text is not None else ""))


@lru_cache(maxsize=65536)
def _search_key(text: str) -> str:  # a search reads every household's names: each once
    value = re.sub(r"\s+", "", fold(text)).upper()
    return _NUMERAL_RUN.sub(lambda m: str(chinese_number(m.group()) or m.group()), value)
