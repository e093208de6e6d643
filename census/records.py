"""Saving survey records: clean, check against other records, store, keep the version.

The web form, the JSON API and the demo loader all save through ``save``; nothing else
writes households, storefronts or units.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from census import audit
from census.domain.problems import WARNING, Problem
from census.store import DuplicateKey
from census.surveys.definition import FormDef
from census.surveys.validate import clean, has_errors

VERSIONS = "versions"
META_KEYS = ("uuid", "submission_hash", "surveyor", "visited_at", "visit_outcome", "review_state")


@dataclass
class SaveResult:
    """What a save did: the id (None when refused), the stored record and all problems."""

    id: int | None
    record: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)

    @property
    def saved(self) -> bool:
        """True when the record is in the store."""
        return self.id is not None


def prepare_store(store: Any) -> None:
    """Declare the indexes the app looks records up by."""
    households = store.collection("households")
    for path in ("uuid", "household_no", "building", "members.id_number", "surveyor"):
        households.ensure_index(path)
    store.collection("storefronts").ensure_index("uuid")
    store.collection("units").ensure_index("uuid")
    store.collection(VERSIONS).ensure_index("key")
    store.collection("users").ensure_index("username")
    store.collection("tokens").ensure_index("token_hash")
    store.collection("buildings").ensure_index("name")


def _address(record: dict[str, Any]) -> str:
    parts = [record.get("building") or "", record.get("unit") or "", record.get("room") or ""]
    unit = f"{parts[1]}单元" if parts[1] else ""
    return f"{parts[0]}{unit}{parts[2]}"


def _cross_checks(store: Any, record: dict[str, Any], record_id: int | None) -> list[Problem]:
    """Warnings that need other records: an ID number already in another active household."""
    problems = []
    households = store.collection("households")
    for n, member in enumerate(record.get("members") or []):
        number = member.get("id_number")
        if not number or member.get("status", "active") != "active":
            continue
        for other in households.find(**{"members.id_number": number}):
            if other["id"] == record_id:
                continue
            if any(
                m.get("id_number") == number and m.get("status", "active") == "active"
                for m in other.get("members") or []
            ):
                problems.append(
                    Problem(
                        "id_in_other_household",
                        f"members[{n}].id_number",
                        {
                            "household": other.get("household_no") or other["id"],
                            "address": _address(other),
                            "id": other["id"],
                        },
                        WARNING,
                    )
                )
    return problems


def _next_household_no(store: Any) -> str:
    households = store.collection("households")
    n = len(households) + 1
    while households.find_one(household_no=f"H{n:04d}"):
        n += 1
    return f"H{n:04d}"


def save(
    store: Any,
    form: FormDef,
    raw: dict[str, Any],
    *,
    user: str,
    record_id: int | None = None,
    expected_rev: int | None = None,
    meta: dict[str, Any] | None = None,
    today: date | None = None,
) -> SaveResult:
    """Validate and store one record (new when record_id is None); keep every version."""
    record, problems = clean(form, raw, today=today)
    collection = store.collection(form.collection)
    if form.name == "household":
        problems += _cross_checks(store, record, record_id)
    if has_errors(problems):
        return SaveResult(None, record, problems)
    now = datetime.now().isoformat(timespec="seconds")
    previous = collection.get(record_id) if record_id is not None else None
    for key in META_KEYS:
        if previous and key in previous:
            record[key] = previous[key]
        if meta and meta.get(key) is not None:
            record[key] = meta[key]
    if form.name == "household":
        record.setdefault("visit_outcome", "completed")
        record.setdefault("surveyor", user)
        record.setdefault("visited_at", now)
        if not record.get("household_no"):
            kept = previous.get("household_no") if previous else None
            record["household_no"] = kept or _next_household_no(store)
    record["updated_at"], record["updated_by"] = now, user
    record["created_at"] = previous.get("created_at", now) if previous else now
    record["created_by"] = previous.get("created_by", user) if previous else user
    unique = ("uuid", "household_no") if form.name == "household" else ("uuid",)
    try:
        if record_id is None:
            record_id = collection.insert(record, unique=unique)
            rev = 1
        else:
            rev = collection.update(record_id, record, expected_rev=expected_rev, unique=unique)
    except DuplicateKey as dup:
        if dup.field == "household_no":
            problems.append(
                Problem("household_no_taken", "household_no", {"value": record["household_no"]})
            )
            return SaveResult(None, record, problems)
        raise
    store.collection(VERSIONS).insert(
        {
            "key": f"{form.collection}/{record_id}",
            "rev": rev,
            "saved_by": user,
            "saved_at": now,
            "record": record,
        }
    )
    audit.record(
        store, user, "create" if rev == 1 else "edit", f"{form.collection}/{record_id}", rev=rev
    )
    return SaveResult(record_id, record, problems)


def history(store: Any, collection: str, record_id: int) -> list[dict[str, Any]]:
    """Every saved version of a record, newest first."""
    versions = store.collection(VERSIONS).find(key=f"{collection}/{record_id}")
    return sorted(versions, key=lambda v: v["rev"], reverse=True)
