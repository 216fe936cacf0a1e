"""Total progress as a table. The window is 1 to 10 March 2026 (10 days) with a target
of 100, so the pace line climbs 10 a day and `expected` (the pace through yesterday)
is 40 on 5 March."""

import pytest

from .progress_factories import assert_progress, progress_of, terms

TEN_DAYS = terms("total", target="100", start_date="2026-03-01", deadline="2026-03-10")
ONE_DAY = terms("total", target="5", start_date="2026-03-01", deadline="2026-03-01")
TINY = terms("total", target="0.00001", start_date="2026-03-01", deadline="2026-03-10")

CASES = {
    "before the start": (
        TEN_DAYS,
        {},
        "2026-02-28",
        {
            "status": "not_started",
            "current": "0",
            "expected": None,
            "headline": "Starts on 1 Mar",
            "summary_text": "Starts on 1 Mar; 100 km by 10 Mar.",
        },
    ),
    "first day, no data": (
        TEN_DAYS,
        {},
        "2026-03-01",
        {
            "status": "no_data",
            "current": "0",
            "percent_exact": "0",
            "expected": None,
            "buffer_days": None,
            "headline": "No measurements yet",
            "summary_text": "No measurements yet; 100 km by 10 Mar.",
        },
    ),
    "first day, one point": (
        TEN_DAYS,
        {"2026-03-01": "25"},
        "2026-03-01",
        {"status": "on_track", "current": "25", "percent": 25, "delta": "25", "buffer_days": 2},
    ),
    "behind": (
        TEN_DAYS,
        {"2026-03-01": "10", "2026-03-03": "20"},
        "2026-03-05",
        {
            "status": "behind",
            "current": "30",
            "expected": "40",
            "delta": "-10",
            "buffer_days": 0,
            "headline": "30 of 100 km",
            "summary_text": "70 km to go; behind by 10 km; at this pace you get there on 16 Mar.",
        },
    ),
    "ahead": (
        TEN_DAYS,
        {"2026-03-01": "30", "2026-03-04": "25"},
        "2026-03-05",
        {"status": "on_track", "delta": "15", "buffer_days": 1},
    ),
    "reached early": (
        TEN_DAYS,
        {"2026-03-02": "60", "2026-03-05": "45"},
        "2026-03-06",
        {
            "status": "achieved",
            "percent": 100,
            "summary_text": "Reached 100 km on 5 Mar; 105 km in all.",
        },
    ),
    "on the deadline, short": (
        TEN_DAYS,
        {"2026-03-02": "85"},
        "2026-03-10",
        {"status": "behind", "expected": "90", "buffer_days": 0},
    ),
    "on the deadline, there": (
        TEN_DAYS,
        {"2026-03-02": "85", "2026-03-10": "15"},
        "2026-03-10",
        {"status": "achieved"},
    ),
    "after the deadline, short": (
        TEN_DAYS,
        {"2026-03-02": "85", "2026-03-11": "50"},
        "2026-03-12",
        {
            "status": "failed",
            "current": "85",
            "expected": "100",
            "summary_text": "The window closed at 85 km; 15 km short.",
        },
    ),
    "negative days take away": (
        TEN_DAYS,
        {"2026-03-01": "50", "2026-03-02": "-20"},
        "2026-03-03",
        {"current": "30", "delta": "10", "status": "on_track"},
    ),
    "a one-day window": (
        ONE_DAY,
        {"2026-03-01": "3"},
        "2026-03-01",
        {"status": "on_track", "expected": "0", "percent": 60, "buffer_days": 0},
    ),
    "tiny decimals": (
        TINY,
        {"2026-03-01": "0.000002", "2026-03-02": "0.000001"},
        "2026-03-03",
        {
            "current": "0.000003",
            "expected": "0.000002",
            "percent": 30,
            "headline": "0.000003 of 0.00001 km",
        },
    ),
}


@pytest.mark.parametrize(("goal", "values", "today", "expected"), CASES.values(), ids=CASES)
def test_total_progress(goal, values, today, expected):
    assert_progress(progress_of(goal, values, today=today, unit="km"), expected)


TRENDS = {
    "ten a day reaches 100 on the 10th": (
        {f"2026-03-0{n}": "10" for n in range(1, 5)},
        "2026-03-04",
        "2026-03-10",
    ),
    "nothing lately": ({"2026-03-01": "10"}, "2026-03-01", None),
    "one day only": ({"2026-03-01": "10"}, "2026-03-01", None),
    "past the deadline is still told": (
        {"2026-03-01": "5", "2026-03-02": "5"},
        "2026-03-02",
        "2026-03-20",
    ),
}


@pytest.mark.parametrize(("values", "today", "projected"), TRENDS.values(), ids=TRENDS)
def test_total_projection_follows_the_running_total(values, today, projected):
    assert_progress(progress_of(TEN_DAYS, values, today=today), {"projected_date": projected})


def test_the_series_is_the_running_total_against_the_pace_line():
    progress = progress_of(TEN_DAYS, {"2026-03-01": "10", "2026-03-03": "5"}, today="2026-03-03")

    assert [point.value for point in progress.series[:4]] == [10, 10, 15, None]
    assert [point.pace for point in progress.series[:3]] == [10, 20, 30]
    assert progress.series[-1].pace == 100
