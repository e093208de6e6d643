"""Consistency checks ("edits", as census offices call them): pure rules over households.

Every check yields a ``Problem`` with a code from ``census.domain.problems``, a field path
(``members[2].birth_date``) so that the form and the record page show it beside the field,
and the level WARNING: the record is saved and staff decide. Blocking errors stay in
``census.surveys.validate``; the checks here find what a single form cannot prove wrong.

Three entry points: ``check_household`` (one record alone), ``cross_checks`` (one record
against candidate records, as a save sees it) and ``check_community`` (the batch report).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from census.domain.ids import RESIDENT_ID, RESIDENT_ID_LENGTH, SEX_WORDS, normalise_id
from census.domain.persons import id_key, name_birth, person_keys, same_keys
from census.domain.problems import WARNING, Problem, naming, once
from census.domain.residents import address_text, age_on, to_date

# The checks in the order the report lists them; each is a code of the problem catalogue.
CHECKS = (
    "head_count",
    "child_age_gap",
    "parent_age_gap",
    "grandchild_age_gap",
    "birth_date_in_future",
    "age_over_120",
    "birth_date_mismatch",
    "sex_mismatch",
    "spouse_under_18",
    "id_in_other_household",
    "probable_duplicate",
    "landlord_missing",
)
DUPLICATE_CHECKS = ("id_in_other_household", "probable_duplicate")
# relation -> (code, minimum years between head and member, member younger than the head?)
AGE_GAPS = {
    "child": ("child_age_gap", 12, True),
    "parent": ("parent_age_gap", 12, False),
    "grandchild": ("grandchild_age_gap", 24, True),
}
MAX_AGE = 120
SPOUSE_MIN_AGE = 18


def is_active(member: dict[str, Any]) -> bool:
    """On the register now: status active (a blank status is active)."""
    return (member.get("status") or "active") == "active"


def _warn(code: str, path: str, **params: Any) -> Problem:
    return Problem(code, path, params, WARNING)


def _members(household: dict[str, Any]) -> list[dict[str, Any]]:
    return list(household.get("members") or [])


def check_household(household: dict[str, Any], today: date) -> list[Problem]:
    """Every check that needs only this record, as warnings with field paths."""
    members = _members(household)
    problems: list[Problem] = []
    active = [m for m in members if is_active(m)]
    heads = [m for m in active if m.get("relation") == "head"]
    # relations an import left to verify (待核实): who heads the household is not known yet
    waiting = any("relation" in (m.get("pending_fields") or ()) for m in active)
    if active and len(heads) != 1 and not (waiting and not heads):
        problems.append(_warn("head_count", "members", count=len(heads)))
    head = next((m for m in members if m.get("relation") == "head"), None)
    head_born = to_date(head.get("birth_date")) if head else None
    for n, member in enumerate(members):
        problems += naming(
            _check_member(member, f"members[{n}]", head_born, today), member.get("name")
        )
    if household.get("housing") == "rented" and not (household.get("landlord_name") or "").strip():
        problems.append(_warn("landlord_missing", "landlord_name"))
    return problems


def _check_member(
    member: dict[str, Any], path: str, head_born: date | None, today: date
) -> list[Problem]:
    problems: list[Problem] = []
    born = to_date(member.get("birth_date"))
    relation = member.get("relation")
    if born is not None and born > today:
        problems.append(_warn("birth_date_in_future", f"{path}.birth_date", value=born.isoformat()))
    elif born is not None and is_active(member):
        age = age_on(born, today)
        if age is not None and age > MAX_AGE:
            problems.append(_warn("age_over_120", f"{path}.birth_date", age=age))
        if relation == "spouse" and age is not None and age < SPOUSE_MIN_AGE:
            problems.append(_warn("spouse_under_18", f"{path}.birth_date", age=age))
    if relation in AGE_GAPS and born is not None and head_born is not None:
        code, minimum, younger = AGE_GAPS[relation]
        older, newer = (head_born, born) if younger else (born, head_born)
        gap = age_on(older, newer) if older <= newer else -(age_on(newer, older) or 0)
        if gap is not None and gap < minimum:
            problems.append(_warn(code, f"{path}.birth_date", gap=gap))
    problems += _id_agreement(member, path)
    return problems


def _id_agreement(member: dict[str, Any], path: str) -> list[Problem]:
    """Birth date and sex as a resident ID number says (other ID problems are the form's).

    Read straight from the digits (7–14 the birth date, 17 odd for men): the batch report
    runs this for every person, and a full ID check costs ten times as much.
    """
    number = normalise_id(str(member.get("id_number") or ""))
    id_type = member.get("id_type")
    if id_type not in (None, "", RESIDENT_ID) or len(number) != RESIDENT_ID_LENGTH:
        return []
    if not number[:17].isdigit():
        return []
    try:
        encoded = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return []
    problems = []
    born = to_date(member.get("birth_date"))
    if born is not None and born != encoded:
        problems.append(
            _warn("birth_date_mismatch", f"{path}.birth_date", expected=encoded.isoformat())
        )
    sex = "male" if int(number[16]) % 2 else "female"
    if member.get("sex") in SEX_WORDS and member.get("sex") != sex:
        problems.append(_warn("sex_mismatch", f"{path}.sex", expected=SEX_WORDS[sex]))
    return problems


# -- across households -------------------------------------------------------------------


def _other(household: dict[str, Any]) -> dict[str, Any]:
    """How a message names the other household, and the id its link opens."""
    return {
        "household": household.get("household_no") or household.get("id"),
        "address": address_text(household),
        "id": household.get("id"),
    }


def is_merged(household: dict[str, Any]) -> bool:
    """A record merged into another one: kept for its history, out of every check."""
    return bool(household.get("merged_into"))


# What a surveyor is told instead: that the person is registered, not where or by whom
# (a surveyor could otherwise locate anyone by typing an ID number into a form).
SURVEYOR_VIEW = {
    "id_in_other_household": "id_registered_elsewhere",
    "probable_duplicate": "person_registered_elsewhere",
}


def as_seen_by(problems: list[Problem], *, staff: bool) -> list[Problem]:
    """The problems as this caller may read them: staff see the other household, others not.

    Each once: a surveyor is told a person is registered elsewhere one time, however many
    households hold them. The member a problem is about stays named.
    """
    if staff:
        return once(problems)
    return once(
        [
            Problem(SURVEYOR_VIEW[p.code], p.path, _who(p), p.level)
            if p.code in SURVEYOR_VIEW
            else p
            for p in problems
        ]
    )


def _who(problem: Problem) -> dict[str, Any]:
    """The member a problem names, as the surveyor's version of it names them."""
    name = problem.params.get("member") or problem.params.get("name")
    return {"member": name} if name else {}


# How many other households one person's warning names; the report stays linear in size
# even when one ID number was entered in every household of a building.
MAX_OTHER_HOUSEHOLDS = 3


def cross_checks(
    record: dict[str, Any], record_id: int | None, others: Iterable[dict[str, Any]]
) -> list[Problem]:
    """The same person active in this and another household: by ID number, else name + birth.

    ``others`` are candidate households (any may be this record itself, which is skipped).
    Who is the same person is ``census.domain.persons.same_person``: a pair with ID numbers
    on both sides is compared by ID number alone, so two people who share a name and a
    birthday but not an ID are two people.
    """
    # each candidate's active members with their keys, worked out once for every member
    candidates = [
        (h, [person_keys(theirs) for theirs in _members(h) if is_active(theirs)])
        for h in others
        if h.get("id") != record_id and not is_merged(h)
    ]
    problems: list[Problem] = []
    for n, member in enumerate(_members(record)):
        if not is_active(member):
            continue
        keys = person_keys(member)
        number = keys[1]
        before = len(problems)
        for other, their_keys_all in candidates:
            if len(problems) - before >= MAX_OTHER_HOUSEHOLDS:
                break  # the same person in hundreds of households: the first few say enough
            for their_keys in their_keys_all:
                if not same_keys(keys, their_keys):
                    continue
                if number is not None and number == their_keys[1]:
                    problems.append(
                        _warn("id_in_other_household", f"members[{n}].id_number", **_other(other))
                    )
                else:
                    problems.append(
                        _warn(
                            "probable_duplicate",
                            f"members[{n}].name",
                            name=member.get("name"),
                            birth_date=str(member.get("birth_date") or ""),
                            **_other(other),
                        )
                    )
        problems[before:] = naming(problems[before:], member.get("name"))
    return problems


# -- the community report ------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One problem found in one household: what the report lists and links to."""

    household_id: int
    household_no: str
    address: str
    problem: Problem
    other_id: int | None = None

    @property
    def code(self) -> str:
        """The check that found it."""
        return self.problem.code

    @property
    def member(self) -> int | None:
        """The roster index the problem is about, if any."""
        path = self.problem.path
        if path.startswith("members[") and "]" in path:
            return int(path[len("members[") : path.index("]")])
        return None


def _finding(household: dict[str, Any], problem: Problem) -> Finding:
    return Finding(
        household_id=int(household["id"]),
        household_no=str(household.get("household_no") or ""),
        address=address_text(household),
        problem=problem,
        other_id=problem.params.get("id"),
    )


def member_keys(household: dict[str, Any]) -> list[tuple[str | None, tuple[str, str] | None]]:
    """Each active member's ID number and name + birth date (None when missing), in order:
    what finds the other households a person may also be in."""
    return [(id_key(m), name_birth(m)) for m in _members(household) if is_active(m)]


def own_findings(household: dict[str, Any], today: date) -> list[Finding]:
    """What the checks of one household find in it alone."""
    return [_finding(household, problem) for problem in check_household(household, today)]


def cross_findings(
    household: dict[str, Any], candidates: Iterable[dict[str, Any]]
) -> list[Finding]:
    """What the cross checks find between a household and the households that share a key."""
    others = {other["id"]: other for other in candidates}
    others.pop(household["id"], None)
    if not others:  # most households share nobody: skip the pairwise comparison
        return []
    problems = cross_checks(household, household["id"], others.values())
    return [_finding(household, problem) for problem in problems]


def check_community(households: list[dict[str, Any]], today: date) -> list[Finding]:
    """Every check over every household (merged records left out), in household order.

    Duplicates are found through two dictionaries (ID number, name + birth date), so the
    report stays linear in the number of people, not quadratic.
    """
    live = [h for h in households if not is_merged(h)]
    by_id: dict[str, list[dict[str, Any]]] = {}
    by_person: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for household in live:
        for number, key in member_keys(household):
            if number is not None:
                by_id.setdefault(number, []).append(household)
            if key is not None:
                by_person.setdefault(key, []).append(household)
    findings: list[Finding] = []
    for household in sorted(live, key=lambda h: h.get("id") or 0):
        findings += own_findings(household, today)
        candidates = [
            other
            for number, key in member_keys(household)
            for other in (*by_id.get(number or "", []), *by_person.get(key or ("", ""), []))
        ]
        findings += cross_findings(household, candidates)
    return findings


def counts(findings: Iterable[Finding]) -> dict[str, int]:
    """Findings per check, every check listed (zero included), in the report's order."""
    seen = Counter(f.code for f in findings)
    return {code: seen.get(code, 0) for code in CHECKS}


def duplicate_pairs(findings: Iterable[Finding]) -> Iterator[tuple[int, int]]:
    """Each pair of households that share a person, once, lower id first (for merging)."""
    pairs = set()
    for f in findings:
        if f.code in DUPLICATE_CHECKS and f.other_id is not None:
            pairs.add((min(f.household_id, f.other_id), max(f.household_id, f.other_id)))
    yield from sorted(pairs)
