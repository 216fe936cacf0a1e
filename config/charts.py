"""SVG-ready geometry for every chart the server draws without JS (a goal's progress,
a metric's history), from a neutral series, so all charts read alike.

`draw(series, width=..., height=...)` lays a `ChartSeries` out in a box of `width` x
`height` user units: a value axis on the left (labelled gridlines at round steps),
date labels along the bottom, and the plot between them, drawn in the series' style.
Templates only place what they get here. Floats are fine at this point: they are
pixels, not values; every number a person reads goes through `config.numbers`.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from .chart_axis import nice_ticks
from .numbers import format_value, quantity

#: Space kept free inside the plot so strokes and dots are not cut at the edges.
PADDING = 4.0
#: The size of axis labels in user units; the stylesheet draws them at this size.
LABEL_SIZE = 12.0
#: The average width of a label's character, as a share of LABEL_SIZE.
CHARACTER_WIDTH = 0.6
#: A dot's largest radius, and the smallest height a bar keeps so a zero still shows.
DOT_RADIUS = 3.5
MIN_BAR_HEIGHT = 1.5
#: The least width a dot of a line or band chart has to itself: a longer series is
#: thinned to the dots its width holds (`_thinned`).
MIN_DOT_SPACING = 5.0


class ChartStyle(StrEnum):
    #: One dot per recorded day joined by a line, with a pace line where there is one.
    LINE_WITH_PACE = "line_with_pace"
    #: One bar per period standing on zero, with the target line.
    BARS = "bars"
    #: The allowed band with one dot per period, shaped by met or missed.
    RANGE_BAND = "range_band"


@dataclass(frozen=True)
class SeriesPoint:
    """One value to draw, from its first day to its last (the same day for a day).
    `status` names its class (`point-met`), `status_text` its words ("met"), and
    `not_met` draws it hatched or as a diamond."""

    day: dt.date
    until: dt.date
    value: Decimal
    status: str | None = None
    status_text: str = ""
    not_met: bool = False


@dataclass(frozen=True)
class ChartSeries:
    """What a chart shows: its points, and the lines and bounds drawn with them."""

    style: ChartStyle
    unit: str
    places: int | None
    today: dt.date
    first_day: dt.date
    last_day: dt.date
    points: list[SeriesPoint]
    #: (first day, last day, value) of the pace line, where there is one.
    pace: list[tuple[dt.date, dt.date, Decimal]] = field(default_factory=list)
    #: Values the axis must reach even when nothing is drawn there (start, target).
    references: list[Decimal] = field(default_factory=list)
    low: Decimal | None = None
    high: Decimal | None = None
    target: Decimal | None = None
    #: Keeps the chart's pattern ids unique on a page.
    uid: str = "chart"


@dataclass(frozen=True)
class Tick:
    """A labelled gridline of the value axis."""

    y: float
    label: str


@dataclass(frozen=True)
class DateTick:
    """A date along the bottom; `anchor` keeps the first and last inside the box."""

    x: float
    label: str
    anchor: str


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class ChartPoint:
    """One drawn value: where it is, and its words. `shape` is "bar", "circle" or
    "diamond" (not met, on a dot chart), so met and missed differ by shape or pattern
    as well as colour; `hatched` marks a bar not met. `label` is what the point is
    called by keyboard and pointer ("29 Nov: 7.5 h, within range")."""

    x: float
    y: float
    day: dt.date
    date_text: str
    value_text: str
    status: str | None
    status_text: str
    shape: str
    hatched: bool = False
    bar: Bar | None = None

    @property
    def label(self) -> str:
        words = f"{self.date_text}: {self.value_text}"
        return f"{words}, {self.status_text}" if self.status_text else words

    @property
    def diamond(self) -> str:
        """The `d` of a diamond around (x, y)."""
        r = DOT_RADIUS + 1
        x, y = self.x, self.y
        return (
            f"M{x:.1f},{y - r:.1f} L{x + r:.1f},{y:.1f} L{x:.1f},{y + r:.1f} L{x - r:.1f},{y:.1f} Z"
        )


@dataclass(frozen=True)
class Band:
    """The allowed range: a rectangle across the plot."""

    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class ChartGeometry:
    """Everything the SVG template draws, in user units of a `width` x `height` box.

    - `style`: how the series is drawn; `uid` keeps the chart's pattern ids unique.
    - `plot_left`, `plot_right`, `plot_top`, `plot_bottom`: the plot inside the axes.
    - `ticks`: the value axis (3 to 5 gridlines); `date_ticks`: the dates below.
    - `points`: every value drawn, with its words (`label`), in day order.
    - `values`: the `points` attribute of the value polyline (line charts only).
    - `pace`: the `points` of the pace line; empty where there is none.
    - `band`: the low..high rectangle; `target_y`: the target line of a bar chart.
    - `today_x`: where today is, or None when today is outside the chart.
    - `first_day_label`, `last_day_label`: the days at the left and right edges.
    - `values_in_series`: how many values the series had, when there were more than
      the width holds and `points` is a selection of them (else 0).
    - `is_empty`: nothing to draw.
    """

    width: int
    height: int
    style: ChartStyle = ChartStyle.LINE_WITH_PACE
    uid: str = ""
    plot_left: float = 0.0
    plot_right: float = 0.0
    plot_top: float = 0.0
    plot_bottom: float = 0.0
    ticks: list[Tick] = field(default_factory=list)
    date_ticks: list[DateTick] = field(default_factory=list)
    points: list[ChartPoint] = field(default_factory=list)
    values: str = ""
    pace: str = ""
    band: Band | None = None
    target_y: float | None = None
    today_x: float | None = None
    first_day_label: str = ""
    last_day_label: str = ""
    values_in_series: int = 0
    is_empty: bool = True

    @property
    def bars(self) -> list[Bar]:
        return [point.bar for point in self.points if point.bar is not None]

    @property
    def dot_radius(self) -> float:
        """Dots shrink where days crowd, so neighbours stay apart (1.5 to 3.5 units)."""
        if not self.points:
            return DOT_RADIUS
        spacing = (self.plot_right - self.plot_left) / len(self.points)
        return _round(min(DOT_RADIUS, max(1.5, spacing / 3)))

    @property
    def tick_x(self) -> float:
        """Where the value labels end, just left of the plot."""
        return _round(self.plot_left - 4)

    @property
    def label_y(self) -> float:
        """The baseline of the date labels."""
        return _round(self.height - 3)


@dataclass(frozen=True)
class _Scale:
    first_day: dt.date
    days: int
    low: float
    high: float
    left: float
    right: float
    top: float
    bottom: float

    def x(self, day: dt.date) -> float:
        """The left edge of `day`."""
        inner = self.right - self.left - 2 * PADDING
        return self.left + PADDING + inner * (day - self.first_day).days / self.days

    def covers(self, day: dt.date) -> bool:
        return 0 <= (day - self.first_day).days < self.days

    def x_mid(self, day: dt.date, until: dt.date) -> float:
        """The middle of the days from `day` to `until`."""
        return (self.x(day) + self.x(until + dt.timedelta(days=1))) / 2

    def y(self, value: Decimal | float) -> float:
        share = (float(value) - self.low) / (self.high - self.low)
        return self.bottom - (self.bottom - self.top) * share


def day_words(value: dt.date, *, today: dt.date) -> str:
    """A day as "3 Mar", with the year when it is not this year's."""
    text = f"{value.day} {value:%b}"
    return text if value.year == today.year else f"{text} {value.year}"


def period_words(first: dt.date, last: dt.date, *, today: dt.date) -> str:
    """ "3 Mar", or "2 Mar to 8 Mar" for a period of several days."""
    if first == last:
        return day_words(first, today=today)
    return f"{day_words(first, today=today)} to {day_words(last, today=today)}"


def draw(series: ChartSeries, *, width: int, height: int) -> ChartGeometry:
    """The chart of `series` in a `width` x `height` box."""
    if series.first_day > series.last_day:
        return ChartGeometry(width=width, height=height, style=series.style, uid=series.uid)
    ticks = nice_ticks(*_value_domain(series), places=series.places)
    tick_labels = [format_value(tick, series.places) for tick in ticks]
    left = max(len(text) for text in tick_labels) * LABEL_SIZE * CHARACTER_WIDTH + 6
    scale = _Scale(
        first_day=series.first_day,
        days=(series.last_day - series.first_day).days + 1,
        low=float(ticks[0]),
        high=float(ticks[-1]),
        left=_round(left),
        right=float(width),
        top=LABEL_SIZE / 2 + 2,
        bottom=height - LABEL_SIZE - 8,
    )
    shown = _thinned(series, scale)
    points = _points(series, shown, scale)
    lines = series.style is ChartStyle.LINE_WITH_PACE
    return ChartGeometry(
        width=width,
        height=height,
        style=series.style,
        uid=series.uid,
        plot_left=scale.left,
        plot_right=scale.right,
        plot_top=_round(scale.top),
        plot_bottom=_round(scale.bottom),
        ticks=[
            Tick(y=_round(scale.y(tick)), label=text)
            for tick, text in zip(ticks, tick_labels, strict=True)
        ],
        date_ticks=_date_ticks(series, scale),
        points=points,
        values=_polyline((point.x, point.y) for point in points) if lines else "",
        pace=_polyline(
            (scale.x_mid(day, until), scale.y(value)) for day, until, value in series.pace
        ),
        band=_band(series, scale) if series.style is ChartStyle.RANGE_BAND else None,
        target_y=_round(scale.y(series.target))
        if series.style is ChartStyle.BARS and series.target is not None
        else None,
        today_x=_round(scale.x_mid(series.today, series.today))
        if scale.covers(series.today)
        else None,
        first_day_label=day_words(series.first_day, today=series.today),
        last_day_label=day_words(series.last_day, today=series.today),
        values_in_series=len(series.points) if len(shown) < len(series.points) else 0,
        is_empty=False,
    )


def _value_domain(series: ChartSeries) -> tuple[Decimal, Decimal]:
    """The lowest and highest values drawn, the pace, the references and the bounds;
    bars stand on zero, so a bar chart always includes it."""
    drawn = [point.value for point in series.points]
    drawn += [value for _day, _until, value in series.pace]
    bounds = (series.low, series.high, series.target)
    drawn += series.references + [value for value in bounds if value is not None]
    if series.style is ChartStyle.BARS:
        drawn.append(Decimal(0))
    return (min(drawn), max(drawn)) if drawn else (Decimal(0), Decimal(1))


def _thinned(series: ChartSeries, scale: _Scale) -> list[SeriesPoint]:
    """The points to draw: at most one per stretch of days as wide as MIN_DOT_SPACING,
    its latest, or its latest not met where one is (a miss must not vanish among the
    days met). Years of days on a card would otherwise draw, and put in the tab order,
    thousands of dots a few pixels wide; a month of days at the start of a long window
    would be a smudge. Bars, one per period, are all drawn."""
    if series.style is ChartStyle.BARS:
        return series.points
    room = max(1, int((scale.right - scale.left - 2 * PADDING) // MIN_DOT_SPACING))
    if scale.days <= room:
        return series.points
    kept: dict[int, SeriesPoint] = {}
    for point in series.points:
        stretch = (point.day - scale.first_day).days * room // scale.days
        held = kept.get(stretch)
        if held is None or point.not_met or not held.not_met:
            kept[stretch] = point
    return list(kept.values())


def _points(series: ChartSeries, shown: list[SeriesPoint], scale: _Scale) -> list[ChartPoint]:
    base = scale.y(max(scale.low, 0.0))
    points = []
    for point in shown:
        top = scale.y(point.value)
        bar = None
        if series.style is ChartStyle.BARS:
            left, right = scale.x(point.day), scale.x(point.until + dt.timedelta(days=1))
            height = max(abs(base - top), MIN_BAR_HEIGHT)
            bar = Bar(
                x=_round(left + 1),
                y=_round(min(top, base - height)),
                width=_round(max(right - left - 2, 1.0)),
                height=_round(height),
            )
        points.append(
            ChartPoint(
                x=_round(scale.x_mid(point.day, point.until)),
                y=_round(top),
                day=point.day,
                date_text=period_words(point.day, point.until, today=series.today),
                value_text=quantity(point.value, series.unit, series.places),
                status=point.status,
                status_text=point.status_text,
                shape="bar" if bar else "diamond" if point.not_met else "circle",
                hatched=bool(bar) and point.not_met,
                bar=bar,
            )
        )
    return points


def _date_ticks(series: ChartSeries, scale: _Scale) -> list[DateTick]:
    """As many evenly spread dates as fit side by side, the first and the last always."""
    first, last = series.first_day, series.last_day
    widest = max(len(day_words(day, today=series.today)) for day in (first, last))
    fits = int((scale.right - scale.left) // (widest * LABEL_SIZE * CHARACTER_WIDTH + 24))
    count = max(1, min(fits, 6, scale.days))
    if count == 1:
        days = [first]
    else:
        step = (scale.days - 1) / (count - 1)
        days = sorted({first + dt.timedelta(days=round(i * step)) for i in range(count)})
    ticks = []
    for index, day in enumerate(days):
        anchor = "start" if index == 0 else "end" if index == len(days) - 1 else "middle"
        x = {"start": scale.left, "end": scale.right}.get(anchor) or scale.x_mid(day, day)
        ticks.append(DateTick(x=_round(x), label=day_words(day, today=series.today), anchor=anchor))
    return ticks


def _band(series: ChartSeries, scale: _Scale) -> Band | None:
    if series.low is None or series.high is None:
        return None
    top, bottom = scale.y(series.high), scale.y(series.low)
    return Band(
        x=scale.left,
        y=_round(top),
        width=_round(scale.right - scale.left),
        height=_round(bottom - top),
    )


def _polyline(points) -> str:
    return " ".join(f"{_round(x)},{_round(y)}" for x, y in points)


def _round(value: float) -> float:
    return round(value, 1)
