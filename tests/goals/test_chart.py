"""Chart geometry: what the SVG template draws, from a progress payload."""

import pytest

from goals.chart import PADDING, chart_geometry

from .progress_factories import progress_of, terms

WIDTH, HEIGHT = 318, 100  # 10 units a day for a 31-day window
REACH = terms(
    "reach", start_value="82", target="75", start_date="2026-03-01", deadline="2026-03-31"
)
TOTAL = terms("total", target="100", start_date="2026-03-01", deadline="2026-03-10")
QUOTA = terms("quota", target="3", period="week", comparison="at_least", start_date="2026-03-02")
RANGE = terms(
    "range",
    target_low="7",
    target_high="9",
    period="day",
    period_aggregation="mean",
    start_date="2026-03-02",
)


def chart(goal, values, today):
    return chart_geometry(progress_of(goal, values, today=today), width=WIDTH, height=HEIGHT)


def points(polyline: str) -> list[tuple[float, float]]:
    return [tuple(map(float, pair.split(","))) for pair in polyline.split()]


def test_reach_draws_values_and_the_pace_line_across_the_window():
    geometry = chart(REACH, {"2026-03-01": "82", "2026-03-11": "80"}, "2026-03-11")

    pace = points(geometry.pace)
    assert len(pace) == 31
    assert pace[0][1] < pace[-1][1]  # from 82 at the top down to 75
    assert len(points(geometry.values)) == len(geometry.dots) == 2
    assert geometry.dots[1].label == "11 Mar: 80 kg"
    assert (geometry.y_max_label, geometry.y_min_label) == ("82 kg", "75 kg")
    assert geometry.y_max < geometry.y_min  # SVG y grows downwards
    assert (geometry.first_day_label, geometry.last_day_label) == ("1 Mar", "31 Mar")
    assert geometry.band is None and geometry.bars == [] and geometry.target_y is None
    assert not geometry.is_empty


def test_everything_stays_inside_the_box():
    geometry = chart(REACH, {"2026-03-01": "90", "2026-03-11": "60"}, "2026-03-11")

    for x, y in points(geometry.values) + points(geometry.pace):
        assert PADDING <= x <= WIDTH - PADDING
        assert PADDING <= y <= HEIGHT - PADDING


@pytest.mark.parametrize(
    ("today", "today_x"),
    [("2026-03-01", 9.0), ("2026-03-31", 309.0), ("2026-04-01", None), ("2026-02-01", None)],
)
def test_today_is_marked_only_inside_the_chart(today, today_x):
    assert chart(REACH, {}, today).today_x == today_x


def test_total_runs_from_zero():
    geometry = chart(TOTAL, {"2026-03-01": "30"}, "2026-03-02")

    assert geometry.y_min_label == "0 kg"
    assert geometry.y_max_label == "100 kg"
    assert len(points(geometry.values)) == 2  # the running total, today included


def test_quota_draws_a_bar_per_period_and_the_target_line():
    geometry = chart(QUOTA, {"2026-03-02": "3", "2026-03-10": "1"}, "2026-03-11")

    assert [bar.status for bar in geometry.bars] == ["met", "not_yet"]
    assert geometry.target_y is not None
    met = geometry.bars[0]
    assert met.y == pytest.approx(geometry.target_y)
    assert met.y + met.height == pytest.approx(geometry.y_min)  # standing on zero


def test_range_draws_the_band():
    geometry = chart(RANGE, {"2026-03-02": "8", "2026-03-03": "10"}, "2026-03-04")

    band = geometry.band
    assert band is not None
    assert band.width == WIDTH - 2 * PADDING
    high_y, low_y = band.y, band.y + band.height
    within, above = geometry.dots
    assert high_y < within.y < low_y
    assert above.y < high_y
    assert within.status == "within" and above.status == "outside"


def test_a_goal_that_has_not_started_has_nothing_to_draw():
    geometry = chart(QUOTA, {}, "2026-03-01")

    assert geometry.is_empty
    assert geometry.values == geometry.pace == ""


def test_a_single_flat_value_still_has_a_height():
    geometry = chart(RANGE, {"2026-03-02": "8"}, "2026-03-02")

    assert geometry.y_min > geometry.y_max
