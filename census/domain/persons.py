"""Who a person is: when two roster entries are the same person, decided in one place.

The record history (``census.domain.diff``), the merge of a crossed edit
(``census.fieldwork.conflicts``), the import's match of a file's rows with the stored
members (``census.sheets.match``), the merge of a duplicate record (``census.services.
lifeevents``) and the duplicate checks across households (``census.domain.checks``) all
ask this module, so that one person is never one person on one page and two on another.

Rules, strongest first:

1. a ``person_id`` both entries carry (the stable key an API client keeps for a person);
2. the ID number, normalised (``normalise_id``, then upper case for other documents'
   letters; a valid 15-digit resident ID as the 18 digits it became): equal numbers are
   one person whatever the names say, and two different numbers are two people whatever
   their names and birth dates (an ID number wins);
3. name and birth date, the name compared without spaces and with full-width forms folded
   (NFKC), so that 张 三 and 张三 are one name;
4. the name alone, when it points to one entry on each side; among several entries of one
   name, the one whose birth date does not contradict. A corrected birth date of a child
   without an ID number is then a change, not a removal and an addition.

Rules 3 and 4 never pair two entries that both carry an ID number (rule 2 decided them).
Entries are matched by who they are, never by their place in the list.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

from census.domain.ids import normalise_id, upgrade_id

Member = Mapping[str, Any]
# What makes two roster entries the same person; None: this entry cannot tell.
Identity = Callable[[Member], Hashable | None]

_SPACES = re.compile(r"\s+")


def person_key(member: Member) -> Hashable | None:
    """The stable ``person_id`` an API client gave the entry, or None."""
    return member.get("person_id") or None


def id_key(member: Member) -> str | None:
    """The ID number as compared: spaces, full-width forms and case folded; None if blank.

    A first-generation number is its 18-digit form: a register's 610104620315001 is the
    stored 61010419620315001X.
    """
    raw = member.get("id_number")
    number = normalise_id(str(raw)).upper() if raw else ""
    return upgrade_id(number) or number or None


def name_key(member: Member) -> str | None:
    """The name as compared: full-width forms folded (NFKC), no spaces; None if blank."""
    name = _SPACES.sub("", unicodedata.normalize("NFKC", str(member.get("name") or "")))
    return name or None


def name_birth(member: Member) -> tuple[str, str] | None:
    """Who an entry is when ID numbers cannot tell: name and birth date, or None."""
    name, born = name_key(member), member.get("birth_date")
    return (name, str(born)) if name and born else None


def _ids_differ(a: Member, b: Member) -> bool:
    """Both carry an ID number and they differ: two people, whatever else they share."""
    ka, kb = id_key(a), id_key(b)
    return ka is not None and kb is not None and ka != kb


# person_id, ID number, name and birth date: what ``same_person`` compares, each None if blank
PersonKeys = tuple[Hashable | None, str | None, tuple[str, str] | None]


def person_keys(member: Member) -> PersonKeys:
    """What tells an entry from another: worked out once, compared with ``same_keys``."""
    return person_key(member), id_key(member), name_birth(member)


def same_keys(a: PersonKeys, b: PersonKeys) -> bool:
    """``same_person`` on the ``person_keys`` of the two entries (rules 1-3)."""
    if a[0] is not None and a[0] == b[0]:
        return True
    if a[1] is not None and b[1] is not None:
        return a[1] == b[1]
    return a[2] is not None and a[2] == b[2]


def same_person(a: Member, b: Member) -> bool:
    """Two entries of different rosters are one person (rules 1-3; rule 4 needs the rosters)."""
    return same_keys(person_keys(a), person_keys(b))


def match_members(old: Sequence[Member], new: Sequence[Member]) -> dict[int, int]:
    """The same person in two rosters: ``{index in new: index in old}`` for every pair.

    Entries left out have no partner (added to ``new`` or missing from it). Among several
    candidates with one key, partners are taken in roster order.
    """
    pairs: dict[int, int] = {}
    taken: set[int] = set()
    _pair_equal(person_key, old, new, pairs, taken, check_ids=False)
    _pair_equal(id_key, old, new, pairs, taken, check_ids=False)
    _pair_equal(name_birth, old, new, pairs, taken, check_ids=True)
    _pair_by_name(old, new, pairs, taken)
    return pairs


def _pair_equal(
    identity: Identity,
    old: Sequence[Member],
    new: Sequence[Member],
    pairs: dict[int, int],
    taken: set[int],
    *,
    check_ids: bool,
) -> None:
    """Pair still unmatched entries whose key is equal, in roster order."""
    waiting: dict[Hashable, list[int]] = {}
    for i, member in enumerate(old):
        key = identity(member)
        if i not in taken and key is not None:
            waiting.setdefault(key, []).append(i)
    for j, member in enumerate(new):
        key = identity(member)
        if j in pairs or key is None:
            continue
        for i in waiting.get(key, ()):
            if i not in taken and not (check_ids and _ids_differ(old[i], member)):
                pairs[j] = i
                taken.add(i)
                break


def _births_agree(a: Member, b: Member) -> bool:
    born_a, born_b = a.get("birth_date"), b.get("birth_date")
    return not born_a or not born_b or str(born_a) == str(born_b)


def _pair_by_name(
    old: Sequence[Member], new: Sequence[Member], pairs: dict[int, int], taken: set[int]
) -> None:
    """Rule 4: a name that points to one entry on each side (narrowed by birth date)."""
    olds: dict[str, list[int]] = {}
    for i, member in enumerate(old):
        key = name_key(member)
        if i not in taken and key is not None:
            olds.setdefault(key, []).append(i)
    news: dict[str, list[int]] = {}
    for j, member in enumerate(new):
        key = name_key(member)
        if j not in pairs and key is not None:
            news.setdefault(key, []).append(j)

    def may(i: int, j: int) -> bool:
        return not _ids_differ(old[i], new[j])

    def may_by_birth(i: int, j: int) -> bool:
        return may(i, j) and _births_agree(old[i], new[j])

    for key, js in news.items():
        for fits in (may, may_by_birth):
            for j in js:
                if j in pairs:
                    continue
                options = [i for i in olds.get(key, ()) if i not in taken and fits(i, j)]
                if len(options) != 1:
                    continue
                rivals = [k for k in js if k not in pairs and fits(options[0], k)]
                if rivals == [j]:
                    pairs[j] = options[0]
                    taken.add(options[0])
