"""Each metric's rollup per local day: read for any span of days in any zone, and
settled into a row a day (`MeasurementDay`) for the days that are over.

Reading (`read_days`): a bucket's local day is arithmetic on the bucket, piecewise
between the zone's offset changes (`_day_number`), so the database groups the
quarter-hours of `MeasurementRollup` into days and returns one row per metric-day.
Days settled in the zone asked for come from their `MeasurementDay` rows instead, in
the same statement (one snapshot): a year of a metric is then 365 rows, not 35,000
quarter-hours. A zone other than the one the days were settled in reads the
quarter-hours alone, so settled rows only ever make reading faster.

Settling (`settle`, the scheduler's `settle_days` chore): a metric's days that ended
more than SETTLE_AFTER ago are summed from its quarter-hours, in its owner's zone,
into `MeasurementDay` rows, and `Metric.days_end` moves to the local midnight after
the last of them. A change of zone starts the metric over in the new one.

Unsettling (`unsettle`, in every write of measurements: `tell_changed`): a write that
touches a bucket before `days_end` takes `days_end` back to the end of the last
settled day before that bucket, in one UPDATE; the next settling sums the days again.
A write of the last RECENT hours cannot touch a settled day, so a quick entry of now
costs no statement for it.

The SQL is the same on PostgreSQL and SQLite.
"""

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Context, Decimal
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction

from .models import BUCKET_SECONDS, MeasurementDay, MeasurementRollup, Metric
from .rollup import bucket_of, bucket_start

EPOCH = dt.date(1970, 1, 1)
ONE_DAY = dt.timedelta(days=1)
#: Quarter-hours in a day of 24 hours.
DAY_BUCKETS = 86400 // BUCKET_SECONDS
#: Days settle once they ended this long ago: late data of the last day or two (a
#: watch that syncs the next morning) lands in quarter-hours, not in settled days.
SETTLE_AFTER = dt.timedelta(hours=36)
#: Writes of moments this recent leave the settled days alone: they cannot fall in one
#: (SETTLE_AFTER, less a margin for clocks that disagree).
RECENT = dt.timedelta(hours=24)
#: Settled rows inserted per statement.
_BATCH = 500

#: A row of `read_days("grouped", ...)`: metric id, day number, sum, count, min, max.
#: A row of `read_days("edges", ...)`: metric id, day number, first value, last value.
Kind = Literal["grouped", "edges"]


class Days(Protocol):
    """Local calendar days from `first` to `last`, both included (`DayRange`)."""

    first: dt.date
    last: dt.date


@dataclass(frozen=True)
class DaySpan:
    """A `Days` of this module's own (goals pass their `DayRange`)."""

    first: dt.date
    last: dt.date


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

_SETTLED_COLUMNS = {
    "grouped": "metric_id, day, total, count, low, high",
    "edges": "metric_id, day, first_value, last_value",
}
_SETTLED = """
SELECT {columns} FROM {days}
WHERE {within}
UNION ALL
"""

#: The end of the metric's days settled in the zone asked for (0: none).
_SETTLED_END = "COALESCE((SELECT days_end FROM {metric} WHERE id = %s AND days_zone = %s), 0)"


def read_days(
    kind: Kind, spans: Mapping[int, Days], zone: ZoneInfo, *, settled: bool = True
) -> list[tuple]:
    """Per metric-day of each span (local days in `zone`), the values of `kind`
    (see `Kind`), the day as days since 1970-01-01. `settled=False` reads the
    quarter-hours alone."""
    if not spans:
        return []
    first = min(days.first for days in spans.values())
    last = max(days.last for days in spans.values())
    day, day_params = _day_number(first, last, zone)
    within, within_params = _buckets_within(spans, zone, settled=settled)
    quote = connection.ops.quote_name
    sql = (_GROUPED if kind == "grouped" else _EDGES).format(
        day=day, within=within, rollup=quote(MeasurementRollup._meta.db_table)
    )
    params = [*day_params, *within_params]
    if settled:
        days_within, days_params = _settled_within(spans, zone)
        sql = (
            _SETTLED.format(
                columns=_SETTLED_COLUMNS[kind],
                days=quote(MeasurementDay._meta.db_table),
                within=days_within,
            )
            + sql
        )
        params = [*days_params, *params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    # Where midnight falls in a DST gap, fold=0 resolves to the moment the day begins.
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def day_of(number: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(number))


def _settled_end() -> str:
    return _SETTLED_END.format(metric=connection.ops.quote_name(Metric._meta.db_table))


def _buckets_within(
    spans: Mapping[int, Days], zone: ZoneInfo, *, settled: bool
) -> tuple[str, list]:
    """The buckets of these metrics between each span's local midnights, after the
    metric's days settled in `zone` when `settled`."""
    terms, params = [], []
    after_settled = f" AND bucket >= {_settled_end()}" if settled else ""
    for metric_id, days in spans.items():
        terms.append(f"(metric_id = %s AND bucket >= %s AND bucket < %s{after_settled})")
        params += [
            metric_id,
            bucket_of(local_midnight(days.first, zone)),
            bucket_of(local_midnight(days.last + ONE_DAY, zone)),
        ]
        if settled:
            params += [metric_id, zone.key]
    return " OR ".join(terms), params


def _settled_within(spans: Mapping[int, Days], zone: ZoneInfo) -> tuple[str, list]:
    """The settled days of each span, when they were settled in `zone`."""
    terms, params = [], []
    for metric_id, days in spans.items():
        terms.append(
            f"(metric_id = %s AND day >= %s AND day <= %s AND end_bucket <= {_settled_end()})"
        )
        params += [metric_id, (days.first - EPOCH).days, (days.last - EPOCH).days]
        params += [metric_id, zone.key]
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
_QUANTUM = Decimal("0.000001")


def decimal_of(value) -> Decimal:
    """A number as the database returned it, as a Decimal (see `_SQLITE_DIGITS`)."""
    if isinstance(value, Decimal):
        return value
    return _SQLITE_DIGITS.create_decimal_from_float(value)


def last_values(
    metric_id: int, first: dt.date, last: dt.date, zone: ZoneInfo
) -> dict[dt.date, Decimal]:
    """The last value of each local day from `first` to `last` that has measurements."""
    rows = read_days("edges", {metric_id: DaySpan(first, last)}, zone)
    return {day_of(number): decimal_of(value).quantize(_QUANTUM) for _, number, _, value in rows}


# Settling -------------------------------------------------------------------------------


@transaction.atomic
def settle(metric_id: int, zone: ZoneInfo, through: dt.date) -> int:
    """Settle the metric's days up to `through` (a local day in `zone`), from where
    its settled days end (from its first bucket when none are, or they are in another
    zone). Holds the metric `FOR UPDATE`, so writes to it wait and then see the new
    end. Returns the days written."""
    metric = (
        Metric.objects.select_for_update()
        .filter(id=metric_id)
        .values("days_zone", "days_end")
        .first()
    )
    if metric is None:
        return 0
    end = bucket_of(local_midnight(through + ONE_DAY, zone))
    same_zone = metric["days_zone"] == zone.key
    settled_end = metric["days_end"] if same_zone else 0
    if same_zone and settled_end >= end:
        return 0
    stale = MeasurementDay.objects.filter(metric_id=metric_id)
    (stale.filter(end_bucket__gt=settled_end) if same_zone else stale).delete()
    first = _first_day(metric_id, settled_end, zone)
    written = 0
    if first is not None and first <= through:
        written = _write_days(metric_id, DaySpan(first, through), zone)
    Metric.objects.filter(id=metric_id).update(days_zone=zone.key, days_end=end)
    return written


def _first_day(metric_id: int, settled_end: int, zone: ZoneInfo) -> dt.date | None:
    """The local day settling starts on: the one after the settled days, or the day of
    the metric's first bucket when none are; None when it has no data to settle."""
    if settled_end:
        return bucket_start(settled_end).astimezone(zone).date()
    first_bucket = (
        MeasurementRollup.objects.filter(metric_id=metric_id, count__gt=0)
        .order_by("bucket")
        .values_list("bucket", flat=True)
        .first()
    )
    if first_bucket is None:
        return None
    return bucket_start(first_bucket).astimezone(zone).date()


def _write_days(metric_id: int, span: DaySpan, zone: ZoneInfo) -> int:
    spans = {metric_id: span}
    edges = {
        number: (first, last)
        for _, number, first, last in read_days("edges", spans, zone, settled=False)
    }
    rows = []
    for _, number, total, count, low, high in read_days("grouped", spans, zone, settled=False):
        first, last = edges[number]
        day = day_of(number)
        rows.append(
            MeasurementDay(
                metric_id=metric_id,
                day=int(number),
                end_bucket=bucket_of(local_midnight(day + ONE_DAY, zone)),
                count=int(count),
                total=decimal_of(total).quantize(_QUANTUM),
                low=decimal_of(low),
                high=decimal_of(high),
                first_value=decimal_of(first),
                last_value=decimal_of(last),
            )
        )
    MeasurementDay.objects.bulk_create(rows, batch_size=_BATCH)
    return len(rows)


def settle_due(now: dt.datetime) -> int:
    """Settle, in its owner's zone, every metric's days that ended more than
    SETTLE_AFTER before `now`; one transaction per metric. Returns the days written."""
    written = 0
    metrics = Metric.objects.order_by("id").values_list(
        "id", "days_zone", "days_end", "owner__profile__time_zone"
    )
    for metric_id, days_zone, days_end, time_zone in metrics:
        zone = ZoneInfo(time_zone or settings.TIME_ZONE)
        through = (now - SETTLE_AFTER).astimezone(zone).date() - ONE_DAY
        if days_zone != zone.key or days_end < bucket_of(local_midnight(through + ONE_DAY, zone)):
            written += settle(metric_id, zone, through)
    return written


# Unsettling -----------------------------------------------------------------------------

_UNSETTLE = """
UPDATE {metric} SET days_end = COALESCE(
    (SELECT MAX(end_bucket) FROM {days} WHERE metric_id = %s AND end_bucket <= %s), 0
)
WHERE id = %s AND days_end > %s
"""


def unsettle(touched: Iterable[tuple[int, dt.datetime]], *, now: dt.datetime) -> None:
    """Take back the settled days from the one holding each metric's earliest touched
    moment (metric id, moment pairs), inside the writing transaction. Moments of the
    last RECENT hours are left out: no settled day holds them."""
    earliest: dict[int, int] = {}
    since = now - RECENT
    for metric_id, moment in touched:
        if moment < since:
            bucket = bucket_of(moment)
            earliest[metric_id] = min(bucket, earliest.get(metric_id, bucket))
    if not earliest:
        return
    quote = connection.ops.quote_name
    sql = _UNSETTLE.format(
        metric=quote(Metric._meta.db_table), days=quote(MeasurementDay._meta.db_table)
    )
    with connection.cursor() as cursor:
        for metric_id, bucket in sorted(earliest.items()):
            cursor.execute(sql, [metric_id, bucket, metric_id, bucket])
