"""Resident ID numbers (GB 11643): normalising, checking, masking and making them.

python-stdnum computes the check digit and reads the birth date, but its ``validate()`` is not
used for acceptance: it rejects numbers whose region code is missing from its table or did not
exist in the birth year (stdnum issue #442). IDs have been issued since 1985 with the codes of
the day, so real residents hold such numbers; here they are warnings, never rejections.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from census.domain.problems import WARNING, Problem

RESIDENT_ID = "resident_id"
RESIDENT_ID_LENGTH = 18
OTHER_ID_MAX_LENGTH = 30
EARLIEST_BIRTH_YEAR = 1900
SEX_WORDS = {"male": "男", "female": "女"}

_INVISIBLE = re.compile(r"[\s\u200b-\u200f\u2060\ufeff]+")
_BODY = re.compile(r"[0-9]{17}[0-9X]")
# A county entry in stdnum's cn/loc.dat: "[1983-2019]桥东区,[2020-]襄都区" or a plain name.
_SPAN = re.compile(r"^\[(\d*)-(\d*)\](.*)$")


@dataclass
class IdCheck:
    """What a resident ID says: problems found, and the birth date and sex it encodes."""

    problems: list[Problem] = field(default_factory=list)
    birth_date: date | None = None
    sex: str | None = None

    @property
    def ok(self) -> bool:
        """True when nothing blocks saving (warnings allowed)."""
        return not any(p.is_error for p in self.problems)


def normalise_id(raw: str) -> str:
    """Fix what is unambiguous: spaces, full-width characters (NFKC), a lowercase x."""
    text = unicodedata.normalize("NFKC", raw or "")
    return _INVISIBLE.sub("", text).replace("x", "X")


@cache
def _lookup(region: str) -> tuple[str, str]:
    """The province name and the raw county entry of a region code in stdnum's table."""
    merged: dict[str, str] = {}
    if re.fullmatch(r"[0-9]{6}", region):
        for _prefix, props in numdb.get("cn/loc").info(region):
            merged.update(props)
    return merged.get("province", ""), merged.get("county", "")


def _region_spans(region: str) -> list[tuple[int | None, int | None, str]]:
    """(first year, last year, name) of each use of a region code; empty when unknown."""
    spans: list[tuple[int | None, int | None, str]] = []
    for item in filter(None, _lookup(region)[1].split(",")):
        match = _SPAN.match(item)
        if match:
            start, end, name = match.groups()
            spans.append((int(start) if start else None, int(end) if end else None, name))
        else:
            spans.append((None, None, item))
    return spans


def region_name(region: str) -> str:
    """The place a region code stands for ("新疆维吾尔自治区喀什地区喀什市"), or ""."""
    spans = _region_spans(region)
    if not spans:
        return ""
    parts = [_lookup(region)[0]]
    if region[4:] != "00":
        prefecture = _region_spans(region[:4] + "00")
        name = prefecture[-1][2] if prefecture else ""
        if name not in ("市辖区", "县") and "直辖" not in name:
            parts.append(name)
    parts.append(spans[-1][2])
    return "".join(dict.fromkeys(p for p in parts if p))


def check_region(region: str, birth_year: int) -> list[Problem]:
    """Warnings when a region code is unknown or was not in use in the birth year."""
    spans = _region_spans(region)
    if not spans:
        return [Problem("id_region_unknown", params={"region": region}, level=WARNING)]
    for start, end, _name in spans:
        if (start is None or start <= birth_year) and (end is None or birth_year <= end):
            return []
    later = [start for start, _end, _name in spans if start is not None and start > birth_year]
    if later:
        params = {"region": region, "year": min(later)}
        return [Problem("id_region_newer", params=params, level=WARNING)]
    last = max(end for _start, end, _name in spans if end is not None)
    return [Problem("id_region_retired", params={"region": region, "year": last}, level=WARNING)]


def check_resident_id(number: str, *, today: date | None = None) -> IdCheck:
    """Check a normalised resident ID; birth date and sex are set only when it has no errors."""
    if len(number) != RESIDENT_ID_LENGTH:
        return IdCheck([Problem("id_length", params={"length": len(number)})])
    if not _BODY.fullmatch(number):
        return IdCheck([Problem("id_format")])
    problems: list[Problem] = []
    born: date | None
    try:
        born = ric.get_birth_date(number)
    except ValidationError:
        born = None
    today = today or date.today()
    if born is None or born > today or born.year < EARLIEST_BIRTH_YEAR:
        problems.append(Problem("id_birth_date", params={"value": number[6:14]}))
        born = None
    expected = ric.calc_check_digit(number)
    if number[-1] != expected:
        problems.append(Problem("id_checksum", params={"expected": expected}))
    if problems or born is None:
        return IdCheck(problems)
    sex = "male" if int(number[16]) % 2 else "female"
    return IdCheck(check_region(number[:6], born.year), born, sex)


def check_person_id(
    id_type: str | None, number: str, *, birth_date: date | None, sex: str | None
) -> tuple[list[Problem], date | None, str | None]:
    """Check a person's ID number against the given birth date and sex.

    Returns the problems and the birth date and sex read from a valid resident ID (None
    otherwise), so that the caller can fill blanks. Problem paths name the person's field.
    """
    number = number or ""
    resident = id_type == RESIDENT_ID or (
        not id_type and len(normalise_id(number)) == RESIDENT_ID_LENGTH
    )
    if not resident:
        if not id_type and not number:
            return [], None, None
        if not number.strip() or len(number) > OTHER_ID_MAX_LENGTH or not number.isprintable():
            return [Problem("pattern_mismatch", "id_number")], None, None
        return [], None, None
    result = check_resident_id(normalise_id(number))
    problems = [Problem(p.code, "id_number", p.params, p.level) for p in result.problems]
    if not result.ok:
        return problems, None, None
    if birth_date is not None and result.birth_date and birth_date != result.birth_date:
        expected = result.birth_date.isoformat()
        problems.append(Problem("birth_date_mismatch", "birth_date", {"expected": expected}))
    if sex and result.sex and sex != result.sex:
        problems.append(Problem("sex_mismatch", "sex", {"expected": SEX_WORDS[result.sex]}))
    return problems, result.birth_date, result.sex


def mask_id(number: str) -> str:
    """Hide the middle of an ID number: 110105********002X; 2 + stars + 2 for other numbers."""
    number = (number or "").strip()
    if not number:
        return ""
    if len(number) == RESIDENT_ID_LENGTH:
        return number[:6] + "*" * 8 + number[-4:]
    hidden = max(4, len(number) - 4)
    if hidden >= len(number):
        return "*" * len(number)
    head = (len(number) - hidden + 1) // 2
    tail = len(number) - hidden - head
    return number[:head] + "*" * hidden + (number[-tail:] if tail else "")


def make_resident_id(region: str, birth: date, seq: int, sex: str) -> str:
    """A valid resident ID; ``seq`` (1-499) numbers the people of one sex born that day there."""
    if not re.fullmatch(r"[0-9]{6}", region):
        raise ValueError(f"region must be 6 digits: {region!r}")
    if not 1 <= seq <= 499:
        raise ValueError(f"seq must be 1-499: {seq}")
    if sex not in SEX_WORDS:
        raise ValueError(f"sex must be male or female: {sex!r}")
    order = 2 * seq - 1 if sex == "male" else 2 * seq  # digit 17: odd for men
    body = f"{region}{birth:%Y%m%d}{order:03d}"
    return body + ric.calc_check_digit(body + "0")
