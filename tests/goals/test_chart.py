"""Chart geometry: what the SVG template draws, from a progress payload."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest

from config.chart_axis import nice_ticks
from config.charts import MIN_DOT_SPACING
from goals.chart import PADDING, chart_geometry, chart_range
from goals.kinds import GoalKind, all_kinds
from goals.kinds.chart_styles import ChartStyle

from .progress_factories import progress_of, terms

WIDTH, HEIGHT = 320, 150
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


def test_every_kind_declares_its_chart_style():
    styles = {kind.key: kind.chart_style for kind in all_kinds()}
    assert styles == {
        "reach": ChartStyle.LINE_WITH_PACE,
        "total": ChartStyle.LINE_WITH_PACE,
        "quota": ChartStyle.BARS,
        "range": ChartStyle.RANGE_BAND,
    }
    assert GoalKind.chart_style is ChartStyle.LINE_WITH_PACE  # a new kind's default


def test_reach_draws_values_and_the_pace_line_across_the_window():
    geometry = chart(REACH, {"2026-03-01": "82", "2026-03-11": "80"}, "2026-03-11")

    pace = points(geometry.pace)
    assert len(pace) == 31
    assert pace[0][1] < pace[-1][1]  # from 82 at the top down to 75
    assert len(points(geometry.values)) == len(geometry.points) == 2
    assert geometry.points[1].label == "11 Mar: 80 kg"
    assert [point.shape for point in geometry.points] == ["circle", "circle"]
    assert (geometry.first_day_label, geometry.last_day_label) == ("1 Mar", "31 Mar")
    assert geometry.band is None and geometry.bars == [] and geometry.target_y is None
    assert not geometry.is_empty


def test_the_value_axis_has_three_to_five_round_labelled_gridlines():
    geometry = chart(REACH, {"2026-03-01": "82", "2026-03-11": "80"}, "2026-03-11")

    assert [tick.label for tick in geometry.ticks] == ["74", "76", "78", "80", "82"]
    heights = [tick.y for tick in geometry.ticks]
    assert heights == sorted(heights, reverse=True)  # SVG y grows downwards
    assert heights[0] == pytest.approx(geometry.plot_bottom)
    assert heights[-1] == pytest.approx(geometry.plot_top)
    assert geometry.tick_x < geometry.plot_left


@pytest.mark.parametrize(
    ("low", "high", "places", "expected"),
    [
        ("0", "3", 0, ["0", "1", "2", "3"]),
        ("6", "9.5", 1, ["6", "7", "8", "9", "10"]),
        ("0", "100", 0, ["0", "25", "50", "75", "100"]),
        ("7", "8", 0, ["7", "8", "9"]),  # never finer than whole numbers
        ("8", "8", 1, ["7.9", "8", "8.1"]),  # a flat line still has an axis
        ("0", "0", 0, ["0", "1", "2"]),  # and does not go below zero
        ("81.2", "81.6", 1, ["81.2", "81.3", "81.4", "81.5", "81.6"]),
        ("0", "15465", 0, ["0", "5000", "10000", "15000", "20000"]),
    ],
)
def test_nice_ticks(low, high, places, expected):
    ticks = nice_ticks(Decimal(low), Decimal(high), places=places)
    assert [format(tick.normalize(), "f") for tick in ticks] == expected


def test_date_labels_fit_side_by_side_and_stay_inside():
    geometry = chart(REACH, {"2026-03-01": "82"}, "2026-03-11")

    labels = geometry.date_ticks
    assert 2 <= len(labels) <= 6
    assert (labels[0].label, labels[-1].label) == ("1 Mar", "31 Mar")
    assert (labels[0].anchor, labels[-1].anchor) == ("start", "end")
    assert labels[0].x == geometry.plot_left and labels[-1].x == geometry.plot_right
    xs = [label.x for label in labels]
    assert all(right - left >= 40 for left, right in itertools.pairwise(xs))


def test_everything_stays_inside_the_box():
    geometry = chart(REACH, {"2026-03-01": "90", "2026-03-11": "60"}, "2026-03-11")

    for x, y in points(geometry.values) + points(geometry.pace):
        assert geometry.plot_left + PADDING <= x <= WIDTH - PADDING
        assert geometry.plot_top <= y <= geometry.plot_bottom


@pytest.mark.parametrize(
    ("today", "inside"),
    [("2026-03-01", True), ("2026-03-31", True), ("2026-04-01", False), ("2026-02-01", False)],
)
def test_today_is_marked_only_inside_the_chart(today, inside):
    today_x = chart(REACH, {}, today).today_x
    assert (today_x is not None) == inside


def test_total_runs_from_zero():
    geometry = chart(TOTAL, {"2026-03-01": "30"}, "2026-03-02")

    assert geometry.ticks[0].label == "0"
    assert geometry.ticks[-1].label == "100"
    assert len(points(geometry.values)) == 2  # the running total, today included


def test_quota_draws_a_bar_per_period_on_zero_and_the_target_line():
    geometry = chart(QUOTA, {"2026-03-02": "3", "2026-03-10": "1"}, "2026-03-11")

    assert [point.status for point in geometry.points] == ["met", "not_yet"]
    assert [point.shape for point in geometry.points] == ["bar", "bar"]
    assert geometry.target_y is not None
    met = geometry.bars[0]
    assert met.y == pytest.approx(geometry.target_y)
    assert met.y + met.height == pytest.approx(geometry.plot_bottom)  # standing on zero
    assert geometry.points[0].label == "2 Mar to 8 Mar: 3 kg, met"
    assert geometry.values == ""


def test_missed_bars_are_hatched_as_well_as_coloured():
    geometry = chart(QUOTA, {"2026-03-02": "1", "2026-03-09": "4"}, "2026-03-20")

    missed, met = geometry.points
    assert (missed.status, missed.hatched) == ("missed", True)
    assert (met.status, met.hatched) == ("met", False)


def test_a_zero_bar_still_shows():
    geometry = chart(QUOTA, {"2026-03-02": "0"}, "2026-03-03")

    assert geometry.bars[0].height > 0


def test_range_draws_the_band_and_shapes_missed_nights_as_diamonds():
    geometry = chart(
        RANGE, {"2026-03-02": "8", "2026-03-03": "10", "2026-03-04": "6"}, "2026-03-05"
    )

    band = geometry.band
    assert band is not None
    assert band.x == geometry.plot_left and band.x + band.width == geometry.plot_right
    high_y, low_y = band.y, band.y + band.height
    within, above, below = geometry.points
    assert high_y < within.y < low_y
    assert above.y < high_y
    assert low_y < below.y <= geometry.plot_bottom  # a short night is drawn, labelled
    assert geometry.ticks[0].label == "6"
    assert [p.shape for p in geometry.points] == ["circle", "diamond", "diamond"]
    assert [p.label for p in geometry.points] == [
        "2 Mar: 8 kg, within range",
        "3 Mar: 10 kg, above range",
        "4 Mar: 6 kg, below range",
    ]
    assert geometry.bars == [] and geometry.values == ""


def test_a_goal_that_has_not_started_has_nothing_to_draw():
    geometry = chart(QUOTA, {}, "2026-03-01")

    assert geometry.is_empty
    assert geometry.values == geometry.pace == ""
    assert geometry.points == []


def test_a_single_flat_value_still_has_a_height():
    geometry = chart(RANGE, {"2026-03-02": "8"}, "2026-03-02")

    assert geometry.plot_bottom > geometry.points[0].y > geometry.plot_top


def test_a_range_keeps_the_last_days_up_to_today():
    values = {f"2026-03-{n:02d}": "80" for n in range(1, 21)}
    everything = chart(REACH, values, "2026-03-20")
    last_weeks = chart_geometry(
        progress_of(REACH, values, today="2026-03-20"), width=WIDTH, height=HEIGHT, span="4w"
    )
    assert len(everything.points) == len(last_weeks.points) == 20  # all of it is recent
    year = terms(
        "reach", start_value="90", target="70", start_date="2025-06-01", deadline="2026-06-01"
    )
    long_values = {"2025-06-01": "90", "2026-02-01": "85", "2026-03-10": "82"}
    recent = chart_geometry(
        progress_of(year, long_values, today="2026-03-20"), width=WIDTH, height=HEIGHT, span="4w"
    )
    assert [point.date_text for point in recent.points] == ["10 Mar"]
    assert recent.date_ticks[0].label == "21 Feb"


@pytest.mark.parametrize(("key", "expected"), [("3m", "3m"), ("bogus", "all"), (None, "all")])
def test_an_unknown_range_reads_as_all(key, expected):
    assert chart_range(key) == expected


def _days(first: str, count: int, value=lambda n: "80") -> dict[str, str]:
    start = dt.date.fromisoformat(first)
    return {(start + dt.timedelta(days=n)).isoformat(): value(n) for n in range(count)}


def test_a_long_series_draws_the_dots_its_width_holds_each_a_real_day():
    two_years = terms(
        "reach", start_value="90", target="70", start_date="2024-03-01", deadline="2026-03-01"
    )
    values = _days("2024-03-01", 731, lambda n: f"{90 - n / 50:.1f}")
    geometry = chart(two_years, values, "2026-03-01")

    spacing = (geometry.plot_right - geometry.plot_left) / len(geometry.points)
    assert spacing >= MIN_DOT_SPACING
    assert len(geometry.points) < 731 == geometry.values_in_series
    assert geometry.points[-1].label == "1 Mar: 75.4 kg"  # the latest value is drawn
    for point in geometry.points:  # each dot is a day's own value, not a blend
        value = values[point.day.isoformat()]
        assert point.value_text == f"{Decimal(value).normalize():f} kg"
    xs = [point.x for point in geometry.points]
    assert xs == sorted(xs) and len(points(geometry.values)) == len(xs)


def test_a_short_series_is_drawn_whole():
    assert chart(REACH, _days("2026-03-01", 31), "2026-03-31").values_in_series == 0


def test_days_crowded_into_the_start_of_a_long_window_are_thinned_too():
    four_months = terms(
        "reach", start_value="90", target="70", start_date="2026-03-01", deadline="2026-06-30"
    )
    values = _days("2026-03-01", 30, lambda n: f"{90 - n / 10:.1f}")
    geometry = chart(four_months, values, "2026-03-30")

    assert len(geometry.points) < 30 == geometry.values_in_series
    xs = [point.x for point in geometry.points]
    assert min(after - before for before, after in itertools.pairwise(xs)) >= 4
    assert geometry.points[-1].date_text == "30 Mar"
