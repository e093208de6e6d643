"""The household list (住户花名册) of one building: households by unit and room, members below."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from markupsafe import Markup

from census.domain.codes import label
from census.printing.masking import shown_id, shown_phone
from census.printing.render import render_pdf
from census.printing.words import LIST_SEPARATOR, css_string, page_counter_css, word

TEMPLATE = "print/household_list.html"


@dataclass(frozen=True)
class MemberRow:
    """One printed member line; every value is display text."""

    no: int
    name: str
    relation: str
    sex: str
    ethnicity: str
    id_number: str
    birth_date: str
    residence_type: str
    phone: str
    political: str
    conditions: str
    active: bool


@dataclass(frozen=True)
class HouseholdBlock:
    """One printed household: its caption and its member lines."""

    household_no: str
    address: str
    housing: str
    hardship: str
    landlord: str
    notes: str
    members: list[MemberRow] = field(default_factory=list)


def natural_key(value: Any) -> tuple[tuple[int, int | str], ...]:
    """Sort key that puts "2" before "10" and "2单元" before "10单元"."""
    parts = re.split(r"(\d+)", str(value or ""))
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts if p)


def address(unit: Any, room: Any) -> str:
    """The dwelling as printed: "unit-room", or just the room when there is no unit."""
    unit, room = str(unit or "").strip(), str(room or "").strip()
    return f"{unit}-{room}" if unit and room else unit or room


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    return str(value)


def _labels(list_name: str, codes: Any, lang: str) -> list[str]:
    if not codes:
        return []
    if isinstance(codes, str):
        codes = [codes]
    return [label(list_name, code, lang) for code in codes]


def _is_active(person: dict[str, Any]) -> bool:
    return (person.get("status") or "active") == "active"


def ordered_members(members: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Active members with the head first, then those moved out or deceased; roster order kept."""
    return sorted(members, key=lambda p: (not _is_active(p), p.get("relation") != "head"))


def member_row(no: int, person: dict[str, Any], lang: str, full_ids: bool) -> MemberRow:
    """The printed line of one person."""
    sep = LIST_SEPARATOR.get(lang, "、")
    conditions = _labels("conditions", person.get("conditions"), lang)
    if not _is_active(person):
        conditions.append(label("person_status", person.get("status"), lang))
    return MemberRow(
        no=no,
        name=_text(person.get("name")),
        relation=label("relation", person.get("relation"), lang),
        sex=label("sex", person.get("sex"), lang),
        ethnicity=label("ethnicity", person.get("ethnicity"), lang),
        id_number=shown_id(_text(person.get("id_number")), full_ids),
        birth_date=_text(person.get("birth_date")),
        residence_type=label("residence_type", person.get("residence_type"), lang),
        phone=shown_phone(_text(person.get("phone")), full_ids),
        political=label("political", person.get("political"), lang),
        conditions=sep.join(conditions),
        active=_is_active(person),
    )


def household_block(household: dict[str, Any], lang: str, full_ids: bool) -> HouseholdBlock:
    """The printed block of one household."""
    housing = household.get("housing")
    members = ordered_members(list(household.get("members") or []))
    return HouseholdBlock(
        household_no=_text(household.get("household_no")),
        address=address(household.get("unit"), household.get("room")),
        housing=label("housing", housing, lang),
        hardship=LIST_SEPARATOR.get(lang, "、").join(
            _labels("hardship", household.get("hardship"), lang)
        ),
        landlord=_text(household.get("landlord_name")) if housing == "rented" else "",
        notes=_text(household.get("notes")),
        members=[member_row(i, p, lang, full_ids) for i, p in enumerate(members, start=1)],
    )


def household_list_context(
    *,
    community: str,
    building: str,
    households: list[dict[str, Any]],
    printed_at: datetime,
    lang: str = "zh",
    full_ids: bool = False,
) -> dict[str, Any]:
    """Everything the household list template shows, already labelled and masked."""
    ordered = sorted(
        households, key=lambda h: (natural_key(h.get("unit")), natural_key(h.get("room")))
    )
    blocks = [household_block(h, lang, full_ids) for h in ordered]
    persons = sum(1 for b in blocks for m in b.members if m.active)
    return {
        "community": community,
        "building": building,
        "title": word("household_list", lang),
        "printed_on": word("printed_on", lang) + printed_at.strftime("%Y-%m-%d"),
        "totals": word("totals", lang, households=len(blocks), persons=persons),
        "blocks": blocks,
        "words": {key: word(key, lang) for key in _TEMPLATE_WORDS},
        # Fixed words only; untrusted text never reaches the stylesheet.
        "css_confidential": Markup(css_string(word("confidential", lang))),
        "css_page_counter": Markup(page_counter_css(lang)),
    }


_TEMPLATE_WORDS = (
    "confidential",
    "no_households",
    "household_no",
    "address",
    "housing",
    "hardship",
    "landlord",
    "notes",
    "colon",
    "no_members",
    "col_no",
    "col_name",
    "col_relation",
    "col_sex",
    "col_ethnicity",
    "col_id_number",
    "col_birth_date",
    "col_residence_type",
    "col_phone",
    "col_political",
    "col_conditions",
)


def household_list_pdf(
    *,
    community: str,
    building: str,
    households: list[dict[str, Any]],
    printed_at: datetime,
    lang: str = "zh",
    full_ids: bool = False,
) -> bytes:
    """The household list of one building as A4 landscape PDF; IDs and mobiles masked by default.

    ``full_ids=True`` is for permitted users only; the caller records that request.
    """
    context = household_list_context(
        community=community,
        building=building,
        households=households,
        printed_at=printed_at,
        lang=lang,
        full_ids=full_ids,
    )
    return render_pdf(TEMPLATE, context, lang=lang)
