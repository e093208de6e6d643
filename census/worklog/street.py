"""The street's work report (街道工作报告): each community's service cases, and the street's total.

A street office reads the 受理 / 办结 / 办结率 of every residents' committee side by side, per
channel (窗口, 信访, 热线) and for all channels. Each community's counts are those of its own
work report: ``case_counts`` over its own service cases for the period
(``census.worklog.figures``), read from its own store. The 合计 row adds the rows above it,
count by count, and the completion rate of the total is worked out again from the added
counts (办结 / 受理) — never an average of the communities' rates, which would weigh a
community of ten cases as much as one of ten thousand.

Work records are not reviewed; the review gate's line (which households, storefronts and
units of all communities wait for review on the period's last day) is said on every output
as a community's report says it above its opening.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from census.domain.gate import Gate, Pending
from census.domain.rollup import WORDS, StreetTable
from census.queries.street import Unavailable, logged
from census.store import StoreError
from census.util.i18n import N_, gettext
from census.worklog.figures import SERVICE, CaseCounts, case_counts
from census.worklog.periods import Period
from census.worklog.report import rate_text, word
from census.worklog.store import channel_labels, records

TITLE = N_("街道工作报告")
ALL_CHANNELS = N_("全部渠道")
ALL = "all"  # the key of every channel together, as in a community's case counts
COLUMNS = ("accepted", "handled", "rate")  # under each channel: 受理, 办结, 办结率

Cases = dict[str, CaseCounts]


def added(counts: Iterable[CaseCounts]) -> CaseCounts:
    """The sum of some case counts; its ``rate`` is computed from the sums."""
    total = CaseCounts()
    for c in counts:
        total.consulted += c.consulted
        total.accepted += c.accepted
        total.handled += c.handled
    return total


def street_cases(communities: Iterable[Mapping[str, CaseCounts]], codes: Iterable[str]) -> Cases:
    """The street's counts of each channel (and ``all``): the communities' counts added."""
    rows = list(communities)
    return {code: added(row.get(code, CaseCounts()) for row in rows) for code in codes}


def community_cases(store: Any, surveys: Mapping[str, Any], period: Period) -> Cases:
    """A community's service cases of the period per channel and ``all``, as its report counts
    them (no service-case survey: nothing counted)."""
    form = surveys.get(SERVICE)
    channels = channel_labels(surveys)
    if form is None:
        return {ALL: CaseCounts()}
    return case_counts(records(store, form), period, channels)


@dataclass
class StreetReport:
    """The street's report of a period: a row of case counts per community, and the total."""

    period: Period
    channels: dict[str, str]  # code: name, every community's channels in their order
    rows: list[tuple[str, Cases]] = field(default_factory=list)  # community name, its counts
    pending: Pending = field(default_factory=Pending)
    gate: str = ""  # the review gate's line over all communities
    # every community in the street's order, and why it was not read (None: it was)
    order: list[tuple[str, Unavailable | None]] = field(default_factory=list)

    @property
    def codes(self) -> list[str]:
        """The channels' codes, then ``all``."""
        return [*self.channels, ALL]

    @property
    def total(self) -> Cases:
        """The 合计 row: each community's counts added, the rates worked out again."""
        return street_cases((cases for _name, cases in self.rows), self.codes)

    def title(self, lang: str = "zh") -> str:
        """街道工作报告（2025-01-01至2025-06-30）."""
        return gettext(
            "{community}{report}（{period}）",
            lang,
            community="",
            report=gettext(TITLE, lang),
            period=self.period.label(lang),
        ).strip()


def street_report(
    communities: Iterable[tuple[str, Any]],
    period: Period,
    lang: str = "zh",
    *,
    approved: bool = True,
) -> StreetReport:
    """The report over ``(name, census)`` pairs, in the street's order; each census is
    read while it is the current item (the command line opens one community at a time).
    A community that could not be opened (``Unavailable`` for its census), or whose store
    fails while it is read, has no row: ``order`` says why, and its counts are in no 合计."""
    gate = Gate(approved)
    as_of = min(period.end, date.today())
    report = StreetReport(period, {})
    for name, census in communities:
        if isinstance(census, Unavailable):
            report.order.append((name, census))
            continue
        try:
            cases = community_cases(census.store, census.surveys, period)
            pending = (
                census.derived.view(as_of, approved=approved).pending()
                if census.derived is not None
                else Pending()
            )
        except (StoreError, OSError) as exc:
            report.order.append((name, logged(name, exc)))
            continue
        for code, label in channel_labels(census.surveys, lang).items():
            report.channels.setdefault(code, label)
        report.rows.append((name, cases))
        report.pending = report.pending + pending
        report.order.append((name, None))
    report.gate = gate.line(report.pending, lang)
    return report


def cells(report: StreetReport, cases: Cases) -> list[Any]:
    """A row's cells: 受理, 办结 and 办结率 of each channel, then of all channels."""
    found: list[Any] = []
    for code in report.codes:
        c = cases.get(code, CaseCounts())
        found += [c.accepted, c.handled, rate_text(c.rate)]
    return found


def report_table(report: StreetReport, lang: str = "zh") -> StreetTable:
    """The report as a street table: a row per community, then 合计; under each channel
    (and 全部渠道) its 受理, 办结 and 办结率."""
    groups = [*report.channels.values(), gettext(ALL_CHANNELS, lang)]
    rows = [(name, cells(report, cases)) for name, cases in report.rows]
    rows.append((word("all", lang), cells(report, report.total)))
    return StreetTable(
        title=report.title(lang),
        when=word("period", lang) + report.period.label(lang),
        corner=gettext(WORDS["community"], lang),
        heads=[word(key, lang) for _group in groups for key in COLUMNS],
        rows=rows,
        gate=report.gate,
        groups=[(name, len(COLUMNS)) for name in groups],
    )


def report_json(report: StreetReport, lang: str = "zh") -> dict[str, Any]:
    """``{community: {channel: {consulted, accepted, handled, rate}}}``, then 合计."""

    def counts(cases: Cases) -> dict[str, Any]:
        return {
            code: {
                "consulted": c.consulted,
                "accepted": c.accepted,
                "handled": c.handled,
                "rate": c.rate,
            }
            for code in report.codes
            for c in [cases.get(code, CaseCounts())]
        }

    body = {name: counts(cases) for name, cases in report.rows}
    return body | {word("all", lang): counts(report.total)}
