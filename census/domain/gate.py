"""The review gate: which records an output counts (已审核 / 全部) and what its header says.

Whatever a surveyor saves — a household, a storefront or a unit — is ``submitted`` until
staff approve it (``census.services.review``); records made by staff, an import or the demo
start ``approved``, and a record without a state counts as approved. An output reads its
records through a ``Gate``:

- ``Gate(approved=True)`` (已审核, the default of prints, the summary, the registers and the
  work report) keeps the approved records only; its header line says how many records of
  what it covers it left out: “仅含已审核记录；另有 12 户待审核未计入”;
- ``Gate(approved=False)`` (全部: ``--all`` on the command line, ``?all=1`` on a page)
  keeps every record; its header line says how many of them are not approved yet.

What "left out" counts (``Pending``): the records not approved (submitted, or returned to
be fixed — both still wait for a reviewer) among those the output covers: its building or
grid, and for an output on a register date only the households somebody of which is on
the records that day. Pure: no store, no Flask.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from census.domain.residents import household_share
from census.util.i18n import Np_, gettext, joined, text

APPROVED = "approved"
# The collections whose records go through review, and the record type each one holds.
REVIEWED = {"households": "household", "storefronts": "storefront", "units": "unit"}
ALL_ARG = "all"  # the query flag (?all=1) of a page that counts every record

Doc = Mapping[str, Any]


def review_state(record: Doc) -> str:
    """The record's review state (a record without one counts as approved)."""
    return str(record.get("review_state") or APPROVED)


def is_approved(record: Doc) -> bool:
    """Has staff approved the record (or was it stored approved)?"""
    return review_state(record) == APPROVED


@dataclass(frozen=True)
class Pending:
    """How many records of each kind are not approved yet."""

    households: int = 0
    storefronts: int = 0
    units: int = 0

    def __bool__(self) -> bool:
        return bool(self.households or self.storefronts or self.units)

    def __add__(self, other: Pending) -> Pending:
        return Pending(
            self.households + other.households,
            self.storefronts + other.storefronts,
            self.units + other.units,
        )

    def only(self, *kinds: str) -> Pending:
        """The counts of these kinds (``households``, ``storefronts``, ``units``), 0 for others."""
        return Pending(**{k: getattr(self, k) for k in kinds})

    def as_dict(self) -> dict[str, int]:
        """``{"households": n, "storefronts": n, "units": n}`` (the JSON of an output)."""
        return {"households": self.households, "storefronts": self.storefronts, "units": self.units}


def pending_of(
    households: Iterable[Doc] = (),
    storefronts: Iterable[Doc] = (),
    units: Iterable[Doc] = (),
    as_of: date | None = None,
) -> Pending:
    """The records of these lists that are not approved yet.

    With ``as_of``, a household counts only when somebody of it is on the records that day
    (a household that moved away, or was merged into another, leaves no figure out).
    """
    waiting = [h for h in households if not is_approved(h)]
    if as_of is not None:
        waiting = [h for h in waiting if household_share(dict(h), as_of) is not None]
    return Pending(
        len(waiting),
        sum(1 for s in storefronts if not is_approved(s)),
        sum(1 for u in units if not is_approved(u)),
    )


@dataclass(frozen=True)
class Gate:
    """Approved records only (已审核), or every record (全部)."""

    approved: bool = True

    def counts(self, record: Doc) -> bool:
        """Does an output behind this gate count the record?"""
        return not self.approved or is_approved(record)

    def keep(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The records this gate lets through (the same list when it lets all through)."""
        if not self.approved:
            return records
        return [r for r in records if is_approved(r)]

    @property
    def arg(self) -> dict[str, str]:
        """The query of a page or link asking for this gate (``{}`` for the default)."""
        return {} if self.approved else {ALL_ARG: "1"}

    def line(self, pending: Pending, lang: str = "zh") -> str:
        """The header line of an output: what it counts and how many records wait.

        “仅含已审核记录；另有 12 户待审核未计入” / “Approved records only; 12 households
        awaiting review not counted”; with 全部: “含未审核记录：其中 12 户待审核”.
        """
        what = counted_text(pending, lang)
        if self.approved:
            if what:
                return gettext("仅含已审核记录；另有 {what}待审核未计入", lang, what=what)
            return gettext("仅含已审核记录；无待审核记录", lang)
        if what:
            return gettext("含未审核记录：其中 {what}待审核", lang, what=what)
        return gettext("全部记录（均已审核）", lang)


def gate_from(args: Mapping[str, Any]) -> Gate:
    """The gate a page's query asks for: 全部 with ``?all=1``, else 已审核.

    The older ``?approved=1`` (approved only) is the default now and still understood.
    """
    wanted = str(args.get(ALL_ARG) or "").strip().lower()
    return Gate(approved=wanted not in ("1", "true", "yes", "on"))


_UNITS = {
    "households": Np_("{n} 户", "{n} 户", "n"),
    "storefronts": Np_("{n} 家门面", "{n} 家门面", "n"),
    "units": Np_("{n} 个单位", "{n} 个单位", "n"),
}


def counted_text(pending: Pending, lang: str = "zh") -> str:
    """“12 户、2 家门面” / “12 households and 2 storefronts”; '' when nothing waits."""
    parts = [
        text(message, lang, n=n)
        for kind, message in _UNITS.items()
        if (n := getattr(pending, kind))
    ]
    return joined(parts, lang)


def pending_beside(total: Any, approved: Any) -> Any:
    """The figure of records waiting for review: every record's figure less the approved ones'.

    Counts give a count (0 when nothing waits); ``{name: n}`` tables give a table of the
    entries that differ; anything else (a share) gives None: a pending share means nothing.
    """
    if isinstance(total, bool) or isinstance(approved, bool):
        return None
    if isinstance(total, int) and isinstance(approved, int):
        return total - approved
    if isinstance(total, Mapping) and isinstance(approved, Mapping):
        return {
            k: int(v) - int(approved.get(k, 0))
            for k, v in total.items()
            if int(v) - int(approved.get(k, 0))
        }
    return None
