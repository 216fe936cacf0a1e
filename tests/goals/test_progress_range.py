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
            "status": "on_track",
            "current": None,
            "period_status": "no_data",
            "percent": 0,
            "streak": 0,
            "success_rate": None,
            "headline": "Nothing recorded today",
        },
    ),
    "within today": (
        SLEEP,
        {**THREE_NIGHTS, "2026-03-05": "7.5"},
        "2026-03-05",
        {
            "status": "on_track",
            "current": "7.5",
            "percent": 25,
            "period_status": "within",
            "streak": 1,
            "periods_met": 2,
            "success_rate": 67,
            "headline": "7.5 h today",
            "summary_text": "Within 7 to 9 h; streak: 1 day; met 2 of 3 days.",
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
            "period_status": "outside",
            "percent": 100,
            "summary_text": "Above 7 to 9 h.",
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
            "summary_text": "20 h to go to 70 to 100 h.",
        },
    ),
    "a sum filling up too slowly is behind": (
        WEEKLY_SPEND,
        {"2026-03-02": "10"},
        "2026-03-07",
        {"status": "behind", "expected": "50", "period_status": "not_yet"},
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
