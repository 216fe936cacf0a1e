"""Pace lines, trends and the numbers derived from them, shared by the kinds.

All in Decimal. A pace line is the straight line from where a goal starts to its
target; a trend is the least-squares line through recent days.
"""

import datetime as dt
import math
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from .days import DayRange, rounded
from .payload import ProgressStatus

#: How many recent days the trend (and so the projected date) looks at.
TREND_DAYS = 14


def on_line(first: tuple[dt.date, Decimal], last: tuple[dt.date, Decimal], day: dt.date) -> Decimal:
    """The value on the straight line from `first` to `last` at `day`, held flat
    before the first day and after the last."""
    (first_day, first_value), (last_day, last_value) = first, last
    if day <= first_day or last_day <= first_day:
        return first_value if day <= first_day else last_value
    if day >= last_day:
        return last_value
    share = Decimal((day - first_day).days) / Decimal((last_day - first_day).days)
    return rounded(first_value + (last_value - first_value) * share)


def percent(part: Decimal, whole: Decimal) -> int:
    """`part / whole` as a whole percentage, rounded down and held within 0..100, so
    a goal shows 100 only once it is really there."""
    if whole == 0:
        return 100 if part >= 0 else 0
    share = (part / whole * 100).to_integral_value(rounding=ROUND_FLOOR)
    return int(min(max(share, Decimal(0)), Decimal(100)))


def exact_percent(part: Decimal | None, whole: Decimal) -> Decimal | None:
    """`part / whole` in percent, to six decimals and not held within 0..100; None
    without a part or with nothing to divide by."""
    if part is None or whole == 0:
        return None
    return rounded(part / whole * 100)


def share_percent(part: int, whole: int) -> int:
    return int((Decimal(part) * 100 / whole).to_integral_value(rounding=ROUND_HALF_UP))


def buffer_days(ahead: Decimal, per_day: Decimal, days_left: int) -> int:
    """Whole days of recording nothing before the pace line, moving `per_day`, catches
    up with a lead of `ahead`; never more than the days left."""
    if ahead < 0 or per_day <= 0:
        return 0
    return min(int(ahead // per_day), max(days_left, 0))


def trend(points: list[tuple[dt.date, Decimal]]) -> tuple[Decimal, Decimal] | None:
    """Least squares through (day, value): (value at day ordinal 0, change per day).
    None with fewer than two distinct days."""
    if len({day for day, _ in points}) < 2:
        return None
    xs = [Decimal(day.toordinal()) for day, _ in points]
    ys = [value for _, value in points]
    mean_x = sum(xs) / len(xs)
    mean_y = sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    return mean_y - slope * mean_x, slope


def projected_date(
    points: list[tuple[dt.date, Decimal]], target: Decimal, *, rising: bool, today: dt.date
) -> dt.date | None:
    """The first day the trend through `points` reaches `target`, not before today.
    None when there is no trend, it points away from the target (or is flat), or the
    day lies beyond the calendar."""
    line = trend(points)
    if line is None:
        return None
    intercept, slope = line
    if slope == 0 or (slope > 0) != rising:
        return None
    ordinal = math.ceil((target - intercept) / slope)
    if not 1 <= ordinal <= dt.date.max.toordinal():
        return None
    return max(dt.date.fromordinal(ordinal), today)


def paced_status(
    *,
    today: dt.date,
    start_date: dt.date,
    deadline: dt.date,
    reached: bool,
    ahead: Decimal,
    has_data: bool,
) -> ProgressStatus:
    """The status of a goal with a pace line (reach, total): not started before the
    start date; achieved when reached; failed once the deadline passed without it; no
    data on the start day with nothing recorded (no day is over to judge); otherwise
    on track when on or ahead of the pace line, behind when not."""
    if today < start_date:
        return ProgressStatus.NOT_STARTED
    if reached:
        return ProgressStatus.ACHIEVED
    if today > deadline:
        return ProgressStatus.FAILED
    if not has_data and today == start_date:
        return ProgressStatus.NO_DATA
    return ProgressStatus.ON_TRACK if ahead >= 0 else ProgressStatus.BEHIND


def recent_days(today: dt.date) -> DayRange:
    """The days the trend looks at: the last `TREND_DAYS`, today included."""
    return DayRange(today - dt.timedelta(days=TREND_DAYS - 1), today)
