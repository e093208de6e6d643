"""Edits sent by clients (households, storefronts, units): saved when they start from the
stored revision, kept as a conflict when they do not — never written over another's change.

``submit`` is what ``PUT /api/v1/households/<id>`` (and ``storefronts``, ``units``) does.
Each edit carries a client-made ``uuid``; its answer is kept in the ``edits`` collection, so
a retry of the same edit (the offline outbox resends until it hears back) gets the same
answer instead of a conflict with itself. Within a process a lock around "look up the uuid,
compare revisions, save, keep the answer" makes retries sent at the same moment produce one
save. Across processes (a database shared by several servers) the store's unique keys do
it: the second save of a retry fails on its revision and finds the record already saying
what it sends (200, no second version), a second conflict record or answer with the same
uuid is refused and the first one is returned.

An edit from an old revision is no conflict when every revision since changed only the
review (``conflicts.review_only_since``): the fix of a returned record made on a tablet's
page kept before the return applies to the record as it is now, a resubmission like any
fix of a returned record.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from census.domain import checks
from census.domain.problems import Problem, errors_by_path
from census.fieldwork import EDITS, conflicts
from census.fieldwork.assignments import refusal
from census.fieldwork.outcomes import body_hash, visit_meta
from census.services import records
from census.store import Conflict, DuplicateKey
from census.surveys.conform import unmasked
from census.surveys.definition import FormDef
from census.surveys.validate import clean, has_errors, unknown_keys
from census.util import timing

# One edit of a record at a time in this process (edits of other records go on): the
# check of the edit's uuid, the revision read and the save follow each other undisturbed.
# Another process's edit of the same record is met by the store (Conflict, DuplicateKey).
_LOCKS: dict[tuple[int, str, int], list[Any]] = {}  # (store, collection, id): [lock, users]
_LOCKS_GUARD = threading.Lock()


@contextmanager
def _one_edit_at_a_time(store: Any, collection: str, record_id: int) -> Iterator[None]:
    """Hold the lock of one record's edits in this process while the block runs."""
    key = (id(store), collection, record_id)
    with _LOCKS_GUARD:
        entry = _LOCKS.setdefault(key, [threading.Lock(), 0])
        entry[1] += 1
    try:
        with timing.counted("lock"):
            entry[0].acquire()
        try:
            yield
        finally:
            entry[0].release()
    finally:
        with _LOCKS_GUARD:
            entry[1] -= 1
            if not entry[1]:
                del _LOCKS[key]


class _AnsweredElsewhere(Exception):
    """The same edit was stored by another process while this one applied it."""

    def __init__(self, existing_id: int) -> None:
        super().__init__(existing_id)
        self.existing_id = existing_id


# Keys a client may send back as it got them from GET; they are not the household's data.
ECHOED = (
    "id",
    "revision",
    "uuid",
    "base_revision",
    "surveyor",
    "review_state",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "pending_fields",  # what an import left to verify: the store's to say, never the client's
)
META = ("visit_outcome", "visited_at")

Answer = tuple[int, dict[str, Any]]


def _invalid(problems: list[Problem], lang: str = "zh") -> Answer:
    return 422, {
        "errors": errors_by_path(problems, lang),
        "warnings": errors_by_path(problems, lang, level="warning"),
    }


def _refused(status: int, error: str, message: str) -> Answer:
    return status, {"error": error, "message": message}


def may_edit(user: Any, record: Mapping[str, Any]) -> bool:
    """Staff edit any record; a surveyor the ones they registered."""
    return bool(
        user.is_staff
        or record.get("surveyor") == user.username
        or record.get("created_by") == user.username
    )


def _base_revision(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(str(value))
    except ValueError:
        return None
    return number if number >= 1 else None


def _as_shown_at(
    store: Any, defn: FormDef, current: dict[str, Any], base: int | None
) -> dict[str, Any]:
    """The record the edit was made from (its kept version at ``base``), whose ID numbers
    the client was shown masked: an edit from a page drawn before a member was deleted
    sends that member's masked number, which the record as it is now no longer has."""
    if base is None or base >= current["_rev"]:
        return current
    kept = next(
        (v for v in records.history(store, defn.collection, current["id"]) if v["rev"] == base),
        None,
    )
    return dict(kept["record"]) if kept is not None else current


def submit(
    store: Any,
    defn: FormDef,
    record_id: int,
    body: Mapping[str, Any],
    *,
    user: Any,
    lang: str = "zh",
) -> Answer:
    """Apply one client edit of a household; returns (HTTP status, JSON body).

    200 ``{id, revision}`` saved (or already saying exactly this); 409 ``{conflict,
    current_revision}`` kept for a reviewer; 422 ``{errors}``; 403, 404 refused. Problem
    messages are in ``lang``, the caller's interface language.
    """
    uuid = str(body.get("uuid") or "").strip()
    base = _base_revision(body.get("base_revision"))
    problems = []
    if not uuid:
        problems.append(Problem("required", "uuid"))
    if base is None:
        problems.append(Problem("revision_invalid", "base_revision"))
    if problems:
        return _invalid(problems, lang)
    digest = body_hash(body)
    with _one_edit_at_a_time(store, defn.collection, record_id):
        earlier = store.collection(EDITS).find_one(uuid=uuid)
        if earlier is not None:
            return _repeat(earlier, record_id, digest)
        try:
            # the edit (or its conflict) and the answer kept for retries: together or not at all
            with store.atomic():
                answer = _apply(
                    store, defn, record_id, body, user=user, uuid=uuid, base=base, lang=lang
                )
                if answer[0] not in (200, 409):
                    return answer  # nothing was kept: the client may fix the edit and resend
                try:
                    store.collection(EDITS).insert(
                        {
                            "uuid": uuid,
                            "household_id": record_id,
                            "body_hash": digest,
                            "status": answer[0],
                            "answer": answer[1],
                            "by": user.username,
                            "at": datetime.now().isoformat(timespec="seconds"),
                        },
                        unique=("uuid",),
                    )
                except DuplicateKey as dup:
                    raise _AnsweredElsewhere(dup.existing_id) from None  # undo this one
        except _AnsweredElsewhere as other:  # another request took this uuid a moment ago
            return _repeat(store.collection(EDITS).get(other.existing_id), record_id, digest)
        return answer


def _repeat(earlier: Mapping[str, Any], record_id: int, digest: str) -> Answer:
    """The answer to an edit whose uuid is kept already: the same answer again if it is
    the same edit (a retry), else a refusal (the uuid was used for another edit)."""
    if earlier["household_id"] == record_id and earlier["body_hash"] == digest:
        return earlier["status"], earlier["answer"]
    return _refused(
        409,
        "uuid_reused",
        "该 uuid 已用于另一次修改 / this uuid was used for a different edit",
    )


def _apply(
    store: Any,
    defn: FormDef,
    record_id: int,
    body: Mapping[str, Any],
    *,
    user: Any,
    uuid: str,
    base: int,
    lang: str = "zh",
) -> Answer:
    """Check, then save or keep as a conflict (called with the record's lock held)."""
    current = store.collection(defn.collection).get(record_id)
    if current is None:
        return _refused(404, "not_found", "没有这条记录 / no such record")
    if not may_edit(user, current):
        return _refused(403, "forbidden", "无权修改 / not yours to edit")
    problems = unknown_keys(defn, dict(body), set(ECHOED) | set(META))
    raw = {k: v for k, v in body.items() if k not in ECHOED and k not in META}
    raw = unmasked(defn, raw, _as_shown_at(store, defn, current, base))
    meta = visit_meta(body, problems)
    cleaned, found = clean(defn, raw)
    problems += found
    if has_errors(problems):
        return _invalid(problems, lang)
    barred = refusal(store, user, defn, str(cleaned.get("building") or ""))
    if barred is not None and barred.code == "building_unknown":
        return _invalid([barred], lang)
    if barred is not None:
        return _refused(403, "forbidden", "此楼栋未分配给您 / this building is not assigned to you")
    if base > current["_rev"]:
        return _invalid([Problem("revision_invalid", "base_revision")], lang)
    start = base
    detail: dict[str, Any] = {"edit": uuid, "base_revision": base}
    if conflicts.review_only_since(store, defn.collection, current, base):
        # Only the review changed since (a return, an approval): the fix of a page kept
        # before the return applies to the record as it is now, a resubmission.
        start = current["_rev"]
        detail["applied_on"] = start
    if current["_rev"] == start:
        try:
            result = records.save(
                store,
                defn,
                raw,
                user=user.username,
                record_id=record_id,
                expected_rev=start,
                meta=meta,
                detail=detail,
                cleaned=(cleaned, found),  # checked above: not cleaned again
                stored=current,  # read above at ``start``: not read again
                account=getattr(user, "doc", None),
            )
        except Conflict as exc:  # a web edit slipped in between the read and the save
            current = store.collection(defn.collection).get(record_id) or current
            current["_rev"] = exc.current_rev
        else:
            shown = checks.as_seen_by(result.problems, staff=user.is_staff)
            if not result.saved:
                return _invalid(shown, lang)
            return 200, {
                "id": record_id,
                "revision": start + 1,
                "household_no": result.record.get("household_no"),
                "warnings": errors_by_path(shown, lang, level="warning"),
            }
    if conflicts.diff(defn, current, raw).empty:
        # The record already says exactly this (both made the same change): nothing to keep.
        return 200, {
            "id": record_id,
            "revision": current["_rev"],
            "household_no": current.get("household_no"),
            "unchanged": True,
            "warnings": {},
        }
    conflict_id = conflicts.open_conflict(
        store,
        collection=defn.collection,
        household_id=record_id,
        base_revision=base,
        current_revision=current["_rev"],
        theirs=raw | {k: v for k, v in meta.items() if v},
        by=user.username,
        uuid=uuid,
        defn=defn,
    )
    return 409, {
        "error": "edit_conflict",
        "conflict": conflict_id,
        "current_revision": current["_rev"],
        "message": "记录已被他人修改，您的修改已转交审核人员处理 / "
        "the record changed since you opened it; a reviewer will merge your edit",
    }
