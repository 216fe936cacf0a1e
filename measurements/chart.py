"""A metric's chart: the last value of each day over the last weeks, in the owner's
time zone, drawn by `config.charts` like every other chart.

The days come from the rollup (`measurements.days`), one row a day, so the chart of a
metric with a thousand measurements a day costs what a sparse one does."""

import datetime as dt
from decimal import Decimal

from config.charts import ChartGeometry, ChartSeries, ChartStyle, SeriesPoint, draw

from .days import last_values
from .models import Metric

#: How far back the metric page's chart reaches.
CHART_DAYS = 90


def chart_days(metric: Metric, *, now: dt.datetime, zone) -> dict[dt.date, Decimal]:
    """The last value of each local day of the last `CHART_DAYS` days up to `now`
    that has one."""
    today = now.astimezone(zone).date()
    return last_values(metric.id, today - dt.timedelta(days=CHART_DAYS - 1), today, zone)


def metric_chart(
    metric: Metric,
    *,
    now: dt.datetime,
    zone,
    width: int,
    height: int,
    daily: dict[dt.date, Decimal] | None = None,
) -> ChartGeometry:
    """The last `CHART_DAYS` days of `metric` up to `now`: one dot per day with a value
    (the day's last), joined by a line; empty when nothing was recorded then. `daily`
    is `chart_days`, when it was read already (one page draws two sizes)."""
    if daily is None:
        daily = chart_days(metric, now=now, zone=zone)
    if not daily:
        return ChartGeometry(width=width, height=height, uid=f"metric-{metric.id}-{width}")
    today = now.astimezone(zone).date()
    return draw(
        ChartSeries(
            style=ChartStyle.LINE_WITH_PACE,
            unit=metric.unit,
            places=metric.places,
            today=today,
            first_day=min(daily),
            last_day=today,
            points=[
                SeriesPoint(day=day, until=day, value=value) for day, value in sorted(daily.items())
            ],
            uid=f"metric-{metric.id}-{width}",
        ),
        width=width,
        height=height,
    )
