"""A staff survey's records as a workbook: one sheet for the records, one per repeat.

Laid out as ODK Central's and Kobo's exports are, so that people who know those read it at
once and their tools join the sheets: the records sheet has ``_index`` (its row number) and
``_id`` (the record's id); each repeat, at any depth, has a sheet of its own whose rows
carry ``_index``, ``_parent_index`` (the ``_index`` of the row it belongs to),
``_parent_table_name`` (that row's sheet) and ``_submission__id`` (the record's id). A
repeat inside a repeat points at the row of the outer repeat's sheet.

Cells are written as the other exports write them: code words, 是/否, dates as dates,
numbers as numbers; a location as ODK keeps it ("lat lon alt accuracy") followed by its four
numbers; a photo as its file name, never the picture, and the zip download carries the
files under ``photos/`` beside the workbook. ID numbers come masked unless the caller, who
logs it, asks for whole ones (``full_ids``).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from census.domain.display import SELECT_TYPES, blank, value_text
from census.queries.accounts import display_names
from census.queries.lookup import records_of
from census.sheets.writer import SheetData, sheet_title, write_xlsx
from census.surveys.conform import id_numbers, masked
from census.surveys.definition import FieldDef, FormDef

INDEX, PARENT_INDEX, PARENT_TABLE, RECORD_ID, SUBMISSION_ID = (
    "_index", "_parent_index", "_parent_table_name", "_id", "_submission__id",
)  # fmt: skip
# The record's own columns after its answers, with Kobo's names.
META = (("_uuid", "uuid"), ("_submission_time", "created_at"), ("_submitted_by", "created_by"))
GEO_PARTS = ("latitude", "longitude", "altitude", "precision")
PHOTOS = "photos"  # the zip's folder of photo files
NO_ANSWER = ("note",)  # a note shows a text and stores nothing


@dataclass
class Level:
    """One sheet: the records (``repeat`` None) or one repeat, with the fields it holds."""

    title: str
    fields: list[FieldDef]
    repeat: FieldDef | None = None
    parent: Level | None = None
    headers: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)


def levels(form: FormDef) -> list[Level]:
    """The sheets of a survey, the records first, then each repeat where it is met."""
    taken: set[str] = set()
    top = Level(_unique(form.text("zh"), taken), _answered(form.fields))
    found = [top]

    def walk(fields: tuple[FieldDef, ...], parent: Level) -> None:
        for f in fields:
            if f.type == "repeat":
                level = Level(_unique(f.name or f.key, taken), _answered(f.fields), f, parent)
                found.append(level)
                walk(f.fields, level)

    walk(form.fields, top)
    for level in found:
        level.headers = _headers(level)
    return found


def _answered(fields: tuple[FieldDef, ...]) -> list[FieldDef]:
    return [f for f in fields if f.type != "repeat" and f.type not in NO_ANSWER]


def _unique(title: str, taken: set[str]) -> str:
    """A legal sheet title no other sheet has (Excel compares them ignoring case)."""
    base = sheet_title(title)
    candidate, n = base, 1
    while candidate.lower() in taken:
        n += 1
        suffix = f"_{n}"
        candidate = base[: 31 - len(suffix)] + suffix
    taken.add(candidate.lower())
    return candidate


def _headers(level: Level) -> list[str]:
    """The keys first (as Kobo), then each field's Chinese label, made unique by its name."""
    if level.repeat is None:
        heads = [INDEX, RECORD_ID]
    else:
        heads = [INDEX, PARENT_INDEX, PARENT_TABLE, SUBMISSION_ID]
    seen = set(heads)
    for f in level.fields:
        name = f.name or f.key
        label = f.text("zh").strip() or name
        head = label if label not in seen else f"{label}（{name}）"
        seen.add(head)
        heads.append(head)
        if f.type == "geopoint":
            heads += [f"_{name}_{part}" for part in GEO_PARTS]
    if level.repeat is None:
        heads += [title for title, _key in META]
    return heads


def cell(f: FieldDef, value: Any) -> list[Any]:
    """A stored answer as the cells of its column (a location: five cells)."""
    if f.type == "geopoint":
        parts = str(value or "").split()
        numbers = [_number(p) for p in parts[:4]] + [None] * (4 - len(parts[:4]))
        return [None if blank(value) else str(value), *numbers]
    if blank(value):
        return [None]
    if f.type == "image":
        return [str(value)]
    if f.type == "date" and isinstance(value, str):
        try:
            return [date.fromisoformat(value)]
        except ValueError:
            return [value]
    coded = f.choices or f.choice_items or f.type in (*SELECT_TYPES, "yes_no")
    if coded or isinstance(value, list | bool):
        return [value_text(f, value, "zh", masked=False)]
    return [value]


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _answers(fields: list[FieldDef], doc: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    for f in fields:
        out += cell(f, doc.get(f.key))
    return out


@dataclass
class Export:
    """A survey's records as sheets, with the photo files they name (folder, name)."""

    sheets: dict[str, SheetData]
    records: int
    photos: list[str]
    ids_shown: int = 0


def survey_sheets(store: Any, form: FormDef, *, full_ids: bool = False) -> Export:
    """Every record of a staff survey as the records sheet and one sheet per repeat.

    ``full_ids=False`` masks the ID-number fields (the web export unless a permitted user
    asked); ``ids_shown`` counts the whole numbers written, for the caller's audit entry.
    """
    found = levels(form)
    top, by_repeat = found[0], {id(level.repeat): level for level in found[1:]}
    names = display_names(store)
    photos: list[str] = []
    shown = 0
    for doc in records_of(store, form.collection):
        if full_ids:
            shown += len(id_numbers(form, doc))
        else:
            doc = masked(form, doc)
        photos += _photo_names(form.fields, doc)
        top.rows.append([len(top.rows) + 1, doc["id"], *_answers(top.fields, doc)])
        for _title, key in META:
            value = doc.get(key)
            if key == "created_by" and value:
                value = names.get(value, value)
            top.rows[-1].append(value)
        _repeat_rows(form.fields, doc, doc["id"], top, len(top.rows), by_repeat)
    sheets = {level.title: (level.headers, level.rows) for level in found}
    return Export(sheets, len(top.rows), photos, shown)


def _repeat_rows(
    fields: tuple[FieldDef, ...],
    doc: dict[str, Any],
    record_id: int,
    parent: Level,
    parent_index: int,
    by_repeat: dict[int, Level],
) -> None:
    """The rows each repeat of ``doc`` gives its sheet, and theirs below them."""
    for f in fields:
        if f.type != "repeat":
            continue
        level = by_repeat[id(f)]
        for item in doc.get(f.key) or []:
            if not isinstance(item, dict):
                continue
            index = len(level.rows) + 1
            row = [index, parent_index, parent.title, record_id, *_answers(level.fields, item)]
            level.rows.append(row)
            _repeat_rows(f.fields, item, record_id, level, index, by_repeat)


def _photo_names(fields: tuple[FieldDef, ...], doc: dict[str, Any]) -> list[str]:
    """The photo files a record names, in the order of its questions and rows."""
    found: list[str] = []
    for f in fields:
        value = doc.get(f.key)
        if f.type == "image" and isinstance(value, str) and value:
            found.append(value)
        elif f.type == "repeat" and isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    found += _photo_names(f.fields, item)
    return found


def workbook_bytes(export: Export) -> bytes:
    """The workbook of an export."""
    out = io.BytesIO()
    write_xlsx(out, export.sheets)
    return out.getvalue()


def zip_members(store: Any, form: FormDef, export: Export) -> Iterator[tuple[str, bytes]]:
    """The workbook, then each photo it names that the store has (``photos/<name>``)."""
    yield f"{form.name}.xlsx", workbook_bytes(export)
    for name in dict.fromkeys(export.photos):
        data = store.media.get(form.collection, name)
        if data is not None:
            yield f"{PHOTOS}/{name}", data


def zip_bytes(store: Any, form: FormDef, export: Export) -> tuple[bytes, int]:
    """The zip download (workbook and photos) and how many photos it holds.

    Photos are stored as they are (JPEG and PNG do not shrink); the workbook is deflated.
    """
    out = io.BytesIO()
    count = 0
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in zip_members(store, form, export):
            method = zipfile.ZIP_STORED if name.startswith(f"{PHOTOS}/") else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=method)
            count += name.startswith(f"{PHOTOS}/")
    return out.getvalue(), count
