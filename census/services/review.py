"""Review: submitted → approved, or returned with a comment → fixed and submitted again.

Who may do what (``may``):

* ``approve`` — a reviewer or an admin, on a submitted record (or a returned one that
  staff fixed themselves);
* ``return`` — a reviewer or an admin, on a submitted or an approved record, with a
  comment saying what to fix, the fields it is about (``fields``: paths such as ``housing``
  or ``members[1].id_number``, from the form definition), or both: fields without a comment
  are marked 请核对 on the surveyor's form;
* ``resubmit`` — the surveyor who submitted the record, when it was returned (saving an
  edit resubmits as well: see ``census.services.records``);
* ``comment`` — anyone who may open the record.

Every action is one audited step: the new state goes through ``records.set_meta`` (a new
version), and the comment into the record's thread (collection ``review_comments``).
Records without a state (saved before review existed, or imported) count as approved.

Households, storefronts and units go through the same review (``REVIEWED``); every
function takes the record's ``collection`` (households unless told). Which outputs count
which states is ``census.domain.gate``'s.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from census.domain.gate import REVIEWED, gate_from, is_approved, review_state
from census.domain.ids import mask_id
from census.domain.persons import match_members
from census.domain.problems import Problem
from census.domain.roles import STAFF
from census.services import audit, records
from census.store import Store
from census.surveys.definition import FieldDef, FormDef

SUBMITTED, RETURNED, APPROVED = "submitted", "returned", "approved"
STATES = (SUBMITTED, RETURNED, APPROVED)
COMMENTS = "review_comments"
COLLECTION = "households"
COLLECTIONS = tuple(REVIEWED)  # households, storefronts, units
# action -> (states it applies to, who may: "staff" or "owner", the state it leads to)
RULES: dict[str, tuple[tuple[str, ...], str, str | None]] = {
    "approve": ((SUBMITTED, RETURNED), "staff", APPROVED),
    "return": ((SUBMITTED, APPROVED), "staff", RETURNED),
    "resubmit": ((RETURNED,), "owner", SUBMITTED),
    "comment": (STATES, "anyone", None),
}
# The older query flag with which registers and the summary counted approved records only:
# approved only is their default now, ``?all=1`` counts every record (census.domain.gate).
APPROVED_ONLY_ARG = "approved"


class ReviewError(ValueError):
    """An action this user may not take on this record in its state."""

    def __init__(self, problem: Problem):
        super().__init__(problem.code)
        self.problem = problem


# Questions a reviewer cannot point at: worked out, carried along, or only a text on the form.
UNNAMED_TYPES = frozenset({"repeat", "note", "calculate", "hidden"})


@dataclass(frozen=True)
class FieldChoice:
    """A field a reviewer may name: its path in the record and its label (张伟 · 证件号码)."""

    path: str
    label: str
    short: str = ""  # the field's own label, under its person's name


@dataclass(frozen=True)
class ChoiceGroup:
    """The record's own fields, or one person's, as the return form lists them."""

    title: str
    fields: list[FieldChoice]


def _named(fields: Iterable[FieldDef]) -> list[FieldDef]:
    return [f for f in fields if f.type not in UNNAMED_TYPES]


def _person_title(form: FormDef, person: Mapping[str, Any], index: int, lang: str) -> str:
    roster = form.roster
    label = (roster.item_label.get(lang) or roster.item_label.get("zh", "")) if roster else ""
    return str(person.get("name") or "").strip() or f"{label} {index + 1}".strip()


def field_choices(form: FormDef, record: Mapping[str, Any], lang: str) -> list[ChoiceGroup]:
    """What a reviewer may tick when returning the record, read from its form: the record's
    own questions, then each person's of the roster (张伟 · 证件号码), in form order."""
    own = [FieldChoice(f.key, f.text(lang), f.text(lang)) for f in _named(form.fields)]
    groups = [ChoiceGroup(form.text(lang), own)]
    roster = form.roster
    if roster is not None:
        for i, person in enumerate(form.people(dict(record))):
            title = _person_title(form, person, i, lang)
            groups.append(
                ChoiceGroup(
                    title,
                    [
                        FieldChoice(
                            f"{roster.key}[{i}].{f.key}", f"{title} · {f.text(lang)}", f.text(lang)
                        )
                        for f in _named(roster.fields)
                    ],
                )
            )
    return groups


def field_labels(
    form: FormDef, record: Mapping[str, Any], paths: Iterable[str], lang: str
) -> list[str]:
    """The labels of named fields as the record now is (a path it no longer has: as stored)."""
    known = {c.path: c.label for g in field_choices(form, record, lang) for c in g.fields}
    return [known.get(path, path) for path in paths]


def checked_fields(
    form: FormDef | None, record: Mapping[str, Any], fields: Sequence[str]
) -> list[str]:
    """The ticked fields, each once and in form order; ``ReviewError`` for one the form or the
    record does not have (the form's definition says which fields there are)."""
    wanted = [str(f).strip() for f in fields if str(f).strip()]
    if not wanted:
        return []
    if form is None:
        raise ValueError("naming fields needs the record's form")
    order = [c.path for g in field_choices(form, record, "zh") for c in g.fields]
    for path in wanted:
        if path not in order:
            raise ReviewError(Problem("unknown_field", "fields", {"field": path}))
    return [path for path in order if path in wanted]


def state_of(record: Mapping[str, Any]) -> str:
    """The record's review state (a record without one counts as approved)."""
    return review_state(record)


def submitter(record: Mapping[str, Any]) -> str:
    """Who registered the record: a household's surveyor, else whoever created it (the
    storefronts and units keep no surveyor of their own)."""
    return str(record.get("surveyor") or record.get("created_by") or "")


def is_owner(record: Mapping[str, Any], username: str) -> bool:
    """Did this user submit the record?"""
    return username in (record.get("surveyor"), record.get("created_by"))


def may(action: str, record: Mapping[str, Any], *, username: str, role: str) -> bool:
    """May this user take ``action`` on the record now?"""
    rule = RULES.get(action)
    if rule is None:
        return False
    states, who, _ = rule
    if state_of(record) not in states:
        return False
    if who == "staff":
        return role in STAFF
    if who == "owner":
        return is_owner(record, username)
    return role in STAFF or is_owner(record, username)


def actions_for(record: Mapping[str, Any], *, username: str, role: str) -> list[str]:
    """The actions this user may take on the record now, in the order pages show them."""
    return [a for a in RULES if may(a, record, username=username, role=role)]


def act(
    store: Store,
    record_id: int,
    action: str,
    *,
    username: str,
    role: str,
    comment: str = "",
    fields: Sequence[str] = (),
    form: FormDef | None = None,
    expected_rev: int | None = None,
    collection: str = COLLECTION,
    **detail: Any,
) -> dict[str, Any]:
    """Take one review action; returns the record as it now is. ``ReviewError`` if refused.

    ``fields`` (a return only, checked against ``form``): the fields the comment is about,
    kept with the comment so that the surveyor's form marks them."""
    if collection not in COLLECTIONS:
        raise ValueError(f"{collection} is not reviewed")
    record = store.collection(collection).get(record_id)
    if record is None:
        raise ReviewError(Problem("member_unknown"))
    comment = (comment or "").strip()
    if not may(action, record, username=username, role=role):
        raise ReviewError(Problem("review_not_allowed", "", {"state": state_of(record)}))
    named = checked_fields(form, record, fields) if action == "return" else []
    if action == "return" and not (comment or named):
        raise ReviewError(Problem("comment_required", "comment"))
    if action == "comment" and not comment:
        raise ReviewError(Problem("required", "comment"))
    target = f"{collection}/{record_id}"
    new_state = RULES[action][2]
    now = datetime.now().isoformat(timespec="seconds")
    changes: dict[str, Any] = {"review_state": new_state}
    if action in ("approve", "return"):
        changes |= {"reviewed_by": username, "reviewed_at": now}
    with store.atomic():  # a comment is kept only with the state change it explains
        if comment or named:
            people = _named_people(form, record, named)
            _add_comment(store, target, username, role, action, comment, named, people)
        if new_state is None:
            audit.record(store, username, "review_comment", target)
            return record
        return records.set_meta(
            store,
            collection,
            record_id,
            changes,
            user=username,
            action=f"review_{action}",
            expected_rev=expected_rev,
            state_before=state_of(record),
            **({"comment": comment} if comment else {}),
            **({"fields": named} if named else {}),
            **detail,
        )


def bulk_approve(
    store: Store,
    record_ids: Iterable[int],
    *,
    username: str,
    role: str,
    collection: str = COLLECTION,
) -> tuple[list[int], list[int]]:
    """Approve many records at once; returns (approved, skipped: not submitted any more)."""
    done, skipped = [], []
    for record_id in record_ids:
        try:
            act(
                store,
                record_id,
                "approve",
                username=username,
                role=role,
                collection=collection,
                bulk=True,
            )
        except ReviewError:
            skipped.append(record_id)
        else:
            done.append(record_id)
    return done, skipped


def bulk_return(
    store: Store,
    record_ids: Iterable[int],
    *,
    username: str,
    role: str,
    comment: str = "",
    fields: Sequence[str] = (),
    form: FormDef | None = None,
    collection: str = COLLECTION,
) -> tuple[list[int], list[int]]:
    """Return many records with one comment (and the record fields it names, the same on
    each: people differ between records); returns (returned, skipped: not submitted or
    approved any more). ``ReviewError`` when there is neither a comment nor a field."""
    fields = checked_fields(form, {}, fields)  # refused before any record: no person's fields
    if not ((comment or "").strip() or fields):
        raise ReviewError(Problem("comment_required", "comment"))
    done, skipped = [], []
    for record_id in record_ids:
        try:
            act(
                store,
                record_id,
                "return",
                username=username,
                role=role,
                comment=comment,
                fields=fields,
                form=form,
                collection=collection,
                bulk=True,
            )
        except ReviewError:
            skipped.append(record_id)
        else:
            done.append(record_id)
    return done, skipped


def pending_comments(
    store: Store, collection: str, pending: list[tuple[int, str]], *, username: str
) -> None:
    """The first comment of each record an import stored to be verified (待核实): what the
    file lacked, for whoever completes it (``pending``: record id, the missing fields' names)."""
    if not pending:
        return
    account = store.collection("users").find_one(username=username)
    role = account.get("role", "") if account else "system"
    now = datetime.now().isoformat(timespec="seconds")
    store.collection(COMMENTS).insert_many(
        [
            {
                "key": f"{collection}/{record_id}",
                "at": now,
                "author": username,
                "role": role,
                "action": "import",
                "text": f"导入时表中缺少：{names}。请入户核实后补填，再审核。",
            }
            for record_id, names in pending
        ]
    )


def _add_comment(
    store: Store,
    target: str,
    username: str,
    role: str,
    action: str,
    text: str,
    fields: list[str] | None = None,
    people: dict[str, dict[str, Any]] | None = None,
) -> None:
    store.collection(COMMENTS).insert(
        {
            "key": target,
            "at": datetime.now().isoformat(timespec="seconds"),
            "author": username,
            "role": role,
            "action": action,
            "text": text,
            **({"fields": fields} if fields else {}),
            **({"people": people} if people else {}),
        }
    )


# What a comment keeps of each person whose fields it names: enough to find the person
# again (census.domain.persons) after members above were removed or the roster reordered.
PERSON_KEYS = ("person_id", "id_number", "name", "birth_date")
_ROSTER_PATH = re.compile(r"^(\w+)\[(\d+)\]\.(.+)$")


def _named_people(
    form: FormDef | None, record: Mapping[str, Any], paths: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Who each named roster field belongs to, by the field's path as it was named."""
    if form is None or form.roster is None:
        return {}
    people = form.people(dict(record))
    found: dict[str, dict[str, Any]] = {}
    for path in paths:
        match = _ROSTER_PATH.match(path)
        if match and match.group(1) == form.roster.key and int(match.group(2)) < len(people):
            person = people[int(match.group(2))]
            found[path] = {k: person[k] for k in PERSON_KEYS if person.get(k)}
    return found


@dataclass(frozen=True)
class NamedFields:
    """A comment's fields as the record now is: their paths now, and the labels of those
    whose person is no longer on the roster (涉及已删除的成员)."""

    paths: list[str]
    gone: list[str]
    people: dict[str, dict[str, Any]] = field(default_factory=dict)  # path now: who, as kept

    def as_shown(self) -> dict[str, dict[str, str]]:
        """Who each path's person is, as an edit page shows a member (the ID number masked,
        110105********002X; name; birth date): a page drawn before the roster changed (the
        tablet's copy) places the note beside that person rather than at the index."""
        shown: dict[str, dict[str, str]] = {}
        for path, who in self.people.items():
            person = {k: str(who[k]) for k in ("name", "birth_date") if who.get(k)}
            if who.get("id_number"):
                person["id_number"] = mask_id(str(who["id_number"]))
            shown[path] = person
        return shown


def fields_now(
    form: FormDef | None, record: Mapping[str, Any], comment: Mapping[str, Any], lang: str
) -> NamedFields:
    """The fields a comment names, each followed to its person where the roster changed
    since (a member above deleted: the note stays beside the same person). A comment kept
    before people were recorded with it keeps its paths."""
    paths = [str(p) for p in comment.get("fields") or []]
    people = comment.get("people") or {}
    if form is None or form.roster is None or not people:
        return NamedFields(paths, [])
    roster = form.roster
    now = form.people(dict(record))
    moved: list[str] = []
    gone: list[str] = []
    who: dict[str, dict[str, Any]] = {}
    for path in paths:
        match = _ROSTER_PATH.match(path)
        was = people.get(path)
        if not match or was is None:
            moved.append(path)
            continue
        index = next((new for new, old in match_members([was], now).items() if old == 0), None)
        if index is None:
            asked = next((f for f in roster.fields if f.key == match.group(3)), None)
            label = asked.text(lang) if asked is not None else match.group(3)
            name = str(was.get("name") or "").strip() or match.group(0)
            gone.append(f"{name} · {label}")
        else:
            moved.append(f"{roster.key}[{index}].{match.group(3)}")
            who[moved[-1]] = dict(was)
    return NamedFields(moved, gone, who)


def thread(store: Store, record_id: int, collection: str = COLLECTION) -> list[dict[str, Any]]:
    """The record's comments, oldest first."""
    return sorted(
        store.collection(COMMENTS).find(key=f"{collection}/{record_id}"),
        key=lambda c: (c["at"], c["id"]),
    )


def returned_to(
    store: Store, username: str, collection: str = COLLECTION
) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """A surveyor's returned records, each with the comment it was returned with."""
    out = []
    found = store.collection(collection)
    rows = found.find(review_state=RETURNED) if collection == COLLECTION else found.scan()
    for record in rows:
        if state_of(record) != RETURNED or not is_owner(record, username):
            continue
        returns = [c for c in thread(store, record["id"], collection) if c["action"] == "return"]
        out.append((record, returns[-1] if returns else None))
    return out


def queue(
    households: Iterable[dict[str, Any]],
    *,
    grids: Mapping[str, str],
    grid: str = "",
    building: str = "",
    surveyor: str = "",
    state: str = SUBMITTED,
) -> list[dict[str, Any]]:
    """Records to review, filtered; ``grids`` maps building names to their grid.

    An empty filter lets everything through; ``state`` "all" shows every state.
    """
    rows = []
    for household in households:
        if household.get("merged_into"):
            continue
        if state and state != "all" and state_of(household) != state:
            continue
        if building and household.get("building") != building:
            continue
        if grid and grids.get(household.get("building") or "") != grid:
            continue
        if surveyor and submitter(household) != surveyor:
            continue
        rows.append(household)
    return sorted(rows, key=lambda h: (h.get("updated_at") or "", h["id"]))


def approved_only(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Only the approved records (households, storefronts or units)."""
    return [r for r in records if is_approved(r)]


def approved_only_requested(args: Mapping[str, Any]) -> bool:
    """Does the page count approved records only? Yes unless its query says ``?all=1``
    (``census.domain.gate.gate_from``; the older ``?approved=1`` is the default now)."""
    return gate_from(args).approved
