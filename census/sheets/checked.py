"""A checked import plan, kept for the other servers of one PostgreSQL database.

Checking a file of 13,000 households takes many seconds. With several servers the check
runs on one of them, and the report and the import may be asked of another: that server
reads the plan the check made (``dump`` then ``load``) instead of planning the file
again, and so shows and imports exactly what was checked.

What is kept is what the report and the import read, as compact JSON (orjson), gzipped:
the file's layouts and issues, and for each record its action, its sheet rows (sheet and
row number only, not their cells), its issues, and for a record to be created or updated
what is written (``raw``, ``meta``, the checked ``record`` and its problems) with the
stored record's id and revision and the changes. A record left as it is or rejected
keeps its rows and issues only, so the plan's ``fingerprint`` is kept beside it rather
than computed again. No pickle: a kept plan is data, read back into the plan's own
classes (``census.sheets.model``).

A ``Checked`` is a check's result: the plan, the file's sheets (None when the plan was
read back: the report workbook reads the file again), and what it was checked against,
the store's stamp of what planning reads (``wizard.PLAN_COLLECTIONS``, taken before
reading) and the date. Another server uses the plan while its stamp and date still hold.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson

from census.domain.problems import Problem
from census.sheets.issues import Issue
from census.sheets.layout import Column, Layout
from census.sheets.model import NEW, UPDATE, Change, Plan, Planned, SourceRow
from census.sheets.reader import Sheet
from census.surveys.definition import FormDef
from census.util.gcpause import paused_gc

FORMAT = 1
COMPRESS_LEVEL = 1  # 3,000 new households: 1.0 MB in 0.13 s; level 6: 0.73 MB in 0.45 s


@dataclass
class Checked:
    """A check's result: its plan, the sheets read, what the store and the date were."""

    plan: Plan
    sheets: list[Sheet] | None  # None: read back from the database, not the file
    stamp: Any  # store.stamp(*PLAN_COLLECTIONS) before reading
    today: date
    job: str = ""  # the check job that made it
    size: int = 0  # bytes of the plan as kept (``dump``), once kept


class KeptPlanError(ValueError):
    """A kept plan that cannot be read back (another format, another form, damaged)."""


def dump(plan: Plan, job: str = "") -> bytes:
    """The plan as gzipped JSON (``job``: the check that made it, kept inside)."""
    with paused_gc():  # many small lists, none of them garbage
        return _dump(plan, job)


def _dump(plan: Plan, job: str) -> bytes:
    sheets: dict[str, int] = {}

    def sheet(name: str) -> int:
        return sheets.setdefault(name, len(sheets))

    def issue(i: Issue) -> list[Any]:
        return [i.code, i.level, sheet(i.sheet), i.row, i.column, i.header, i.params, i.subject]

    records = []
    for p in plan.records:
        item: list[Any] = [p.action, [[sheet(r.sheet), r.row] for r in p.rows]]
        item.append([issue(i) for i in p.issues])
        if p.action in (NEW, UPDATE):
            target = [p.target["id"], p.target.get("_rev")] if p.target else None
            item += [
                p.raw,
                p.meta,
                p.record,
                [[x.code, x.path, x.params, x.level] for x in p.problems],
                target,
                [[c.key, c.old, c.new, c.subject] for c in p.changes],
            ]
        records.append(item)
    layouts = [
        [
            sheet(layout.sheet),
            layout.header_row,
            [[c.index, c.header, c.key, c.status, c.other] for c in layout.columns],
            sorted(layout.skip),
            layout.address_pattern,
        ]
        for layout in plan.layouts
    ]
    doc = {
        "format": FORMAT,
        "job": job,
        "form": plan.form.name,
        "filename": plan.filename,
        "data_rows": plan.data_rows,
        "skipped_rows": plan.skipped_rows,
        "new_buildings": plan.new_buildings,
        "fingerprint": plan.fingerprint(),
        "layouts": layouts,
        "issues": [issue(i) for i in plan.issues],
        "records": records,
    }
    doc["sheets"] = list(sheets)  # after every name was seen
    data = orjson.dumps(doc, default=str)  # a Decimal or other odd parameter: as text
    return gzip.compress(data, compresslevel=COMPRESS_LEVEL, mtime=0)


def load(data: bytes, form: FormDef) -> tuple[Plan, str]:
    """The plan ``dump`` kept, for ``form``, and the check job that made it.

    Raises ``KeptPlanError`` for data that is not a kept plan of this form."""
    try:
        with paused_gc():  # as planning: a few hundred thousand objects, none garbage
            return _load(data, form)
    except KeptPlanError:
        raise
    except (
        OSError,
        EOFError,
        orjson.JSONDecodeError,
        KeyError,
        TypeError,
        ValueError,
        IndexError,
    ) as exc:
        raise KeptPlanError(f"{type(exc).__name__}: {exc}") from exc


def _load(data: bytes, form: FormDef) -> tuple[Plan, str]:
    doc = orjson.loads(gzip.decompress(data))
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("form") != form.name:
        raise KeptPlanError(f"not a kept plan of the form {form.name}")
    return _plan(doc, form), str(doc.get("job") or "")


def _plan(doc: dict[str, Any], form: FormDef) -> Plan:
    names: list[str] = doc["sheets"]

    def issue(i: list[Any]) -> Issue:
        code, level, where, row, column, header, params, subject = i
        return Issue(code, level, names[where], row, column, header, params, subject)

    layouts = []
    for where, header_row, columns, skip, pattern in doc["layouts"]:
        found = [Column(*c) for c in columns]
        layouts.append(Layout(names[where], header_row, found, frozenset(skip), pattern))
    by_sheet = {layout.sheet: layout for layout in layouts}
    records = []
    for item in doc["records"]:
        action, rows, issues = item[:3]
        planned = Planned(
            [SourceRow(names[s], n, by_sheet[names[s]], {}) for s, n in rows],
            action,
            issues=[issue(i) for i in issues],
        )
        if len(item) > 3:
            raw, meta, record, problems, target, changes = item[3:]
            planned.raw, planned.meta, planned.record = raw, meta, record
            planned.problems = [Problem(c, p, params, level) for c, p, params, level in problems]
            planned.target = {"id": target[0], "_rev": target[1]} if target else None
            planned.changes = [Change(*c) for c in changes]
        records.append(planned)
    plan = Plan(
        form,
        doc["filename"],
        layouts,
        records,
        [issue(i) for i in doc["issues"]],
        doc["data_rows"],
        doc["skipped_rows"],
        [tuple(b) for b in doc["new_buildings"]],
    )
    plan.kept_fingerprint = doc["fingerprint"]
    return plan
