"""Quota progress as a table. 2 March 2026 is a Monday; 1 March a Sunday."""

import pytest

from .progress_factories import assert_progress, progress_of, terms

WORKOUTS = terms(
    "quota",
    target="3",
    period="week",
    comparison="at_least",
    start_date="2026-03-02",
    aggregation="count",
)
COFFEES = terms("quota", target="2", period="day", comparison="at_most", start_date="2026-03-02")
FOUR_WEEKS = WORKOUTS.model_copy(update={"deadline": WORKOUTS.start_date.replace(day=29)})
MONTHLY = terms(
    "quota", target="100", period="month", comparison="at_least", start_date="2026-01-15"
)
TINY = terms(
    "quota", target="0.000003", period="day", comparison="at_least", start_date="2026-03-02"
)
ONE_WEEK_MET = {"2026-03-02": "1", "2026-03-04": "1", "2026-03-06": "1"}

CASES = {
    "before the start": (
        WORKOUTS,
        {},
        "2026-03-01",
        {
            "status": "not_started",
            "period_status": None,
            "streak": None,
            "series": [],
            "headline": "Starts on 2 Mar",
            "summary_text": "Starts on 2 Mar; at least 3 workouts each week.",
        },
    ),
    "first day, no data: nothing to judge yet, and an empty week has no value": (
        WORKOUTS,
        {},
        "2026-03-02",
        {
            "status": "no_data",
            "status_label": "No data yet",
            "current": None,
            "percent": 0,
            "percent_exact": None,
            "expected": None,
            "period_status": "not_yet",
            "period_first": "2026-03-02",
            "period_last": "2026-03-08",
            "streak": 0,
            "success_rate": None,
            "headline": "0 of 3 workouts this week, 7 days left",
            "summary_text": "No measurements yet; needs every week.",
        },
    ),
    "at least, keeping pace": (
        WORKOUTS,
        {**ONE_WEEK_MET, "2026-03-09": "1"},
        "2026-03-11",
        {
            "status": "on_track",
            "current": "1",
            "expected": "0.857143",
            "percent": 33,
            "percent_exact": "33.333333",
            "period_status": "not_yet",
            "streak": 1,
            "success_rate": 100,
            "headline": "1 of 3 workouts this week, 5 days left",
            "summary_text": "Met 1 of 1 week; needs every week; streak: 1 week.",
        },
    ),
    "at least, slow this week but the week can still be won": (
        WORKOUTS,
        ONE_WEEK_MET,
        "2026-03-12",
        {"status": "on_track", "current": None, "period_status": "not_yet", "expected": None},
    ),
    "at least, met early; the open week is not in the streak yet": (
        WORKOUTS,
        {**ONE_WEEK_MET, "2026-03-09": "3"},
        "2026-03-09",
        {"status": "on_track", "period_status": "met", "percent": 100, "streak": 1},
    ),
    "at least, a missed week breaks the streak": (
        WORKOUTS,
        {**ONE_WEEK_MET, "2026-03-10": "2", "2026-03-16": "3"},
        "2026-03-23",
        {
            "streak": 1,
            "periods_met": 2,
            "periods_judged": 3,
            "success_rate": 67,
            "status": "behind",
            "headline": "0 of 3 workouts this week, 7 days left",
            "summary_text": "Met 2 of 3 weeks; needs every week; streak: 1 week.",
        },
    ),
    "at least, no data": (
        WORKOUTS,
        {},
        "2026-03-23",
        {"status": "behind", "streak": 0, "success_rate": 0, "has_data": False, "current": None},
    ),
    "on the last day of a fixed window, the last week can still be won": (
        FOUR_WEEKS,
        {"2026-03-02": "3", "2026-03-09": "3", "2026-03-16": "3"},
        "2026-03-29",
        {
            "status": "on_track",
            "period_first": "2026-03-23",
            "streak": 3,
            "periods_total": 4,
            "periods_required": 4,
            "headline": "0 of 3 workouts this week, last day",
        },
    ),
    "after the window, every week met": (
        FOUR_WEEKS,
        {"2026-03-02": "3", "2026-03-09": "3", "2026-03-16": "3", "2026-03-23": "4"},
        "2026-03-30",
        {
            "status": "achieved",
            "achieved": True,
            "streak": 4,
            "success_rate": 100,
            "headline": "Met 4 of 4 weeks",
        },
    ),
    "after the window, a week missed": (
        FOUR_WEEKS,
        {"2026-03-02": "3", "2026-03-09": "3", "2026-03-16": "3"},
        "2026-04-15",
        {
            "status": "failed",
            "success_rate": 75,
            "period_first": "2026-03-23",
            "achieved": False,
            "summary_text": "Met 3 of 4 weeks; needed every week; at least 3 workouts each week.",
        },
    ),
    "at most, under the limit today after a day over it, every day asked": (
        COFFEES,
        {"2026-03-02": "1", "2026-03-03": "3", "2026-03-04": "2", "2026-03-05": "1"},
        "2026-03-05",
        {
            "status": "behind",
            "current": "1",
            "expected": None,
            "percent": 50,
            "period_status": "met",
            "streak": 1,
            "success_rate": 67,
            "headline": "1 of at most 2 cups today, 1 cup left",
            "summary_text": "Met 2 of 3 days; needs every day; streak: 1 day.",
        },
    ),
    "at most, over the limit today": (
        COFFEES,
        {"2026-03-02": "1", "2026-03-03": "3"},
        "2026-03-03",
        {
            "status": "behind",
            "period_status": "exceeded",
            "percent": 100,
            "percent_exact": "150",
            "headline": "3 of at most 2 cups today, over by 1 cup",
            "summary_text": "Met 1 of 1 day; needs every day; streak: 1 day.",
        },
    ),
    "at most, nothing recorded is within the limit": (
        COFFEES,
        {},
        "2026-03-05",
        {"status": "on_track", "period_status": "met", "streak": 3, "success_rate": 100},
    ),
    "months, the first one partial": (
        MONTHLY,
        {"2026-01-20": "100", "2026-02-10": "60", "2026-03-01": "150"},
        "2026-03-10",
        {
            "period_first": "2026-03-01",
            "period_last": "2026-03-31",
            "period_status": "met",
            "periods_met": 1,
            "periods_judged": 2,
            "streak": 0,
        },
    ),
    "tiny decimals": (
        TINY,
        {"2026-03-02": "0.000002", "2026-03-03": "0.000003"},
        "2026-03-03",
        {"current": "0.000003", "period_status": "met", "success_rate": 0},
    ),
}


@pytest.mark.parametrize(("goal", "values", "today", "expected"), CASES.values(), ids=CASES)
def test_quota_progress(goal, values, today, expected):
    unit = "cups" if goal.comparison == "at_most" else "workouts"
    assert_progress(progress_of(goal, values, today=today, unit=unit), expected)


WEEK_STARTS = {
    # Saturday 7 and Sunday 8 March: one week from Monday, two from Sunday.
    "weeks from Monday": (0, "2026-03-09", None, 1),
    "weeks from Sunday": (6, "2026-03-08", "2", 0),
}


@pytest.mark.parametrize(
    ("week_start", "period_first", "current", "met"), WEEK_STARTS.values(), ids=WEEK_STARTS
)
def test_weeks_start_on_the_owners_first_weekday(week_start, period_first, current, met):
    values = {"2026-03-07": "1", "2026-03-08": "2"}

    progress = progress_of(WORKOUTS, values, today="2026-03-10", week_start=week_start)

    assert_progress(
        progress,
        {"period_first": period_first, "current": current, "periods_met": met},
    )


def test_the_series_has_one_point_per_period_with_its_status():
    progress = progress_of(WORKOUTS, {**ONE_WEEK_MET, "2026-03-10": "1"}, today="2026-03-17")

    assert [(p.day.isoformat(), p.until.isoformat(), p.status) for p in progress.series] == [
        ("2026-03-02", "2026-03-08", "met"),
        ("2026-03-09", "2026-03-15", "missed"),
        ("2026-03-16", "2026-03-22", "not_yet"),
    ]
    assert [point.value for point in progress.series] == [3, 1, None]
