"""Resident ID numbers (GB 11643): normalising, checking, upgrading, masking and making them.

python-stdnum computes the check digit and reads the birth date, but its ``validate()`` is not
used for acceptance: it rejects numbers whose region code is missing from its table or did not
exist in the birth year (stdnum issue #442). IDs have been issued since 1985 with the codes of
the place and the day of issue, so real residents hold such numbers (docs/domain.md §4.3):
only a code missing from the table, or one given up before the holder was born, is a warning.

First-generation cards carry 15 digits (region, YYMMDD, sequence, no check character); they
are upgraded to the 18 digits of GB 11643-1999 as the public security offices did: "19"
before the year and the check character computed (``upgrade_id``).
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
FIRST_GENERATION_LENGTH = 15
OTHER_ID_MAX_LENGTH = 30
EARLIEST_BIRTH_YEAR = 1900
SEX_WORDS = {"male": "男", "female": "女"}

_INVISIBLE = re.compile(r"[\s\u200b-\u200f\u2060\ufeff]+")
_BODY = re.compile(r"[0-9]{17}[0-9X]")
_FIRST_GENERATION = re.compile(r"[0-9]{15}")
# A resident ID with a digit too many or too few looks like this: 15-18 digits, X at the end.
_ID_SHAPE = re.compile(r"[0-9]{14,17}[0-9X]")
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


# How a region code stands to a year: in the table and in use, not yet in use, no longer.
REGION_IN_USE, REGION_NEWER, REGION_RETIRED, REGION_UNKNOWN = "in_use", "newer", "retired", ""


def region_status(region: str, year: int) -> str:
    """Whether a region code was in use in a year (one of the ``REGION_*`` values)."""
    spans = _region_spans(region)
    if not spans:
        return REGION_UNKNOWN
    for start, end, _name in spans:
        if (start is None or start <= year) and (end is None or year <= end):
            return REGION_IN_USE
    if any(start is not None and start > year for start, _end, _name in spans):
        return REGION_NEWER
    return REGION_RETIRED


def check_region(region: str, birth_year: int) -> list[Problem]:
    """A warning when a region code is unknown, or was given up before the birth year.

    A code newer than the birth year is no finding, on forms, imports or the staff check
    report: stdnum's table begins in 1980-1983 ("[1983-]" means "already there when the
    table begins", not "created in 1983"), and an ID carries the code of the place and the
    year it was issued (from 1985, or at a later registration), so most people born before
    their district got its present code hold a "newer" one. A code given up before the
    holder was born cannot have been issued at birth: that one is worth a look.
    """
    status = region_status(region, birth_year)
    if status == REGION_UNKNOWN:
        return [Problem("id_region_unknown", params={"region": region}, level=WARNING)]
    if status == REGION_RETIRED:
        last = max(end for _start, end, _name in _region_spans(region) if end is not None)
        params = {"region": region, "year": last}
        return [Problem("id_region_retired", params=params, level=WARNING)]
    return []


def _first_generation_birth(number: str) -> date | None:
    """The birth date in a 15-digit number (characters 7-12, YYMMDD of the 1900s), or None."""
    try:
        return date(1900 + int(number[6:8]), int(number[8:10]), int(number[10:12]))
    except ValueError:
        return None


def upgrade_id(number: str) -> str | None:
    """The 18-digit number of a valid first-generation (15-digit) resident ID, else None.

    GB 11643-1999: the year gains its century ("19": these cards were issued to people born
    in the 1900s) and a check character is added; the sequence, and so the sex, is kept.
    """
    number = normalise_id(number)
    if not _FIRST_GENERATION.fullmatch(number) or _first_generation_birth(number) is None:
        return None
    body = number[:6] + "19" + number[6:]
    return body + ric.calc_check_digit(body + "0")


def is_resident_id(id_type: str | None, number: str) -> bool:
    """Whether a number is checked as a resident ID: its type says so, or its shape does.

    A blank type never means "no checks": 18 characters, 15 digits (a first-generation
    card) or 15-18 digits with perhaps a final X (a resident ID with a digit too many or
    too few) are resident IDs. A number given another type (passport, permit, other) keeps
    that type's rule: "other" is how staff record a real number the rules cannot accept.
    """
    if id_type == RESIDENT_ID:
        return True
    if id_type:
        return False
    number = normalise_id(number)
    return len(number) == RESIDENT_ID_LENGTH or bool(_ID_SHAPE.fullmatch(number))


def check_resident_id(number: str, *, today: date | None = None) -> IdCheck:
    """Check a normalised resident ID; birth date and sex are set only when it has no errors.

    A 15-digit number is checked for its own rules (digits only, a real date) and then as
    the 18-digit number ``upgrade_id`` makes of it.
    """
    if len(number) == FIRST_GENERATION_LENGTH:
        if not _FIRST_GENERATION.fullmatch(number):
            return IdCheck([Problem("id15_format")])
        if _first_generation_birth(number) is None:
            return IdCheck([Problem("id15_birth_date", params={"value": number[6:12]})])
        number = upgrade_id(number) or number
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
    if born is None:
        problems.append(Problem("id_birth_date", params={"value": number[6:14]}))
    elif born > today:
        problems.append(Problem("id_birth_future", params={"value": number[6:14]}))
        born = None
    elif born.year < EARLIEST_BIRTH_YEAR:
        # a real date: the rule is the floor, and the message says so
        params = {"value": number[6:14], "year": EARLIEST_BIRTH_YEAR}
        problems.append(Problem("id_birth_too_early", params=params))
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
    A valid 15-digit number passes; the caller stores ``upgrade_id``'s 18 digits instead.
    """
    number = number or ""
    if not is_resident_id(id_type, number):
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
    """Hide the middle of an ID number: 110105********002X, 110105******002 for 15 digits.

    Other numbers: 2 + stars + 2. A 15-digit number shows what its 18-digit form shows
    (region and sequence), so the two read as the same person's.
    """
    number = (number or "").strip()
    if not number:
        return ""
    if len(number) == RESIDENT_ID_LENGTH:
        return number[:6] + "*" * 8 + number[-4:]
    if _FIRST_GENERATION.fullmatch(number):
        return number[:6] + "*" * 6 + number[-3:]
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
