"""The read side of progress: each goal's value per local day, for many goals at once.

A day's value is its measurements reduced by the goal's daily aggregation. Days are cut
in the owner's time zone, so a measurement at 00:30 in Berlin belongs to that Berlin
day whatever the offset of the moment.

Sum, count, min, max, mean, first and last are read from the rollup
(`measurements.rollup`: per metric and UTC quarter-hour, count, sum, min, max and the
first and last measurement), not from the raw rows, so a day costs at most its 96
quarter-hours however many measurements it holds. Every zone offset in use is a
multiple of 15 minutes, so local midnights fall on bucket edges and a local day is
exactly the buckets between its midnights; the database groups the buckets into days
(`measurements.days`: a bucket's local day as arithmetic on the bucket, piecewise
between the zone's offset changes), so what comes back is one row per metric-day. Days
that are over were summed once into a row each (settled, in the owner's zone): those
are read from their rows, in the same query, so a year costs 365 rows, not 35,000.

The number of queries does not grow with the number of goals, metrics or measurements:

1. one grouped query of the rollup for `sum`, `count`, `min`, `max` and `mean` (mean
   is sum / count in Decimal rather than the database's `AVG`, so both databases give
   the same six decimal places);
2. one query of the rollup for `first` and `last` (per metric-day, the first value of
   its earliest non-empty bucket and the last value of its latest: buckets do not
   overlap in time, and each keeps its own first and last);
3. one query of raw rows for `median`, reduced in Python (SQLite has no percentile,
   and a median does not combine from buckets).

Each query runs only when some goal needs it, and reads each metric only over the
union of the day ranges its goals ask for. `daily_values_from_rows` computes the same
series from the raw rows alone: the reference the rollup is tested against.
"""

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import (
    Count,
    F,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
    Window,
)
from django.db.models.functions import FirstValue, RowNumber, TruncDate

from measurements.days import local_midnight
from measurements.models import Measurement, Metric

from .choices import Aggregation
from .kinds.days import ONE_DAY, DailySeries, DayRange, rounded
from .models import Goal
from .rollup_days import edges_from_rollup, grouped_from_rollup

__all__ = [
    "DailySeries",
    "DayRange",
    "daily_values_for_goals",
    "daily_values_from_rows",
    "metrics_for_goals",
    "units_for_goals",
]

GROUPED = frozenset(
    {Aggregation.SUM, Aggregation.COUNT, Aggregation.MIN, Aggregation.MAX, Aggregation.MEAN}
)
EDGES = frozenset({Aggregation.FIRST, Aggregation.LAST})
MEDIAN = frozenset({Aggregation.MEDIAN})

#: (metric id, day) -> {aggregation: value}: what one query reads
MetricDayValues = dict[tuple[int, dt.date], dict[str, Decimal]]
#: metric id -> day -> {aggregation: value}: what all the queries read
DayValues = dict[int, dict[dt.date, dict[str, Decimal]]]


def daily_values_for_goals(
    goals: Iterable[Goal], *, zone: ZoneInfo, ranges: Mapping[int, DayRange]
) -> dict[int, DailySeries]:
    """Each goal's daily series over the days `ranges[goal.id]` asks for.

    The goals belong to one owner, whose `zone` cuts the days. A goal without a range,
    or with an empty one (it has not started), gets an empty series.
    """
    return _daily_values(goals, zone, ranges, FROM_ROLLUP)


def daily_values_from_rows(
    goals: Iterable[Goal], *, zone: ZoneInfo, ranges: Mapping[int, DayRange]
) -> dict[int, DailySeries]:
    """`daily_values_for_goals` from the raw rows only, without the rollup."""
    return _daily_values(goals, zone, ranges, FROM_ROWS)


#: Reads the values of one group of aggregations, per metric-day.
Reader = Callable[[Mapping[int, DayRange], ZoneInfo], "MetricDayValues"]


def _daily_values(
    goals: Iterable[Goal],
    zone: ZoneInfo,
    ranges: Mapping[int, DayRange],
    readers: tuple[tuple[frozenset[str], Reader], ...],
) -> dict[int, DailySeries]:
    goals = list(goals)
    found: DayValues = defaultdict(lambda: defaultdict(dict))
    for aggregations, read in readers:
        spans = _spans_by_metric(goals, ranges, aggregations)
        if not spans:
            continue
        for (metric_id, day), values in read(spans, zone).items():
            found[metric_id][day].update(values)
    return {goal.id: _series_of(goal, ranges.get(goal.id), found) for goal in goals}


def _spans_by_metric(
    goals: list[Goal], ranges: Mapping[int, DayRange], aggregations: frozenset[str]
) -> dict[int, DayRange]:
    """The days to read per metric: the union of the ranges of its goals whose daily
    aggregation is one of `aggregations`."""
    spans: dict[int, DayRange] = {}
    for goal in goals:
        days = ranges.get(goal.id)
        if not days or goal.aggregation not in aggregations:
            continue
        known = spans.get(goal.metric_id)
        spans[goal.metric_id] = known.union(days) if known else days
    return spans


def _measurements_within(spans: Mapping[int, DayRange], zone: ZoneInfo) -> QuerySet:
    """Measurements of these metrics from local midnight of each span's first day to
    local midnight after its last day: bounds on `measured_at`, so the index serves."""
    condition = Q()
    for metric_id, days in spans.items():
        condition |= Q(
            metric_id=metric_id,
            measured_at__gte=local_midnight(days.first, zone),
            measured_at__lt=local_midnight(days.last + ONE_DAY, zone),
        )
    return (
        Measurement.objects.filter(condition)
        .annotate(day=TruncDate("measured_at", tzinfo=zone))
        .order_by()
    )


def _grouped(spans: Mapping[int, DayRange], zone: ZoneInfo) -> MetricDayValues:
    rows = (
        _measurements_within(spans, zone)
        .values("metric_id", "day")
        .annotate(total=Sum("value"), count=Count("id"), low=Min("value"), high=Max("value"))
    )
    found = {}
    for row in rows:
        # Every value has six places, so the rounded sum is exact again (SQLite sums
        # floats), and the mean is taken from it, as from the rollup.
        total = rounded(row["total"])
        found[(row["metric_id"], row["day"])] = {
            Aggregation.SUM: total,
            Aggregation.COUNT: Decimal(row["count"]),
            Aggregation.MIN: rounded(row["low"]),
            Aggregation.MAX: rounded(row["high"]),
            Aggregation.MEAN: rounded(total / row["count"]),
        }
    return found


def _edges(spans: Mapping[int, DayRange], zone: ZoneInfo) -> MetricDayValues:
    metric_day = [F("metric_id"), F("day")]
    rows = (
        _measurements_within(spans, zone)
        .annotate(
            position=Window(
                RowNumber(), partition_by=metric_day, order_by=[F("measured_at"), F("id")]
            ),
            last_value=Window(
                FirstValue("value"),
                partition_by=metric_day,
                order_by=[F("measured_at").desc(), F("id").desc()],
            ),
        )
        .filter(position=1)
        .values("metric_id", "day", "value", "last_value")
    )
    return {
        (row["metric_id"], row["day"]): {
            Aggregation.FIRST: rounded(row["value"]),
            Aggregation.LAST: rounded(row["last_value"]),
        }
        for row in rows
    }


def _medians(spans: Mapping[int, DayRange], zone: ZoneInfo) -> MetricDayValues:
    values: dict[tuple[int, dt.date], list[Decimal]] = defaultdict(list)
    for metric_id, day, value in _measurements_within(spans, zone).values_list(
        "metric_id", "day", "value"
    ):
        values[(metric_id, day)].append(value)
    return {
        key: {Aggregation.MEDIAN: rounded(statistics.median(day_values))}
        for key, day_values in values.items()
    }


FROM_ROWS: tuple[tuple[frozenset[str], Reader], ...] = (
    (GROUPED, _grouped),
    (EDGES, _edges),
    (MEDIAN, _medians),
)
FROM_ROLLUP: tuple[tuple[frozenset[str], Reader], ...] = (
    (GROUPED, grouped_from_rollup),
    (EDGES, edges_from_rollup),
    (MEDIAN, _medians),
)


def _series_of(goal: Goal, days: DayRange | None, found: DayValues) -> DailySeries:
    if not days:
        return DailySeries()
    by_day = found.get(goal.metric_id, {})
    return DailySeries.of(
        {
            day: values[goal.aggregation]
            for day, values in by_day.items()
            if day in days and goal.aggregation in values
        }
    )


def metrics_for_goals(goals: Iterable[Goal]) -> dict[int, Metric]:
    """Each goal's metric (its unit and display places): the loaded one, or one query
    for the goals whose metric was not selected with them."""
    goals = list(goals)
    missing = {goal.metric_id for goal in goals if not Goal.metric.is_cached(goal)}
    loaded = (
        Metric.objects.only("id", "unit", "display_places", "typed_places").in_bulk(missing)
        if missing
        else {}
    )
    return {
        goal.id: goal.metric if Goal.metric.is_cached(goal) else loaded[goal.metric_id]
        for goal in goals
    }


def units_for_goals(goals: Iterable[Goal]) -> dict[int, str]:
    """Each goal's metric unit (see `metrics_for_goals`)."""
    return {goal_id: metric.unit for goal_id, metric in metrics_for_goals(goals).items()}
