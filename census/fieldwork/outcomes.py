"""Visit outcomes: what happened at each door, and which doors to go back to.

A dwelling is (building, unit, room) — docs/domain.md §3; unit may be empty. Its history is a
list of *events*, from two sources:

- the ``visits`` collection, an append-only log: one document per knock on a door, with
  ``outcome`` (``completed``, ``not_home``, ``refused``, ``vacant``), ``visited_at`` and
  ``surveyor``; nothing deletes a visit. The same outcome tapped again at the same door by
  the same surveyor within ``SAME_VISIT`` (a double tap, or a tap repeated to be sure) is
  the same visit, not a second one. A surveyor may withdraw their own visit soon after
  (撤销, within ``WITHDRAW_WITHIN``): it stays in the log with ``withdrawn_at`` and counts
  no more;
- households: a stored household is a visit with its own ``visit_outcome`` (``completed``
  unless the client said otherwise) at its ``visited_at``, by its ``surveyor``. It is read
  from the household rather than copied into the log, so a household registered by the web
  form, the API, an import or the demo counts the same way, and an edit that moves it to
  another room moves its visit too.

The **state** of a dwelling:

- ``completed`` as soon as any event is ``completed`` (a household is registered): a later
  knock that finds nobody at home does not undo a registration, the data is there;
- otherwise the outcome of the latest event (``visited_at``, then the order of recording):
  a door found vacant on Monday and not home on Friday is now ``not_home``.

``not_home`` and ``refused`` dwellings are on the **revisit** list. A revisit dwelling with
three or more ``not_home`` visits is **flagged** for staff (they may phone the landlord or
ask the neighbours).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson

from census.domain.address import dwelling_key, natural_key
from census.domain.problems import Problem
from census.fieldwork import VISITS
from census.services import audit
from census.store import DuplicateKey

OUTCOMES = ("completed", "not_home", "refused", "vacant")
REVISIT = ("not_home", "refused")
DONE = ("completed", "vacant")
FLAG_AFTER = 3
VISIT_KEYS = ("uuid", "building", "unit", "room", "outcome", "visited_at", "notes")
SAME_VISIT = timedelta(minutes=1)
WITHDRAW_WITHIN = timedelta(hours=1)
# Where an event comes from: the visits log, or a stored record of a door-visit form (the
# household form, ``FormDef.door_visits``); the door page marks the latter as 住户登记.
FROM_LOG, FROM_RECORD = "visit", "household"

Key = tuple[str, str, str]


def natural(text: str) -> tuple[Any, ...]:
    """Sort '2' before '10' and '301' before '1201' (the one natural order)."""
    return natural_key(text)


@dataclass(frozen=True)
class Event:
    """One knock on a door: from the visits log or a stored household."""

    outcome: str
    at: str
    by: str
    source: str  # FROM_LOG or FROM_RECORD
    ref: int  # the visit's or the household's id
    notes: str = ""

    @property
    def registration(self) -> bool:
        """Is it a stored household (a registration) rather than a knock in the log?"""
        return self.source == FROM_RECORD


@dataclass
class Dwelling:
    """A door and everything that happened there, oldest first."""

    building: str
    unit: str
    room: str
    events: list[Event] = field(default_factory=list)

    @property
    def key(self) -> Key:
        """(building, unit, room), normalised."""
        return dwelling_key(self.building, self.unit, self.room)

    @property
    def state(self) -> str:
        """completed once registered; otherwise the latest outcome (see the module doc)."""
        if any(e.outcome == "completed" for e in self.events):
            return "completed"
        return self.events[-1].outcome if self.events else ""

    @property
    def not_home_count(self) -> int:
        """How many times nobody opened."""
        return sum(1 for e in self.events if e.outcome == "not_home")

    @property
    def to_revisit(self) -> bool:
        """Not home or refused: someone has to go back."""
        return self.state in REVISIT

    @property
    def flagged(self) -> bool:
        """Still to revisit after FLAG_AFTER not-home visits: staff should step in."""
        return self.to_revisit and self.not_home_count >= FLAG_AFTER

    @property
    def household_ids(self) -> list[int]:
        """The households registered at this door."""
        return [e.ref for e in self.events if e.registration]

    @property
    def last(self) -> Event | None:
        """The latest event."""
        return self.events[-1] if self.events else None

    @property
    def sort_key(self) -> tuple[Any, ...]:
        """Building, then unit and room in natural order."""
        return (self.building, natural(self.key[1]), natural(self.key[2]))


def _event_order(event: Event) -> tuple[str, int, int]:
    return (event.at or "", 0 if event.registration else 1, event.ref)


def build_dwellings(
    visits: Iterable[Mapping[str, Any]], households: Iterable[Mapping[str, Any]]
) -> dict[Key, Dwelling]:
    """Group visits and households by door; each dwelling's events sorted oldest first."""
    found: dict[Key, Dwelling] = {}

    def add(doc: Mapping[str, Any], event: Event) -> None:
        key = dwelling_key(doc.get("building"), doc.get("unit"), doc.get("room"))
        if not key[0] or not key[2]:
            return  # no door to put it on
        dwelling = found.get(key)
        if dwelling is None:
            dwelling = found[key] = Dwelling(*key)
        dwelling.events.append(event)

    for h in households:
        outcome = h.get("visit_outcome")
        if outcome not in OUTCOMES:
            outcome = "completed"  # a stored household is a registration unless it says otherwise
        at = h.get("visited_at") or h.get("created_at") or ""
        add(
            h,
            Event(
                outcome, at, h.get("surveyor") or h.get("created_by") or "", FROM_RECORD, h["id"]
            ),
        )
    for v in visits:
        if v.get("withdrawn_at"):
            continue  # withdrawn by its surveyor (撤销): in the log, counted nowhere
        add(
            v,
            Event(
                v["outcome"],
                v["visited_at"],
                v.get("surveyor", ""),
                FROM_LOG,
                v["id"],
                v.get("notes") or "",
            ),
        )
    for dwelling in found.values():
        dwelling.events.sort(key=_event_order)
    return found


def sorted_dwellings(dwellings: Iterable[Dwelling]) -> list[Dwelling]:
    """Dwellings in building, unit and room order."""
    return sorted(dwellings, key=lambda d: d.sort_key)


def revisits(dwellings: Iterable[Dwelling]) -> list[Dwelling]:
    """The doors to go back to: flagged ones first, then in address order."""
    return sorted((d for d in dwellings if d.to_revisit), key=lambda d: (not d.flagged, d.sort_key))


# -- loading -------------------------------------------------------------------------


def load_dwellings(store: Any, buildings: Iterable[str] | None = None) -> dict[Key, Dwelling]:
    """The dwellings of some buildings (all when None), from visits and households."""
    visits_col, households_col = store.collection(VISITS), store.collection("households")
    if buildings is None:
        return build_dwellings(visits_col.scan(), households_col.scan())
    visits: list[dict[str, Any]] = []
    households: list[dict[str, Any]] = []
    for name in dict.fromkeys(buildings):
        visits += visits_col.find(building=name)
        households += households_col.find(building=name)
    return build_dwellings(visits, households)


def dwelling_at(store: Any, building: str, unit: str, room: str) -> Dwelling:
    """One door with its history (an empty one when nothing happened there yet)."""
    key = dwelling_key(building, unit, room)
    found = load_dwellings(store, [building]).get(key)
    return found or Dwelling(*key)


# -- recording -----------------------------------------------------------------------


def parse_time(value: Any, now: datetime) -> str | None:
    """An ISO date-time (with or without seconds or a zone) as local time; None if invalid."""
    text = str(value or "").strip().replace(" ", "T", 1)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone().replace(tzinfo=None)
    if parsed > now + timedelta(days=1):
        return None
    return parsed.isoformat(timespec="seconds")


def visit_meta(body: Mapping[str, Any], problems: list[Problem]) -> dict[str, Any]:
    """A household's ``visit_outcome`` and ``visited_at`` as a client sent them, checked.

    The one place both are read from a client (new records and edits alike): an outcome
    from the code list, a time that parses and is not in the future; anything else is a
    problem at its field, and nothing of it is kept.
    """
    meta: dict[str, Any] = {}
    outcome = body.get("visit_outcome")
    if outcome not in (None, ""):
        if isinstance(outcome, str) and outcome in OUTCOMES:
            meta["visit_outcome"] = outcome
        else:
            shown = outcome if isinstance(outcome, str | int | float) else type(outcome).__name__
            problems.append(Problem("choice_invalid", "visit_outcome", {"value": str(shown)[:40]}))
    when = body.get("visited_at")
    if when not in (None, ""):
        parsed = (
            parse_time(when, datetime.now()) if isinstance(when, str) and len(when) < 40 else None
        )
        if parsed is None:
            problems.append(Problem("datetime_invalid", "visited_at"))
        else:
            meta["visited_at"] = parsed
    return meta


def parse_visit(
    body: Mapping[str, Any], buildings: Mapping[str, Mapping[str, Any]], now: datetime
) -> tuple[dict[str, Any], list[Problem]]:
    """Check a visit as sent by a client; return it cleaned, and the problems found."""
    problems: list[Problem] = []
    for key in body:
        if key not in VISIT_KEYS:
            problems.append(Problem("unknown_field", key, {"field": key}))
    visit = {key: str(body.get(key) or "").strip() for key in VISIT_KEYS}
    for key in ("uuid", "building", "room", "outcome"):
        if not visit[key]:
            problems.append(Problem("required", key))
    if visit["building"] and visit["building"] not in buildings:
        problems.append(Problem("choice_invalid", "building", {"value": visit["building"]}))
    if visit["outcome"] and visit["outcome"] not in OUTCOMES:
        problems.append(Problem("choice_invalid", "outcome", {"value": visit["outcome"]}))
    for key, limit in (("unit", 10), ("room", 20), ("notes", 200), ("uuid", 64)):
        if len(visit[key]) > limit:
            problems.append(Problem("text_too_long", key, {"max": limit}))
    if visit["visited_at"]:
        when = parse_time(visit["visited_at"], now)
        if when is None:
            problems.append(Problem("datetime_invalid", "visited_at"))
        visit["visited_at"] = when or visit["visited_at"]
    else:
        visit["visited_at"] = now.isoformat(timespec="seconds")
    _, visit["unit"], visit["room"] = dwelling_key("", visit["unit"], visit["room"])
    return visit, problems


def body_hash(body: Mapping[str, Any]) -> str:
    """A digest of a request body, to tell a retry from a different use of the same uuid."""
    return hashlib.sha256(orjson.dumps(dict(body), option=orjson.OPT_SORT_KEYS)).hexdigest()


def same_visit(store: Any, visit: Mapping[str, Any], user: str) -> dict[str, Any] | None:
    """The visit this one repeats: the same surveyor, door and outcome within SAME_VISIT."""
    try:
        at = datetime.fromisoformat(str(visit.get("visited_at") or ""))
    except ValueError:
        return None
    door = dwelling_key(visit.get("building"), visit.get("unit"), visit.get("room"))
    for earlier in store.collection(VISITS).find(building=visit.get("building")):
        if earlier.get("withdrawn_at") or earlier.get("surveyor") != user:
            continue
        if earlier.get("outcome") != visit.get("outcome"):
            continue
        if dwelling_key(earlier["building"], earlier.get("unit"), earlier.get("room")) != door:
            continue
        try:
            gap = abs(datetime.fromisoformat(earlier["visited_at"]) - at)
        except (KeyError, ValueError):
            continue
        if gap <= SAME_VISIT:
            return earlier
    return None


def record_visit(
    store: Any, visit: Mapping[str, Any], *, user: str, digest: str = "", ip: str = ""
) -> tuple[dict[str, Any], bool]:
    """Append a visit; (the stored visit, True) — or (the earlier one, False) for a known uuid
    or a repeat of the same visit (``same_visit``: the same outcome at the same door by the
    same surveyor within a minute).

    The uuid is a unique key of the log, checked under the store's lock, so retries sent at
    the same moment store one visit; the repeat is looked for under the same lock.
    """
    visits = store.collection(VISITS)
    doc = dict(visit) | {
        "surveyor": user,
        "recorded_at": datetime.now().isoformat(timespec="seconds"),
        "submission_hash": digest,
    }
    with store.atomic():  # the visit and its audit entry
        repeated = same_visit(store, doc, user)
        if repeated is not None and repeated.get("uuid") != doc.get("uuid"):
            return repeated, False
        try:
            new_id = visits.insert(doc, unique=("uuid",))
        except DuplicateKey as dup:
            return visits.get(dup.existing_id), False
        audit.record(
            store,
            user,
            "visit",
            f"{VISITS}/{new_id}",
            ip=ip,
            outcome=doc["outcome"],
            dwelling=list(dwelling_key(doc["building"], doc["unit"], doc["room"])),
        )
    return visits.get(new_id), True


def withdraw_visit(
    store: Any, uuid: str, *, user: str, now: datetime | None = None, ip: str = ""
) -> tuple[dict[str, Any] | None, Problem | None]:
    """Withdraw a visit its surveyor recorded by mistake (撤销): (the visit, None) or a refusal.

    Only the surveyor who recorded it, within WITHDRAW_WITHIN of its recording; a visit
    withdrawn already is answered as it is (a retry of the same withdrawal). The visit stays
    in the log with ``withdrawn_at`` and ``withdrawn_by`` and counts nowhere any more.
    """
    visits = store.collection(VISITS)
    now = now or datetime.now()
    with store.atomic():
        visit = visits.find_one(uuid=uuid) if uuid else None
        if visit is None or visit.get("surveyor") != user:
            return None, Problem("visit_unknown", "uuid")
        if visit.get("withdrawn_at"):
            return visit, None
        try:
            recorded = datetime.fromisoformat(str(visit.get("recorded_at") or ""))
        except ValueError:
            recorded = None
        if recorded is None or now - recorded > WITHDRAW_WITHIN:
            return None, Problem("visit_too_old", "uuid")
        changes = {"withdrawn_at": now.isoformat(timespec="seconds"), "withdrawn_by": user}
        visits.update(
            visit["id"], {k: v for k, v in visit.items() if k not in ("id", "_rev")} | changes
        )
        audit.record(
            store,
            user,
            "visit_withdraw",
            f"{VISITS}/{visit['id']}",
            ip=ip,
            outcome=visit["outcome"],
            dwelling=list(dwelling_key(visit["building"], visit.get("unit"), visit.get("room"))),
        )
    return visits.get(visit["id"]), None
