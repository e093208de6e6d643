"""Links from work records to the register: a household by 户编号, a person by 户编号/姓名 or ID.

A field with ``ref: household`` holds a household number (H0012) or the household's
address as staff write it (3栋2单元301, when one household lives there); ``ref: person``
holds ``户编号/姓名`` (H0012/张伟) or an ID number. The record keeps what was typed, so a
link never breaks silently: a ``Links`` built from the households resolves it, and a value
it cannot resolve is shown as such on every page, list and printout.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from census.domain.address import address_text
from census.surveys.definition import FieldDef, FormDef
from census.util.i18n import N_, gettext

_SLASH = re.compile(r"\s*[/／]\s*")

# Problems with a link (the API and the pages): msgids of the one catalogue
# (census.util.i18n), their English in messages.po.
MESSAGES: dict[str, str] = {
    "household_unknown": N_("没有户编号或地址为“{value}”的住户"),
    "household_ambiguous": N_("地址“{value}”有多户，请填户编号"),
    "person_unknown": N_("登记中没有“{value}”这个人（请填 户编号/姓名 或 身份证号）"),
    "person_ambiguous": N_("“{value}”对应多人，请填身份证号"),
}


def message(code: str, value: str, lang: str = "zh") -> str:
    """The text of a link problem."""
    return gettext(MESSAGES[code], lang, value=value)


def fold(text: Any) -> str:
    """A typed reference as compared: full-width forms folded, no spaces, upper case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text or ""))).upper()


_address = address_text


def _address_key(text: Any) -> str:
    """An address as typed or shown, compared: 3栋2单元301 and 3栋2单元301室 are one."""
    return fold(text).removesuffix("室")


@dataclass(frozen=True)
class Person:
    """A resolved person: the household and the roster entry."""

    household: dict[str, Any]
    member: dict[str, Any]

    @property
    def name(self) -> str:
        """The person's name."""
        return str(self.member.get("name") or "")

    @property
    def ref(self) -> str:
        """The canonical reference: 户编号/姓名."""
        return f"{self.household.get('household_no')}/{self.name}"


@dataclass(frozen=True)
class Resolved:
    """What a typed reference stands for: a household, maybe a person, or a problem code."""

    value: str
    household: dict[str, Any] | None = None
    person: Person | None = None
    problem: str | None = None

    def text(self, lang: str = "zh") -> str:
        """As shown in lists: 张伟（H0012 3栋2单元301）, or the value and what is wrong."""
        if self.problem:
            if self.problem.endswith("unknown"):
                return gettext("{value}（未找到）", lang, value=self.value)
            return gettext("{value}（不唯一）", lang, value=self.value)
        h = self.household or {}
        where = f"{h.get('household_no') or ''} {_address(h)}".strip()
        if self.person is None:
            return where
        return gettext("{name}（{where}）", lang, name=self.person.name, where=where)


class Links:
    """Resolves references against the households of the store (built once per request)."""

    def __init__(self, households: Iterable[dict[str, Any]]):
        self.by_no: dict[str, dict[str, Any]] = {}
        self.by_address: dict[str, list[dict[str, Any]]] = {}
        self.by_id: dict[str, list[Person]] = {}
        for h in households:
            if h.get("merged_into"):
                continue
            if h.get("household_no"):
                self.by_no[fold(h["household_no"])] = h
            self.by_address.setdefault(_address_key(_address(h)), []).append(h)
            for m in h.get("members") or []:
                if m.get("id_number"):
                    self.by_id.setdefault(fold(m["id_number"]), []).append(Person(h, m))

    @classmethod
    def from_store(cls, store: Any) -> Links:
        """Links over every household of a store."""
        return cls(store.collection("households").scan())

    @classmethod
    def seen_by(cls, store: Any, user: Any) -> Links:
        """Links over the households this user may know of: staff every one, a surveyor
        those in their buildings. A reference outside them is unknown to the surveyor,
        exactly as one that is nowhere: the answer tells nothing about who is registered.
        """
        households = store.collection("households").scan()
        if getattr(user, "is_staff", False):
            return cls(households)
        covered = {b["name"] for b in store.collection("buildings").scan() if user.covers(b)}
        return cls(h for h in households if h.get("building") in covered)

    def household(self, value: Any) -> Resolved:
        """A household by number, or by address when exactly one household lives there."""
        text = str(value or "").strip()
        key = fold(text)
        if key in self.by_no:
            return Resolved(text, self.by_no[key])
        found = self.by_address.get(_address_key(text), [])
        if len(found) == 1:
            return Resolved(text, found[0])
        return Resolved(text, problem="household_ambiguous" if found else "household_unknown")

    def person(self, value: Any) -> Resolved:
        """A person by 户编号/姓名 (or 地址/姓名) or by ID number."""
        text = str(value or "").strip()
        where, slash, name = _split(text)
        if slash:
            home = self.household(where)
            if home.household is None:
                return Resolved(text, problem="person_unknown")
            members = [
                m for m in home.household.get("members") or [] if fold(m.get("name")) == fold(name)
            ]
            if len(members) == 1:
                return Resolved(text, home.household, Person(home.household, members[0]))
            return Resolved(text, problem="person_ambiguous" if members else "person_unknown")
        found = self.by_id.get(fold(text), [])
        if len(found) == 1:
            return Resolved(text, found[0].household, found[0])
        return Resolved(text, problem="person_ambiguous" if found else "person_unknown")

    def resolve(self, f: FieldDef, value: Any) -> Resolved:
        """Resolve the value of a ``ref`` field."""
        return self.person(value) if f.ref == "person" else self.household(value)


def _split(text: str) -> tuple[str, bool, str]:
    parts = _SLASH.split(text, maxsplit=1)
    if len(parts) == 2:
        return parts[0], True, parts[1]
    return text, False, ""


def ref_values(form: FormDef, record: dict[str, Any]) -> Iterator[tuple[str, FieldDef, Any]]:
    """Every filled reference of a record: (path as in the API, field, value)."""
    for f in form.fields:
        if f.type == "repeat":
            for n, item in enumerate(record.get(f.key) or []):
                for sub in f.fields:
                    if sub.ref and (item or {}).get(sub.key):
                        yield f"{f.key}[{n}].{sub.key}", sub, item[sub.key]
        elif f.ref and record.get(f.key):
            yield f.key, f, record[f.key]


def has_refs(form: FormDef) -> bool:
    """Does a form link to households or persons at all?"""
    return any(f.ref or any(s.ref for s in f.fields) for f in form.fields)


def link_problems(
    links: Links, form: FormDef, record: dict[str, Any], lang: str = "zh"
) -> dict[str, list[str]]:
    """``{path: [message]}`` for every reference of a record that does not resolve."""
    problems: dict[str, list[str]] = {}
    for path, f, value in ref_values(form, record):
        found = links.resolve(f, value)
        if found.problem:
            problems.setdefault(path, []).append(message(found.problem, str(value), lang))
    return problems


def households_of(links: Links, form: FormDef, record: dict[str, Any]) -> set[int]:
    """The ids of the households a record links to (through a household or a person)."""
    ids = set()
    for _path, f, value in ref_values(form, record):
        found = links.resolve(f, value)
        if found.household is not None and found.household.get("id") is not None:
            ids.add(found.household["id"])
    return ids
