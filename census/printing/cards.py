"""Household cards (户卡): one household a page, every field of it and of each member.

The fields and their labels come from the household survey definition (forms/household.yaml),
so a field added to the form appears on the card. Members stand side by side, a column each,
so a family of five fits one A4 page; a signature line closes the card.

Cards are laid out on the grid of ``census.printing.grid`` like the lists: a card is a few
blocks of lines (the household's facts, the members' tables, the signatures), each card
starts a sheet, a card too long for one sheet continues on the next with its table headings
repeated, and the pages of a building are numbered in Python. Laid out as HTML tables,
WeasyPrint took about a second a card; on the grid, a batch of cards renders like a list.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Any

from census.domain.display import pending_text, value_text, waiting
from census.printing.grid import (
    FOOT_MM,
    META_MM,
    RUNNING_MM,
    SLACK_MM,
    TITLE_MM,
    Column,
    Layout,
    block_lines,
    fit_columns,
    header_lines,
    wrap,
)
from census.printing.gridstyle import rules_image
from census.printing.household_list import address, ordered_members
from census.printing.words import css_string, page_counter_css, word
from census.surveys.definition import FieldDef, FormDef, load_surveys
from census.util.resources import FORMS_DIR

TEMPLATE = "print/grid.html"
HTML_TEMPLATE = "print/household_cards.html"  # the same cards as HTML tables (bench baseline)
MEMBERS_PER_TABLE = 5
# The card's heading line shows these (the number and the address), not its facts.
HIDDEN = {"household_no", "building", "unit", "room"}


@cache
def household_form() -> FormDef:
    """The household survey definition of the installed forms folder: for callers that
    have no loaded definitions; the app and the CLI pass theirs (their FORMS_DIR)."""
    return load_surveys(FORMS_DIR)["household"]


def field_text(f: FieldDef, value: Any, lang: str, full_ids: bool) -> str:
    """One answer as printed: as every output writes it, with phones masked too."""
    return value_text(f, value, lang, masked=not full_ids, mask_phones=not full_ids)


def answer_text(f: FieldDef, record: dict[str, Any], lang: str, full_ids: bool) -> str:
    """The answer to ``f`` on the household or a member: 待核实 where an import left it
    to verify (a card signed with a blank 与户主关系 reads as nobody's relation)."""
    if waiting(record, f.key):
        return pending_text(lang)
    return field_text(f, record.get(f.key), lang, full_ids)


def card(
    household: dict[str, Any], lang: str, full_ids: bool, form: FormDef | None = None
) -> dict[str, Any]:
    """One card: the household's facts and a table of its members (several when many)."""
    form = form or household_form()
    facts = [
        (f.text(lang), answer_text(f, household, lang, full_ids))
        for f in form.fields
        if f.key not in HIDDEN and f.type != "repeat"
    ]
    member_fields = list(form.roster.fields) if form.roster is not None else []
    members = ordered_members(form.people(household))
    tables = []
    for start in range(0, max(1, len(members)), MEMBERS_PER_TABLE):
        group = members[start : start + MEMBERS_PER_TABLE]
        tables.append(
            {
                "heads": [word("member_n", lang, n=start + i + 1) for i in range(len(group))],
                "rows": [
                    [f.text(lang)] + [answer_text(f, m, lang, full_ids) for m in group]
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
    form: FormDef | None = None,
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
        "cards": [card(h, lang, full_ids, form) for h in households],
        "words": {w: word(w, lang) for w in words},
        # fixed words only, written as CSS strings; no record text reaches the stylesheet
        "css_page_counter": page_counter_css(lang),
        "css_confidential": css_string(word("confidential", lang)),
    }


# Widths in grid cells (half an em) of the facts table and of the members' tables.
FACT_LABEL, FACT_VALUE = 16, 47
ITEM, MEMBER = 14, 22
# a block of plain lines: no title, headings or rules
_NO_BLOCK: dict[str, Any] = {
    "title": "", "header_lines": [], "rules": [], "rules_image": "", "grid_em": 0, "lines": []
}  # fmt: skip


@cache
def card_layouts(lang: str = "zh") -> tuple[Layout, Layout]:
    """The facts table (two label/value pairs a line) and a members' table, A4 portrait."""
    facts = fit_columns(
        [
            Column("k1", "", FACT_LABEL),
            Column("v1", "", FACT_VALUE),
            Column("k2", "", FACT_LABEL),
            Column("v2", "", FACT_VALUE),
        ],
        "portrait",
    )
    members = fit_columns(
        [Column("item", word("item", lang), ITEM)]
        + [Column(f"m{i}", "", MEMBER) for i in range(MEMBERS_PER_TABLE)],
        "portrait",
    )
    font = min(facts[1], members[1])
    return (
        Layout("portrait", font, facts[2], ()),
        Layout("portrait", font, members[2], ()),
    )


def _block(layout: Layout, title: str, heads: list[str], rows: list[dict[str, str]]) -> dict:
    """One table of a card: its title line, heading lines, body lines, rules and width."""
    columns = layout.columns
    if heads:  # the members' headings name the members shown
        titled = [columns[0]] + [
            Column(c.key, heads[i] if i < len(heads) else "", c.width)
            for i, c in enumerate(columns[1:])
        ]
        heading = list(header_lines(titled))
    else:
        heading = []
    lines = []
    for row in rows:
        lines.extend(block_lines(columns, [row]))
    return {
        "title": title,
        "header_lines": heading,
        "rules": layout.rules(),
        "rules_image": rules_image(layout.rules(), layout.grid_cells / 2, layout.font_pt),
        "grid_em": layout.grid_cells / 2,
        "lines": [[line.text, line.cls] for line in lines],
    }


def card_blocks(c: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """The blocks of one card, top to bottom."""
    facts_layout, members_layout = card_layouts(lang)
    pairs = [(word("household_no", lang), c["household_no"]), (word("address", lang), c["address"])]
    pairs += c["facts"]
    if len(pairs) % 2:
        pairs.append(("", ""))
    fact_rows = [
        {"k1": pairs[i][0], "v1": pairs[i][1], "k2": pairs[i + 1][0], "v2": pairs[i + 1][1]}
        for i in range(0, len(pairs), 2)
    ]
    blocks = [_block(facts_layout, f"{c['title']}  {c['as_of']}", [], fact_rows)]
    for n, table in enumerate(c["tables"]):
        rows = [
            {"item": row[0], **{f"m{i}": v for i, v in enumerate(row[1:])}} for row in table["rows"]
        ]
        title = word("members", lang) if n == 0 else ""
        blocks.append(_block(members_layout, title, table["heads"], rows))
    signature = "    ".join(
        word(key, lang) + "_" * 14 for key in ("sign_head", "sign_surveyor", "sign_date")
    )
    blocks.append({**_NO_BLOCK, "lines": [["", ""], [signature, "sign"]]})
    return blocks


def _block_height(block: dict[str, Any], body: int) -> int:
    """Lines a block takes with ``body`` of its lines: title, headings, body, a gap after."""
    return (1 if block["title"] else 0) + len(block["header_lines"]) + body + 1


def paginate_cards(
    cards: list[tuple[str, list[dict[str, Any]]]], first_room: int, room: int, continued: str = ""
) -> list[list[dict[str, Any]]]:
    """Sheets of blocks, ``room`` lines each (``first_room`` on the first, under the title).

    Every card starts a sheet. A block that does not fit goes on to the next sheet under the
    card's title marked as continued, its headings repeated; fewer than three of its lines
    are not left behind alone.
    """
    sheets: list[list[dict[str, Any]]] = []
    for title, blocks in cards:
        sheet: list[dict[str, Any]] = []
        free = first_room if not sheets else room
        fresh = True  # nothing of this card on this sheet yet but its title
        go_on = {**_NO_BLOCK, "title": title + continued}
        for block in blocks:
            lines = list(block["lines"])
            while True:
                fixed = _block_height(block, 0)
                fits = free - fixed
                if len(lines) <= fits:
                    sheet.append({**block, "lines": lines})
                    free -= fixed + len(lines)
                    fresh = False
                    break
                take = max(1, fits) if fresh else (fits if fits >= 3 else 0)
                if take:
                    sheet.append({**block, "lines": lines[:take]})
                    lines = lines[take:]
                sheets.append(sheet)
                sheet, free, fresh = [go_on], room - _block_height(go_on, 0), True
        sheets.append(sheet)
    return sheets or [[]]


def card_sheets_context(
    *,
    community: str,
    building: str,
    households: list[dict[str, Any]],
    as_of: date,
    printed_at: datetime | date,
    lang: str = "zh",
    full_ids: bool = False,
    form: FormDef | None = None,
    gate: str = "",
) -> dict[str, Any]:
    """One building's cards as a grid document (templates/print/grid.html), pages numbered.

    ``form`` is the household survey the cards follow (the one loaded from the app's forms
    folder); without it, the installed one. ``gate`` is the review gate's line (which
    households the cards hold, how many wait for review), under the first page's heading.
    """
    facts_layout, members_layout = card_layouts(lang)
    line_mm = facts_layout.line_mm
    sheet_mm = facts_layout.sheet_mm
    intro = wrap(gate, max(facts_layout.grid_cells, members_layout.grid_cells)) if gate else []
    first_room = int((sheet_mm - TITLE_MM - META_MM - FOOT_MM - SLACK_MM) // line_mm)
    first_room -= len(intro)
    room = int((sheet_mm - RUNNING_MM - FOOT_MM - SLACK_MM) // line_mm)
    as_of_text = word("as_of", lang) + as_of.isoformat()
    cards = []
    for household in households:
        c = card(household, lang, full_ids, form)
        c["title"] = f"{community} {word('household_cards', lang)} {c['household_no']}"
        c["as_of"] = as_of_text
        cards.append((c["title"], card_blocks(c, lang)))
    sheets = paginate_cards(cards, first_room, room, word("continued", lang))
    total = len(sheets)
    return {
        "orientation": "portrait",
        "font_pt": facts_layout.font_pt,
        "line_mm": line_mm,
        "sheet_mm": sheet_mm,
        "grid_em": max(facts_layout.grid_cells, members_layout.grid_cells) / 2,
        "rules": [],
        "rules_image": "",
        "header_lines": [],
        "heading": f"{community} {building} {word('household_cards', lang)}",
        "meta": [as_of_text, word("printed_on", lang) + printed_at.strftime("%Y-%m-%d")],
        "intro": intro,
        "empty": word("no_households", lang),
        "confidential": word("confidential", lang),
        "sheets": [
            {
                "number": n,
                "total": total,
                "first": n == 1,
                "lines": [],
                "blocks": blocks,
                "foot": word("page_of", lang, page=n, pages=total),
            }
            for n, blocks in enumerate(sheets, start=1)
        ],
    }
