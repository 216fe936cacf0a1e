"""Days and daily values: the plain data the kinds compute progress from.

Pure Python, no ORM: `goals.daily_values` fills these from the database, the tests
build them by hand.
"""

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

ONE_DAY = dt.timedelta(days=1)

#: Values are stored with six decimal places; what we derive is rounded the same way,
#: so a payload is the same on SQLite and PostgreSQL.
QUANTUM = Decimal("0.000001")


def rounded(value: Decimal) -> Decimal:
    return value.quantize(QUANTUM)


@dataclass(frozen=True, order=True)
class DayRange:
    """Local calendar days from `first` to `last`, both included."""

    first: dt.date
    last: dt.date

    @property
    def days(self) -> int:
        return max((self.last - self.first).days + 1, 0)

    def __bool__(self) -> bool:
        return self.first <= self.last

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.first <= day <= self.last

    def __iter__(self) -> Iterator[dt.date]:
        day = self.first
        while day <= self.last:
            yield day
            day += ONE_DAY

    def clipped(self, other: "DayRange") -> "DayRange":
        return DayRange(max(self.first, other.first), min(self.last, other.last))

    def union(self, other: "DayRange") -> "DayRange":
        return DayRange(min(self.first, other.first), max(self.last, other.last))


@dataclass(frozen=True)
class DailySeries:
    """One goal's value per local day, by its daily aggregation. Only days that have
    measurements are present: a missing day means "nothing recorded", not zero."""

    values: Mapping[dt.date, Decimal] = field(default_factory=dict)

    @classmethod
    def of(cls, values: Mapping[dt.date, Decimal]) -> "DailySeries":
        """A series whose `values` iterate in day order."""
        return cls(dict(sorted(values.items())))

    def __bool__(self) -> bool:
        return bool(self.values)

    def get(self, day: dt.date) -> Decimal | None:
        return self.values.get(day)

    @cached_property
    def _days(self) -> list[dt.date]:
        return sorted(self.values)

    def within(self, days: DayRange) -> list[tuple[dt.date, Decimal]]:
        """The (day, value) pairs inside `days`, in day order."""
        first = bisect_left(self._days, days.first)
        last = bisect_right(self._days, days.last)
        return [(day, self.values[day]) for day in self._days[first:last]]

    def latest(self, *, on_or_before: dt.date) -> tuple[dt.date, Decimal] | None:
        """The last day with a value on or before `on_or_before`, and its value."""
        index = bisect_right(self._days, on_or_before)
        if index == 0:
            return None
        day = self._days[index - 1]
        return day, self.values[day]

    def total(self, days: DayRange) -> Decimal:
        return sum((value for _, value in self.within(days)), Decimal(0))
