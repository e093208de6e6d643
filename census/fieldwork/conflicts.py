"""Conflicts: an edit that started from an old revision, kept aside until a reviewer decides.

When a client sends an edit (of a household, storefront or unit) whose ``base_revision`` is
no longer the stored revision, nothing is overwritten: the submitted body is kept in a
conflict record (``theirs``) and a reviewer compares it with the stored record (``mine``)
field by field.

Members are matched by identity, not by position (``census.domain.persons``: the ID
number, else name and birth date, else a name only one member on each side bears; two
different ID numbers are two people). A member only one side has is a choice too (keep or
drop one that the edit removed; add or skip one that the edit added). Every choice
defaults to the stored value, so saving without touching anything changes nothing. The
resolution is saved as a new version (the stored one stays in the history), and the
conflict keeps the submitted body for good.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from census.domain import persons
from census.fieldwork import CONFLICTS
from census.services import audit, records
from census.store import Conflict, DuplicateKey
from census.surveys.definition import FieldDef, FormDef
from census.surveys.photos import PhotoWrites, as_plain, new_photos, photo_names, read_new_photos
from census.surveys.validate import clean

OPEN, RESOLVED = "open", "resolved"
MINE, THEIRS = "mine", "theirs"


# -- matching and comparing ------------------------------------------------------------


def match_members(
    mine: Sequence[Mapping[str, Any]], theirs: Sequence[Mapping[str, Any]]
) -> list[tuple[int | None, int | None]]:
    """Pairs of (index in mine, index in theirs) for the same person; loners alone.

    Who is the same person is ``census.domain.persons``' rule (the history and the import
    use it too). Pairs come in the stored order, then the members only the edit has.
    """
    partner = {i: j for j, i in persons.match_members(mine, theirs).items()}
    pairs: list[tuple[int | None, int | None]] = [(i, partner.get(i)) for i in range(len(mine))]
    taken = set(partner.values())
    pairs += [(None, j) for j in range(len(theirs)) if j not in taken]
    return pairs


@dataclass(frozen=True)
class Change:
    """One value that differs: the radio group ``name`` picks mine or theirs."""

    name: str
    key: str
    mine: Any
    theirs: Any


@dataclass
class MemberChange:
    """A member as each side has it (None: that side does not have them) and what differs."""

    index: int
    mine: Mapping[str, Any] | None
    theirs: Mapping[str, Any] | None
    changes: list[Change] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The radio group for keeping or dropping a member only one side has."""
        return f"m{self.index}"

    @property
    def who(self) -> str:
        """How the member is called on the page."""
        person = self.mine or self.theirs or {}
        return str(person.get("name") or "?")


@dataclass
class Diff:
    """Everything a reviewer has to decide, and what both sides hold."""

    mine: dict[str, Any]
    theirs: dict[str, Any]
    pairs: list[tuple[int | None, int | None]]
    fields: list[Change] = field(default_factory=list)
    members: list[MemberChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Both sides say the same."""
        return not self.fields and not self.members

    def names(self) -> list[str]:
        """Every radio group on the page."""
        names = [c.name for c in self.fields]
        for m in self.members:
            names += [c.name for c in m.changes] if m.mine and m.theirs else [m.name]
        return names


def _roster(defn: FormDef) -> FieldDef | None:
    return next((f for f in defn.fields if f.type == "repeat"), None)


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == []


def _same(a: Any, b: Any) -> bool:
    return (_blank(a) and _blank(b)) or a == b


def diff(defn: FormDef, current: Mapping[str, Any], submitted: Mapping[str, Any]) -> Diff:
    """Compare the stored record with a submitted body (cleaned as a save would clean it)."""
    theirs, _problems = clean(defn, dict(submitted))
    roster = _roster(defn)
    mine = {f.key: current.get(f.key) for f in defn.fields if f.type != "repeat"}
    result = Diff(mine=mine, theirs=theirs, pairs=[])
    for f in defn.fields:
        if f.type == "repeat" or f.key not in submitted:
            continue  # a key the edit did not send is a key it did not change
        if f.key == "household_no" and _blank(theirs.get(f.key)):
            continue  # blank means "keep the number", as on the form
        if not _same(mine[f.key], theirs.get(f.key)):
            result.fields.append(Change(f"f.{f.key}", f.key, mine[f.key], theirs.get(f.key)))
    if roster is None or roster.key not in submitted:
        return result
    mine_members = list(current.get(roster.key) or [])
    their_members = list(theirs.get(roster.key) or [])
    result.mine[roster.key], result.theirs[roster.key] = mine_members, their_members
    result.pairs = match_members(mine_members, their_members)
    for n, (i, j) in enumerate(result.pairs):
        a = mine_members[i] if i is not None else None
        b = their_members[j] if j is not None else None
        entry = MemberChange(n, a, b)
        if a is not None and b is not None:
            entry.changes = [
                Change(f"m{n}.{s.key}", s.key, a.get(s.key), b.get(s.key))
                for s in roster.fields
                if not _same(a.get(s.key), b.get(s.key))
            ]
            if not entry.changes:
                continue
        result.members.append(entry)
    return result


# What a review action changes in a record (``census.services.review`` through
# ``records.set_meta``), and what every save writes anew: none of it is the record's answers.
# A comment and the fields it names are kept beside the record (``review_comments``).
NOT_ANSWERS = (
    "id",
    "_rev",
    "review_state",
    "reviewed_by",
    "reviewed_at",
    "updated_at",
    "updated_by",
)


def _answers(record: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in NOT_ANSWERS}


def review_only_since(store: Any, collection: str, current: Mapping[str, Any], base: int) -> bool:
    """Did every revision after ``base`` change the review only (returned, approved…)?

    Then an edit made from ``base`` (a tablet's page kept before the return) changes the
    record as it would have changed ``base``: nothing anyone did since is lost, so it is
    no conflict. Read from the kept versions; a revision missing from them counts as a
    change, and so does a merge link or any answer, even one changed back since.
    """
    if not 1 <= base < current["_rev"]:
        return False
    wanted = range(base, current["_rev"] + 1)
    kept = {
        v["rev"]: v["record"]
        for v in records.history(store, collection, current["id"])
        if v["rev"] in wanted
    }
    if set(kept) != set(wanted):
        return False
    before = _answers(kept[base])
    later = [kept[rev] for rev in wanted[1:]] + [current]
    return all(_answers(record) == before for record in later)


def merge(defn: FormDef, d: Diff, choices: Mapping[str, str]) -> dict[str, Any]:
    """The record the reviewer chose: the stored values, except where they picked theirs."""
    merged = dict(d.mine)
    for change in d.fields:
        if choices.get(change.name) == THEIRS:
            merged[change.key] = change.theirs
    roster = _roster(defn)
    if roster is None or roster.key not in d.theirs:
        return merged
    mine_members, their_members = d.mine[roster.key], d.theirs[roster.key]
    members = []
    for n, (i, j) in enumerate(d.pairs):
        if i is not None and j is not None:
            person = dict(mine_members[i])
            for s in roster.fields:
                if choices.get(f"m{n}.{s.key}") == THEIRS:
                    person[s.key] = their_members[j].get(s.key)
            members.append(person)
        elif i is not None:
            if choices.get(f"m{n}") != THEIRS:  # theirs removed this member
                members.append(dict(mine_members[i]))
        elif j is not None and choices.get(f"m{n}") == THEIRS:  # theirs added this member
            members.append(dict(their_members[j]))
    merged[roster.key] = members
    return merged


# -- storing ---------------------------------------------------------------------------


def open_conflict(
    store: Any,
    *,
    collection: str = "households",
    household_id: int,
    base_revision: int,
    current_revision: int,
    theirs: Mapping[str, Any],
    by: str,
    uuid: str,
    defn: FormDef | None = None,
) -> int:
    """Keep a submitted edit that started from an old revision; audited. Returns its id.

    One conflict per edit uuid: a retry of the same edit returns the conflict kept first.
    ``household_id`` is the record's id in ``collection`` (households, or a storefront's or
    unit's since those are edited offline too; the key kept its first name). With the
    form (``defn``), a new photo of the edit is stored as a file beside the record, as a
    save stores it, and the conflict names the file: it holds no base64 while it waits.
    """
    body = read_new_photos(defn.fields, theirs) if defn is not None else dict(theirs)
    photos = new_photos(body)
    doc = {
        "uuid": uuid,
        "collection": collection,
        "household_id": household_id,
        "base_revision": base_revision,
        "current_revision": current_revision,
        "theirs": as_plain(body),
        "by": by,
        "at": datetime.now().isoformat(timespec="seconds"),
        "state": OPEN,
    }
    # the photos, the conflict and its audit entry: together or not at all
    with PhotoWrites(store.media, collection, photos) as written, store.atomic():
        written.put()
        try:
            conflict_id = store.collection(CONFLICTS).insert(doc, unique=("uuid",))
        except DuplicateKey as dup:
            written.take_back()  # a retry: the first one's photos are kept already
            return dup.existing_id
        audit.record(
            store,
            by,
            "conflict",
            f"{collection}/{household_id}",
            conflict=conflict_id,
            base_revision=base_revision,
            current_revision=current_revision,
        )
    return conflict_id


def open_conflicts(store: Any) -> list[dict[str, Any]]:
    """Conflicts waiting for a reviewer, oldest first."""
    return sorted(store.collection(CONFLICTS).find(state=OPEN), key=lambda c: (c["at"], c["id"]))


def resolve(
    store: Any,
    defn: FormDef,
    conflict: Mapping[str, Any],
    choices: Mapping[str, str],
    *,
    user: str,
    expected_rev: int,
) -> tuple[records.SaveResult, Diff]:
    """Save the chosen values as a new version and close the conflict.

    Raises ``Conflict`` when the record changed since the reviewer's page was drawn (the
    page must be drawn again) and ``ValueError`` when the conflict is closed already. A
    merged record that does not validate is not saved; the result carries the problems.
    """
    if conflict.get("state") != OPEN:
        raise ValueError("conflict is not open")
    if conflict.get("collection", "households") != defn.collection:
        raise ValueError(f"a conflict of {conflict.get('collection')}, not {defn.collection}")
    current = store.collection(defn.collection).get(conflict["household_id"])
    if current is None:
        raise LookupError(conflict["household_id"])
    if current["_rev"] != expected_rev:
        raise Conflict(current["_rev"])
    d = diff(defn, current, conflict["theirs"])
    merged = merge(defn, d, choices)
    picked = {name: THEIRS if choices.get(name) == THEIRS else MINE for name in d.names()}
    took = sorted(name for name, side in picked.items() if side == THEIRS)
    # the merged version and the closed conflict: together or not at all
    with store.atomic():
        result = records.save(
            store,
            defn,
            merged,
            user=user,
            record_id=current["id"],
            expected_rev=expected_rev,
            action="resolve_conflict",  # the version says it merged an edit, and whose
            photos_kept=photo_names(conflict["theirs"]),  # the edit's photos, stored with it
            detail={
                "conflict": conflict["id"],
                "submitted_by": conflict["by"],
                "took_theirs": took,
            },
        )
        if not result.saved:
            return result, d
        closed = dict(conflict) | {
            "state": RESOLVED,
            "resolved_by": user,
            "resolved_at": datetime.now().isoformat(timespec="seconds"),
            "resolved_revision": expected_rev + 1,
            "choices": picked,
        }
        store.collection(CONFLICTS).update(conflict["id"], closed, expected_rev=conflict["_rev"])
    return result, d
