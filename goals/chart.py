"""A goal's progress chart: the progress payload as a `config.charts` series, drawn in
the style the goal's kind declares. Nothing here asks which kind it is drawing.

`chart_geometry(progress, width=..., height=..., span=...)` gives what the SVG template
draws; `span` keeps only the last weeks or months (`CHART_RANGES`).
"""

import datetime as dt
from decimal import Decimal

from config.charts import (
    PADDING,
    ChartGeometry,
    ChartSeries,
    ChartStyle,
    SeriesPoint,
    draw,
)

from . import kinds
from .kinds.payload import PeriodStatus, Progress

__all__ = ["CHART_RANGES", "DEFAULT_RANGE", "PADDING", "chart_geometry", "chart_range"]

#: The spans a chart can show: key (the `range` query parameter) -> words and days.
CHART_RANGES: dict[str, tuple[str, int | None]] = {
    "4w": ("4 weeks", 28),
    "3m": ("3 months", 91),
    "1y": ("A year", 365),
    "all": ("All", None),
}
DEFAULT_RANGE = "all"

_NOT_MET = frozenset({PeriodStatus.MISSED, PeriodStatus.EXCEEDED, PeriodStatus.OUTSIDE})


def chart_range(key: str | None) -> str:
    """`key` when it names a range, else the default."""
    return key if key in CHART_RANGES else DEFAULT_RANGE


def chart_style_of(progress: Progress) -> ChartStyle:
    kind = kinds.get(progress.kind)
    return kind.chart_style if kind else ChartStyle.LINE_WITH_PACE


def chart_geometry(
    progress: Progress, *, width: int, height: int, span: str = DEFAULT_RANGE
) -> ChartGeometry:
    """The chart of `progress` in a `width` x `height` box, over the range `span`
    (a key of CHART_RANGES)."""
    style = chart_style_of(progress)
    uid = f"{progress.goal_id or 0}-{width}"
    series = _within_range(progress.series, progress.today, span)
    if not series:
        return ChartGeometry(width=width, height=height, style=style, uid=uid)
    references = (progress.start, progress.target)
    return draw(
        ChartSeries(
            style=style,
            unit=progress.unit,
            places=progress.places,
            today=progress.today,
            first_day=series[0].day,
            last_day=series[-1].until,
            points=[
                SeriesPoint(
                    day=point.day,
                    until=point.until,
                    value=point.value,
                    status=point.status,
                    status_text=_status_words(point.status, point.value, progress),
                    not_met=point.status in _NOT_MET,
                )
                for point in series
                if point.value is not None
            ],
            pace=[(p.day, p.until, p.pace) for p in series if p.pace is not None],
            references=[value for value in references if value is not None],
            low=progress.low,
            high=progress.high,
            target=progress.target if style is ChartStyle.BARS else None,
            uid=uid,
        ),
        width=width,
        height=height,
    )


def _within_range(series: list, today: dt.date, key: str) -> list:
    """The points of the last days the range covers, up to today (or the series' end
    when that is earlier); at least the last point."""
    days = CHART_RANGES[key][1]
    if days is None or not series:
        return series
    end = min(today, series[-1].until)
    since = end - dt.timedelta(days=days - 1)
    kept = [point for point in series if point.until >= since and point.day <= end]
    return kept or series[-1:]


def _status_words(status: PeriodStatus | None, value: Decimal, progress: Progress) -> str:
    """ "met", "not yet", "missed"; against bounds, "within", "above" or "below range"."""
    if status is None:
        return ""
    bounded = progress.low is not None and progress.high is not None
    if bounded and status is not PeriodStatus.NOT_YET:
        if value > progress.high:
            return "above range"
        if value < progress.low:
            return "below range"
        return "within range"
    return status.label.lower()
