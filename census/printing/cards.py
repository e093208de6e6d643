"""Household cards (户卡): one household a page, every field of it and of each member.

The fields and their labels come from the household survey definition (forms/household.yaml),
so a field added to the form appears on the card. Members stand side by side, a column each,
so a family of five fits one A4 page; a signature line closes the card.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Any

from census.domain.codes import FORMS_DIR, label
from census.printing.household_list import address, ordered_members
from census.printing.masking import shown_id, shown_phone
from census.printing.words import LIST_SEPARATOR, css_string, page_counter_css, word
from census.surveys.definition import FieldDef, FormDef, load_surveys

TEMPLATE = "print/household_cards.html"
MEMBERS_PER_TABLE = 5
HIDDEN = {"members", "household_no", "building", "unit", "room"}


@cache
def household_form() -> FormDef:
    """The household survey definition (forms/household.yaml)."""
    return load_surveys(FORMS_DIR)["household"]


def field_text(f: FieldDef, value: Any, lang: str, full_ids: bool) -> str:
    """One answer as printed: code words, 是/否, masked ID numbers and phones."""
    if value is None or value == "" or value == []:
        return ""
    if f.type == "id_number":
        return shown_id(str(value), full_ids)
    if f.type == "phone":
        return shown_phone(str(value), full_ids)
    if f.type == "yes_no" or isinstance(value, bool):
        return word("yes" if value else "no", lang)
    if isinstance(value, list):
        sep = LIST_SEPARATOR.get(lang, "、")
        return sep.join(label(f.choices, str(v), lang) if f.choices else str(v) for v in value)
    if f.choices:
        return label(f.choices, str(value), lang)
    return str(value)


def card(
    household: dict[str, Any], lang: str, full_ids: bool, form: FormDef | None = None
) -> dict[str, Any]:
    """One card: the household's facts and a table of its members (several when many)."""
    form = form or household_form()
    facts = [
        (f.text(lang), field_text(f, household.get(f.key), lang, full_ids))
        for f in form.fields
        if f.key not in HIDDEN and f.type != "repeat"
    ]
    member_fields = [f for f in form.field("members").fields]
    members = ordered_members(list(household.get("members") or []))
    tables = []
    for start in range(0, max(1, len(members)), MEMBERS_PER_TABLE):
        group = members[start : start + MEMBERS_PER_TABLE]
        tables.append(
            {
                "heads": [word("member_n", lang, n=start + i + 1) for i in range(len(group))],
                "rows": [
                    [f.text(lang)] + [field_text(f, m.get(f.key), lang, full_ids) for m in group]
                    for f in member_fields
                ],
            }
        )
    return {
        "household_no": str(household.get("household_no") or ""),
        "address": " ".join(
            x
            for x in (
                str(household.get("building") or ""),
                address(household.get("unit"), household.get("room")),
            )
            if x
        ),
        "grid": str(household.get("grid") or ""),
        "facts": facts,
        "tables": tables,
    }


def cards_context(
    *,
    community: str,
    building: str,
    households: list[dict[str, Any]],
    as_of: date,
    printed_at: datetime | date,
    lang: str = "zh",
    full_ids: bool = False,
) -> dict[str, Any]:
    """Everything the cards template shows for one building (pages numbered per building)."""
    words = (
        "household_cards household_no address grid colon members item household "
        "sign_head sign_surveyor sign_date confidential no_households"
    ).split()
    return {
        "community": community,
        "building": building,
        "as_of": word("as_of", lang) + as_of.isoformat(),
        "printed_on": word("printed_on", lang) + printed_at.strftime("%Y-%m-%d"),
        "cards": [card(h, lang, full_ids) for h in households],
        "words": {w: word(w, lang) for w in words},
        # fixed words only, written as CSS strings; no record text reaches the stylesheet
        "css_page_counter": page_counter_css(lang),
        "css_confidential": css_string(word("confidential", lang)),
    }
