"""The service figures of a work report (docs/domain.md §2), counted from the work records.

Plain records in, numbers out. A record belongs to a period by its date (a visit's date, a
case's received date); the volunteer roster is counted as it stood at the period's end.

Service cases (便民服务, 信访, 热线): every case received is a consultation (咨询); a case
taken on is accepted (受理: 接件 or already 已办理); handled (办结) means 已办理 now; the
completion rate (办结率) is handled / accepted, as the communities' reports give it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from census.worklog.links import Links, fold
from census.worklog.periods import Bucket, Period, buckets, to_day

VISIT, MEDIATION, ACTIVITY, VOLUNTEER, SERVICE = (
    "visit",
    "mediation",
    "activity",
    "volunteer",
    "service_case",
)
ACCEPTED_STATES = ("accepted", "handled")
HANDLED = "handled"
Records = Mapping[str, Iterable[dict[str, Any]]]


@dataclass
class CaseCounts:
    """Consulted, accepted and handled cases, and the completion rate."""

    consulted: int = 0
    accepted: int = 0
    handled: int = 0

    def add(self, case: dict[str, Any]) -> None:
        """Count one case."""
        self.consulted += 1
        state = case.get("state")
        if state in ACCEPTED_STATES:
            self.accepted += 1
        if state == HANDLED:
            self.handled += 1

    @property
    def rate(self) -> float | None:
        """handled / accepted, rounded to 4 places (0.9996 = 99.96%); None when none accepted."""
        return round(self.handled / self.accepted, 4) if self.accepted else None


def _dated(records: Iterable[dict[str, Any]], key: str, period: Period) -> list[dict[str, Any]]:
    return [r for r in records if to_day(r.get(key)) in period]


def case_counts(
    cases: Iterable[dict[str, Any]], period: Period, channels: Iterable[str]
) -> dict[str, CaseCounts]:
    """Counts per channel (every channel listed, even with none) and ``"all"``."""
    counts = {c: CaseCounts() for c in channels}
    total = CaseCounts()
    for case in _dated(cases, "received_date", period):
        channel = case.get("channel") or ""
        counts.setdefault(channel, CaseCounts()).add(case)
        total.add(case)
    counts["all"] = total
    return counts


def rate_table(
    cases: Iterable[dict[str, Any]], period: Period, grain: str, channels: Iterable[str]
) -> list[tuple[Bucket, dict[str, CaseCounts]]]:
    """Case counts and completion rates per month, quarter or year of a period."""
    cases, channels = list(cases), list(channels)
    return [(b, case_counts(cases, b.period, channels)) for b in buckets(period, grain)]


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass
class WorkFigures:
    """The figures of a period's work report."""

    period: Period
    visits: int = 0
    households_visited: int = 0
    aid_amount: int = 0
    mediations: int = 0
    mediations_resolved: int = 0
    mediations_referred: int = 0
    mediations_ongoing: int = 0
    activities: int = 0
    participants: int = 0
    activity_volunteers: int = 0
    volunteers: int = 0
    volunteers_new: int = 0
    volunteer_hours: int = 0
    cases: dict[str, CaseCounts] = field(default_factory=dict)

    @property
    def mediation_success_rate(self) -> float | None:
        """Mediations resolved / mediations in the period."""
        return _share(self.mediations_resolved, self.mediations)


def work_figures(
    records: Records, period: Period, links: Links | None, channels: Iterable[str]
) -> WorkFigures:
    """Every figure of the work report for a period."""
    figures = WorkFigures(period)
    visits = _dated(records.get(VISIT, []), "date", period)
    figures.visits = len(visits)
    visited: set[Any] = set()
    for visit in visits:
        figures.aid_amount += _int(visit.get("aid_amount"))
        for item in visit.get("households") or []:
            value = (item or {}).get("household")
            if not value:
                continue
            found = links.household(value).household if links else None
            visited.add(found["id"] if found else fold(value))
    figures.households_visited = len(visited)
    mediations = _dated(records.get(MEDIATION, []), "date", period)
    figures.mediations = len(mediations)
    outcomes = [m.get("outcome") for m in mediations]
    figures.mediations_resolved = outcomes.count("resolved")
    figures.mediations_referred = outcomes.count("referred")
    figures.mediations_ongoing = outcomes.count("ongoing")
    activities = _dated(records.get(ACTIVITY, []), "date", period)
    figures.activities = len(activities)
    figures.participants = sum(_int(a.get("participants")) for a in activities)
    figures.activity_volunteers = sum(_int(a.get("volunteers")) for a in activities)
    for v in records.get(VOLUNTEER, []):
        joined = to_day(v.get("joined_date"))
        if joined is None or joined > period.end or v.get("status") == "left":
            continue
        figures.volunteers += 1
        figures.volunteer_hours += _int(v.get("hours"))
        figures.volunteers_new += joined >= period.start
    figures.cases = case_counts(records.get(SERVICE, []), period, channels)
    return figures
