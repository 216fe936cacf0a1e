"""Reach progress as a table: the kind's pure policy on in-memory daily values.

The window is 1 to 31 March 2026 (30 days), so a goal from 82 to 75 moves its pace
line 7/30 a day: 78.5 on 16 March.
"""

import pytest

from .progress_factories import assert_progress, progress_of, terms

DOWN = terms("reach", start_value="82", target="75", start_date="2026-03-01", deadline="2026-03-31")
UP = terms("reach", start_value="10", target="20", start_date="2026-03-01", deadline="2026-03-31")
BELOW_ZERO = terms(
    "reach", start_value="-5", target="-15", start_date="2026-03-01", deadline="2026-03-31"
)
TINY = terms(
    "reach",
    start_value="0.00001",
    target="0.000001",
    start_date="2026-03-01",
    deadline="2026-03-31",
)

CASES = {
    "before the start": (
        DOWN,
        {},
        "2026-02-27",
        {
            "status": "not_started",
            "current": None,
            "percent": 0,
            "expected": None,
            "delta": None,
            "buffer_days": None,
            "headline": "Starts on 1 Mar",
            "summary_text": "Starts on 1 Mar; from 82 kg to 75 kg by 31 Mar.",
        },
    ),
    "first day, no data": (
        DOWN,
        {},
        "2026-03-01",
        {
            "status": "no_data",
            "status_label": "No data yet",
            "current": None,
            "has_data": False,
            "percent_exact": None,
            "expected": None,
            "delta": None,
            "buffer_days": None,
            "headline": "No measurements yet",
            "summary_text": "No measurements yet; from 82 kg to 75 kg by 31 Mar.",
        },
    ),
    "first day, one point": (
        DOWN,
        {"2026-03-01": "81.5"},
        "2026-03-01",
        {
            "status": "on_track",
            "current": "81.5",
            "current_day": "2026-03-01",
            "percent": 7,
            "delta": "0.5",
            "buffer_days": 2,
            "projected_date": None,
            "summary_text": "6.5 kg to go; on track; you can skip 2 days.",
        },
    ),
    "down, behind the pace": (
        DOWN,
        {"2026-03-01": "82", "2026-03-15": "79"},
        "2026-03-16",
        {
            "status": "behind",
            "current": "79",
            "percent": 42,
            "expected": "78.5",
            "delta": "-0.5",
            "buffer_days": 0,
            "headline": "4 kg to go",
        },
    ),
    "down, ahead of the pace": (
        DOWN,
        {"2026-03-16": "77.8"},
        "2026-03-16",
        {"status": "on_track", "delta": "0.7", "buffer_days": 3, "percent": 60},
    ),
    "down, reached before the deadline": (
        DOWN,
        {"2026-03-19": "74.9"},
        "2026-03-20",
        {
            "status": "achieved",
            "percent": 100,
            "buffer_days": None,
            "headline": "Reached 75 kg",
            "summary_text": "Reached 75 kg; 74.9 kg on 19 Mar.",
        },
    ),
    "down, reached then lost again": (
        DOWN,
        {"2026-03-10": "74.9", "2026-03-12": "76"},
        "2026-03-12",
        {"status": "on_track", "current": "76"},
    ),
    "on the deadline, not there": (
        DOWN,
        {"2026-03-31": "75.2"},
        "2026-03-31",
        {"status": "behind", "expected": "75", "delta": "-0.2", "buffer_days": 0},
    ),
    "on the deadline, there": (
        DOWN,
        {"2026-03-31": "75"},
        "2026-03-31",
        {"status": "achieved", "percent": 100},
    ),
    "after the deadline, short (later values do not count)": (
        DOWN,
        {"2026-03-30": "76", "2026-04-01": "74"},
        "2026-04-02",
        {
            "status": "failed",
            "current": "76",
            "headline": "1 kg short",
            "summary_text": "The deadline passed at 76 kg; 1 kg short of 75 kg.",
        },
    ),
    "after the deadline, reached": (
        DOWN,
        {"2026-03-30": "74.5"},
        "2026-04-10",
        {"status": "achieved", "projected_date": None},
    ),
    "after the deadline, no data": (
        DOWN,
        {},
        "2026-04-10",
        {"status": "failed", "current": None, "percent": 0, "headline": "7 kg short"},
    ),
    "up, ahead": (
        UP,
        {"2026-03-16": "16"},
        "2026-03-16",
        {"status": "on_track", "expected": "15", "delta": "1", "buffer_days": 3, "percent": 60},
    ),
    "up, behind": (
        UP,
        {"2026-03-16": "14"},
        "2026-03-16",
        {"status": "behind", "delta": "-1", "percent": 40, "headline": "6 kg to go"},
    ),
    "up, reached": (UP, {"2026-03-20": "21"}, "2026-03-20", {"status": "achieved", "percent": 100}),
    "up, moved the wrong way": (
        UP,
        {"2026-03-02": "9"},
        "2026-03-02",
        {"status": "behind", "percent": 0},
    ),
    "below zero, going down": (
        BELOW_ZERO,
        {"2026-03-16": "-12"},
        "2026-03-16",
        {"status": "on_track", "expected": "-10", "delta": "2", "percent": 70},
    ),
    "tiny decimals": (
        TINY,
        {"2026-03-16": "0.000004"},
        "2026-03-16",
        {
            "status": "on_track",
            "expected": "0.000006",
            "delta": "0.000002",
            "percent": 66,
            "headline": "0.000003 kg to go",
        },
    ),
}


@pytest.mark.parametrize(("goal", "values", "today", "expected"), CASES.values(), ids=CASES)
def test_reach_progress(goal, values, today, expected):
    assert_progress(progress_of(goal, values, today=today), expected)


TRENDS = {
    "steady fall meets the target": (
        {f"2026-03-{n + 1:02}": str(82 - 0.25 * n) for n in range(16)},
        "2026-03-16",
        "2026-03-29",
    ),
    "only the last 14 days count": (
        {"2026-03-01": "60", **{f"2026-03-{n + 1:02}": str(82 - 0.25 * n) for n in range(5, 20)}},
        "2026-03-20",
        "2026-03-29",
    ),
    "rising away from a lower target": (
        {"2026-03-01": "82", "2026-03-05": "82.5"},
        "2026-03-05",
        None,
    ),
    "flat": ({"2026-03-01": "80", "2026-03-05": "80"}, "2026-03-05", None),
    "one point": ({"2026-03-05": "80"}, "2026-03-05", None),
    "beyond the deadline is still told": (
        {"2026-03-01": "82", "2026-03-11": "81"},
        "2026-03-11",
        "2026-05-10",
    ),
}


@pytest.mark.parametrize(("values", "today", "projected"), TRENDS.values(), ids=TRENDS)
def test_reach_projection_follows_the_trend_of_the_last_14_days(values, today, projected):
    assert_progress(progress_of(DOWN, values, today=today), {"projected_date": projected})


def test_the_summary_says_what_to_do():
    progress = progress_of(DOWN, {"2026-03-04": "80.9", "2026-03-16": "77.8"}, today="2026-03-16")

    assert progress.summary_text == (
        "2.8 kg to go; on track; you can skip 3 days; at this pace you get there on 27 Mar."
    )


def test_the_series_spans_the_window_with_the_pace_line_and_no_future_values():
    progress = progress_of(DOWN, {"2026-03-02": "81"}, today="2026-03-03")

    assert len(progress.series) == 31
    first, second, third, last = (progress.series[i] for i in (0, 1, 2, 30))
    assert (first.value, first.pace) == (None, 82)
    assert second.value == 81
    assert third.value is None
    assert last.pace == 75
    assert all(point.value is None for point in progress.series[3:])
