"""Phone numbers and unified social credit codes: normalising, checking and masking one value."""

from __future__ import annotations

import re
import unicodedata

from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidLength, ValidationError

from census.domain.problems import Problem

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_LANDLINE = re.compile(r"0[0-9]{2,3}-[0-9]{7,8}(-[0-9]{1,6})?")
_COUNTRY = re.compile(r"^(\+|00)?86(?=1[3-9][0-9]{9}$)")
# An extension written with a word: 转801, 分机801, ext. 801, x801, #801.
_EXTENSION = re.compile(r"(?:转|分机|ext\.?|x|#)([0-9]{1,6})$", re.IGNORECASE)
_DIGITS = re.compile(r"[0-9]+")
_SPACES = re.compile(r"[\s\u200b\ufeff]+")
_DASHES = str.maketrans({dash: "-" for dash in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"})


def _area_code_length(digits: str) -> int:
    """Mainland area codes are 010 and 02x (3 digits with the 0) or 0xxx (4 digits)."""
    return 3 if digits[1] in "12" else 4


def normalise_phone(raw: str) -> str:
    """Clean one phone number: 13812345678, 0991-1234567 or 0991-1234567-801.

    Full-width characters, spaces, dashes, brackets and a +86 before a mobile are unambiguous
    and fixed; anything else is returned cleaned of spaces so that ``check_phone`` reports it.
    """
    cleaned = _SPACES.sub("", unicodedata.normalize("NFKC", raw or "")).translate(_DASHES)
    text, extension = cleaned, ""
    if match := _EXTENSION.search(text):
        extension, text = match.group(1), text[: match.start()]
    text = text.replace("(", "").replace(")", "-")
    flat = _COUNTRY.sub("", text.replace("-", ""))
    if not extension and _MOBILE.fullmatch(flat):
        return flat
    groups = [g for g in text.split("-") if g]
    if not groups or not all(_DIGITS.fullmatch(g) for g in groups) or not flat.startswith("0"):
        return cleaned
    number = _landline(flat, extension)
    if number is None and not extension and len(groups) > 1:
        # 0991-1234567-801: a trailing group that makes the number too long is an extension.
        number = _landline("".join(groups[:-1]), groups[-1])
    return number or cleaned


def _landline(digits: str, extension: str) -> str | None:
    """Area code, dash, local number (and dash, extension), or None when it does not fit."""
    if len(digits) < 10:  # 3-digit area code and 7-digit local number at the least
        return None
    cut = _area_code_length(digits)
    number = f"{digits[:cut]}-{digits[cut:]}" + (f"-{extension}" if extension else "")
    return number if _LANDLINE.fullmatch(number) else None


def check_phone(raw: str | None) -> list[Problem]:
    """One mobile or landline number (several in one field are not accepted here)."""
    if not raw or not raw.strip():
        return []
    number = normalise_phone(raw)
    if _MOBILE.fullmatch(number) or _LANDLINE.fullmatch(number):
        return []
    return [Problem("phone_invalid")]


# -- masking (docs/domain.md §8): what a page, a printout or an export may show -------------

# Mainland mobiles: 11 digits starting with 1, optionally written with +86 and spaces/dashes.
_MOBILE_PARTS = re.compile(r"^(\+?86[\s-]?)?(1\d{2})[\s-]?(\d{4})[\s-]?(\d{4})$")
# Landlines: an area code, then the local number; the middle of the local number is hidden.
_LANDLINE_PARTS = re.compile(r"^(\(?0\d{2,3}\)?[\s-]?)(\d{3,4})(\d{4})$")
_SEPARATORS = re.compile(r"\s*[;；,，、/]\s*")


def mask_phone_number(number: str) -> str:
    """One phone number with its middle digits starred: 13912345678 -> 139****5678."""
    number = number.strip()
    if mobile := _MOBILE_PARTS.match(number):
        return f"{mobile[2]}****{mobile[4]}"
    if landline := _LANDLINE_PARTS.match(number):
        return f"{landline[1]}{'*' * len(landline[2])}{landline[3]}"
    digits = sum(ch.isdigit() for ch in number)
    if digits <= 4:
        return number
    # Unknown shape: keep only the last four digits readable.
    keep, out = 4, []
    for ch in reversed(number):
        if ch.isdigit():
            out.append(ch if keep > 0 else "*")
            keep -= 1
        else:
            out.append(ch)
    return "".join(reversed(out))


def mask_phone(value: str | None) -> str:
    """All the numbers of a phone field (several may be separated by ; or ，), each masked."""
    if not value:
        return ""
    return "；".join(mask_phone_number(part) for part in _SEPARATORS.split(value) if part)


def check_uscc(code: str | None) -> list[Problem]:
    """A unified social credit code: 18 characters and a correct check character."""
    if not code or not code.strip():
        return []
    try:
        uscc.validate(unicodedata.normalize("NFKC", code))
    except InvalidLength:
        reason = "长度"
    except InvalidChecksum:
        reason = "校验位"
    except ValidationError:
        reason = "格式"
    else:
        return []
    return [Problem("uscc_invalid", params={"reason": reason})]
