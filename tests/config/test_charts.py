"""`config.charts.draw` over series longer than a chart's width holds."""

import datetime as dt
from decimal import Decimal

from config.charts import MIN_DOT_SPACING, ChartSeries, ChartStyle, SeriesPoint, draw

FIRST = dt.date(2025, 3, 1)
WIDTH, HEIGHT = 320, 150


def _series(style: ChartStyle, days: int, missed: set[int] = frozenset()) -> ChartSeries:
    points = [
        SeriesPoint(
            day=FIRST + dt.timedelta(days=n),
            until=FIRST + dt.timedelta(days=n),
            value=Decimal(5 if n in missed else 8),
            status="missed" if n in missed else "met",
            status_text="missed" if n in missed else "met",
            not_met=n in missed,
        )
        for n in range(days)
    ]
    return ChartSeries(
        style=style,
        unit="h",
        places=0,
        today=points[-1].day,
        first_day=FIRST,
        last_day=points[-1].day,
        points=points,
    )


def test_a_miss_among_days_met_keeps_its_dot_when_the_days_are_thinned():
    geometry = draw(_series(ChartStyle.RANGE_BAND, 366, missed={200}), width=WIDTH, height=HEIGHT)

    assert geometry.values_in_series == 366
    assert (geometry.plot_right - geometry.plot_left) / len(geometry.points) >= MIN_DOT_SPACING
    assert [point.label for point in geometry.points if point.shape == "diamond"] == [
        "17 Sep 2025: 5 h, missed"
    ]
    assert geometry.points[-1].day == FIRST + dt.timedelta(days=365)


def test_what_the_width_holds_is_drawn_whole():
    geometry = draw(_series(ChartStyle.RANGE_BAND, 40), width=WIDTH, height=HEIGHT)
    assert len(geometry.points) == 40 and geometry.values_in_series == 0


def test_bars_are_never_thinned():
    geometry = draw(_series(ChartStyle.BARS, 366), width=WIDTH, height=HEIGHT)
    assert len(geometry.bars) == 366 and geometry.values_in_series == 0
