"""The household list (住户花名册) of one building: one line per person, households together.

Laid out on the grid of ``census.printing.grid``: the household's number, door, housing,
hardship and notes flow down the first columns of its member lines; a rule closes each
household; a household never breaks across pages when it fits on one.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

from census.domain.address import dwelling_text, natural_key
from census.domain.codes import label
from census.domain.display import pending_text, waiting
from census.printing.grid import (
    SIGNOFF_LINES,
    Column,
    Layout,
    block_lines,
    fit_columns,
    grid_document,
    header_lines,
    paginate,
    wrap,
)
from census.printing.masking import shown_id, shown_phone
from census.printing.pipeline import Part, part_pdf
from census.printing.words import LIST_SEPARATOR, word
from census.util.i18n import NC_, gettext

TEMPLATE = "print/grid.html"

# key, word, width in cells (half an em), span (a household value)
_COLUMNS = (
    ("household_no", "col_household_no", 8, True),
    ("door", "col_door", 12, True),  # 12单元1201室
    ("housing", "col_housing", 6, True),
    ("hardship", "col_hardship", 8, True),
    ("no", "col_no", 4, False),
    ("name", "col_name", 18, False),  # transliterated names (阿依古丽·买买提) are long
    ("relation", "col_relation", 12, False),
    ("sex", "col_sex", 4, False),
    ("ethnicity", "col_ethnicity", 10, False),
    ("id_number", "col_id_number", 18, False),
    ("birth_date", "col_birth_date", 10, False),
    ("residence_type", "col_residence_type", 8, False),
    ("phone", "col_phone", 11, False),
    ("political", "col_political", 12, False),
    ("conditions", "col_conditions", 16, False),
    ("notes", "col_notes", 18, True),  # widened to the rest of the page
)


def address(unit: Any, room: Any) -> str:
    """The dwelling as printed, as on every page: 3单元101室."""
    return dwelling_text(unit, room)


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


def _mark_pending(values: dict[str, str], record: dict[str, Any], lang: str) -> dict[str, str]:
    """Cells of what an import left to verify say 待核实, not blank: a blank 与户主关系
    or 住房 on a signed list reads as "none" or as forgotten."""
    for key in values:
        if waiting(record, key):
            values[key] = pending_text(lang)
    return values


def member_values(no: int, person: dict[str, Any], lang: str, full_ids: bool) -> dict[str, str]:
    """The printed values of one person, labelled and masked."""
    sep = LIST_SEPARATOR.get(lang, "、")
    conditions = _labels("conditions", person.get("conditions"), lang)
    if not _is_active(person):
        conditions.append(label("person_status", person.get("status"), lang))
    values = {
        "no": str(no),
        "name": _text(person.get("name")),
        "relation": label("relation", person.get("relation"), lang),
        "sex": label("sex", person.get("sex"), lang),
        "ethnicity": label("ethnicity", person.get("ethnicity"), lang),
        "id_number": shown_id(_text(person.get("id_number")), full_ids),
        "birth_date": _text(person.get("birth_date")),
        "residence_type": label("residence_type", person.get("residence_type"), lang),
        "phone": shown_phone(_text(person.get("phone")), full_ids),
        "political": label("political", person.get("political"), lang),
        "conditions": sep.join(conditions),
    }
    return _mark_pending(values, person, lang)


def household_values(household: dict[str, Any], lang: str, full_ids: bool) -> dict[str, str]:
    """The printed values of a household: number, door, housing, hardship, landlord, notes."""
    sep = LIST_SEPARATOR.get(lang, "、")
    housing = household.get("housing")
    notes = []
    if housing == "rented" and household.get("landlord_name"):
        landlord = _text(household.get("landlord_name"))
        phone = shown_phone(_text(household.get("landlord_phone")), full_ids)
        who = word("landlord", lang) + word("colon", lang) + landlord
        notes.append(f"{who} {phone}" if phone else who)
    if household.get("notes"):
        notes.append(_text(household.get("notes")))
    values = {
        "household_no": _text(household.get("household_no")),
        "door": address(household.get("unit"), household.get("room")),
        "housing": label("housing", housing, lang),
        "hardship": sep.join(_labels("hardship", household.get("hardship"), lang)),
        "notes": gettext(NC_("punctuation", "；"), lang).join(notes),
    }
    return _mark_pending(values, household, lang)


# English words are longer than Chinese ones (and wrap at spaces)
_WIDER_EN = {"residence_type": 11, "political": 13, "hardship": 10}


def household_layout(lang: str = "zh") -> Layout:
    """The columns and page geometry of the household list (A4 landscape)."""
    wider = _WIDER_EN if lang != "zh" else {}
    columns = [
        Column(key, word(w, lang), max(width, wider.get(key, 0)), span=span)
        for key, w, width, span in _COLUMNS
    ]
    orientation, font, fitted = fit_columns(columns, "landscape")
    return Layout(orientation, font, fitted, header_lines(fitted))


def household_list_context(
    *,
    community: str,
    building: str,
    households: list[dict[str, Any]],
    printed_at: datetime | date,
    lang: str = "zh",
    full_ids: bool = False,
    as_of: date | None = None,
    gate: str = "",
    signoff: str = "",
) -> dict[str, Any]:
    """Everything the list template shows, already labelled, masked and cut into pages.

    ``gate`` is the review gate's line (which records the list holds, how many wait for
    review), the first line under the heading; ``signoff`` (制表人、审核人、日期) the line
    under the building's last household.
    """
    layout = household_layout(lang)
    intro = wrap(gate, layout.grid_cells) if gate else []
    layout = replace(layout, intro_lines=len(intro))
    ordered = sorted(
        households, key=lambda h: (natural_key(h.get("unit")), natural_key(h.get("room")))
    )
    blocks, persons = [], 0
    for household in ordered:
        members = ordered_members(list(household.get("members") or []))
        persons += sum(1 for m in members if _is_active(m))
        rows = [member_values(i, p, lang, full_ids) for i, p in enumerate(members, start=1)]
        if not rows:
            rows = [{"name": word("no_members", lang)}]
        classes = ["" if _is_active(p) else "off" for p in members]
        blocks.append(
            block_lines(layout.columns, rows, household_values(household, lang, full_ids), classes)
        )
    meta = []
    if as_of:
        meta.append(word("as_of", lang) + as_of.isoformat())
    meta.append(word("printed_on", lang) + printed_at.strftime("%Y-%m-%d"))
    meta.append(word("totals", lang, households=len(ordered), persons=persons))
    return grid_document(
        layout,
        paginate(layout, blocks, reserve=SIGNOFF_LINES if signoff else 0),
        heading=f"{community} {building} {word('household_list', lang)}",
        meta=meta,
        intro=intro,
        lang=lang,
        empty=word("no_households", lang),
        signoff=signoff,
    )


def household_list_pdf(
    *,
    community: str,
    building: str,
    households: list[dict[str, Any]],
    printed_at: datetime | date,
    lang: str = "zh",
    full_ids: bool = False,
    as_of: date | None = None,
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
        as_of=as_of,
    )
    return part_pdf(Part(TEMPLATE, context, lang))
