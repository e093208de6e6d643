"""Writing a confirmed import plan: new records in one batch, changes one by one with versions.

New households go through ``records.save_many`` (one journal write for all of them, with
the validation the plan already ran); changed ones through ``records.save`` with the
revision the plan saw, so a record edited in between is refused, never overwritten.
Buildings that the file names and the store does not know are added first, with the grid
the file gives them (``places.add_buildings``, as every save that names a new building).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from census.services import audit, places, records, review
from census.sheets.issues import ERROR, Issue
from census.sheets.plan import NEW, REJECTED, UNCHANGED, UPDATE, Plan
from census.sheets.reader import Progress
from census.store import Conflict
from census.util.gcpause import paused_gc


@dataclass
class Applied:
    """What an import wrote."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    buildings: int = 0
    pending: int = 0  # new records stored to be verified (待核实): the file lacked a field
    failed: list[Issue] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        """The counts, for the audit log and the page."""
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "buildings": self.buildings,
            "pending": self.pending,
            "failed": len(self.failed),
        }


def apply_plan(
    store: Any,
    plan: Plan,
    *,
    user: str,
    ip: str | None = None,
    progress: Progress | None = None,
) -> Applied:
    """Store the plan's valid records (rejected ones are left out) and audit the import.

    ``progress("save", done, total)`` counts the records stored (the new ones in one batch).
    """
    with paused_gc():
        return _apply(store, plan, user, ip, progress)


def _apply(
    store: Any, plan: Plan, user: str, ip: str | None, progress: Progress | None = None
) -> Applied:
    done = Applied(unchanged=plan.count(UNCHANGED), rejected=plan.count(REJECTED))
    fresh = [p for p in plan.records if p.action == NEW]
    changed = [p for p in plan.records if p.action == UPDATE]
    total = len(fresh) + len(changed)
    if progress is not None:
        progress("save", 0, total)
    if (fresh or changed) and plan.form.in_address_tree:  # a move names one too
        done.buildings = _add_buildings(store, plan, user)
    if fresh:
        results = records.save_many(
            store,
            plan.form,
            [p.raw for p in fresh],
            user=user,
            metas=[p.meta for p in fresh],
            checked=[(p.record or {}, p.problems) for p in fresh],
        )
        pending: list[tuple[int, str]] = []
        for planned, result in zip(fresh, results, strict=True):
            if result.saved:
                done.created += 1
                if result.id is not None and result.record.get(records.PENDING):
                    fields = result.record[records.PENDING]
                    pending.append((result.id, _names(plan, fields)))
            else:
                reason = "; ".join(p.message() for p in result.problems if p.is_error)
                done.failed.append(_failure(planned.rows[0], "not_saved", reason=reason))
        done.pending = len(pending)
        if plan.form.collection in review.COLLECTIONS:
            review.pending_comments(store, plan.form.collection, pending, username=user)
    for n, planned in enumerate(changed):
        if progress is not None:
            progress("save", len(fresh) + n, total)
        assert planned.target is not None
        try:
            result = records.save(
                store,
                plan.form,
                planned.raw,
                user=user,
                record_id=planned.target["id"],
                expected_rev=planned.target["_rev"],
                meta=planned.meta,
            )
        except Conflict:
            done.failed.append(_failure(planned.rows[0], "changed_meanwhile"))
            continue
        if result.saved:
            done.updated += 1
        else:
            reason = "; ".join(p.message() for p in result.problems if p.is_error)
            done.failed.append(_failure(planned.rows[0], "not_saved", reason=reason))
    if progress is not None:
        progress("save", total, total)
    audit.record(
        store,
        user,
        "import",
        plan.form.collection,
        ip=ip,
        file=plan.filename,
        rows=plan.data_rows,
        **done.as_dict(),
    )
    return done


def _add_buildings(store: Any, plan: Plan, user: str) -> int:
    """Add the buildings (and grids) of the file that the store does not know yet, at once."""
    added = places.add_buildings(
        store, plan.new_buildings, user=user, reason="import", file=plan.filename
    )
    return len(added)


def _names(plan: Plan, keys: list[str]) -> str:
    """The fields' labels, as the comment names them: 住房性质、…"""
    return "、".join(plan.form.field(key).text("zh") for key in keys)


def _failure(row: Any, code: str, **params: Any) -> Issue:
    return Issue(code, ERROR, sheet=row.sheet, row=row.row, params=params)
