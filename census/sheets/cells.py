"""One spreadsheet cell -> the value ``clean()`` receives, fixing only what is unambiguous.

Full-width digits and letters, stray spaces, a lowercase x in an ID number, dates written
1990/1/2, 1990-1-2, 1990.1.2, 1990年1月2日 or 19900102, Excel date cells and serial numbers,
code words (男 -> male, 汉 -> 汉族, 常住人口 -> registered), several phone numbers or
conditions in one cell. Anything else is passed on as written, so that ``clean()`` reports
it with the field's own message; nothing is guessed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from census.domain.display import yes_no
from census.domain.ids import normalise_id
from census.sheets.vocabulary import Target, Vocabulary

# Full-width digits and Latin letters, and the ideographic space; Chinese punctuation stays.
_WIDE = {0xFF10 + i: ord("0") + i for i in range(10)}
_WIDE.update({0xFF21 + i: ord("A") + i for i in range(26)})
_WIDE.update({0xFF41 + i: ord("a") + i for i in range(26)})
_WIDE[0x3000] = ord(" ")
_CJK = r"[\u3400-\u9fff\uf900-\ufaff]"
_CJK_GAP = re.compile(rf"(?<={_CJK})\s+(?={_CJK})")
_ALL_SPACE = re.compile(r"[\s\u200b-\u200f\u2060\ufeff]+")
_PHONE_SPLIT = re.compile(r"[;；,，、/|\n]+")
_MULTI_SPLIT = re.compile(r"[,，;；、/\s]+")
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_DATE_TIME_ZERO = re.compile(r"(\d{4}-\d{1,2}-\d{1,2})[ T]0{1,2}:00(:00(\.0+)?)?")
# A value exported as '=... (CSV injection guard, see writer.neutralise) is read back as =...
_GUARDED = re.compile(r"^'+[=+\-@\t\r]")
_EXCEL_EPOCH = date(1899, 12, 30)
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
KEY_FIELDS = {"household_no", "building", "unit", "room"}
NAME_FIELDS = {"name", "landlord_name", "operator_name", "contact", "surveyor"}


@dataclass
class Cell:
    """What a cell holds for the importer: the value, numbers that did not fit, a problem."""

    value: Any = None
    more: list[str] = field(default_factory=list)
    problem: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


def unguard(text: str) -> str:
    """Undo the CSV-injection quote that the exporter put before = + - @."""
    return text[1:] if text[:1] == "'" and _GUARDED.match(text) else text


def plain_text(raw: Any) -> str | None:
    """Any cell as text: numbers without a spurious .0, dates as ISO, None when empty."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        return yes_no(raw)  # a TRUE/FALSE cell reads as the word an export writes
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, datetime):
        return raw.date().isoformat() if raw.time() == time() else raw.isoformat(sep=" ")
    if isinstance(raw, date):
        return raw.isoformat()
    text = unguard(str(raw)).translate(_WIDE).strip()
    return text or None


def excel_serial(number: float) -> date | None:
    """The day an Excel serial number stands for (1900 date system), or None."""
    if not 1 <= number < 100000 or not float(number).is_integer():
        return None
    if number < 61:  # Excel's fictitious 1900-02-29 shifts the first two months
        number += 1
    return _EXCEL_EPOCH + timedelta(days=int(number))


def read_date(raw: Any) -> Any:
    """An ISO date for every unambiguous spelling; anything else as written."""
    if isinstance(raw, datetime):
        return raw.date().isoformat() if raw.time() == time() else plain_text(raw)
    if isinstance(raw, date):
        return raw.isoformat()
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        if 19000101 <= raw <= 29991231 and float(raw).is_integer():
            return _ymd(str(int(raw)))
        day = excel_serial(raw)
        return day.isoformat() if day else plain_text(raw)
    text = plain_text(raw)
    if text is None:
        return None
    if len(text) == 10 and _ISO.fullmatch(text):
        return _real_date(text[:4], text[5:7], text[8:]) or text
    text = unicodedata.normalize("NFKC", text).strip()
    if re.fullmatch(r"\d{8}", text):
        return _ymd(text)
    if re.fullmatch(r"\d{5}", text):
        day = excel_serial(int(text))
        return day.isoformat() if day else text
    if match := _DATE_TIME_ZERO.fullmatch(text):
        text = match.group(1)
    if match := _DATE.fullmatch(text):
        return _real_date(*match.groups()) or text
    return text


def _ymd(digits: str) -> str:
    return _real_date(digits[:4], digits[4:6], digits[6:]) or digits


def _real_date(year: str, month: str, day: str) -> str | None:
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def read_id(raw: Any) -> Cell:
    """An ID number: spaces, full-width characters and a lowercase x fixed.

    Excel keeps 15 significant digits, so an 18-digit number stored as a number has lost
    its last digits: that is reported, not repaired.
    """
    if raw is None:
        return Cell()
    if isinstance(raw, float) and not raw.is_integer() or isinstance(raw, bool):
        return Cell(problem="id_number_as_number", params={"value": plain_text(raw)})
    if isinstance(raw, int | float):
        digits = str(int(raw))
        if len(digits) > 15 or isinstance(raw, float) and raw >= 1e15:
            return Cell(problem="id_number_as_number", params={"value": f"{raw:.15g}"})
        return Cell(digits)
    text = normalise_id(unguard(str(raw)).lstrip("'"))
    return Cell(text or None)


def read_phones(raw: Any, vocab: Vocabulary) -> Cell:
    """The first phone number of a cell, and the others (separated by ; ， 、 / or spaces)."""
    if isinstance(raw, str) and raw.isdigit():  # the usual cell: one number as text
        return Cell(raw)
    text = plain_text(raw)
    if text is None or vocab.is_blank_word(text):
        return Cell()
    parts: list[str] = []
    for part in _PHONE_SPLIT.split(text.lstrip("'")):
        pieces = part.split()
        # "13812345678 13987654321" is two numbers; "0991 1234567" is one.
        if len(pieces) > 1 and all(len(re.sub(r"\D", "", p)) >= 7 for p in pieces):
            parts.extend(pieces)
        elif part.strip():
            parts.append(part.strip())
    if not parts:
        return Cell()
    return Cell(parts[0], parts[1:])


def read_choice(target: Target, raw: Any, vocab: Vocabulary) -> Any:
    """The code of a word, or the word itself for ``clean()`` to report."""
    text = plain_text(raw)
    if text is None or target.choices is None:
        return text
    return vocab.code(target.choices, text) or text


def read_choices(target: Target, raw: Any, vocab: Vocabulary) -> list[str]:
    """Several words in one cell (separated by , ， ; ； 、 / or spaces) -> their codes."""
    text = plain_text(raw)
    if text is None or vocab.is_blank_word(text):
        return []
    codes = []
    for word in _MULTI_SPLIT.split(text):
        if word and target.choices:
            codes.append(vocab.code(target.choices, word) or word)
    return list(dict.fromkeys(codes))


def read_text(target: Target, raw: Any) -> str | None:
    """Free text, trimmed; address keys without spaces, names without gaps between 汉字."""
    text = plain_text(raw)
    if text is None:
        return None
    if target.field in KEY_FIELDS and not target.member:
        text = _ALL_SPACE.sub("", unicodedata.normalize("NFKC", text))
        if target.field == "unit" and text.endswith("单元") and len(text) > 2:
            text = text[:-2]
        elif target.field == "room" and text.endswith("室") and text[:-1].isdigit():
            text = text[:-1]
    elif target.field in NAME_FIELDS:
        text = _CJK_GAP.sub("", text)
    return text or None


def read_cell(target: Target, raw: Any, vocab: Vocabulary) -> Cell:
    """Read one cell for its column's target."""
    if isinstance(raw, str) and not raw.strip():
        raw = None
    kind = target.type
    if kind == "id_number":
        return read_id(raw)
    if kind == "phone":
        return read_phones(raw, vocab)
    if kind == "date":
        return Cell(read_date(raw))
    if kind == "select_one":
        return Cell(read_choice(target, raw, vocab))
    if kind == "select_many":
        return Cell(read_choices(target, raw, vocab))
    if kind == "yes_no":
        if isinstance(raw, bool):
            return Cell(raw)
        text = plain_text(raw)
        return Cell(vocab.code("yes_no", text) or text if text else None)
    if kind == "integer":
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return Cell(int(raw) if float(raw).is_integer() else plain_text(raw))
        return Cell(plain_text(raw))
    if kind == "uscc":
        text = plain_text(raw)
        return Cell(normalise_id(text).upper() if text else None)
    return Cell(read_text(target, raw))
