"""Completion rates (办结率 = handled / accepted) and the work report's figures, counted by hand."""

from __future__ import annotations

from datetime import date

from worklog_factories import case, households, visit

from census.worklog.figures import case_counts, rate_table, work_figures
from census.worklog.links import Links
from census.worklog.periods import Period, year_period

CHANNELS = ("window", "petition", "hotline")
# Window: Jan 3 received (2 handled), Feb 2 received (1 handled, 1 consultation only),
# Apr 1 received and handled. Petitions: Jan 2 (1 handled), Jul 1 accepted. Hotline: Dec 2 handled.
CASES = [
    case("window", "2025-01-05", "handled", "2025-01-06"),
    case("window", "2025-01-20", "handled", "2025-02-01"),
    case("window", "2025-01-31", "accepted"),
    case("window", "2025-02-03", "handled", "2025-02-03"),
    case("window", "2025-02-28", "consulted"),
    case("window", "2025-04-10", "handled", "2025-04-11"),
    case("petition", "2025-01-08", "handled", "2025-01-30"),
    case("petition", "2025-01-09", "accepted"),
    case("petition", "2025-07-01", "accepted"),
    case("hotline", "2025-12-01", "handled", "2025-12-01"),
    case("hotline", "2025-12-31", "handled", "2026-01-02"),
    case("window", "2024-12-31", "handled", "2025-01-02"),  # last year: in no 2025 period
    case("window", "", "handled"),  # no date: in no period at all
]


def _counts(c):
    return (c.consulted, c.accepted, c.handled, c.rate)


def test_completion_rate_by_year_is_handled_over_accepted_per_channel():
    counts = case_counts(CASES, year_period(2025), CHANNELS)
    assert _counts(counts["window"]) == (6, 5, 4, 0.8)
    assert _counts(counts["petition"]) == (3, 3, 1, 0.3333)
    assert _counts(counts["hotline"]) == (2, 2, 2, 1.0)
    assert _counts(counts["all"]) == (11, 10, 7, 0.7)


def test_completion_rate_by_month_counts_a_case_in_the_month_it_was_received():
    table = dict((b.key, c) for b, c in rate_table(CASES, year_period(2025), "month", CHANNELS))
    assert len(table) == 12
    assert _counts(table["2025-01"]["window"]) == (3, 3, 2, 0.6667)
    assert _counts(table["2025-02"]["window"]) == (2, 1, 1, 1.0)
    assert _counts(table["2025-01"]["petition"]) == (2, 2, 1, 0.5)
    assert _counts(table["2025-03"]["all"]) == (0, 0, 0, None)  # nothing accepted: no rate
    assert _counts(table["2025-12"]["hotline"]) == (2, 2, 2, 1.0)


def test_completion_rate_by_quarter():
    table = [c for _b, c in rate_table(CASES, year_period(2025), "quarter", CHANNELS)]
    assert [_counts(q["all"]) for q in table] == [
        (7, 6, 4, 0.6667),
        (1, 1, 1, 1.0),
        (1, 1, 0, 0.0),
        (2, 2, 2, 1.0),
    ]


def test_work_figures_of_a_period():
    homes = households()
    records = {
        "visit": [
            visit("2025-03-01", "H0001", "h0002", amount=300),  # the number in any case
            visit("2025-03-08", "1栋1单元101", amount=200),  # H0001 again, by its address
            visit("2025-05-01", "H0099"),  # unknown: still a household visited
            visit("2024-12-30", "H0003", amount=999),  # before the period
        ],
        "mediation": [
            {"date": "2025-02-01", "outcome": "resolved"},
            {"date": "2025-02-11", "outcome": "resolved"},
            {"date": "2025-04-01", "outcome": "referred"},
            {"date": "2025-06-30", "outcome": "ongoing"},
            {"date": "2025-07-01", "outcome": "resolved"},  # after the period
        ],
        "activity": [
            {"date": "2025-01-01", "participants": 120, "volunteers": 8},
            {"date": "2025-06-01", "participants": 35},
        ],
        "volunteer": [
            {"joined_date": "2023-05-01", "hours": 150, "status": "active"},
            {"joined_date": "2025-03-01", "hours": 12, "status": "active"},
            {"joined_date": "2025-02-01", "hours": 40, "status": "left"},
            {"joined_date": "2025-08-01", "hours": 5, "status": "active"},  # joined later
        ],
        "service_case": CASES,
    }
    period = Period(date(2025, 1, 1), date(2025, 6, 30))
    f = work_figures(records, period, Links(homes), CHANNELS)
    assert (f.visits, f.households_visited, f.aid_amount) == (3, 3, 500)
    assert (f.mediations, f.mediations_resolved, f.mediation_success_rate) == (4, 2, 0.5)
    assert (f.mediations_referred, f.mediations_ongoing) == (1, 1)
    assert (f.activities, f.participants, f.activity_volunteers) == (2, 155, 8)
    assert (f.volunteers, f.volunteers_new, f.volunteer_hours) == (2, 1, 162)
    assert _counts(f.cases["petition"]) == (2, 2, 1, 0.5)
    assert _counts(f.cases["all"]) == (8, 7, 5, 0.7143)
