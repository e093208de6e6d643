"""What changed between two versions of a record, field by field; roster members by identity.

Members are matched by who they are, never by their place in the list: a roster that was
reordered, with one person added and one removed, shows exactly that. Who is the same
person is decided by ``census.domain.persons`` (person_id, ID number, name and birth date,
the name alone), the rule the conflict merge and the import use too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from census.domain import persons

# Bookkeeping that every save changes; showing it as a change would drown the real ones.
IGNORED = frozenset(
    {"id", "_rev", "updated_at", "updated_by", "created_at", "created_by", "submission_hash"}
)
ROSTER = "members"


@dataclass(frozen=True)
class FieldChange:
    """One field whose value differs: ``before`` and ``after`` (None when absent)."""

    key: str
    before: Any
    after: Any


@dataclass
class MemberChange:
    """A roster entry that was ``added``, ``removed`` or ``changed`` (with its fields)."""

    kind: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The person's name as it is now (or was, when removed)."""
        return str((self.after or self.before or {}).get("name") or "")


@dataclass
class RecordDiff:
    """Changed record fields, then roster changes in the new version's order."""

    fields: list[FieldChange] = field(default_factory=list)
    members: list[MemberChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when the two versions hold the same data."""
        return not self.fields and not self.members

    def by_kind(self, kind: str) -> list[MemberChange]:
        """The roster changes of one kind: added, removed or changed."""
        return [m for m in self.members if m.kind == kind]


def _blank(value: object) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _same(a: object, b: object) -> bool:
    """Equal values; None, '' and [] all mean 'not answered'."""
    return (_blank(a) and _blank(b)) or a == b


def field_changes(
    before: dict[str, Any], after: dict[str, Any], *, skip: Iterable[str] = ()
) -> list[FieldChange]:
    """Fields whose values differ, in the order they first appear (before, then after)."""
    skipped = IGNORED | set(skip)
    keys = list(dict.fromkeys([*before, *after]))
    return [
        FieldChange(k, before.get(k), after.get(k))
        for k in keys
        if k not in skipped and not _same(before.get(k), after.get(k))
    ]


def match_members(
    before: list[dict[str, Any]], after: list[dict[str, Any]]
) -> list[tuple[int | None, int | None]]:
    """Pairs of (index before, index after) for the same person; None on the missing side.

    Who is the same person is ``census.domain.persons``' rule. Pairs come in the new
    roster's order, then the removed members in their old order.
    """
    pairs = persons.match_members(before, after)  # after index -> before index
    taken = set(pairs.values())
    matched: list[tuple[int | None, int | None]] = [(pairs.get(j), j) for j in range(len(after))]
    matched += [(i, None) for i in range(len(before)) if i not in taken]
    return matched


def member_changes(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[MemberChange]:
    """Added, removed and changed roster entries (unchanged ones are left out)."""
    out: list[MemberChange] = []
    for i, j in match_members(before, after):
        if i is None and j is not None:
            out.append(MemberChange("added", None, after[j]))
        elif j is None and i is not None:
            out.append(MemberChange("removed", before[i], None))
        elif i is not None and j is not None:
            changes = field_changes(before[i], after[j], skip=("person_id",))
            if changes:
                out.append(MemberChange("changed", before[i], after[j], changes))
    return out


def diff_records(
    before: dict[str, Any] | None, after: dict[str, Any], *, roster: str = ROSTER
) -> RecordDiff:
    """The difference between two versions of a record (``before`` None: everything is new)."""
    before = before or {}
    return RecordDiff(
        fields=field_changes(before, after, skip=(roster,)),
        members=member_changes(list(before.get(roster) or []), list(after.get(roster) or [])),
    )


def version_diffs(versions: list[dict[str, Any]]) -> list[tuple[dict[str, Any], RecordDiff]]:
    """Each stored version (``{"rev", "record", ...}``) with its diff from the one before.

    ``versions`` may come in any order; the result is newest first, as history pages show it.
    """
    ordered = sorted(versions, key=lambda v: v["rev"])
    out = []
    previous: dict[str, Any] | None = None
    for version in ordered:
        out.append((version, diff_records(previous, version["record"])))
        previous = version["record"]
    return list(reversed(out))
