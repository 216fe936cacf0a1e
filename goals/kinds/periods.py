"""Cutting local days into periods: a day, a week from the owner's first weekday, a
calendar month."""

import datetime as dt

from .days import ONE_DAY, DayRange


def period_containing(day: dt.date, period: str, week_start: int) -> DayRange:
    """The whole period `day` falls in; `week_start` is 0 for Monday .. 6 for Sunday."""
    if period == "day":
        return DayRange(day, day)
    if period == "week":
        first = day - dt.timedelta(days=(day.weekday() - week_start) % 7)
        return DayRange(first, first + dt.timedelta(days=6))
    if period == "month":
        first = day.replace(day=1)
        following = (first + dt.timedelta(days=32)).replace(day=1)
        return DayRange(first, following - ONE_DAY)
    raise ValueError(f"Unknown period {period!r}.")


def periods_through(span: DayRange, period: str, week_start: int) -> list[DayRange]:
    """The periods from the one holding `span.first` to the one holding `span.last`,
    each clipped to `span`: a goal's first and last periods may be partial."""
    found = []
    day = span.first
    while day <= span.last:
        whole = period_containing(day, period, week_start)
        found.append(whole.clipped(span))
        day = whole.last + ONE_DAY
    return found
