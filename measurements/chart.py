"""A metric's chart: the last value of each day over the last weeks, in the owner's
time zone, drawn by `config.charts` like every other chart."""

import datetime as dt

from config.charts import ChartGeometry, ChartSeries, ChartStyle, SeriesPoint, draw

from . import selectors
from .models import Metric

#: How far back the metric page's chart reaches.
CHART_DAYS = 90


def metric_chart(
    metric: Metric, *, now: dt.datetime, zone, width: int, height: int
) -> ChartGeometry:
    """The last `CHART_DAYS` days of `metric` up to `now`: one dot per day with a value
    (the day's last), joined by a line; empty when nothing was recorded then."""
    today = now.astimezone(zone).date()
    first = today - dt.timedelta(days=CHART_DAYS - 1)
    since = dt.datetime.combine(first, dt.time(), tzinfo=zone)
    daily = {
        measured_at.astimezone(zone).date(): value
        for measured_at, value in selectors.measurements_since(metric_id=metric.id, since=since)
    }
    if not daily:
        return ChartGeometry(width=width, height=height, uid=f"metric-{metric.id}-{width}")
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
