"""Saving survey records: clean, check against other records, store, keep the version.

The web form, the JSON API and the demo loader all save through ``save``; nothing else
writes households, storefronts or units. Life events (``census.services.lifeevents``) and restoring
an old version save through it too; review actions and merge links change only bookkeeping
fields, through ``set_meta``, which keeps a version and audits the same way.

Review state on save (``census.services.review``): whatever a surveyor saves, new or edited,
household, storefront or unit, is ``submitted`` for review; staff (and the system: imports,
the demo) create records ``approved`` and keep the state of records they edit — a reviewer
fixing a typo does not approve, nor undo an approval. Consistency checks
(``census.domain.checks``) run on every household save and come back as warnings beside
the fields.

The address tree on save (``census.services.places``): a household in a building the
community does not have yet adds the building, in the same atomic block, when staff or
the system save it; a surveyor's is refused (``building_unknown``), so no household is
stored where the printed lists and the coverage cannot see it.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from census.domain import checks, persons
from census.domain.address import address_text, room_part, unit_part
from census.domain.gate import REVIEWED
from census.domain.problems import Problem
from census.domain.roles import STAFF as STAFF_ROLES
from census.services import audit, places
from census.store import Conflict, DuplicateKey, Holding, Store
from census.surveys.conform import conform
from census.surveys.definition import NUMBER_FIELD, FormDef
from census.surveys.photos import PhotoWrites, as_plain, new_photos, photo_names
from census.surveys.validate import clean, has_errors

VERSIONS = "versions"
META_KEYS = (
    "uuid",
    "submission_hash",
    "surveyor",
    "visited_at",
    "visit_outcome",
    "review_state",
    "reviewed_by",
    "reviewed_at",
    "merged_into",
    "merged_from",
    "merged_at",
    "pending_fields",
)
SUBMITTED, APPROVED = "submitted", "approved"
PENDING = "pending_fields"
MEMBERS = "members"


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


def prepare_store(store: Store) -> None:
    """Declare the indexes the app looks records up by."""
    households = store.collection("households")
    for path in (
        "uuid",
        "household_no",
        "building",
        "members.id_number",
        "members.name",
        "surveyor",
        "review_state",
    ):
        households.ensure_index(path)
    store.collection("review_comments").ensure_index("key")
    for path in ("action", "actor"):
        store.collection(audit.COLLECTION).ensure_index(path)
    store.collection("storefronts").ensure_index("uuid")
    store.collection("units").ensure_index("uuid")
    store.collection(VERSIONS).ensure_index("key")
    store.collection("users").ensure_index("username")
    store.collection("tokens").ensure_index("token_hash")
    store.collection("buildings").ensure_index("name")


def repair_stored(store: Store, forms: dict[str, FormDef], *, user: str = "system") -> int:
    """Bring stored records that are not in their form's shape back to it; return how many.

    See ``census.surveys.conform``: run when the app opens the store, so that no page or
    export meets a value of the wrong type. Each repaired record is saved as a new version
    (action ``repair``, audited); the version before keeps what was stored.

    Households stored in a building missing from the address tree (older data, written
    before every save put its building there) get their building added, without a grid
    (``places.add_buildings``, reason ``repair``): every output then shows them.
    """
    repaired, seen = 0, set()
    buildings: dict[str, None] = {}
    for form in forms.values():
        if form.collection in seen:
            continue
        seen.add(form.collection)
        collection = store.collection(form.collection)
        for doc in collection.scan_shared():
            fixed = conform(form, doc)
            building = (doc if fixed is None else fixed).get("building")
            if form.in_address_tree and isinstance(building, str) and building.strip():
                buildings[building] = None  # (a building stored as no text is text once conformed)
            if fixed is None:
                continue
            record = {k: v for k, v in fixed.items() if k not in ("id", "_rev")}
            target = f"{form.collection}/{doc['id']}"
            now = datetime.now().isoformat(timespec="seconds")
            try:
                with store.atomic():
                    rev = collection.update(doc["id"], record, expected_rev=doc["_rev"])
                    store.collection(VERSIONS).insert(
                        {
                            "key": target,
                            "rev": rev,
                            "saved_by": user,
                            "saved_at": now,
                            "action": "repair",
                            "detail": {},
                            "record": record,
                        }
                    )
                    audit.record(store, user, "repair", target, rev=rev)
            except Conflict:
                continue  # changed meanwhile (another server): that write went through clean
            repaired += 1
    places.add_buildings(
        store, [(name, places.NO_GRID) for name in buildings], user=user, reason="repair"
    )
    return repaired


_address = address_text


class PeopleIndex:
    """Every stored household by its members' ID numbers and by their name and birth date.

    For checking many records at once (an import): one read of the households instead of
    an index lookup per member, each copying every household that shares a common name.
    The households are the store's shared documents: only read them.
    """

    def __init__(self, store: Store) -> None:
        self.by_id: dict[str, list[dict[str, Any]]] = {}
        self.by_name_birth: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for doc in store.collection("households").scan_shared():
            for member in doc.get("members") or []:
                if member.get("id_number"):
                    self.by_id.setdefault(member["id_number"], []).append(doc)
                who = persons.name_birth(member)
                if who is not None:
                    self.by_name_birth.setdefault(who, []).append(doc)

    def candidates(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        """The stored households sharing an active member's ID number or name and birth date."""
        found: dict[int, dict[str, Any]] = {}
        for member in record.get("members") or []:
            if (member.get("status") or "active") != "active":
                continue
            for doc in self.by_id.get(member.get("id_number") or "", ()):
                found[doc["id"]] = doc
            for doc in self.by_name_birth.get(persons.name_birth(member) or ("", ""), ()):
                found[doc["id"]] = doc
        return list(found.values())


def _cross_checks(
    store: Store, record: dict[str, Any], record_id: int | None, people: PeopleIndex | None = None
) -> list[Problem]:
    """Warnings that need other records: the same person active in another household.

    By ID number (``id_in_other_household``), else by name and birth date
    (``probable_duplicate``); candidates come from the two member indexes, never a scan
    (or from ``people``, read once for a whole batch).
    """
    if people is not None:
        return checks.cross_checks(record, record_id, people.candidates(record))
    return checks.cross_checks(record, record_id, candidates(store, record))


def candidates(store: Store, record: dict[str, Any]) -> list[dict[str, Any]]:
    """The stored households that may share a person with ``record``: an active member's ID
    number, or name and birth date (as ``PeopleIndex.candidates`` finds them for a batch).

    Asked in one lookup (``find_any``: one query on PostgreSQL, where a member each by ID
    and by name were a dozen round trips a save), and given in the order those lookups
    were once made one by one: by member, ID number before name."""
    wanted: list[tuple[str, str, str]] = []  # (id number, name, birth date) of each member
    for member in record.get("members") or []:
        if (member.get("status") or "active") != "active":
            continue
        number = member.get("id_number") or ""
        name, born = (member.get("name") or "", str(member.get("birth_date") or ""))
        if not member.get("birth_date"):
            name = ""
        if number or name:
            wanted.append((number, name, born))
    alternatives: list[dict[str, object]] = []
    for number, name, born in wanted:
        if number:
            alternatives.append({"members.id_number": number})
        if name:
            # a member of that name born that day (as ``name_birth`` compares it: as text);
            # one element holding both, where a common name, or a common birthday, alone
            # fetched dozens of households (and cost the database 6 ms a save to sift)
            alternatives.append({"members": Holding(name=name, birth_date=born)})
    if not alternatives:
        return []
    docs = store.collection("households").find_any(alternatives)
    found: dict[int, dict[str, Any]] = {}
    for number, name, born in wanted:
        if number:
            found |= {d["id"]: d for d in docs if d["id"] not in found and _holds(d, number=number)}
        if name:
            found |= {
                d["id"]: d for d in docs if d["id"] not in found and _holds(d, name=name, born=born)
            }
    return list(found.values())


def _holds(household: dict[str, Any], *, number: str = "", name: str = "", born: str = "") -> bool:
    """Whether a household found by ``candidates`` has a member of that ID number, or one of
    that name born that day (what each of its lookups asked)."""
    if number:
        return Holding(id_number=number).held_by(household.get("members"))
    return Holding(name=name, birth_date=born).held_by(household.get("members"))


def consistency(
    store: Store, household: dict[str, Any], record_id: int | None, today: date | None = None
) -> list[Problem]:
    """Every consistency check on a household as stored: alone, then against the others."""
    found = checks.check_household(household, today or date.today())
    return found + _cross_checks(store, household, record_id)


def canonical_dwelling(record: dict[str, Any]) -> None:
    """Unit and room stored as their canonical parts: 3单元 → 3, 101室 → 101, 三 → 3.

    Every page and print shows them one way (``address_text``: 1栋3单元101室), and the
    same dwelling typed two ways is one dwelling.
    """
    for key, part in (("unit", unit_part), ("room", room_part)):
        if isinstance(record.get(key), str):
            record[key] = part(record[key])


def _not_yet(found: list[Problem], known: list[Problem]) -> list[Problem]:
    """Problems not already reported at the same place with the same code."""
    seen = {(p.code, p.path) for p in known}
    return [p for p in found if (p.code, p.path) not in seen]


_MEMBER_PATH = re.compile(r"^members\[(\d+)\]\.(\w+)$")


def _every_member(waived: Collection[str]) -> set[str]:
    """The member fields waived for every member (``members.relation``)."""
    return {key.partition(".")[2] for key in waived if key.startswith(f"{MEMBERS}.")}


def waive(problems: list[Problem], waived: Collection[str]) -> list[Problem]:
    """Without the "required" of the fields a save lets stay blank (``pending_fields``):
    ``housing``, ``members.relation`` (every member: the file had no such column) or
    ``members[2].relation`` (one member, carried by a life event). While a relation is
    waived, a household without a head is no error either: nobody can say yet who it is.

    Only the import's meta and the stored record name such fields (a form's save, a
    surveyor's or an API client's, passes none), so whoever completes the record must
    fill them in."""
    if not waived:
        return problems
    every = _every_member(waived)
    relation = "relation" in every or any(
        (m := _MEMBER_PATH.match(key)) and m.group(2) == "relation" for key in waived
    )

    def kept(problem: Problem) -> bool:
        if problem.code == "required":
            if problem.path in waived:
                return False
            match = _MEMBER_PATH.match(problem.path)
            return not (match and match.group(2) in every)
        if problem.code == "head_count" and problem.path == MEMBERS:
            return not (relation and problem.params.get("count") == 0)
        return True

    return [p for p in problems if kept(p)]


def _blank(value: Any) -> bool:
    return value in (None, "", [])


def mark_pending(record: dict[str, Any], waived: Collection[str] = ()) -> None:
    """What stays to be verified (待核实) after a save, written into the record.

    A member keeps in its own ``pending_fields`` the waived fields it still lacks; the
    household keeps its own such fields and ``members.<field>`` while any member lacks
    one, so that every list of records to verify finds it. Filled in, a field leaves the
    list; nothing left, the key goes. ``waived`` paths of one member (``members[2].x``)
    count by the roster's position (the record as saved, whose entries life events and
    imports never drop)."""
    given = [str(key) for key in record.get(PENDING) or ()]
    every = _every_member(waived)
    members = record.get(MEMBERS)
    entries: list[str] = []
    for n, member in enumerate(members if isinstance(members, list) else []):
        if not isinstance(member, dict):
            continue
        member.pop(PENDING, None)  # never what was sent: only what is waived now
        left = [
            key
            for key, value in member.items()
            if (key in every or f"{MEMBERS}[{n}].{key}" in waived) and _blank(value)
        ]
        if left:
            member[PENDING] = left
            entries += [f"{MEMBERS}.{key}" for key in left if f"{MEMBERS}.{key}" not in entries]
    top = [key for key in given if "." not in key and "[" not in key and _blank(record.get(key))]
    ordered = [key for key in given if key in entries] + [k for k in entries if k not in given]
    if top or ordered:
        record[PENDING] = top + ordered
    else:
        record.pop(PENDING, None)


def _review_state(
    store: Store,
    user: str,
    previous: dict[str, Any] | None,
    meta: dict[str, Any] | None,
    account: Mapping[str, Any] | None = None,
) -> str:
    """The review state a save leaves (see the module docstring). ``account``: the user's
    stored account when the caller has read it already (else it is read here)."""
    if meta and meta.get("review_state"):
        return str(meta["review_state"])
    if account is None or account.get("username") != user:
        account = store.collection("users").find_one(username=user)
    if account is not None and account.get("role") not in STAFF_ROLES:
        return SUBMITTED
    if previous and previous.get("review_state"):
        return str(previous["review_state"])
    return APPROVED


def _adds_buildings(store: Store, user: str) -> bool:
    """May this user's save add a building the tree lacks? Staff and the system, not surveyors."""
    account = store.collection("users").find_one(username=user)
    return account is None or account.get("role") in STAFF_ROLES


def _building_check(store: Store, record: dict[str, Any], user: str) -> list[Problem]:
    """A surveyor's household in a building the community does not have: refused, named.

    A staff member's (or an import's) adds the building when stored (``places``).
    """
    name = record.get("building")
    if not name or not places.missing(store, [name]) or _adds_buildings(store, user):
        return []
    return [places.unknown_building(name)]


def _add_building(store: Store, record: dict[str, Any], user: str, target: str) -> None:
    """Put a household's building into the tree if it is not there (inside the save's block)."""
    if record.get("building"):
        places.add_buildings(
            store, [(record["building"], places.NO_GRID)], user=user, reason="save", record=target
        )


HOUSEHOLD_NO = NUMBER_FIELD


def _unique(form: FormDef) -> tuple[str, ...]:
    """The fields no two records of the form may share: the uuid, and a numbered form's 户编号."""
    return ("uuid", HOUSEHOLD_NO) if form.numbered else ("uuid",)


def _visited(record: dict[str, Any], user: str, now: str) -> None:
    """A door-visit record is a completed visit by whoever saves it, now, unless it says."""
    record.setdefault("visit_outcome", "completed")
    record.setdefault("surveyor", user)
    record.setdefault("visited_at", now)


def _next_household_no(store: Store, taken: Collection[str] = ()) -> str:
    """A household number nobody holds, claimed from the store's counter.

    Call inside the ``atomic()`` block that stores the household: the claim and the record
    are kept together, and two servers saving at the same moment never get the same number.
    Numbers typed in (imports, staff) are skipped over, never taken twice. The counter
    starts after the households already there (a data folder from before the counter).
    """
    households = store.collection("households")
    floor = 1
    while True:
        claimed = store.next_number(HOUSEHOLD_NO, floor=floor)
        if claimed == 1 and floor == 1 and len(households):
            floor = len(households) + 1  # a folder from before the counter: start after them
            continue
        number = f"H{claimed:04d}"
        if number not in taken and not households.count(household_no=number):
            return number


def save(
    store: Store,
    form: FormDef,
    raw: dict[str, Any],
    *,
    user: str,
    record_id: int | None = None,
    expected_rev: int | None = None,
    meta: dict[str, Any] | None = None,
    today: date | None = None,
    action: str | None = None,
    detail: dict[str, Any] | None = None,
    photos_kept: Collection[str] = (),
    cleaned: tuple[dict[str, Any], list[Problem]] | None = None,
    stored: dict[str, Any] | None = None,
    account: Mapping[str, Any] | None = None,
) -> SaveResult:
    """Validate and store one record (new when record_id is None); keep every version.

    ``action`` names the save in the audit log and the history (default create / edit;
    life events pass move_out, birth …) and ``detail`` adds to the audit entry.
    ``photos_kept`` are stored photos the record may name besides its own (a conflict's,
    kept when the edit arrived).

    What the caller has worked out already is not done again: ``cleaned``, what
    ``clean(form, raw)`` gave for this ``raw`` (an API edit checks it before it decides
    between a save and a conflict); ``stored``, the record as read at ``expected_rev``
    (a stale one still fails with ``Conflict`` when written); ``account``, the saving
    user's stored account (its role decides the review state).
    """
    record, problems = cleaned if cleaned is not None else clean(form, raw, today=today)
    record, problems = dict(record), list(problems)
    collection = store.collection(form.collection)
    if stored is not None and stored.get("id") == record_id and expected_rev is not None:
        previous: dict[str, Any] | None = stored if stored.get("_rev") == expected_rev else None
    else:
        previous = None
    if previous is None and record_id is not None:
        previous = collection.get(record_id)
    waived = {str(key) for key in (meta or {}).get(PENDING) or ()}
    if action not in (None, "create", "edit") and previous and previous.get(PENDING):
        # a life event (a death, a move) on a household to be verified does not wait for
        # the fields the import lacked; an edit of the record itself fills them in. Its
        # members' fields come in the event's meta, member by member (a new member of a
        # pending household is not waived for being there)
        waived |= {str(k) for k in previous[PENDING] if not str(k).startswith(f"{MEMBERS}.")}
    problems = waive(problems, waived)
    canonical_dwelling(record)
    if form.in_address_tree:
        problems += _building_check(store, record, user)
    if form.person_checks:
        problems += _cross_checks(store, record, record_id)
        problems += _not_yet(checks.check_household(record, today or date.today()), problems)
        problems = waive(problems, waived)  # no "no head" warning while relations wait
    # A photo is new (sent as its bytes) or one this record had: naming another's is refused.
    photos = new_photos(record)
    kept = (photo_names(previous) if previous else set()) | set(photos_kept)
    if photo_names(record) - kept - {str.__str__(p) for p in photos}:
        problems.append(Problem("photo_unknown", ""))
    if has_errors(problems):
        return SaveResult(None, as_plain(record), problems)
    record = as_plain(record)
    now = datetime.now().isoformat(timespec="seconds")
    for key in META_KEYS:
        if previous and key in previous:
            record[key] = previous[key]
        if meta and meta.get(key) is not None:
            record[key] = meta[key]
    if form.collection in REVIEWED:  # households, storefronts and units are reviewed
        record["review_state"] = _review_state(store, user, previous, meta, account)
    mark_pending(record, waived)
    if form.door_visits:
        _visited(record, user, now)
    if form.numbered and not record.get(HOUSEHOLD_NO) and previous and previous.get(HOUSEHOLD_NO):
        record[HOUSEHOLD_NO] = previous[HOUSEHOLD_NO]
    record["updated_at"], record["updated_by"] = now, user
    record["created_at"] = previous.get("created_at", now) if previous else now
    record["created_by"] = previous.get("created_by", user) if previous else user
    unique = _unique(form)
    # the record, its version and the audit entry are stored together or not at all
    numbered = form.numbered and not record.get(HOUSEHOLD_NO)
    # a new photo is written inside the block (with PostgreSQL in its transaction) and
    # taken out again when the record is not stored (a full disk, a conflict, a uuid taken)
    with PhotoWrites(store.media, form.collection, photos) as written, store.atomic():
        written.put()
        for attempt in range(5):
            if numbered:
                record["household_no"] = _next_household_no(store)
            try:
                if record_id is None:
                    record_id = collection.insert(record, unique=unique)
                    rev = 1
                else:
                    rev = collection.update(
                        record_id, record, expected_rev=expected_rev, unique=unique
                    )
                break
            except DuplicateKey as dup:
                if dup.field != "household_no":
                    raise
                if numbered and attempt < 4:
                    continue  # another server stored the number typed in meanwhile: the next
                problems.append(
                    Problem("household_no_taken", "household_no", {"value": record["household_no"]})
                )
                written.take_back()
                return SaveResult(None, record, problems)
        action = action or ("create" if rev == 1 else "edit")
        if form.in_address_tree:
            _add_building(store, record, user, f"{form.collection}/{record_id}")
        store.collection(VERSIONS).insert(
            {
                "key": f"{form.collection}/{record_id}",
                "rev": rev,
                "saved_by": user,
                "saved_at": now,
                "action": action,
                "detail": detail or {},
                "record": record,
            }
            | typed_ids(problems)
        )
        audit.record(
            store, user, action, f"{form.collection}/{record_id}", rev=rev, **(detail or {})
        )
    return SaveResult(record_id, record, problems)


def set_meta(
    store: Store,
    collection_name: str,
    record_id: int,
    changes: dict[str, Any],
    *,
    user: str,
    action: str,
    expected_rev: int | None = None,
    **detail: Any,
) -> dict[str, Any]:
    """Change bookkeeping fields only (review state, merge links): a new version, audited.

    The data fields are untouched, so nothing is validated again; ``updated_*`` keep naming
    the last person who changed the data. Returns the stored record with its new ``_rev``.
    """
    unknown = set(changes) - set(META_KEYS)
    if unknown:
        raise ValueError(f"not bookkeeping fields: {sorted(unknown)}")
    collection = store.collection(collection_name)
    current = collection.get(record_id)
    if current is None:
        from census.store import NotFound

        raise NotFound(collection_name, record_id)
    record = {k: v for k, v in current.items() if k not in ("id", "_rev")} | changes
    target = f"{collection_name}/{record_id}"
    with store.atomic():  # the record, its version and the audit entry
        rev = collection.update(record_id, record, expected_rev=expected_rev)
        store.collection(VERSIONS).insert(
            {
                "key": target,
                "rev": rev,
                "saved_by": user,
                "saved_at": datetime.now().isoformat(timespec="seconds"),
                "action": action,
                "detail": detail,
                "record": record,
            }
        )
        audit.record(store, user, action, target, rev=rev, **detail)
    return record | {"id": record_id, "_rev": rev}


def restore(
    store: Store,
    form: FormDef,
    record_id: int,
    rev: int,
    *,
    user: str,
    expected_rev: int | None = None,
    today: date | None = None,
) -> SaveResult:
    """Save an old version's data again as the newest version (nothing is overwritten).

    The old data goes through ``save``: validated by today's rules, checked, audited as
    ``restore`` with the version it came from. Bookkeeping (review state, surveyor, merge
    links) stays as it is now.
    """
    old = next((v for v in history(store, form.collection, record_id) if v["rev"] == rev), None)
    if old is None:
        return SaveResult(None, {}, [Problem("version_unknown", "", {"rev": rev})])
    raw = {k: v for k, v in old["record"].items() if k not in META_KEYS}
    return save(
        store,
        form,
        raw,
        user=user,
        record_id=record_id,
        expected_rev=expected_rev,
        today=today,
        action="restore",
        detail={"from_rev": rev},
    )


def check(
    store: Store,
    form: FormDef,
    raw: dict[str, Any],
    *,
    record_id: int | None = None,
    today: date | None = None,
) -> tuple[dict[str, Any], list[Problem]]:
    """The record as ``save`` would store it and every problem, without storing anything."""
    record, problems = clean(form, raw, today=today)
    canonical_dwelling(record)
    if form.person_checks:
        problems += _cross_checks(store, record, record_id)
        problems += _not_yet(checks.check_household(record, today or date.today()), problems)
    return record, problems


PARALLEL_FROM = 1000  # records; below this a pool of processes costs more than it saves
_BATCH: tuple[FormDef, list[dict[str, Any]], date] | None = None  # what forked workers clean


def check_many(
    store: Store,
    form: FormDef,
    raws: list[dict[str, Any]],
    *,
    record_ids: list[int | None] | None = None,
    today: date | None = None,
    workers: int | None = None,
    parallel_from: int = PARALLEL_FROM,
) -> list[tuple[dict[str, Any], list[Problem]]]:
    """``check`` for many records, in order; what ``save_many`` takes as ``checked``.

    ``clean`` needs no store, so for a large batch it runs in forked worker processes
    (one per CPU by default); the checks against other records run here, one by one, as
    in ``check``. Forking is only done from a single-threaded process (the command line),
    never inside the threaded web server.
    """
    today = today or date.today()
    ids = record_ids or [None] * len(raws)
    cleaned = _clean_many(form, raws, today, workers or os.cpu_count() or 1, parallel_from)
    people = PeopleIndex(store) if form.person_checks and len(raws) > 1 else None
    out = []
    for (record, problems, household), record_id in zip(cleaned, ids, strict=True):
        if form.person_checks:
            problems += _cross_checks(store, record, record_id, people)
            problems += _not_yet(household, problems)
        out.append((record, problems))
    return out


Cleaned = tuple[dict[str, Any], list[Problem], list[Problem]]


def _clean_one(form: FormDef, raw: dict[str, Any], today: date) -> Cleaned:
    """What needs no store: ``clean`` and the household's own consistency checks."""
    record, problems = clean(form, raw, today=today)
    canonical_dwelling(record)
    household = checks.check_household(record, today) if form.person_checks else []
    return record, problems, household


def _clean_many(
    form: FormDef, raws: list[dict[str, Any]], today: date, workers: int, parallel_from: int
) -> list[Cleaned]:
    parallel = (
        workers > 1
        and len(raws) >= parallel_from
        and threading.active_count() == 1
        and "fork" in multiprocessing.get_all_start_methods()
    )
    if not parallel:
        return [_clean_one(form, raw, today) for raw in raws]
    global _BATCH
    _BATCH = (form, raws, today)  # forked workers see it without pickling the raws
    size = -(-len(raws) // (workers * 4))
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_clean_part, [(n, n + size) for n in range(0, len(raws), size)])
    finally:
        _BATCH = None
    return [result for part in parts for result in part]


def _clean_part(bounds: tuple[int, int]) -> list[Cleaned]:
    assert _BATCH is not None
    form, raws, today = _BATCH
    return [_clean_one(form, raw, today) for raw in raws[bounds[0] : bounds[1]]]


def save_many(
    store: Store,
    form: FormDef,
    raws: list[dict[str, Any]],
    *,
    user: str,
    metas: list[dict[str, Any] | None] | None = None,
    checked: list[tuple[dict[str, Any], list[Problem]]] | None = None,
    today: date | None = None,
) -> list[SaveResult]:
    """Validate and insert many new records at once: one write per collection, not per record.

    The same rules as ``save`` (pass ``checked``, the results of ``check`` on the same raws,
    to skip validating twice). Records with errors are not stored; the others go into the
    store in one batch with their versions and one audit entry, all in one ``Store.atomic``
    block: a failure stores none of the batch. ID numbers shared between records of the batch
    are the caller's to check.
    """
    if checked is None:
        checked = [check(store, form, raw, today=today) for raw in raws]
    metas = metas or [None] * len(checked)
    collection = store.collection(form.collection)
    now = datetime.now().isoformat(timespec="seconds")
    results = [SaveResult(None, dict(record), list(problems)) for record, problems in checked]
    if form.numbered:
        _claim_household_numbers(store, results)
    keep = [n for n, result in enumerate(results) if not has_errors(result.problems)]
    # Without a review state in its meta, a new record's state depends on the user only.
    reviewed = form.collection in REVIEWED
    state = _review_state(store, user, None, None) if reviewed else None
    for n in keep:
        record, meta = results[n].record, metas[n]
        for key in META_KEYS:
            if meta and meta.get(key) is not None:
                record[key] = meta[key]
        if reviewed:
            given = meta.get("review_state") if meta else None
            record["review_state"] = str(given) if given else state
        mark_pending(record, (meta or {}).get(PENDING) or ())
        if form.door_visits:
            _visited(record, user, now)
        record["updated_at"], record["updated_by"] = now, user
        record["created_at"], record["created_by"] = now, user
    unique = _unique(form)
    with store.atomic():  # the records, their versions and the audit entry: all or nothing
        if form.numbered:
            _number_blank(store, [results[n] for n in keep])
        if form.in_address_tree:
            kept = [results[n].record.get("building") for n in keep]
            places.add_buildings(
                store,
                [(name, places.NO_GRID) for name in kept if name],
                user=user,
                reason="save",
                record=form.collection,
            )
        ids = collection.insert_many([results[n].record for n in keep], unique=unique)
        store.collection(VERSIONS).insert_many(
            [
                {
                    "key": f"{form.collection}/{record_id}",
                    "rev": 1,
                    "saved_by": user,
                    "saved_at": now,
                    "action": "create",
                    "detail": {},
                    "record": results[n].record,
                }
                | typed_ids(results[n].problems)
                for n, record_id in zip(keep, ids, strict=True)
            ]
        )
        if ids:
            audit.record(store, user, "create", form.collection, ids=ids, count=len(ids), rev=1)
    for n, record_id in zip(keep, ids, strict=True):
        results[n].id = record_id
    return results


def _claim_household_numbers(store: Store, results: list[SaveResult]) -> None:
    """Refuse numbers already stored or used twice in the batch."""
    households = store.collection("households")
    taken: set[str] = set()
    for result in results:
        number = result.record.get("household_no")
        if not number:
            continue
        if number in taken or households.count(household_no=number):
            result.problems.append(Problem("household_no_taken", "household_no", {"value": number}))
        taken.add(number)


def _number_blank(store: Store, results: list[SaveResult]) -> None:
    """Give the households without a number one each (inside the block that stores them)."""
    taken = {r.record["household_no"] for r in results if r.record.get("household_no")}
    for result in results:
        if not result.record.get("household_no"):
            result.record["household_no"] = _next_household_no(store, taken)
            taken.add(result.record["household_no"])


def typed_ids(problems: list[Problem]) -> dict[str, dict[str, str]]:
    """What a version keeps of ID numbers stored otherwise than typed: stored → typed.

    A 15-digit number is stored as its 18 digits (``id_upgraded``); the version holding the
    record also holds the number as it was typed, so the history shows both (the audit
    log, which holds no ID numbers, does not). Nothing when no number was upgraded.
    """
    found = {p.params["stored"]: p.params["typed"] for p in problems if p.code == "id_upgraded"}
    return {"typed_ids": found} if found else {}


def history(store: Store, collection: str, record_id: int) -> list[dict[str, Any]]:
    """Every saved version of a record, newest first."""
    versions = store.collection(VERSIONS).find(key=f"{collection}/{record_id}")
    return sorted(versions, key=lambda v: v["rev"], reverse=True)
