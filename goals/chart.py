"""SVG-ready geometry for a goal's progress chart, drawn by the server without JS.

`chart_geometry(progress, width=..., height=...)` maps a `Progress` onto a box of
`width` x `height` user units: days run left to right, values bottom to top. The
template only places what it gets here: polylines, rectangles, lines and labels.
Floats are fine at this point: they are pixels, not values.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from config.numbers import quantity

from .kinds import wording
from .kinds.payload import PeriodStatus, Progress

#: Space kept free inside the box so strokes and dots are not cut at the edges.
PADDING = 4.0


@dataclass(frozen=True)
class Dot:
    """One recorded value: a marker at (x, y) with words for its tooltip."""

    x: float
    y: float
    day: dt.date
    label: str
    status: PeriodStatus | None = None


@dataclass(frozen=True)
class Bar:
    """One period of a quota or range goal, as a rectangle from the baseline (or the
    bottom) up to its value; `status` colours it."""

    x: float
    y: float
    width: float
    height: float
    status: PeriodStatus | None


@dataclass(frozen=True)
class Band:
    """The allowed range of a range goal: a rectangle across the whole chart."""

    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class ChartGeometry:
    """Everything the SVG template draws, in user units of a `width` x `height` box.

    - `values`: the `points` attribute of the value polyline ("x,y x,y ..."): days (or
      periods) with a value, joined across the days without one; `dots` mark them.
    - `pace`: the `points` of the pace line (reach, total); empty otherwise.
    - `bars`: one per period (quota, range); empty otherwise.
    - `band`: the low..high rectangle (range); `target_y`: the target line (quota).
    - `today_x`: where today is, or None when today is outside the chart.
    - `y_min`, `y_max`: the heights of the lowest and highest values drawn, and
      `y_min_label`, `y_max_label` those values in words ("74.2 kg");
      `first_day_label`, `last_day_label`: the days at the left and right edges.
    - `is_empty`: nothing to draw yet (the goal has not started).
    """

    width: int
    height: int
    values: str = ""
    dots: list[Dot] = field(default_factory=list)
    pace: str = ""
    bars: list[Bar] = field(default_factory=list)
    band: Band | None = None
    target_y: float | None = None
    today_x: float | None = None
    y_min: float | None = None
    y_max: float | None = None
    y_min_label: str = ""
    y_max_label: str = ""
    first_day_label: str = ""
    last_day_label: str = ""
    is_empty: bool = True


@dataclass(frozen=True)
class _Scale:
    first_day: dt.date
    days: int
    low: float
    high: float
    width: int
    height: int
    #: The lowest and highest values drawn, before the headroom.
    value_low: Decimal
    value_high: Decimal

    def x(self, day: dt.date) -> float:
        """The left edge of `day`."""
        inner = self.width - 2 * PADDING
        return PADDING + inner * (day - self.first_day).days / self.days

    def covers(self, day: dt.date) -> bool:
        return 0 <= (day - self.first_day).days < self.days

    def x_mid(self, day: dt.date, until: dt.date) -> float:
        """The middle of the days from `day` to `until`."""
        return (self.x(day) + self.x(until + dt.timedelta(days=1))) / 2

    def y(self, value: Decimal | float) -> float:
        inner = self.height - 2 * PADDING
        share = (float(value) - self.low) / (self.high - self.low)
        return PADDING + inner * (1 - share)


def chart_geometry(progress: Progress, *, width: int, height: int) -> ChartGeometry:
    """The chart of `progress` in a `width` x `height` box."""
    if not progress.series:
        return ChartGeometry(width=width, height=height)
    scale = _scale_for(progress, width, height)
    points = [point for point in progress.series if point.value is not None]
    periodic = progress.period is not None
    label = partial(quantity, unit=progress.unit, places=progress.places)
    return ChartGeometry(
        width=width,
        height=height,
        values=_polyline((scale.x_mid(p.day, p.until), scale.y(p.value)) for p in points),
        dots=[
            Dot(
                x=_round(scale.x_mid(p.day, p.until)),
                y=_round(scale.y(p.value)),
                day=p.day,
                label=f"{wording.day(p.day, today=progress.today)}: {label(p.value)}",
                status=p.status,
            )
            for p in points
        ],
        pace=_polyline(
            (scale.x_mid(p.day, p.until), scale.y(p.pace))
            for p in progress.series
            if p.pace is not None
        ),
        bars=_bars(progress, scale) if periodic else [],
        band=_band(progress, scale),
        target_y=_round(scale.y(progress.target))
        if periodic and progress.target is not None
        else None,
        today_x=_round(scale.x_mid(progress.today, progress.today))
        if scale.covers(progress.today)
        else None,
        y_min=_round(scale.y(scale.value_low)),
        y_max=_round(scale.y(scale.value_high)),
        y_min_label=label(scale.value_low),
        y_max_label=label(scale.value_high),
        first_day_label=wording.day(scale.first_day, today=progress.today),
        last_day_label=wording.day(progress.series[-1].until, today=progress.today),
        is_empty=False,
    )


def _scale_for(progress: Progress, width: int, height: int) -> _Scale:
    """Days from the first point to the last; values from the lowest to the highest
    thing drawn, with a little headroom, and never a zero-height range."""
    first, last = progress.series[0].day, progress.series[-1].until
    drawn = [
        value
        for point in progress.series
        for value in (point.value, point.pace)
        if value is not None
    ]
    references = (progress.start, progress.target, progress.low, progress.high)
    drawn += [value for value in references if value is not None]
    if progress.comparison:  # quota bars stand on zero
        drawn.append(Decimal(0))
    low, high = (min(drawn), max(drawn)) if drawn else (Decimal(0), Decimal(1))
    margin = float(high - low) * 0.05 or max(abs(float(high)) * 0.1, 1.0)
    return _Scale(
        first_day=first,
        days=(last - first).days + 1,
        low=float(low) - margin,
        high=float(high) + margin,
        width=width,
        height=height,
        value_low=low,
        value_high=high,
    )


def _bars(progress: Progress, scale: _Scale) -> list[Bar]:
    base = scale.y(max(scale.low, 0.0))
    bars = []
    for point in progress.series:
        if point.value is None:
            continue
        left, right = scale.x(point.day), scale.x(point.until + dt.timedelta(days=1))
        top = scale.y(point.value)
        bars.append(
            Bar(
                x=_round(left + 1),
                y=_round(min(top, base)),
                width=_round(max(right - left - 2, 1.0)),
                height=_round(abs(base - top)),
                status=point.status,
            )
        )
    return bars


def _band(progress: Progress, scale: _Scale) -> Band | None:
    if progress.low is None or progress.high is None:
        return None
    top, bottom = scale.y(progress.high), scale.y(progress.low)
    return Band(
        x=PADDING,
        y=_round(top),
        width=_round(scale.width - 2 * PADDING),
        height=_round(bottom - top),
    )


def _polyline(points) -> str:
    return " ".join(f"{_round(x)},{_round(y)}" for x, y in points)


def _round(value: float) -> float:
    return round(value, 1)
