"""Life events: move in, move out, death, birth, change of head, split, merge, change of tenant.

Each event is a function that changes households the way the register keeps time, then
saves them through ``records.save`` (so each gets a version, the consistency checks and one
audit entry named after the event). Nobody is ever deleted: a person who leaves keeps their
entry with ``status`` moved_out or deceased and ``status_date``; a person who arrives has
``move_in_date``; a baby's ``birth_date`` is its ``move_in_date``. Moving between households
(a split, a merge) is leaving one roster on the date and joining the other on the same date.
``census.domain.residents.active_on`` reads exactly these fields, so registers and the
summary as of any past date come out as they were then.

Events that save two households validate both first and save nothing when either fails.

A household an import stored to be verified (待核实, ``records.PENDING``) takes life events
all the same: what it lacks stays blank and listed, household fields and each member's
(``pending_fields`` on the member: a relation the file had no column for), also when the
member moves to another roster (a split, a merge); a split never guesses such a relation.
Only the stored records say what is pending: a person an event is given (a newcomer, a
baby, new tenants) brings no such list with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from census.domain import persons
from census.domain.problems import Problem
from census.services import records
from census.store import Store
from census.surveys.definition import FormDef
from census.surveys.validate import clean, has_errors

ACTIVE, MOVED_OUT, DECEASED = "active", "moved_out", "deceased"
HEAD = "head"
COLLECTION = "households"
EVENTS = (
    "move_in",
    "move_out",
    "death",
    "birth",
    "change_head",
    "split",
    "merge",
    "change_tenant",
)
# A new head's relatives, seen from the new head, when the new head was the old head's child.
FROM_CHILD = {"child_in_law": "spouse", "grandchild": "child", "child": "sibling"}
# Record fields a life event never copies into another household.
BOOKKEEPING = set(records.META_KEYS) | {
    "id",
    "_rev",
    "household_no",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
}


class LifeEventError(ValueError):
    """An event that cannot be recorded as asked; ``problems`` say why, with codes."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(f"{p.path}: {p.code}" for p in problems))
        self.problems = problems


@dataclass
class EventResult:
    """The households an event saved (the one it was about first) and their warnings."""

    ids: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def id(self) -> int:
        """The household the event was recorded on."""
        return self.ids[0]


def _refuse(code: str, path: str = "", **params: Any) -> LifeEventError:
    return LifeEventError([Problem(code, path, params)])


def _load(store: Store, household_id: int) -> dict[str, Any]:
    household = store.collection(COLLECTION).get(household_id)
    if household is None:
        raise _refuse("member_unknown")
    if household.get("merged_into"):
        raise _refuse("household_merged", household=household.get("household_no"))
    return household


def _active(member: dict[str, Any]) -> bool:
    return (member.get("status") or ACTIVE) == ACTIVE


def _pick(household: dict[str, Any], index: int) -> dict[str, Any]:
    """The roster entry at ``index``, which must be on the register."""
    members = household.get("members") or []
    if not 0 <= index < len(members):
        raise _refuse("member_unknown", "members")
    member: dict[str, Any] = members[index]
    if not _active(member):
        raise _refuse("member_not_active", f"members[{index}]", name=member.get("name") or "")
    return member


def _day(on: date | str) -> str:
    return on.isoformat() if isinstance(on, date) else str(on)


def _data(household: dict[str, Any]) -> dict[str, Any]:
    """The household's answers, as a form would post them again."""
    return {k: v for k, v in household.items() if k not in BOOKKEEPING}


def _leave(member: dict[str, Any], status: str, on: str) -> None:
    member["status"], member["status_date"] = status, on


def _sent(person: dict[str, Any]) -> dict[str, Any]:
    """A person as the caller gave them, without a list of fields to verify (not theirs)."""
    return {k: v for k, v in person.items() if k != records.PENDING}


def _pending_relation(person: dict[str, Any]) -> bool:
    """Is this member's relation still to be verified (the import lacked it)?"""
    return "relation" in (person.get(records.PENDING) or ())


def _arrive(person: dict[str, Any], on: str, relation: str | None = None) -> dict[str, Any]:
    """A copy of a person joining a roster on ``on``, active, with their other answers."""
    joined = {k: v for k, v in person.items() if k not in ("status_date",)}
    joined.update(status=ACTIVE, status_date=None, move_in_date=on)
    if relation:
        joined["relation"] = relation
    return joined


def _hand_over_head(
    household: dict[str, Any],
    leaving: Iterable[int],
    new_head: int | None,
    head_relation: str | None,
) -> None:
    """When the head leaves and others stay, ``new_head`` (an index) becomes the head."""
    members = household["members"]
    leaving = set(leaving)
    staying = [n for n, m in enumerate(members) if _active(m) and n not in leaving]
    head_leaves = any(members[n].get("relation") == HEAD for n in leaving)
    if new_head is None:
        if head_leaves and staying:
            raise _refuse("new_head_required", "new_head")
        return
    if new_head not in staying:
        raise _refuse("member_unknown", "new_head")
    _make_head(members, new_head, head_relation)


def _make_head(members: list[dict[str, Any]], new_head: int, old_head_relation: str | None) -> None:
    relation = old_head_relation or "other_relative"
    if relation == HEAD:
        raise _refuse("relation_head_invalid", "head_relation")
    for n, member in enumerate(members):
        if member.get("relation") == HEAD and n != new_head:
            member["relation"] = relation
    members[new_head]["relation"] = HEAD


def _note(form: FormDef, household: dict[str, Any], line: str) -> None:
    """Add a line to the household's notes when it fits (the version keeps it anyway)."""
    limit = next((f.max_length for f in form.fields if f.key == "notes"), None) or 500
    notes = (household.get("notes") or "").rstrip()
    text = f"{notes}\n{line}" if notes else line
    if len(text) <= limit:
        household["notes"] = text


def _validate(
    form: FormDef, raws: list[dict[str, Any]], today: date | None, carried: set[str]
) -> None:
    """Refuse before saving anything when any household of the event would not save."""
    problems: list[Problem] = []
    for raw in raws:
        found = records.waive(clean(form, raw, today=today)[1], _waived(raw, carried))
        problems += [p for p in found if p.is_error]
    if has_errors(problems):
        raise LifeEventError(problems)


def _waived(raw: dict[str, Any], carried: set[str]) -> list[str]:
    """What a save of the event lets stay blank: the household fields still to be verified
    in the households it loaded, and each member's own (by roster position)."""
    found = sorted(carried)
    for n, member in enumerate(raw.get("members") or []):
        if isinstance(member, dict):
            found += [f"members[{n}].{key}" for key in member.get(records.PENDING) or ()]
    return found


def _one(result: records.SaveResult) -> EventResult:
    return EventResult([result.id] if result.id is not None else [], list(result.problems))


@dataclass
class _Event:
    """What every step of one event shares: the store and form, who records it, its name.

    The steps every event takes are here once (load the household, save it as a version
    whose audit entry is named after the event, save two households in one atomic block
    after validating both); each event function keeps only its own rule.
    """

    store: Store
    form: FormDef
    user: str
    action: str
    today: date | None = None
    # household fields still to be verified (待核实) in the households loaded
    carried: set[str] = field(default_factory=set)

    def load(self, household_id: int) -> dict[str, Any]:
        """The household the event is about; refused when unknown or merged away."""
        household = _load(self.store, household_id)
        pending = household.get(records.PENDING) or ()
        self.carried |= {str(k) for k in pending if not str(k).startswith("members.")}
        return household

    def save(
        self,
        raw: dict[str, Any],
        *,
        record_id: int | None = None,
        expected_rev: int | None = None,
        meta: dict[str, Any] | None = None,
        **detail: Any,
    ) -> records.SaveResult:
        """Save one household through ``records.save``; ``detail`` goes into the audit entry."""
        waived = _waived(raw, self.carried)
        if waived:
            meta = dict(meta or {}) | {records.PENDING: waived}
        result = records.save(
            self.store,
            self.form,
            raw,
            user=self.user,
            record_id=record_id,
            expected_rev=expected_rev,
            meta=meta,
            today=self.today,
            action=self.action,
            detail=detail,
        )
        if not result.saved:
            raise LifeEventError([p for p in result.problems if p.is_error])
        return result

    def save_household(
        self, household: dict[str, Any], *, expected_rev: int | None, **detail: Any
    ) -> EventResult:
        """Save the changed household as the event's one version (the usual event)."""
        return _one(
            self.save(
                _data(household), record_id=household["id"], expected_rev=expected_rev, **detail
            )
        )

    @contextmanager
    def together(self, *raws: dict[str, Any]) -> Iterator[None]:
        """Validate every household the event writes, then save them all or none."""
        _validate(self.form, list(raws), self.today, self.carried)
        with self.store.atomic():
            yield


# -- the events --------------------------------------------------------------------------


def move_in(
    store: Store,
    form: FormDef,
    household_id: int,
    person: dict[str, Any],
    *,
    on: date | str,
    user: str,
    expected_rev: int | None = None,
    today: date | None = None,
) -> EventResult:
    """Someone joins an existing household: a new roster entry with ``move_in_date``."""
    event = _Event(store, form, user, "move_in", today)
    household = event.load(household_id)
    household["members"] = [*(household.get("members") or []), _arrive(_sent(person), _day(on))]
    return event.save_household(
        household, expected_rev=expected_rev, member=person.get("name"), on=_day(on)
    )


def move_in_household(
    store: Store,
    form: FormDef,
    household: dict[str, Any],
    *,
    on: date | str,
    user: str,
    today: date | None = None,
) -> EventResult:
    """A new household moves in: everyone on its roster gets ``move_in_date`` = ``on``."""
    event = _Event(store, form, user, "move_in", today)
    raw = _data(household)
    raw["members"] = [_arrive(_sent(m), _day(on)) for m in household.get("members") or []]
    return _one(event.save(raw, on=_day(on)))


def move_out(
    store: Store,
    form: FormDef,
    household_id: int,
    leaving: list[int],
    *,
    on: date | str,
    destination: str = "",
    user: str,
    new_head: int | None = None,
    head_relation: str | None = None,
    expected_rev: int | None = None,
    today: date | None = None,
) -> EventResult:
    """Members move away: moved_out on ``on``, the destination in the notes and the log."""
    event = _Event(store, form, user, "move_out", today)
    household = event.load(household_id)
    people = [_pick(household, n) for n in leaving]
    if not people:
        raise _refuse("member_unknown", "members")
    _hand_over_head(household, leaving, new_head, head_relation)
    for member in people:
        _leave(member, MOVED_OUT, _day(on))
    names = "、".join(m.get("name") or "" for m in people)
    _note(
        form,
        household,
        f"{_day(on)} {names} 迁出" + (f"，迁往{destination}" if destination else ""),
    )
    return event.save_household(
        household, expected_rev=expected_rev, members=names, on=_day(on), destination=destination
    )


def death(
    store: Store,
    form: FormDef,
    household_id: int,
    member_index: int,
    *,
    on: date | str,
    user: str,
    new_head: int | None = None,
    head_relation: str | None = None,
    expected_rev: int | None = None,
    today: date | None = None,
) -> EventResult:
    """A member died on ``on``: deceased, kept on the roster; the head hands over if need be."""
    event = _Event(store, form, user, "death", today)
    household = event.load(household_id)
    member = _pick(household, member_index)
    _hand_over_head(household, [member_index], new_head, head_relation)
    _leave(member, DECEASED, _day(on))
    return event.save_household(
        household, expected_rev=expected_rev, member=member.get("name"), on=_day(on)
    )


def birth(
    store: Store,
    form: FormDef,
    household_id: int,
    child: dict[str, Any],
    *,
    user: str,
    expected_rev: int | None = None,
    today: date | None = None,
) -> EventResult:
    """A baby joins the roster: ``move_in_date`` is the ``birth_date``."""
    if not child.get("birth_date"):
        raise _refuse("required", "birth_date")
    event = _Event(store, form, user, "birth", today)
    household = event.load(household_id)
    born = _day(child["birth_date"])
    household["members"] = [*(household.get("members") or []), _arrive(_sent(child), born)]
    return event.save_household(
        household, expected_rev=expected_rev, member=child.get("name"), on=born
    )


def change_head(
    store: Store,
    form: FormDef,
    household_id: int,
    new_head: int,
    *,
    head_relation: str,
    user: str,
    on: date | str | None = None,
    expected_rev: int | None = None,
    today: date | None = None,
) -> EventResult:
    """Another member becomes the head; the old head takes ``head_relation`` to them."""
    event = _Event(store, form, user, "change_head", today)
    household = event.load(household_id)
    _pick(household, new_head)
    old = next((m.get("name") for m in household["members"] if m.get("relation") == HEAD), "")
    _make_head(household["members"], new_head, head_relation)
    new = household["members"][new_head].get("name")
    when = _day(on or today or date.today())
    _note(form, household, f"{when} 户主由{old}变更为{new}")
    return event.save_household(
        household, expected_rev=expected_rev, old_head=old, new_head=new, on=when
    )


def split(
    store: Store,
    form: FormDef,
    household_id: int,
    leaving: list[int],
    *,
    new_head: int,
    on: date | str,
    user: str,
    address: dict[str, Any] | None = None,
    relations: dict[int, str] | None = None,
    remaining_head: int | None = None,
    head_relation: str | None = None,
    expected_rev: int | None = None,
    today: date | None = None,
) -> EventResult:
    """Members leave to form a new household (at a new or the same address) on ``on``.

    ``new_head`` is one of ``leaving``; ``relations`` gives the others' relation to the new
    head (by roster index; by default a child's spouse becomes spouse and a grandchild child).
    When the old head leaves, ``remaining_head`` takes over the old household.
    """
    event = _Event(store, form, user, "split", today)
    household = event.load(household_id)
    people = {n: _pick(household, n) for n in leaving}
    if new_head not in people:
        raise _refuse("member_unknown", "new_head")
    when = _day(on)
    from_child = people[new_head].get("relation") == "child"
    arriving = []
    for n, person in people.items():
        if n == new_head:
            relation = HEAD
        elif relations and relations.get(n):
            relation = relations[n]
        elif _pending_relation(person):
            relation = None  # still to be verified: not guessed as other_relative
        else:
            relation = FROM_CHILD.get(person.get("relation") or "", "") if from_child else ""
            relation = relation or person.get("relation") or "other_relative"
        arriving.append(_arrive(person, when, relation))
    _hand_over_head(household, leaving, remaining_head, head_relation)
    for person in people.values():
        _leave(person, MOVED_OUT, when)
    old_no = household.get("household_no")
    new = _data(household) | dict(address or {})
    new.update(members=arriving, hardship=[], notes=f"{when} 由 {old_no} 户分户")
    _note(form, household, f"{when} {'、'.join(p.get('name') or '' for p in people.values())} 分户")
    old = _data(household)
    with event.together(old, new):  # both households or neither
        created = event.save(new, on=when, split_from=household_id)
        kept = event.save(
            old,
            record_id=household_id,
            expected_rev=expected_rev,
            on=when,
            split_into=created.id,
        )
    return EventResult([household_id, created.id or 0], kept.problems + created.problems)


def merge(
    store: Store,
    form: FormDef,
    into_id: int,
    from_id: int,
    *,
    on: date | str,
    user: str,
    head_relation: str = "other_relative",
    relations: dict[int, str] | None = None,
    today: date | None = None,
) -> EventResult:
    """Two households become one on ``on``: everyone on the register in ``from_id`` joins
    ``into_id`` (its head with ``head_relation`` to the head they join), and ``from_id`` is
    kept, with everyone moved out and a link to the household it went into."""
    if into_id == from_id:
        raise _refuse("merge_same_household")
    event = _Event(store, form, user, "merge", today)
    into, source = event.load(into_id), event.load(from_id)
    when = _day(on)
    joining = []
    for n, person in enumerate(source.get("members") or []):
        if not _active(person):
            continue
        relation = (relations or {}).get(n) or (
            head_relation if person.get("relation") == HEAD else person.get("relation")
        )
        joining.append(_arrive(person, when, relation))
        _leave(person, MOVED_OUT, when)
    return _combine(event, into, source, joining, on=when)


def merge_duplicate(
    store: Store,
    form: FormDef,
    keep_id: int,
    duplicate_id: int,
    *,
    user: str,
    today: date | None = None,
) -> EventResult:
    """Two records of one household (a duplicate registration) become one, keeping both
    histories: people of the duplicate that the kept record lacks (matched by identity,
    ``census.domain.persons``) join it; the duplicate is marked ``merged_into`` and its
    people leave it today, so figures for past dates stay as they were reported."""
    if keep_id == duplicate_id:
        raise _refuse("merge_same_household")
    event = _Event(store, form, user, "merge_duplicate", today)
    keep, duplicate = event.load(keep_id), event.load(duplicate_id)
    when = _day(today or date.today())
    dup_members = duplicate.get("members") or []
    known = set(persons.match_members(dup_members, keep.get("members") or []).values())
    joining = []
    for n, person in enumerate(dup_members):
        if not _active(person):
            continue
        if n not in known:
            relation = "other_relative" if person.get("relation") == HEAD else None
            joining.append(_arrive(person, when, relation))
        _leave(person, MOVED_OUT, when)
    return _combine(event, keep, duplicate, joining, on=when)


def _combine(
    event: _Event,
    into: dict[str, Any],
    source: dict[str, Any],
    joining: list[dict[str, Any]],
    *,
    on: str,
) -> EventResult:
    """Save both sides of a merge: the joined roster, and the source marked merged_into."""
    into["members"] = [*(into.get("members") or []), *joining]
    _note(event.form, into, f"{on} 并入 {source.get('household_no')} 户")
    _note(event.form, source, f"{on} 并入 {into.get('household_no')} 户")
    new_into, new_source = _data(into), _data(source)
    merged_from = [*(into.get("merged_from") or []), source["id"]]
    with event.together(new_into, new_source):  # both sides of the merge or neither
        kept = event.save(
            new_into,
            record_id=into["id"],
            expected_rev=into["_rev"],
            meta={"merged_from": merged_from},
            merged=source["id"],
            joined="、".join(p.get("name") or "" for p in joining),
        )
        gone = event.save(
            new_source,
            record_id=source["id"],
            expected_rev=source["_rev"],
            meta={"merged_into": into["id"], "merged_at": on},
            into=into["id"],
        )
    return EventResult([into["id"], source["id"]], kept.problems + gone.problems)


def change_tenant(
    store: Store,
    form: FormDef,
    household_id: int,
    tenants: list[dict[str, Any]],
    *,
    on: date | str,
    user: str,
    landlord_name: str | None = None,
    landlord_phone: str | None = None,
    expected_rev: int | None = None,
    today: date | None = None,
) -> EventResult:
    """A rented dwelling changes hands: the old tenants move out on ``on``; the new tenants
    (a roster with one head; none when the dwelling stands empty) move in as a new household
    at the same address, with the landlord as now or as given."""
    event = _Event(store, form, user, "change_tenant", today)
    household = event.load(household_id)
    if household.get("housing") != "rented":
        raise _refuse("not_rented", "housing")
    when = _day(on)
    for member in household.get("members") or []:
        if _active(member):
            _leave(member, MOVED_OUT, when)
    _note(form, household, f"{when} 租户变更，原租户迁出")
    old = _data(household)
    new = None
    if tenants:
        new = _data(household) | {
            "members": [_arrive(_sent(t), when) for t in tenants],
            "hardship": [],
            "notes": f"{when} 新租户入住（原 {household.get('household_no')} 户）",
        }
        if landlord_name is not None:
            new["landlord_name"] = landlord_name
        if landlord_phone is not None:
            new["landlord_phone"] = landlord_phone
    with event.together(old, *([new] if new else [])):  # the old tenants out, the new in
        gone = event.save(old, record_id=household_id, expected_rev=expected_rev, on=when)
        if new is None:
            return _one(gone)
        created = event.save(new, on=when, previous=household_id)
    return EventResult([household_id, created.id or 0], gone.problems + created.problems)
