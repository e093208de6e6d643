"""What an import plan is made of: source rows, planned records, changes, the plan itself."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson

from census.domain.problems import Problem
from census.sheets.issues import Issue
from census.sheets.layout import Layout
from census.sheets.vocabulary import Vocabulary
from census.surveys.definition import FormDef

NEW, UPDATE, UNCHANGED, REJECTED = "new", "update", "unchanged", "rejected"


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
    no_grid: str = ""  # the sheet's word for "in no grid" (无网格), read as no grid

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
    # A plan read back from the database (census.sheets.checked) keeps the digest it was
    # checked with: its unchanged and rejected records no longer hold what it was made of.
    kept_fingerprint: str = ""

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
        if self.kept_fingerprint:
            return self.kept_fingerprint
        digest = hashlib.sha256()
        for p in self.records:
            target = (p.target or {}).get("id"), (p.target or {}).get("_rev")
            digest.update(orjson.dumps([p.action, target, p.record, p.meta]))
        digest.update(orjson.dumps(self.new_buildings))
        return digest.hexdigest()[:24]
