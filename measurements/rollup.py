"""The measurement rollup: each metric's measurements reduced per UTC quarter-hour
(`MeasurementRollup`), so progress reads at most 96 rows a metric-day however many
measurements were recorded.

The rollup is kept inside the writing transaction: every write of measurements tells
`measurements.executors.tell_changed` what it changed.
- New measurements only (a quick entry, an import of new rows): `rollup_add` merges
  their own reduction into their buckets, in one upsert that shares its metrics'
  lock with other additions.
- Anything else (edits, deletes, restores, re-imports): `rollup_refresh`, with the
  (metric, instant) pairs touched, old instants of moved measurements included, locks
  the touched metrics and recomputes the touched buckets from the raw rows in one
  upsert of `INSERT ... SELECT ... GROUP BY` (a bucket left empty keeps a row with a
  count of 0).
Both leave it exact. Deleting a metric deletes its buckets by cascade.

Only the bucket of a moment differs between the databases (`_BUCKET`); the rest is
plain SQL that PostgreSQL and SQLite both run.
"""

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection as default_connection

from config.sql import server_bound_cursor

from .models import BUCKET_SECONDS, Measurement, MeasurementRollup, Metric

__all__ = [
    "bucket_of",
    "bucket_start",
    "rollup_add",
    "rollup_add_from",
    "rollup_rebuild",
    "rollup_refresh",
    "touched_by",
]

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


def _merged(rollup: str) -> str:
    """The SET of an upsert that adds EXCLUDED (new rows' own reduction) to a bucket."""
    old = f"{rollup}.count = 0"
    earlier = (
        f"EXCLUDED.first_at < {rollup}.first_at OR (EXCLUDED.first_at = {rollup}.first_at"
        f" AND EXCLUDED.first_id < {rollup}.first_id)"
    )
    later = (
        f"EXCLUDED.last_at > {rollup}.last_at OR (EXCLUDED.last_at = {rollup}.last_at"
        f" AND EXCLUDED.last_id > {rollup}.last_id)"
    )

    def pick(column: str, condition: str) -> str:
        return (
            f"{column} = CASE WHEN {old} OR {condition} THEN EXCLUDED.{column}"
            f" ELSE {rollup}.{column} END"
        )

    return ", ".join(
        [
            f"count = {rollup}.count + EXCLUDED.count",
            f"total = COALESCE({rollup}.total, 0) + EXCLUDED.total",
            pick("low", f"EXCLUDED.low < {rollup}.low"),
            pick("high", f"EXCLUDED.high > {rollup}.high"),
            *(pick(f"first_{part}", earlier) for part in ("at", "id", "value")),
            *(pick(f"last_{part}", later) for part in ("at", "id", "value")),
        ]
    )


#: New rows' own reduction per bucket, to be merged into it (`_merged`). `{held}`
#: holds their metrics where the database has row locks (`_HELD`).
_ADD = """
{held}
INSERT INTO {rollup} ({columns})
SELECT touched.metric_id, touched.bucket, {reduced}
FROM ({touched}) AS touched
WHERE {gate}
GROUP BY touched.metric_id, touched.bucket
ON CONFLICT (metric_id, bucket) DO UPDATE SET """

#: The new rows' metrics held with a key-share lock, taken (by the `EXISTS` gate)
#: before any bucket is written.
_HELD = """
WITH held AS (
    SELECT id FROM {metric} WHERE id IN (SELECT metric_id FROM {measurement} WHERE {where})
    ORDER BY id FOR KEY SHARE
)"""


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


def rollup_add(measurement_ids: Iterable[int], *, connection=None) -> None:
    """Add newly inserted measurements to their buckets, inside the caller's
    transaction: their own reduction merged into each bucket, in one upsert.

    Adding commutes: two transactions adding to one bucket take turns on its row and
    each adds its own. The upsert first holds the metrics with a key-share lock, which
    other additions share, but which a recomputing refresh (`rollup_refresh`, holding
    its metrics `FOR UPDATE`) waits for and holds off: so a refresh counts every row
    added before it, and an addition lands on the refreshed bucket. (The key-share
    lock that the foreign key takes would come too late: Django defers that check to
    the commit.)"""
    connection = connection or default_connection
    ids = sorted(set(measurement_ids))
    if not ids:
        return
    ops = connection.ops
    rollup = ops.quote_name(MeasurementRollup._meta.db_table)
    measurement = Measurement._meta.db_table
    locks = connection.features.has_select_for_update
    where, listed = _listed_ids(ids, connection)
    held = _HELD.format(
        metric=ops.quote_name(Metric._meta.db_table),
        measurement=ops.quote_name(measurement),
        where=where,
    )
    sql = _ADD.format(
        held=held if locks else "",
        rollup=rollup,
        columns=_COLUMNS,
        reduced=_REDUCED,
        touched=_touched(measurement, where, connection),
        gate="EXISTS (SELECT 1 FROM held)" if locks else "TRUE",
    )
    params = [listed, listed] if locks else [listed]
    with server_bound_cursor(connection) as cursor:
        cursor.execute(sql + _merged(rollup), params)


def rollup_add_from(source: str, *, gate: str, connection=None) -> str:
    """SQL that adds each row of `source` (a new measurement's id, metric_id, value and
    measured_at: an `INSERT ... RETURNING` of the same statement) to its bucket, once
    `gate` holds: a condition that takes the metric's key-share lock, as `rollup_add`
    does (see there). One row per bucket: an upsert cannot touch a row twice."""
    connection = connection or default_connection
    rollup = connection.ops.quote_name(MeasurementRollup._meta.db_table)
    bucket = _BUCKET[connection.vendor]
    return (
        f"INSERT INTO {rollup} ({_COLUMNS}) "
        f"SELECT metric_id, {bucket}, 1, value, value, value, "
        f"measured_at, id, value, measured_at, id, value FROM {source} WHERE {gate} "
        f"ON CONFLICT (metric_id, bucket) DO UPDATE SET {_merged(rollup)}"
    )


def _listed_ids(ids: list[int], connection) -> tuple[str, object]:
    """`id` among `ids` as one parameter, however many: a binary array bound by the
    server on PostgreSQL (as text, 10,000 ids cost more to send and plan than the
    statement took to run), a JSON list on SQLite."""
    if connection.vendor == "postgresql":
        return "id = ANY(%b::int8[])", ids
    return "id IN (SELECT value FROM json_each(%s))", json.dumps(ids)


def _lock(metric_ids: list[int]) -> None:
    """Refreshes of one metric take turns with each other and with transactions
    inserting into it (`FOR UPDATE` waits for, and holds off, the key-share lock that
    inserting a measurement takes on its metric), so each reads the rows the ones
    before it committed: two writers that both counted only their own row in a shared
    bucket would leave it short. (SQLite has one writer at a time.)"""
    list(
        Metric.objects.select_for_update()
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
