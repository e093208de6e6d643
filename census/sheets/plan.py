"""Planning an import: rows -> records, validated by ``clean()``, matched against the store.

Nothing is written here. A plan says, for every household (or shop, or organisation) in
the file, whether it is new, changes a stored one (and how), changes nothing, or is
rejected, and lists every issue at its sheet row and column. ``apply.apply_plan`` then
writes what the user confirms.

Households: rows that share 户编号, or building + unit + room when there is none, form one
household. A re-import is matched to the store by 户编号, or else by its members' ID
numbers; members are matched by ID number, or else by name (and birth date). Values the
file leaves blank keep what is stored, and stored members missing from the file are
kept: an import never deletes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson

from census import records
from census.domain.codes import label
from census.domain.problems import Problem
from census.sheets.cells import read_cell
from census.sheets.issues import ERROR, INFO, WARNING, Issue
from census.sheets.layout import (
    DATA,
    DUPLICATE,
    HEADER_AGAIN,
    HEADER_SEARCH_ROWS,
    NOTE,
    UNKNOWN,
    Layout,
    cell_text,
    classify,
    detect,
)
from census.sheets.reader import Sheet
from census.sheets.vocabulary import MEMBERS, Target, Vocabulary, vocabulary
from census.surveys.definition import FormDef

NEW, UPDATE, UNCHANGED, REJECTED = "new", "update", "unchanged", "rejected"
META_TARGETS = ("surveyor", "visited_at", "visit_outcome", "review_state")
_MEMBER_PATH = re.compile(r"^members\[(\d+)\]\.(\w+)$")
# Shops and organisations are matched to stored ones on these fields, in this order.
# Sheets of our own exports and templates that are not a table of the form being imported.
QUIET_SHEETS = {"住户", "成员", "门面", "单位", "填表说明", "导入报告"}
MATCH_KEYS = {"storefront": (("uscc",), ("name", "address")), "unit": (("name", "address"),)}


@dataclass
class SourceRow:
    """One data row of a sheet, its cells read for their targets (blank cells left out)."""

    sheet: str
    row: int
    layout: Layout
    values: dict[str, Any]
    more: dict[str, list[str]] = field(default_factory=dict)  # phone numbers that did not fit
    issues: list[Issue] = field(default_factory=list)  # cells that could not be read

    def where(self, key: str, vocab: Vocabulary) -> dict[str, Any]:
        """The place of this row's cell for a target, as Issue keyword arguments."""
        column = self.layout.column(key)
        target = vocab.targets.get(key)
        header = column.header if column else (target.text() if target else key)
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": column.letter if column else None,
            "header": header,
        }


@dataclass
class Change:
    """One difference between the stored record and the file."""

    key: str  # target key, "members" for an added member
    old: Any
    new: Any
    subject: str = ""  # the member it is about


@dataclass
class Planned:
    """One record of the file and what importing it would do."""

    rows: list[SourceRow]
    action: str = NEW
    raw: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    record: dict[str, Any] | None = None
    problems: list[Problem] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    target: dict[str, Any] | None = None
    changes: list[Change] = field(default_factory=list)
    member_rows: list[SourceRow | None] = field(default_factory=list)
    origin: dict[str, SourceRow] = field(default_factory=dict)  # record key -> row it came from
    grid: tuple[str, SourceRow] | None = None

    @property
    def title(self) -> str:
        """How staff name it: 户编号 and address, or the shop's name."""
        record = self.record or self.raw
        if "members" in record or "household_no" in record:
            unit = record.get("unit") or ""
            address = f"{record.get('building') or ''}{unit + '单元' if unit else ''}"
            address += record.get("room") or ""
            return " ".join(p for p in (record.get("household_no") or "", address) if p)
        return str(record.get("name") or "")

    @property
    def first_row(self) -> int:
        """The first sheet row of the record."""
        return self.rows[0].row


@dataclass
class Plan:
    """Everything an import would do, before it does it."""

    form: FormDef
    filename: str
    layouts: list[Layout]
    records: list[Planned]
    issues: list[Issue]  # about the file, sheets, columns and skipped rows
    data_rows: int = 0
    skipped_rows: int = 0
    new_buildings: list[tuple[str, str]] = field(default_factory=list)

    def count(self, action: str) -> int:
        """How many records would be created, updated, left as they are, or rejected."""
        return sum(1 for p in self.records if p.action == action)

    @property
    def counts(self) -> dict[str, int]:
        """The four counts, and the rows."""
        return {
            NEW: self.count(NEW),
            UPDATE: self.count(UPDATE),
            UNCHANGED: self.count(UNCHANGED),
            REJECTED: self.count(REJECTED),
            "rows": self.data_rows,
            "rejected_rows": sum(len(p.rows) for p in self.records if p.action == REJECTED),
            "skipped_rows": self.skipped_rows,
        }

    @property
    def importable(self) -> bool:
        """True when the file has at least one table for the form."""
        return any(layout.header_row for layout in self.layouts)

    def all_issues(self) -> list[Issue]:
        """Every issue, sheet by sheet in file order, then by row and column."""
        order = {layout.sheet: n for n, layout in enumerate(self.layouts)}
        found = list(self.issues)
        for planned in self.records:
            found.extend(planned.issues)
        return sorted(found, key=lambda i: (order.get(i.sheet, -1), *i.sort_key()))

    def fingerprint(self) -> str:
        """A digest of what applying would write, to see that nothing moved in between."""
        digest = hashlib.sha256()
        for p in self.records:
            target = (p.target or {}).get("id"), (p.target or {}).get("_rev")
            digest.update(orjson.dumps([p.action, target, p.record, p.meta]))
        digest.update(orjson.dumps(self.new_buildings))
        return digest.hexdigest()[:24]


def plan_import(
    store: Any,
    form: FormDef,
    sheets: list[Sheet],
    *,
    overrides: dict[str, dict[str, str]] | None = None,
    filename: str = "",
    today: date | None = None,
) -> Plan:
    """Read, group, validate and match every row of the sheets for one form."""
    vocab = vocabulary(form)
    layouts: list[Layout] = []
    issues: list[Issue] = []
    rows: list[SourceRow] = []
    skipped = 0
    for sheet in sheets:
        layout = detect(sheet, vocab, (overrides or {}).get(sheet.name))
        layouts.append(layout)
        if layout.header_row is None:
            if sheet.name not in QUIET_SHEETS and any(
                any(cell_text(v) for v in row) for row in sheet.rows
            ):
                issues.append(
                    Issue(
                        "no_header",
                        INFO,
                        sheet=sheet.name,
                        params={"sheet": sheet.name, "rows": HEADER_SEARCH_ROWS},
                    )
                )
            continue
        issues += _column_issues(layout, vocab)
        found, notes = _read_rows(sheet, layout, vocab)
        rows += found
        issues += notes
        skipped += len(notes)
    if not any(layout.header_row for layout in layouts):
        anchor = vocab.targets[vocab.anchors[-1]].text()
        issues.append(Issue("no_table", ERROR, params={"form": form.text(), "anchor": anchor}))
    if form.name == "household":
        drafts = _households(rows, vocab)
    else:
        drafts = [Planned([row]) for row in rows]
    plan = Plan(form, filename, layouts, drafts, issues, len(rows), skipped)
    _build(store, plan, vocab, today)
    return plan


def _column_issues(layout: Layout, vocab: Vocabulary) -> list[Issue]:
    found = []
    for column in layout.columns:
        where = {
            "sheet": layout.sheet,
            "row": layout.header_row,
            "column": column.letter,
            "header": column.header,
        }
        if column.status == UNKNOWN:
            params = {"header": column.header or column.letter}
            found.append(Issue("unknown_column", WARNING, params=params, **where))
        elif column.status == DUPLICATE:
            title = vocab.targets[vocab.header(column.header) or ""].text()
            params = {"other": column.other, "field": title}
            found.append(Issue("duplicate_column", WARNING, params=params, **where))
    return found


def _read_rows(
    sheet: Sheet, layout: Layout, vocab: Vocabulary
) -> tuple[list[SourceRow], list[Issue]]:
    """The data rows below the header; notes above and below it become issues."""
    assert layout.header_row is not None
    notes: list[Issue] = []
    for n, row in enumerate(sheet.rows[: layout.header_row - 1], 1):
        text = " ".join(cell_text(v) for v in row if cell_text(v))
        if text:
            notes.append(_note(sheet.name, n, text))
    found: list[SourceRow] = []
    keys = layout.keys
    for n, row in enumerate(sheet.rows[layout.header_row :], layout.header_row + 1):
        kind = classify(row, layout, vocab)
        if kind == NOTE:
            notes.append(_note(sheet.name, n, " ".join(cell_text(v) for v in row if cell_text(v))))
        elif kind == HEADER_AGAIN:
            notes.append(Issue("repeated_header", INFO, sheet=sheet.name, row=n))
        if kind != DATA:
            continue
        source = SourceRow(sheet.name, n, layout, {})
        for index, key in keys.items():
            if index >= len(row) or row[index] is None:
                continue
            cell = read_cell(vocab.targets[key], row[index], vocab)
            if cell.problem:
                where = source.where(key, vocab)
                source.issues.append(Issue(cell.problem, ERROR, params=cell.params, **where))
                continue
            if cell.value is not None and cell.value != []:
                source.values[key] = cell.value
            if cell.more:
                source.more[key] = cell.more
        found.append(source)
    return found, notes


def _note(sheet: str, row: int, text: str) -> Issue:
    short = text if len(text) <= 60 else text[:57] + "…"
    return Issue("note_row", INFO, sheet=sheet, row=row, params={"text": short})


def _household_key(row: SourceRow) -> tuple[str, ...] | None:
    values = row.values
    if values.get("household_no"):
        return ("no", str(values["household_no"]))
    if values.get("building") and values.get("room"):
        return ("at", str(values["building"]), str(values.get("unit") or ""), str(values["room"]))
    return None


def _households(rows: list[SourceRow], vocab: Vocabulary) -> list[Planned]:
    """Rows grouped into households, in the order their first rows appear."""
    groups: dict[tuple[str, ...], Planned] = {}
    drafts: list[Planned] = []
    for row in rows:
        key = _household_key(row)
        if key is None:
            planned = Planned([row], REJECTED)
            where = row.where("household_no", vocab)
            planned.issues.append(Issue("no_household_key", ERROR, **where))
            drafts.append(planned)
        elif key in groups:
            groups[key].rows.append(row)
        else:
            groups[key] = Planned([row])
            drafts.append(groups[key])
    return drafts


# -- building the records -----------------------------------------------------------------


def _build(store: Any, plan: Plan, vocab: Vocabulary, today: date | None) -> None:
    form = plan.form
    claimed: dict[int, Planned] = {}
    seen_ids: dict[str, tuple[SourceRow, Planned]] = {}
    for planned in plan.records:
        for row in planned.rows:
            planned.issues += row.issues
        if planned.action == REJECTED:
            continue
        incoming, members = _gather(planned, vocab)
        if form.name == "household":
            _match_household(store, planned, incoming, members, vocab)
        else:
            _match_record(store, form, planned, incoming)
        if planned.target is not None:
            other = claimed.get(planned.target["id"])
            if other is not None:
                where = planned.rows[0].where(vocab.anchors[-1], vocab)
                params = {"other_row": other.first_row, "target": other.title}
                planned.issues.append(Issue("matched_twice", ERROR, params=params, **where))
            claimed[planned.target["id"]] = planned
        record_id = planned.target["id"] if planned.target else None
        planned.record, planned.problems = records.check(
            store, form, planned.raw, record_id=record_id, today=today
        )
        _place_problems(planned, vocab)
        if form.name == "household":
            _duplicates_in_file(planned, seen_ids, vocab)
        _decide(planned, vocab)
    if form.name == "household":
        _buildings(store, plan, vocab)
    for planned in plan.records:
        if planned.action == REJECTED:
            _mark_rejected_rows(planned, vocab)


def _gather(planned: Planned, vocab: Vocabulary) -> tuple[dict[str, Any], list[tuple]]:
    """Record-level values (first non-blank wins; a different one later is an error) and members."""
    incoming: dict[str, Any] = {}
    members: list[tuple[dict[str, Any], SourceRow]] = []
    notes: list[str] = []
    for row in planned.rows:
        member: dict[str, Any] = {}
        for key, value in row.values.items():
            if value is None:
                continue
            target = vocab.targets[key]
            if target.member:
                member[target.field] = value
                continue
            if key in incoming:
                if incoming[key] != value:
                    first = planned.origin[key]
                    params = {
                        "other_row": first.row,
                        "other": _shown(target, incoming[key]),
                        "value": _shown(target, value),
                    }
                    planned.issues.append(
                        Issue("household_conflict", ERROR, params=params, **row.where(key, vocab))
                    )
                continue
            incoming[key] = value
            planned.origin[key] = row
        for key, extra in row.more.items():
            target = vocab.targets[key]
            who = member.get("name", "") if target.member else target.text()
            notes.append(f"{who}其他电话：{'、'.join(extra)}")
            params = {"phones": "、".join(extra)}
            planned.issues.append(
                Issue("extra_phones", INFO, params=params, **row.where(key, vocab))
            )
        if member:
            members.append((member, row))
    if notes and "notes" in vocab.targets:
        text = incoming.get("notes") or ""
        for note in notes:
            if note not in text:
                text = f"{text}；{note}" if text else note
        incoming["notes"] = text
        planned.origin.setdefault("notes", planned.rows[0])
    for key in META_TARGETS:
        if key in incoming and vocab.targets[key].extra:
            planned.meta[key] = incoming.pop(key)
    if "grid" in incoming:
        planned.grid = (incoming.pop("grid"), planned.origin["grid"])
    return incoming, members


def _shown(target: Target, value: Any) -> str:
    if isinstance(value, list):
        return "、".join(label(target.choices or "", v) for v in value)
    if target.choices:
        return label(target.choices, value)
    return str(value)


def _form_values(form: FormDef, doc: dict[str, Any]) -> dict[str, Any]:
    """The answers of a stored record, without metadata (members likewise)."""
    values: dict[str, Any] = {}
    for f in form.fields:
        if f.type == "repeat":
            keys = [s.key for s in f.fields]
            values[f.key] = [{k: m.get(k) for k in keys if k in m} for m in doc.get(f.key) or []]
        elif f.key in doc:
            values[f.key] = doc[f.key]
    return values


def _match_household(
    store: Any,
    planned: Planned,
    incoming: dict[str, Any],
    members: list[tuple[dict[str, Any], SourceRow]],
    vocab: Vocabulary,
) -> None:
    households = store.collection("households")
    target = None
    number = incoming.get("household_no")
    if number:
        target = households.find_one(household_no=number)
    if target is None:
        holders: dict[int, dict[str, Any]] = {}
        for member, _row in members:
            if member.get("id_number"):
                for doc in households.find(**{"members.id_number": member["id_number"]}):
                    holders[doc["id"]] = doc
        if len(holders) == 1:
            target = next(iter(holders.values()))
        elif len(holders) > 1:
            names = "、".join(h.get("household_no") or str(h["id"]) for h in holders.values())
            where = planned.rows[0].where("members.id_number", vocab)
            planned.issues.append(
                Issue("ids_in_several", ERROR, params={"households": names}, **where)
            )
    planned.target = target
    stored = _form_values(vocab.form, target) if target else {}
    raw = {k: v for k, v in stored.items() if k != MEMBERS}
    raw.update(incoming)
    merged = [dict(m) for m in stored.get(MEMBERS, [])]
    rows: list[SourceRow | None] = [None] * len(merged)
    used: set[int] = set()
    for member, row in members:
        index = _find_member(merged, member, used) if target else None
        if index is None:
            merged.append(dict(member))
            rows.append(row)
        else:
            used.add(index)
            merged[index].update(member)
            rows[index] = row
    for index, member in enumerate(merged):
        if rows[index] is None:
            params = {"name": member.get("name") or index + 1}
            where = planned.rows[0].where("members.name", vocab)
            planned.issues.append(Issue("member_kept", INFO, params=params, **where))
    raw[MEMBERS] = merged
    planned.raw, planned.member_rows = raw, rows


def _find_member(
    stored: list[dict[str, Any]], member: dict[str, Any], used: set[int]
) -> int | None:
    """The stored member this row is about: same ID number, else same name (and birth date)."""
    free = [i for i in range(len(stored)) if i not in used]
    number = member.get("id_number")
    if number:
        same = [i for i in free if stored[i].get("id_number") == number]
        if same:
            return same[0]
        free = [i for i in free if not stored[i].get("id_number")]
    same = [i for i in free if stored[i].get("name") == member.get("name")]
    born = member.get("birth_date")
    if born and len(same) > 1:
        same = [i for i in same if stored[i].get("birth_date") in (None, born)]
    return same[0] if len(same) == 1 else None


def _match_record(store: Any, form: FormDef, planned: Planned, incoming: dict[str, Any]) -> None:
    collection = store.collection(form.collection)
    target = None
    for keys in MATCH_KEYS.get(form.name, ()):
        if all(incoming.get(k) for k in keys):
            target = collection.find_one(**{k: incoming[k] for k in keys})
            if target:
                break
    planned.target = target
    raw = _form_values(form, target) if target else {}
    raw.update(incoming)
    planned.raw = raw


def _place_problems(planned: Planned, vocab: Vocabulary) -> None:
    """Turn each validation problem into an issue at the row and column it came from."""
    first = planned.rows[0]
    member_first = next((r for r in planned.member_rows if r is not None), first)
    for problem in planned.problems:
        subject = ""
        match = _MEMBER_PATH.match(problem.path)
        if match:
            index, name = int(match.group(1)), match.group(2)
            key = f"{MEMBERS}.{name}"
            row = planned.member_rows[index] if index < len(planned.member_rows) else None
            if row is None:
                member = planned.raw[MEMBERS][index] if index < len(planned.raw[MEMBERS]) else {}
                subject = str(member.get("name") or index + 1)
                row = first
        elif problem.path.startswith(MEMBERS):
            key = f"{MEMBERS}.relation" if problem.code == "head_count" else f"{MEMBERS}.name"
            row = member_first
        else:
            key = problem.path
            row = planned.origin.get(key, first)
        planned.issues.append(Issue.of(problem, subject=subject, **row.where(key, vocab)))


def _duplicates_in_file(
    planned: Planned, seen: dict[str, tuple[SourceRow, Planned]], vocab: Vocabulary
) -> None:
    """An active person may be in one household of the file only."""
    assert planned.record is not None
    for member, row in zip(planned.record.get(MEMBERS) or [], planned.member_rows, strict=False):
        number = member.get("id_number")
        if row is None or not number or member.get("status", "active") != "active":
            continue
        if number in seen and seen[number][1] is not planned:
            other = seen[number][0]
            params = {"other_row": other.row, "other_sheet": other.sheet}
            where = row.where("members.id_number", vocab)
            planned.issues.append(Issue("id_duplicate_in_file", ERROR, params=params, **where))
        else:
            seen[number] = (row, planned)


def _decide(planned: Planned, vocab: Vocabulary) -> None:
    if any(issue.is_error for issue in planned.issues):
        planned.action = REJECTED
        return
    if planned.target is None:
        planned.action = NEW
        return
    planned.changes = _changes(vocab, planned.target, planned.record or {}, planned.meta)
    planned.action = UPDATE if planned.changes else UNCHANGED


def _changes(
    vocab: Vocabulary, stored: dict[str, Any], record: dict[str, Any], meta: dict[str, Any]
) -> list[Change]:
    """Field by field, member by member: what the file would change in the stored record."""
    changes: list[Change] = []
    for f in vocab.form.fields:
        if f.type == "repeat":
            old_members = stored.get(f.key) or []
            for n, member in enumerate(record.get(f.key) or []):
                subject = str(member.get("name") or n + 1)
                if n >= len(old_members):
                    changes.append(Change(f.key, None, member, subject))
                    continue
                for sub in f.fields:
                    old, new = old_members[n].get(sub.key), member.get(sub.key)
                    if _differs(old, new):
                        changes.append(Change(f"{f.key}.{sub.key}", old, new, subject))
        elif _differs(stored.get(f.key), record.get(f.key)):
            changes.append(Change(f.key, stored.get(f.key), record.get(f.key)))
    for key, value in meta.items():
        if _differs(stored.get(key), value):
            changes.append(Change(key, stored.get(key), value))
    return changes


def _differs(old: Any, new: Any) -> bool:
    empty = (None, "", [])
    if old in empty and new in empty:
        return False
    return bool(old != new)


def _buildings(store: Any, plan: Plan, vocab: Vocabulary) -> None:
    """Buildings the import would create, and grids that disagree with the stored ones."""
    stored = {b["name"]: b for b in store.collection("buildings").scan()}
    new: dict[str, str] = {}
    for planned in plan.records:
        if planned.action == REJECTED or not planned.record:
            continue
        name = planned.record.get("building")
        if not name:
            continue
        grid, row = planned.grid if planned.grid else ("", None)
        known = stored.get(name)
        if known is None and name not in new:
            new[name] = grid
            continue
        have = known.get("grid") if known else new[name]
        if grid and row is not None and have and have != grid:
            params = {"building": name, "stored": have, "value": grid}
            where = row.where("grid", vocab)
            planned.issues.append(Issue("grid_mismatch", WARNING, params=params, **where))
        elif grid and known is None and not new[name]:
            new[name] = grid
    plan.new_buildings = sorted(new.items())


def _mark_rejected_rows(planned: Planned, vocab: Vocabulary) -> None:
    """Rows of a rejected household that have no error of their own say why they were skipped."""
    bad = sorted({i.row for i in planned.issues if i.is_error and i.row is not None})
    if not bad:
        return
    for row in planned.rows:
        if row.row not in bad:
            params = {"rows": "、".join(str(r) for r in bad)}
            issue = Issue("household_rejected", INFO, sheet=row.sheet, row=row.row, params=params)
            planned.issues.append(issue)
