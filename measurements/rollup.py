"""The measurement rollup: each metric's measurements reduced per UTC quarter-hour
(`MeasurementRollup`), so progress reads at most 96 rows a metric-day however many
measurements were recorded.

The rollup is kept inside the writing transaction: every write of measurements tells
`measurements.executors.tell_changed` what it changed, which calls `rollup_refresh`
with the (metric, instant) pairs touched, old instants of moved measurements included.
A refresh locks the touched metrics (refreshes of one metric take turns) and
recomputes the touched buckets from the raw rows in one statement, an upsert of
`INSERT ... SELECT ... GROUP BY` over the touched buckets (a bucket left empty keeps a
row with a count of 0), so inserts, edits, deletes and restores all leave it exact.
Deleting a metric deletes its buckets by cascade.

Only the bucket of a moment differs between the databases (`_BUCKET`); the rest is
plain SQL that PostgreSQL and SQLite both run.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection as default_connection

from .models import BUCKET_SECONDS, Measurement, MeasurementRollup, Metric

__all__ = ["bucket_of", "bucket_start", "rollup_rebuild", "rollup_refresh", "touched_by"]

#: The quarter-hour since the Unix epoch of `measured_at`, per database vendor.
_BUCKET = {
    "postgresql": f"CAST(FLOOR(EXTRACT(EPOCH FROM measured_at) / {BUCKET_SECONDS}) AS BIGINT)",
    # Django keeps SQLite datetimes as naive UTC text, "2026-03-01 08:44:59.999999";
    # the fraction is cut off, as SQLite would round it to the millisecond.
    "sqlite": (
        f"(CAST(STRFTIME('%%s', SUBSTR(measured_at, 1, 19)) AS INTEGER) / {BUCKET_SECONDS})"
    ),
}

#: Buckets (or metrics) per statement: well inside SQLite's limit on parameters.
_CHUNK = 300

_COLUMNS = (
    "metric_id, bucket, count, total, low, high, "
    "first_at, first_id, first_value, last_at, last_id, last_value"
)

#: The touched measurements, each with its bucket and its place in it from either end.
_TOUCHED = """
    SELECT metric_id, id, value, measured_at, {bucket} AS bucket,
        ROW_NUMBER() OVER (
            PARTITION BY metric_id, {bucket} ORDER BY measured_at, id
        ) AS head,
        ROW_NUMBER() OVER (
            PARTITION BY metric_id, {bucket} ORDER BY measured_at DESC, id DESC
        ) AS tail
    FROM {measurement}
    WHERE {where}
"""

_REDUCED = """
    COUNT(touched.id), SUM(touched.value), MIN(touched.value), MAX(touched.value),
    MAX(CASE WHEN touched.head = 1 THEN touched.measured_at END),
    MAX(CASE WHEN touched.head = 1 THEN touched.id END),
    MAX(CASE WHEN touched.head = 1 THEN touched.value END),
    MAX(CASE WHEN touched.tail = 1 THEN touched.measured_at END),
    MAX(CASE WHEN touched.tail = 1 THEN touched.id END),
    MAX(CASE WHEN touched.tail = 1 THEN touched.value END)
"""

#: Every named bucket, from the measurements in it: a bucket left empty is kept with
#: a count of 0 (readers skip it), so one upsert refreshes inserts, edits and deletes.
#: (`WHERE TRUE` tells SQLite the ON after the join belongs to the upsert.)
_UPSERT = """
INSERT INTO {rollup} ({columns})
SELECT wanted.column1, wanted.column2, {reduced}
FROM (VALUES {wanted}) AS wanted
LEFT JOIN ({touched}) AS touched
    ON touched.metric_id = wanted.column1 AND touched.bucket = wanted.column2
WHERE TRUE
GROUP BY wanted.column1, wanted.column2
ON CONFLICT (metric_id, bucket) DO UPDATE SET {update}
"""

#: A whole metric, from scratch.
_INSERT = """
INSERT INTO {rollup} ({columns})
SELECT touched.metric_id, touched.bucket, {reduced}
FROM ({touched}) AS touched
GROUP BY touched.metric_id, touched.bucket
"""


def bucket_of(moment: dt.datetime) -> int:
    """The quarter-hour since the Unix epoch that `moment` falls in."""
    return int(moment.timestamp() // BUCKET_SECONDS)


def bucket_start(bucket: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(bucket * BUCKET_SECONDS, tz=dt.UTC)


def touched_by(changes: Iterable[tuple[str, dict]]) -> list[tuple[int, dt.datetime]]:
    """The (metric id, instant) pairs of changes as `tell_changed` receives them."""
    return [
        (data["metric_id"], dt.datetime.fromisoformat(data["measured_at"])) for _, data in changes
    ]


def rollup_refresh(touched: Iterable[tuple[int, dt.datetime]], *, connection=None) -> None:
    """Recompute the buckets of these (metric id, instant) pairs from the raw rows,
    inside the caller's transaction: one upsert (per 300 buckets), after locking the
    metrics where the database has row locks."""
    connection = connection or default_connection
    buckets = sorted({(metric_id, bucket_of(moment)) for metric_id, moment in touched})
    if not buckets:
        return
    if connection.features.has_select_for_update:
        _lock(sorted({metric_id for metric_id, _ in buckets}))
    ops = connection.ops
    columns = [column.strip() for column in _COLUMNS.split(",")[2:]]
    update = ", ".join(f"{column} = EXCLUDED.{column}" for column in columns)
    with connection.cursor() as cursor:
        for start in range(0, len(buckets), _CHUNK):
            chunk = buckets[start : start + _CHUNK]
            where, params = _measured_within(chunk, connection)
            sql = _UPSERT.format(
                rollup=ops.quote_name(MeasurementRollup._meta.db_table),
                columns=_COLUMNS,
                reduced=_REDUCED,
                wanted=", ".join(["(%s, %s)"] * len(chunk)),
                touched=_touched(Measurement._meta.db_table, where, connection),
                update=update,
            )
            cursor.execute(sql, [value for pair in chunk for value in pair] + params)


def _lock(metric_ids: list[int]) -> None:
    """Refreshes of one metric take turns, so each reads the rows the one before it
    committed: two writers that both counted only their own row in a shared bucket
    would leave it short. `FOR NO KEY UPDATE` leaves alone the key-share locks that
    inserting measurements takes on their metric. (SQLite has one writer at a time.)"""
    list(
        Metric.objects.select_for_update(no_key=True)
        .filter(id__in=metric_ids)
        .order_by("id")
        .values_list("id", flat=True)
    )


def _measured_within(buckets: list[tuple[int, int]], connection) -> tuple[str, list]:
    """A condition on `measured_at` for these buckets, neighbours as one range."""
    adapt = connection.ops.adapt_datetimefield_value
    by_metric: dict[int, set[int]] = defaultdict(set)
    for metric_id, bucket in buckets:
        by_metric[metric_id].add(bucket)
    terms, params = [], []
    for metric_id, found in by_metric.items():
        for first, after in _ranges(found):
            terms.append("(metric_id = %s AND measured_at >= %s AND measured_at < %s)")
            params += [metric_id, adapt(bucket_start(first)), adapt(bucket_start(after))]
    return " OR ".join(terms), params


def _touched(table: str, where: str, connection) -> str:
    return _TOUCHED.format(
        bucket=_BUCKET[connection.vendor],
        measurement=connection.ops.quote_name(table),
        where=where,
    )


def _ranges(buckets: set[int]) -> list[tuple[int, int]]:
    ranges: list[list[int]] = []
    for bucket in sorted(buckets):
        if ranges and ranges[-1][1] == bucket:
            ranges[-1][1] = bucket + 1
        else:
            ranges.append([bucket, bucket + 1])
    return [(first, after) for first, after in ranges]


def rollup_rebuild(metric_ids: Iterable[int], *, connection=None, tables=None) -> None:
    """Rebuild the whole rollup of these metrics (the backfill): delete their buckets,
    then one INSERT ... SELECT ... GROUP BY. `tables` names the measurement and rollup
    tables (a migration passes its historical models')."""
    connection = connection or default_connection
    measurement, rollup = tables or (Measurement._meta.db_table, MeasurementRollup._meta.db_table)
    metric_ids = list(metric_ids)
    with connection.cursor() as cursor:
        for start in range(0, len(metric_ids), _CHUNK):
            chunk = metric_ids[start : start + _CHUNK]
            listed = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"DELETE FROM {connection.ops.quote_name(rollup)} WHERE metric_id IN ({listed})",
                chunk,
            )
            sql = _INSERT.format(
                rollup=connection.ops.quote_name(rollup),
                columns=_COLUMNS,
                reduced=_REDUCED,
                touched=_touched(measurement, f"metric_id IN ({listed})", connection),
            )
            cursor.execute(sql, chunk)
