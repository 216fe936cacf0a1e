"""Range progress as a table. 2 March 2026 is a Monday."""

import pytest

from .progress_factories import assert_progress, progress_of, terms

SLEEP = terms(
    "range",
    target_low="7",
    target_high="9",
    period="day",
    period_aggregation="mean",
    start_date="2026-03-02",
)
WEEKLY_SPEND = terms(
    "range",
    target_low="70",
    target_high="100",
    period="week",
    period_aggregation="sum",
    start_date="2026-03-02",
)
WEEKLY_MEAN = WEEKLY_SPEND.model_copy(update={"period_aggregation": "mean"})
WEEKLY_LAST = WEEKLY_SPEND.model_copy(update={"period_aggregation": "last"})
FREEZER = terms(
    "range",
    target_low="-20",
    target_high="-16",
    period="day",
    period_aggregation="last",
    start_date="2026-03-02",
    deadline="2026-03-04",
)
THREE_NIGHTS = {"2026-03-02": "8", "2026-03-03": "6", "2026-03-04": "9"}

CASES = {
    "before the start": (
        SLEEP,
        {},
        "2026-03-01",
        {
            "status": "not_started",
            "headline": "Starts on 2 Mar",
            "summary_text": "Starts on 2 Mar; 7 to 9 h each day.",
        },
    ),
    "first day, no data": (
        SLEEP,
        {},
        "2026-03-02",
        {
            "status": "no_data",
            "current": None,
            "period_status": "no_data",
            "percent": 0,
            "percent_exact": None,
            "streak": 0,
            "success_rate": None,
            "headline": "Nothing recorded today",
            "summary_text": "No measurements yet; needs every day.",
        },
    ),
    "within today, but a night missed when every night is asked": (
        SLEEP,
        {**THREE_NIGHTS, "2026-03-05": "7.5"},
        "2026-03-05",
        {
            "status": "behind",
            "status_label": "Behind",
            "current": "7.5",
            "percent": 25,
            "period_status": "within",
            "streak": 1,
            "periods_met": 2,
            "success_rate": 67,
            "headline": "7.5 h today, within 7 to 9 h",
            "summary_text": "Met 2 of 3 days; needs every day; streak: 1 day.",
        },
    ),
    "both bounds are included": (
        SLEEP,
        {"2026-03-02": "7", "2026-03-03": "9"},
        "2026-03-04",
        {"streak": 2, "success_rate": 100},
    ),
    "outside today": (
        SLEEP,
        {"2026-03-02": "9.5"},
        "2026-03-02",
        {
            "status": "behind",
            "status_label": "Above range",
            "period_status": "outside",
            "percent": 100,
            "percent_exact": "125",
            "headline": "9.5 h today, above 7 to 9 h",
            "summary_text": "Needs every day.",
        },
    ),
    "a closed day with no data is not met": (
        SLEEP,
        {"2026-03-02": "8", "2026-03-04": "8"},
        "2026-03-05",
        {"streak": 1, "periods_met": 2, "periods_judged": 3},
    ),
    "a sum still filling up is not yet judged": (
        WEEKLY_SPEND,
        {"2026-03-02": "30", "2026-03-03": "20"},
        "2026-03-05",
        {
            "status": "on_track",
            "current": "50",
            "expected": "30",
            "period_status": "not_yet",
            "headline": "50 h this week, 20 h to go to 70 to 100 h, 4 days left",
            "summary_text": "Needs every week.",
        },
    ),
    "a sum filling up slowly can still be won": (
        WEEKLY_SPEND,
        {"2026-03-02": "10"},
        "2026-03-07",
        {"status": "on_track", "expected": "50", "period_status": "not_yet"},
    ),
    "a sum over the high bound is outside at once": (
        WEEKLY_SPEND,
        {"2026-03-02": "101"},
        "2026-03-02",
        {"status": "behind", "period_status": "outside"},
    ),
    "a sum below the low bound when the week closed is outside": (
        WEEKLY_SPEND,
        {"2026-03-02": "50"},
        "2026-03-09",
        {"series_statuses": ["outside", "no_data"]},
    ),
    "the week's mean": (
        WEEKLY_MEAN,
        {"2026-03-02": "60", "2026-03-03": "90"},
        "2026-03-04",
        {"current": "75", "period_status": "within"},
    ),
    "the week's last value": (
        WEEKLY_LAST,
        {"2026-03-02": "90", "2026-03-03": "60"},
        "2026-03-04",
        {"current": "60", "period_status": "outside"},
    ),
    "below zero, within": (
        FREEZER,
        {"2026-03-02": "-18"},
        "2026-03-02",
        {"status": "on_track", "period_status": "within", "percent": 50},
    ),
    "after the deadline, all within": (
        FREEZER,
        {"2026-03-02": "-18", "2026-03-03": "-20", "2026-03-04": "-16"},
        "2026-03-10",
        {"status": "achieved", "success_rate": 100, "headline": "Met 3 of 3 days"},
    ),
    "after the deadline, one outside": (
        FREEZER,
        {"2026-03-02": "-18", "2026-03-03": "-12", "2026-03-04": "-16"},
        "2026-03-10",
        {"status": "failed", "success_rate": 67, "streak": 1},
    ),
}


@pytest.mark.parametrize(("goal", "values", "today", "expected"), CASES.values(), ids=CASES)
def test_range_progress(goal, values, today, expected):
    progress = progress_of(goal, values, today=today, unit="h")
    statuses = expected.pop("series_statuses", None)
    assert_progress(progress, expected)
    if statuses is not None:
        assert [point.status for point in progress.series] == statuses
