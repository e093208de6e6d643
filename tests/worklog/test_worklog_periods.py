"""Months, quarters and years of a period: the buckets completion rates are counted in."""

from __future__ import annotations

from datetime import date

from census.worklog.periods import Period, bucket_of, buckets, parse_period


def test_a_year_splits_into_twelve_months_and_four_quarters_with_right_ends():
    year = Period(date(2024, 1, 1), date(2024, 12, 31))
    months = list(buckets(year, "month"))
    assert [b.key for b in months][:3] == ["2024-01", "2024-02", "2024-03"]
    assert len(months) == 12
    assert months[1].period.end == date(2024, 2, 29)  # a leap year
    quarters = list(buckets(year, "quarter"))
    assert [(q.key, q.period.start, q.period.end) for q in quarters][2] == (
        "2024-Q3",
        date(2024, 7, 1),
        date(2024, 9, 30),
    )
    assert [b.key for b in buckets(year, "year")] == ["2024"]


def test_buckets_read_as_staff_write_them():
    assert bucket_of(date(2025, 1, 9), "month").label() == "2025年1月"
    assert bucket_of(date(2025, 11, 9), "quarter").label() == "2025年第4季度"
    assert bucket_of(date(2025, 11, 9), "year").label() == "2025年"
    assert bucket_of(date(2025, 11, 9), "quarter").label("en") == "2025-Q4"


def test_a_period_across_years_touches_each_month_once():
    keys = [b.key for b in buckets(Period(date(2024, 11, 15), date(2025, 2, 3)), "month")]
    assert keys == ["2024-11", "2024-12", "2025-01", "2025-02"]


def test_blank_ends_mean_this_year_so_far_and_bad_ones_are_named():
    today = date(2025, 6, 30)
    period, bad = parse_period("", "", today)
    assert (period.start, period.end, bad) == (date(2025, 1, 1), today, [])
    period, bad = parse_period("2025-13-01", "2025-03-31", today)
    assert bad == ["from"] and period == Period(date(2025, 1, 1), date(2025, 3, 31))
    period, _bad = parse_period("2025-03-31", "2025-01-01", today)
    assert period == Period(date(2025, 1, 1), date(2025, 3, 31))  # ends the wrong way round
