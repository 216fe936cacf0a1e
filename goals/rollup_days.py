"""The rollup read per local day: the two queries of `goals.daily_values` that serve
sum, count, min, max, mean, first and last from `MeasurementRollup`.

They are written out rather than built with the ORM: every quick entry judges its
goals with them and every dashboard draws with them, and compiling their window
functions and piecewise day numbers cost several times what running them does. The
SQL is the same on PostgreSQL and SQLite; numbers come back as each database gives
them and are read into Decimals the way Django reads them (`_decimal`), so both paths
(rollup and raw rows) round alike.
"""

import datetime as dt
import functools
from collections.abc import Mapping
from decimal import Context, Decimal
from zoneinfo import ZoneInfo

from django.db import connection

from measurements.models import BUCKET_SECONDS, MeasurementRollup
from measurements.rollup import bucket_of

from .choices import Aggregation
from .kinds.days import ONE_DAY, DayRange, rounded

#: (metric id, day) -> {aggregation: value}
MetricDayValues = dict[tuple[int, dt.date], dict[str, Decimal]]

EPOCH = dt.date(1970, 1, 1)
#: Quarter-hours in a day of 24 hours.
DAY_BUCKETS = 86400 // BUCKET_SECONDS

_GROUPED = """
SELECT metric_id, {day} AS day, SUM(total), SUM(count), MIN(low), MAX(high)
FROM {rollup}
WHERE count > 0 AND ({within})
GROUP BY metric_id, day
"""

#: Per metric-day, the first value of its earliest bucket and the last value of its
#: latest: buckets cut time into quarter-hours, so the day's first measurement is the
#: first of its earliest non-empty bucket (ties inside a bucket are the bucket's own).
#: One grouping finds the two buckets, and the unique (metric, bucket) index reads
#: their values: no sort of the day's buckets. (As joins, PostgreSQL guessed a group
#: per bucket and hashed the whole rollup for them; a lookup per day is what it is.)
_EDGES = """
SELECT metric_id, day,
    (SELECT first_value FROM {rollup} AS head
        WHERE head.metric_id = ends.metric_id AND head.bucket = ends.head),
    (SELECT last_value FROM {rollup} AS tail
        WHERE tail.metric_id = ends.metric_id AND tail.bucket = ends.tail)
FROM (
    SELECT metric_id, {day} AS day, MIN(bucket) AS head, MAX(bucket) AS tail
    FROM {rollup}
    WHERE count > 0 AND ({within})
    GROUP BY metric_id, day
) AS ends
"""


def grouped_from_rollup(spans: Mapping[int, DayRange], zone: ZoneInfo) -> MetricDayValues:
    """Sum, count, min, max and mean per metric-day (mean as sum / count in Decimal, so
    both databases give the same places)."""
    found = {}
    for metric_id, day, whole, measured, lowest, highest in _read(_GROUPED, spans, zone):
        total = rounded(_decimal(whole))
        found[(metric_id, _on(day))] = {
            Aggregation.SUM: total,
            Aggregation.COUNT: Decimal(int(measured)),
            Aggregation.MIN: rounded(_decimal(lowest)),
            Aggregation.MAX: rounded(_decimal(highest)),
            Aggregation.MEAN: rounded(total / int(measured)),
        }
    return found


def edges_from_rollup(spans: Mapping[int, DayRange], zone: ZoneInfo) -> MetricDayValues:
    """First and last per metric-day."""
    return {
        (metric_id, _on(day)): {
            Aggregation.FIRST: rounded(_decimal(first)),
            Aggregation.LAST: rounded(_decimal(last)),
        }
        for metric_id, day, first, last in _read(_EDGES, spans, zone)
    }


def local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    # Where midnight falls in a DST gap, fold=0 resolves to the moment the day begins.
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def _read(template: str, spans: Mapping[int, DayRange], zone: ZoneInfo) -> list[tuple]:
    first = min(days.first for days in spans.values())
    last = max(days.last for days in spans.values())
    day, day_params = _day_number(first, last, zone)
    within, within_params = _within(spans, zone)
    sql = template.format(
        day=day, within=within, rollup=connection.ops.quote_name(MeasurementRollup._meta.db_table)
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*day_params, *within_params])
        return cursor.fetchall()


def _within(spans: Mapping[int, DayRange], zone: ZoneInfo) -> tuple[str, list[int]]:
    """The buckets of these metrics between each span's local midnights."""
    terms, params = [], []
    for metric_id, days in spans.items():
        terms.append("(metric_id = %s AND bucket >= %s AND bucket < %s)")
        params += [
            metric_id,
            bucket_of(local_midnight(days.first, zone)),
            bucket_of(local_midnight(days.last + ONE_DAY, zone)),
        ]
    return " OR ".join(terms), params


@functools.lru_cache(maxsize=1024)
def _day_number(first: dt.date, last: dt.date, zone: ZoneInfo) -> tuple[str, tuple[int, ...]]:
    """A bucket's local day, as days since the epoch, for buckets from `first` to
    `last` (local days): `(bucket + shift) / 96` over each run of 24-hour days with
    the same offset at midnight, a constant on a day of 23 or 25 hours. It walks the
    days one by one, so it is kept for the spans asked again (the same goals' windows
    on every entry and every dashboard of the day)."""
    pieces: list[tuple[int, str, int]] = []
    shift = None
    day, start = first, bucket_of(local_midnight(first, zone))
    while day <= last:
        end = bucket_of(local_midnight(day + ONE_DAY, zone))
        number = (day - EPOCH).days
        if end - start == DAY_BUCKETS:
            day_shift = number * DAY_BUCKETS - start
            if day_shift == shift:
                pieces[-1] = (end, *pieces[-1][1:])
            else:
                shift = day_shift
                pieces.append((end, f"(bucket + %s) / {DAY_BUCKETS}", day_shift))
        else:
            shift = None
            pieces.append((end, "%s", number))
        day, start = day + ONE_DAY, end
    *bounded, (_, rest, rest_param) = pieces
    if not bounded:
        return rest, (rest_param,)
    whens = " ".join(f"WHEN bucket < %s THEN {expression}" for _, expression, _ in bounded)
    params = [value for end, _, param in bounded for value in (end, param)]
    return f"CASE {whens} ELSE {rest} END", (*params, rest_param)


#: How Django reads a number SQLite returns as a float: 15 significant digits, the
#: rest is float noise. PostgreSQL returns Decimals.
_SQLITE_DIGITS = Context(prec=15)


def _decimal(value) -> Decimal:
    if isinstance(value, Decimal):
        return value
    return _SQLITE_DIGITS.create_decimal_from_float(value)


def _on(number: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(number))
