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

A required field the file has no column for at all (住房性质 in a grid system's person
sheet) does not refuse every record: the record is imported to be verified (待核实:
``pending_fields`` names what is missing, and a new record waits for review), and the
report says so once. A blank cell in a column the file has is still an error.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from census.domain.display import value_text
from census.domain.problems import Problem
from census.queries import places
from census.queries.accounts import usernames_by_name
from census.services import records
from census.sheets.advice import advise, entries, words
from census.sheets.flags import STATUS_FLAGS, person_columns
from census.sheets.issues import ERROR, INFO, WARNING, Issue
from census.sheets.layout import HEADER_SEARCH_ROWS, Layout, cell_text, detect
from census.sheets.match import changes, match_household, match_record
from census.sheets.model import (
    NEW,
    REJECTED,
    UNCHANGED,
    UPDATE,
    Change,
    Plan,
    Planned,
    SourceRow,
)
from census.sheets.reader import Progress, Sheet
from census.sheets.rows import column_issues, read_rows
from census.sheets.vocabulary import MEMBERS, Target, Vocabulary, fold, vocabulary
from census.surveys.definition import FormDef
from census.util.gcpause import paused_gc

__all__ = ["NEW", "REJECTED", "UNCHANGED", "UPDATE", "Change", "Plan", "Planned", "plan_import"]

META_TARGETS = ("surveyor", "visited_at", "visit_outcome", "review_state")
PENDING = "pending_fields"  # bookkeeping: the required fields an import found no column for
# Never waived: without them a household cannot be found or placed.
KEY_FIELDS = ("household_no", "building", "unit", "room")
_MEMBER_PATH = re.compile(r"^members\[(\d+)\]\.(\w+)$")
# Sheets of our own exports and templates that are not a table of the form being imported.
QUIET_SHEETS = {"住户", "成员", "门面", "单位", "填表说明", "选项", "导入报告"}


def plan_import(
    store: Any,
    form: FormDef,
    sheets: list[Sheet],
    *,
    overrides: dict[str, dict[str, str]] | None = None,
    filename: str = "",
    today: date | None = None,
    progress: Progress | None = None,
) -> Plan:
    """Read, group, validate and match every row of the sheets for one form.

    ``progress("check", done, total)`` is told how far matching (the first half) and
    deciding (the second) have got; validating the batch comes between them.
    """
    with paused_gc():
        return _plan(store, form, sheets, overrides or {}, filename, today, progress)


def _plan(
    store: Any,
    form: FormDef,
    sheets: list[Sheet],
    overrides: dict[str, dict[str, str]],
    filename: str,
    today: date | None,
    progress: Progress | None = None,
) -> Plan:
    vocab = vocabulary(form)
    layouts: list[Layout] = []
    issues: list[Issue] = []
    rows: list[SourceRow] = []
    skipped = 0
    for sheet in sheets:
        layout = detect(sheet, vocab, overrides.get(sheet.name))
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
        issues += column_issues(layout, vocab)
        found, notes = read_rows(sheet, layout, vocab)
        rows += found
        issues += notes
        skipped += len(notes)
    if not any(layout.header_row for layout in layouts):
        anchor = vocab.targets[vocab.anchors[-1]].text()
        issues.append(Issue("no_table", ERROR, params={"form": form.text(), "anchor": anchor}))
    if vocab.per_person:
        drafts = _households(rows, vocab)
    else:
        drafts = [Planned([row]) for row in rows]
    plan = Plan(form, filename, layouts, drafts, issues, len(rows), skipped)
    _build(store, plan, vocab, today, progress or _quiet)
    return plan


def _quiet(_step: str, _done: int, _total: int) -> None:
    return None


def _household_key(row: SourceRow) -> tuple[str, ...] | None:
    values = row.values
    if values.get("household_no"):
        return ("no", str(values["household_no"]))
    return _address_key(row)


def _households(rows: list[SourceRow], vocab: Vocabulary) -> list[Planned]:
    """Rows grouped into households, in the order their first rows appear.

    Rows without 户编号 at the address of exactly one numbered household of the file join
    it (registers often write the number on the head's row only); at an address that no
    numbered household has, or that several have, they form a household of their own.
    """
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
    numbered: dict[tuple[str, ...], list[Planned]] = {}
    for key, planned in groups.items():
        if key[0] == "no":
            for address in {_address_key(row) for row in planned.rows} - {None}:
                numbered.setdefault(address, []).append(planned)
    position = {id(row): n for n, row in enumerate(rows)}
    for key, planned in groups.items():
        owners = numbered.get(("at", *key[1:])) if key[0] == "at" else None
        if owners and len(owners) == 1:
            owners[0].rows = sorted(owners[0].rows + planned.rows, key=lambda r: position[id(r)])
            drafts.remove(planned)
    return drafts


def _address_key(row: SourceRow) -> tuple[str, ...] | None:
    values = row.values
    if values.get("building") and values.get("room"):
        return ("at", str(values["building"]), str(values.get("unit") or ""), str(values["room"]))
    return None


# -- building the records -----------------------------------------------------------------


def _build(
    store: Any, plan: Plan, vocab: Vocabulary, today: date | None, progress: Progress
) -> None:
    form = plan.form
    claimed: dict[int, Planned] = {}
    # The export names the surveyor by display name: read back as the account's username.
    usernames = usernames_by_name(store) if "surveyor" in vocab.targets else {}
    total = 2 * len(plan.records) or 1
    progress("check", 0, total)
    for n, planned in enumerate(plan.records):
        if n % 200 == 0:
            progress("check", n, total)
        for row in planned.rows:
            planned.issues += row.issues
        if planned.action == REJECTED:
            continue
        incoming, members = _gather(planned, vocab)
        surveyor = planned.meta.get("surveyor")
        if isinstance(surveyor, str) and surveyor in usernames:
            planned.meta["surveyor"] = usernames[surveyor]
        _meta_words(planned, vocab)
        if vocab.per_person:
            match_household(store, planned, incoming, members, vocab)
        else:
            match_record(store, form, planned, incoming)
        if planned.target is not None:
            other = claimed.get(planned.target["id"])
            if other is not None:
                where = planned.rows[0].where(vocab.anchors[-1], vocab)
                params = {"other_row": other.first_row, "target": other.title}
                planned.issues.append(Issue("matched_twice", ERROR, params=params, **where))
            claimed[planned.target["id"]] = planned
    todo = [p for p in plan.records if p.action != REJECTED]
    checked = records.check_many(
        store,
        form,
        [p.raw for p in todo],
        record_ids=[p.target["id"] if p.target else None for p in todo],
        today=today,
    )
    seen_ids: dict[str, tuple[SourceRow, Planned]] = {}
    offset = total - len(todo)
    absent = absent_fields(plan, vocab)
    pending: list[tuple[Planned, dict[str, int]]] = []
    for n, (planned, (record, problems)) in enumerate(zip(todo, checked, strict=True)):
        if n % 200 == 0:
            progress("check", offset + n, total)
        if absent:
            problems = _waive(planned, problems, absent, pending)
        planned.record, planned.problems = record, problems
        _place_problems(planned, vocab)
        if vocab.per_person:  # the same person twice in the file
            _duplicates_in_file(planned, seen_ids, vocab)
        _decide(planned, vocab)
    if form.in_address_tree:
        _buildings(store, plan, vocab)
    for planned in plan.records:
        if planned.action == REJECTED:
            _mark_rejected_rows(planned, vocab)
    sheet = next((layout.sheet for layout in plan.layouts if layout.header_row), "")
    for key, (count, people) in _pending_counts(pending).items():
        target = vocab.targets[key]
        params = {"field": target.text("zh"), "field_en": target.text("en"), "count": count}
        code = "missing_column"
        if target.member:  # 与户主关系: said in people, once
            code, params["people"] = "missing_member_column", people
        plan.issues.append(Issue(code, WARNING, sheet=sheet, params=params))
    progress("check", total, total)


def absent_fields(plan: Plan, vocab: Vocabulary) -> list[str]:
    """The required household fields that no sheet of the file has a column for, key fields
    apart, and the members' (``members.relation``: a grid system's person sheet without
    与户主关系), the name apart. Door-visit records only (``FormDef.door_visits``, households):
    a surveyor visits them to complete what is missing (a shop or organisation sheet
    without a required column is refused, and its column mapped)."""
    present = {key for layout in plan.layouts if layout.header_row for key in layout.keys.values()}
    if not present or not plan.form.door_visits:
        return []
    found: list[str] = []
    for f in plan.form.fields:
        inner = f.fields if f.type == "repeat" and f.key == MEMBERS else ()
        for sub in inner:
            key = f"{MEMBERS}.{sub.key}"
            if sub.required and sub.relevant is None and sub.key != "name" and key not in present:
                found.append(key)
        if (
            f.required
            and f.type != "repeat"
            and f.relevant is None
            and f.key not in KEY_FIELDS
            and f.key not in present
        ):
            found.append(f.key)
    return sorted(found, key=lambda key: key.startswith(f"{MEMBERS}."))


def _pending_counts(pending: list[tuple[Planned, dict[str, int]]]) -> dict[str, list[int]]:
    """Per field the file lacks: the households imported without it and their people (a
    household rejected for another reason is not imported, and not counted)."""
    counts: dict[str, list[int]] = {}
    for planned, lacking in pending:
        if planned.action == REJECTED:
            continue
        for key, people in lacking.items():
            found = counts.setdefault(key, [0, 0])
            found[0] += 1
            found[1] += people
    return counts


def _waive(
    planned: Planned,
    problems: list[Problem],
    absent: list[str],
    pending: list[tuple[Planned, dict[str, int]]],
) -> list[Problem]:
    """Drop "required" for the fields the file has no column for; the record is then
    imported to be verified (待核实), a new one waiting for review. ``pending`` gets, per
    record, each field it lacks and how many of its people lack it."""
    kept = records.waive(problems, absent)
    gone = [p for p in problems if p.code == "required" and p not in kept]
    missing: dict[str, int] = {}
    for key in absent:
        field = key.partition(".")[2] if key.startswith(f"{MEMBERS}.") else None
        hits = [
            p for p in gone if (p.path == key if field is None else p.path.endswith(f"].{field}"))
        ]
        if hits:
            missing[key] = len(hits)
    if not missing:
        return problems
    pending.append((planned, missing))
    planned.meta[PENDING] = list(missing)
    if planned.target is None:
        planned.meta.setdefault("review_state", records.SUBMITTED)
    return kept


def _gather(planned: Planned, vocab: Vocabulary) -> tuple[dict[str, Any], list[tuple]]:
    """Record-level values (first non-blank wins; a different one later is an error) and members."""
    incoming: dict[str, Any] = {}
    members: list[tuple[dict[str, Any], SourceRow]] = []
    notes: list[str] = []
    for row in planned.rows:
        member: dict[str, Any] = {}
        for key, value in row.values.items():
            field = vocab.member_fields.get(key)
            if field is not None:
                member[field] = value
                continue
            target = vocab.targets[key]
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
            notes += person_columns(member, row, vocab, planned.issues)
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
        grid = incoming.pop("grid")
        if no_grid(grid, vocab):  # 无网格: in no grid, not a grid of that name
            planned.no_grid, grid = cell_text(grid), ""
        planned.grid = (grid, planned.origin["grid"])
    return incoming, members


def _meta_words(planned: Planned, vocab: Vocabulary) -> None:
    """A 审核状态 or 登记情况 that is none of its list's words is refused at its cell, never
    stored as a state nobody knows."""
    for key, value in planned.meta.items():
        target = vocab.targets.get(key)
        if target is None or not target.choices or value is None:
            continue
        codes = list(entries(target))
        if value not in codes:
            params = {"value": value, "field": target.text("zh"), "field_en": target.text("en")}
            params |= {
                "allowed": words(target, codes, "zh"),
                "allowed_en": words(target, codes, "en"),
            }
            where = planned.rows[0].where(key, vocab)
            planned.issues.append(Issue("choice_not_allowed", ERROR, params=params, **where))


def _shown(target: Target, value: Any) -> str:
    """A value of the file as an issue quotes it: in the words of every output (the file's
    own numbers, which its reader may see whole)."""
    return value_text(target, value, "zh", masked=False)


def _place_problems(planned: Planned, vocab: Vocabulary) -> None:
    """Turn each validation problem into an issue at the row and column it came from."""
    first = planned.rows[0]
    member_first = next((r for r in planned.member_rows if r is not None), first)
    for problem in planned.problems:
        subject = ""
        match = _MEMBER_PATH.match(problem.path)
        value: Any = None
        if match:
            index, name = int(match.group(1)), match.group(2)
            key = f"{MEMBERS}.{name}"
            row = planned.member_rows[index] if index < len(planned.member_rows) else None
            stored = (planned.record or {}).get(MEMBERS) or []
            member = stored[index] if index < len(stored) else {}
            value = member.get(name)
            if row is None:
                member = planned.raw[MEMBERS][index] if index < len(planned.raw[MEMBERS]) else {}
                subject = str(member.get("name") or index + 1)
                row = first
            elif name == "status_date" and row.layout.column(key) is None:
                key = _status_date_column(row, member.get("status"), key)
        elif problem.path.startswith(MEMBERS):
            key = f"{MEMBERS}.relation" if problem.code == "head_count" else f"{MEMBERS}.name"
            row = member_first
        else:
            key = problem.path
            row = planned.origin.get(key, first)
            value = (planned.record or {}).get(key)
        target = vocab.targets.get(f"{MEMBERS}.{match.group(2)}" if match else key)
        problem = advise(problem, target, value, vocab)
        planned.issues.append(Issue.of(problem, subject=subject, **row.where(key, vocab)))


def _status_date_column(row: SourceRow, status: Any, key: str) -> str:
    """Where a person's leaving date came from: the flag's own date column (死亡日期)."""
    for date_key, flagged in STATUS_FLAGS.values():
        if flagged == status and row.layout.column(f"{MEMBERS}.{date_key}") is not None:
            return f"{MEMBERS}.{date_key}"
    return key


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
    planned.changes = changes(vocab, planned.target, planned.record or {}, planned.meta)
    planned.action = UPDATE if planned.changes else UNCHANGED


def _buildings(store: Any, plan: Plan, vocab: Vocabulary) -> None:
    """Buildings the import would create, and grids that disagree with the stored ones."""
    stored = places.buildings_by_name(store)
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
    _say_no_grid(plan, vocab)


# What other systems write in 所属网格 for a household in no grid (the community grid
# population system exports 无网格); with the blank words (无, 暂无), and dashes.
NO_GRID_WORDS = frozenset(
    fold(w)
    for w in (
        "无网格", "未划分", "未划分网格", "未分网格", "未分配网格", "不属于网格", "不在网格内",
        "暂无网格", "没有网格", "无所属网格", "空", "-", "--", "—", "/", "\\",
    )
)  # fmt: skip


def no_grid(value: Any, vocab: Vocabulary) -> bool:
    """Does a 所属网格 cell say "no grid" rather than name one?"""
    return fold(value) in NO_GRID_WORDS or vocab.is_blank_word(value)


def _say_no_grid(plan: Plan, vocab: Vocabulary) -> None:
    """Once for the file: which words were read as "no grid", for how many households."""
    found = [p for p in plan.records if p.no_grid and p.action != REJECTED]
    if not found:
        return
    words = sorted({p.no_grid for p in found})
    target = vocab.targets["grid"]
    params = {
        "count": len(found),
        "values": "、".join(f"“{w}”" for w in words),
        "values_en": ", ".join(f"“{w}”" for w in words),
        "field": target.text("zh"),
        "field_en": target.text("en"),
    }
    plan.issues.append(Issue("no_grid", INFO, sheet=found[0].rows[0].sheet, params=params))


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
