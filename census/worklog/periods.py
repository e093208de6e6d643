"""Periods of a work report: a from–to range, and its months, quarters or years.

Work records fall into a period by one date field (a visit's date, a case's received date);
a blank or unreadable date falls into none. Everything here is plain dates, no storage.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from census.util.i18n import gettext

GRAINS = ("month", "quarter", "year")


@dataclass(frozen=True)
class Period:
    """A closed range of days, both ends included."""

    start: date
    end: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def label(self, lang: str = "zh") -> str:
        """2025-01-01至2025-03-31 / 2025-01-01 to 2025-03-31."""
        return gettext(
            "{start}至{end}", lang, start=self.start.isoformat(), end=self.end.isoformat()
        )


@dataclass(frozen=True)
class Bucket:
    """One month, quarter or year of a table: its key (2025-01, 2025-Q1, 2025) and range."""

    key: str
    period: Period

    def label(self, lang: str = "zh") -> str:
        """2025年1月, 2025年第1季度, 2025年 (or the key in English)."""
        year, _, rest = self.key.partition("-")
        if not rest:
            return gettext("{year}年", lang, year=year)
        if rest.startswith("Q"):
            return gettext("{year}年第{quarter}季度", lang, year=year, quarter=rest[1:])
        return gettext("{year}年{month}月", lang, year=year, month=int(rest))


def to_day(value: Any) -> date | None:
    """An ISO date (or a date) as a date; None when blank or unreadable."""
    if isinstance(value, date):
        return value
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _month_end(year: int, month: int) -> date:
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def bucket_of(day: date, grain: str) -> Bucket:
    """The month, quarter or year a day belongs to."""
    if grain == "year":
        return Bucket(str(day.year), Period(date(day.year, 1, 1), date(day.year, 12, 31)))
    if grain == "quarter":
        q = (day.month - 1) // 3 + 1
        first = date(day.year, 3 * q - 2, 1)
        return Bucket(f"{day.year}-Q{q}", Period(first, _month_end(day.year, 3 * q)))
    if grain == "month":
        first = date(day.year, day.month, 1)
        return Bucket(f"{day.year}-{day.month:02d}", Period(first, _month_end(day.year, day.month)))
    raise ValueError(f"grain must be one of {', '.join(GRAINS)}")


def buckets(period: Period, grain: str) -> Iterator[Bucket]:
    """Every month, quarter or year that a period touches, in order."""
    day = period.start
    while day <= period.end:
        bucket = bucket_of(day, grain)
        yield bucket
        day = bucket.period.end + timedelta(days=1)


def year_period(year: int) -> Period:
    """1 January to 31 December of a year."""
    return Period(date(year, 1, 1), date(year, 12, 31))


def parse_period(start: Any, end: Any, today: date | None = None) -> tuple[Period, list[str]]:
    """A period from two texts; blanks mean 1 January of this year and today.

    Returns the period and the names of the ends that could not be read (which were
    replaced by their defaults), so a page can say so.
    """
    today = today or date.today()
    bad = []
    first, last = to_day(start), to_day(end)
    if start and first is None:
        bad.append("from")
    if end and last is None:
        bad.append("to")
    first = first or date(today.year, 1, 1)
    last = last or today
    if last < first:
        first, last = last, first
    return Period(first, last), bad
