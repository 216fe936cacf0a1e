"""The rollup read per local day: the two reads of `goals.daily_values` that serve
sum, count, min, max, mean, first and last from the rollup (`measurements.days`:
settled days from their rows, the rest from the quarter-hours), as each goal
aggregation's values. Numbers come back as each database gives them and are read
into Decimals the way Django reads them, so both paths (rollup and raw rows) round
alike.
"""

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from zoneinfo import ZoneInfo

from measurements.days import day_of, decimal_of, read_days

from .choices import Aggregation
from .kinds.days import DayRange, rounded

#: (metric id, day) -> {aggregation: value}
MetricDayValues = dict[tuple[int, dt.date], dict[str, Decimal]]


def grouped_from_rollup(spans: Mapping[int, DayRange], zone: ZoneInfo) -> MetricDayValues:
    """Sum, count, min, max and mean per metric-day (mean as sum / count in Decimal, so
    both databases give the same places)."""
    found = {}
    for metric_id, day, whole, measured, lowest, highest in read_days("grouped", spans, zone):
        total = rounded(decimal_of(whole))
        found[(metric_id, day_of(day))] = {
            Aggregation.SUM: total,
            Aggregation.COUNT: Decimal(int(measured)),
            Aggregation.MIN: rounded(decimal_of(lowest)),
            Aggregation.MAX: rounded(decimal_of(highest)),
            Aggregation.MEAN: rounded(total / int(measured)),
        }
    return found


def edges_from_rollup(spans: Mapping[int, DayRange], zone: ZoneInfo) -> MetricDayValues:
    """First and last per metric-day."""
    return {
        (metric_id, day_of(day)): {
            Aggregation.FIRST: rounded(decimal_of(first)),
            Aggregation.LAST: rounded(decimal_of(last)),
        }
        for metric_id, day, first, last in read_days("edges", spans, zone)
    }
