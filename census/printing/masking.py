"""What a printout may show of a phone number or an ID number (docs/domain.md §8).

The masks themselves are the domain's (``census.domain.contact.mask_phone``,
``census.domain.ids.mask_id``), so that a page, a printout and an export hide alike.
"""

from __future__ import annotations

from census.domain.contact import mask_phone
from census.domain.ids import mask_id

__all__ = ["mask_phone", "shown_id", "shown_phone"]


def shown_phone(value: str | None, full: bool) -> str:
    """The phone field as printed: masked unless ``full``."""
    return (value or "") if full else mask_phone(value)


def shown_id(number: str | None, full: bool) -> str:
    """The ID number as printed: masked unless ``full``."""
    if not number:
        return ""
    return number if full else mask_id(number)
