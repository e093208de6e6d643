"""The whole dataset as sheets: 住户, 成员, 门面, 单位 — Chinese headers, codes as words.

The layout is the importer's: the export of a community read back into an empty store
gives the same records (apart from ids and timestamps). Households carry their building's
grid and the survey metadata; members carry their household's key columns.

The export holds every record by default, each with its 审核状态 and 调查员 (the data set as
kept, e.g. to move it to another installation); ``approved=True`` leaves out what waits for
review (census.domain.gate), for a file that goes upward. The 审核状态 is written in words
(待审核 / 已退回 / 已审核, forms/choices.yaml) and the 调查员 by the account's display name;
the import reads both back (the codes and usernames too).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from census.domain.display import SELECT_TYPES, blank, value_text
from census.domain.gate import Gate
from census.queries import lookup, places
from census.queries.accounts import display_names
from census.services.review import submitter
from census.sheets.vocabulary import Target, Vocabulary, vocabulary
from census.sheets.writer import SheetData
from census.surveys.conform import masked
from census.surveys.definition import FormDef

HOUSEHOLDS, PERSONS, STOREFRONTS, UNITS = "住户", "成员", "门面", "单位"
KEY_COLUMNS = ("household_no", "building", "unit", "room")
META_COLUMNS = ("surveyor", "visited_at", "visit_outcome", "review_state")
# A storefront or unit is reviewed as a household is: who registered it and its state.
RECORD_META = ("surveyor", "review_state")


def household_columns(vocab: Vocabulary) -> list[str]:
    """The 住户 sheet: the household's own fields, the grid after the room, then metadata."""
    keys = [f.key for f in vocab.form.fields if f.type != "repeat"]
    keys.insert(keys.index("room") + 1, "grid")
    return keys + list(META_COLUMNS)


def member_columns(vocab: Vocabulary) -> list[str]:
    """The 成员 sheet: household key columns, then every member field."""
    return list(KEY_COLUMNS) + [k for k, t in vocab.targets.items() if t.member]


def record_columns(vocab: Vocabulary) -> list[str]:
    """A storefront or unit sheet: every field of the form, then who registered the record
    and its review state (when the importer reads them back, forms/import_aliases.yaml)."""
    keys = [f.key for f in vocab.form.fields if f.type != "repeat"]
    return keys + [k for k in RECORD_META if k in vocab.targets and k not in keys]


def shown(target: Target, value: Any) -> Any:
    """A stored value as staff write it: codes, yes/no answers and lists in the words of
    every output (``census.domain.display``, in Chinese); dates as dates and numbers as
    numbers, so that the spreadsheet gets cells of their type. ID numbers come masked or
    whole from ``dataset_sheets``, which knows whether full numbers were asked for."""
    if blank(value):
        return None
    if target.type == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    if target.choices or target.type in (*SELECT_TYPES, "yes_no") or isinstance(value, list):
        return value_text(target, value, "zh", masked=False)
    return value


def headers(vocab: Vocabulary, keys: list[str]) -> list[str]:
    """The Chinese titles of some columns."""
    return [vocab.targets[k].text("zh") for k in keys]


def dataset_sheets(
    store: Any, surveys: dict[str, FormDef], *, full_ids: bool = True, approved: bool = False
) -> dict[str, SheetData]:
    """Every household, member, storefront and unit, as the four export sheets.

    ``full_ids=False`` masks every ID-number field (the web export for whoever did not ask,
    as an admin, for full numbers); the command line and backups keep them whole.
    ``approved=True``: the approved records only.
    """
    gate = Gate(approved)
    hide = (lambda form, doc: doc) if full_ids else masked
    vocab = vocabulary(surveys["household"])
    grids = {name: grid or "" for name, grid in places.grid_of_building(store).items()}
    names = display_names(store)
    house_keys, person_keys = household_columns(vocab), member_columns(vocab)
    house_rows: list[list[Any]] = []
    person_rows: list[list[Any]] = []
    for household in gate.keep(lookup.households(store)):
        household = hide(surveys["household"], household)
        values = dict(household, grid=grids.get(household.get("building") or ""))
        if values.get("surveyor"):
            values["surveyor"] = names.get(values["surveyor"], values["surveyor"])
        house_rows.append([shown(vocab.targets[k], values.get(k)) for k in house_keys])
        key_cells = [shown(vocab.targets[k], household.get(k)) for k in KEY_COLUMNS]
        for member in surveys["household"].people(household):
            person_rows.append(
                key_cells
                + [
                    shown(vocab.targets[k], member.get(vocab.targets[k].field))
                    for k in person_keys[len(KEY_COLUMNS) :]
                ]
            )
    sheets: dict[str, SheetData] = {
        HOUSEHOLDS: (headers(vocab, house_keys), house_rows),
        PERSONS: (headers(vocab, person_keys), person_rows),
    }
    for name, title in (("storefront", STOREFRONTS), ("unit", UNITS)):
        sheets[title] = record_sheet(store, surveys[name], full_ids=full_ids, approved=approved)
    return sheets


def record_sheet(
    store: Any, form: FormDef, *, full_ids: bool = True, approved: bool = False
) -> SheetData:
    """The storefronts or units as one sheet (the approved ones only, if asked), each with
    its 调查员 (whoever registered it, by display name: storefronts and units keep no
    surveyor of their own unless an import gave one) and its 审核状态 in words."""
    vocab = vocabulary(form)
    keys = record_columns(vocab)
    names = display_names(store)
    rows: list[list[Any]] = []
    for doc in Gate(approved).keep(lookup.records_of(store, form.collection)):
        values = doc if full_ids else masked(form, doc)
        who = submitter(doc)
        values = dict(values, surveyor=names.get(who, who) or None)
        rows.append([shown(vocab.targets[k], values.get(k)) for k in keys])
    return headers(vocab, keys), rows


def persons_sheet(store: Any, surveys: dict[str, FormDef]) -> SheetData:
    """The 成员 sheet alone (the CSV export): one row per person with the household's keys."""
    return dataset_sheets(store, surveys)[PERSONS]
