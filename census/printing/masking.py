"""What a printout may show of a phone number or an ID number (docs/domain.md §8)."""

from __future__ import annotations

import re

from census.domain.ids import mask_id

# Mainland mobiles: 11 digits starting with 1, optionally written with +86 and spaces/dashes.
_MOBILE = re.compile(r"^(\+?86[\s-]?)?(1\d{2})[\s-]?(\d{4})[\s-]?(\d{4})$")
# Landlines: an area code, then the local number; the middle of the local number is hidden.
_LANDLINE = re.compile(r"^(\(?0\d{2,3}\)?[\s-]?)(\d{3,4})(\d{4})$")
_SEPARATORS = re.compile(r"\s*[;；,，、/]\s*")


def mask_phone_number(number: str) -> str:
    """One phone number with its middle digits starred: 13912345678 -> 139****5678."""
    number = number.strip()
    if mobile := _MOBILE.match(number):
        return f"{mobile[2]}****{mobile[4]}"
    if landline := _LANDLINE.match(number):
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


def shown_phone(value: str | None, full: bool) -> str:
    """The phone field as printed: masked unless ``full``."""
    return (value or "") if full else mask_phone(value)


def shown_id(number: str | None, full: bool) -> str:
    """The ID number as printed: masked unless ``full``."""
    if not number:
        return ""
    return number if full else mask_id(number)
