"""A record laid out by its survey definition, for the pages that show records.

The household page, the household list, the storefront and unit lists and the life-event
forms read their fields from the form (forms/*.yaml): its fields in form order, their
labels in the page's language, each value through the one display function (code words,
是/否, masked ID numbers). A field added to the form therefore shows on every page without
a template naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from census.domain.address import address_text
from census.domain.display import (
    blank,
    head_name_text,
    pending_text,
    relation_pending,
    value_text,
    waiting,
)
from census.surveys.definition import FieldDef, FormDef, ListColumn, follow_ups

# The fields a household page shows in its heading (number and address), not among the facts.
HEADING_KEYS = frozenset({"household_no", "building", "unit", "room"})


def shown(f: FieldDef | None, value: Any, lang: str, *, full_ids: bool = False) -> str:
    """A value as the pages show it ("—" for nothing answered); ID numbers masked unless
    ``full_ids`` (logged by the caller). The pages, the list, the history and the conflict
    page all come here, and the words are those of every output (``census.domain.display``)."""
    return value_text(f, value, lang, masked=not full_ids, empty="—")


@dataclass(frozen=True)
class Cell:
    """One value on a page: its text, and its field's type (id numbers set in monospace)."""

    text: str
    type: str = "text"


@dataclass(frozen=True)
class Fact:
    """A labelled answer of a record's own fields (the household page's facts)."""

    key: str
    label: str
    value: Cell


def facts(
    form: FormDef, record: dict[str, Any], lang: str, *, full_ids: bool = False
) -> list[Fact]:
    """The record's own answers in form order: not the roster, not the heading's fields,
    not a question that was not asked (no landlord for an owned home)."""
    return [
        Fact(
            f.key, f.text(lang), Cell(shown(f, record.get(f.key), lang, full_ids=full_ids), f.type)
        )
        for f in form.fields
        if f.type != "repeat" and f.key not in HEADING_KEYS and f.asked(record)
    ]


@dataclass(frozen=True)
class Table:
    """The roster as a table: a row per person, a column per leading field."""

    label: str
    heads: list[str]
    rows: list[list[Cell]]


def _cell(lead: FieldDef, more: list[FieldDef], row: dict[str, Any], lang: str, full: bool) -> Cell:
    """A leading field's answer followed by those of its asked follow-ups: 已迁出 2025-03-01."""
    parts = [shown(lead, row.get(lead.key), lang, full_ids=full)]
    parts += [
        shown(f, row.get(f.key), lang, full_ids=full)
        for f in more
        if f.asked(row) and not blank(row.get(f.key))
    ]
    return Cell(" ".join(parts), lead.type)


def roster_table(
    form: FormDef, record: dict[str, Any], lang: str, *, full_ids: bool = False
) -> Table | None:
    """Every roster field in form order, a follow-up in its leading field's cell; a column
    nobody of this record answered is left out, so the table stays as wide as its data."""
    roster = form.roster
    if roster is None:
        return None
    people = form.people(record)
    groups = follow_ups(roster.fields)
    leads = [f for f in roster.fields if f.key in groups]
    kept = [
        f
        for f in leads
        if any(not blank(p.get(g.key)) for p in people for g in [f, *groups[f.key]])
    ]
    return Table(
        roster.text(lang),
        [f.text(lang) for f in kept],
        [[_cell(f, groups[f.key], p, lang, full_ids) for f in kept] for p in people],
    )


def list_cell(form: FormDef, column: ListColumn, record: dict[str, Any], lang: str) -> Cell:
    """One cell of a list page (``list:`` of the form); ID numbers always masked there."""
    if column.kind == "address":
        return Cell(address_text(record))
    if column.kind == "count":
        return Cell(str(len(form.people(record))), "integer")
    source = form.head(record) if column.kind == "head" else record
    field = column.field
    kind = field.type if field is not None else "text"
    if field is not None and waiting(source, field.key):
        return Cell(pending_text(lang), kind)
    value = source.get(field.key) if field is not None else None
    if column.kind == "head" and field is not None and field.key == "name":
        # while the relations wait, the first member stands for the head, marked as such
        return Cell(head_name_text(value, relation_pending(source), lang) or "—", kind)
    return Cell(shown(field, value, lang), kind)
