"""The set-based write of a batch on PostgreSQL: one upsert statement for the rows and
one INSERT for their audit entries, whatever the batch's size.

    WITH incoming AS (SELECT * FROM unnest($1::int[], $2::bigint[], ...)),
         stored AS (the rows the incoming keys name, as they were before),
         written AS (INSERT ... SELECT FROM incoming ORDER BY ord
                     ON CONFLICT (metric_id, source, external_id) WHERE NOT (external_id = '')
                     DO UPDATE ... WHERE the values differ
                     RETURNING id, (xmax = 0) AS inserted, metric_id, external_id)
    SELECT ... FROM written FULL JOIN stored ON the id

Every sub-statement of a `WITH` sees the snapshot from before the statement, so
`stored` holds the values an update replaces (the audit trail's "before"), and a row
in `stored` that `written` does not return was sent as it already was (unchanged). A
row `written` updated that `stored` did not hold was inserted by another transaction
meanwhile: the batch is refused, as the row-by-row path refuses it.

The arrays go as typed binary parameters bound by the server: no statement text grows
with the batch, and psycopg dumps them in C. Only the database's answer is read back:
ids, outcomes, and the replaced values.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from audit.models import AuditEntry
from config.request_context import correlation_id, current_channel
from config.sql import server_bound_cursor

from .models import Measurement

__all__ = ["BulkRow", "Stored", "Unsettled", "audit_insert", "upsert"]

SUBJECT = "measurement"

#: The values a batch may change on a stored measurement; the rest is its identity.
CHANGEABLE = ("value", "original_value", "original_unit", "measured_at", "note")


class Unsettled(Exception):
    """Another transaction wrote one of the batch's keys while this one ran."""


@dataclass(slots=True)
class BulkRow:
    """One row of a batch as stored, with the attribute names of `Measurement`, so the
    audit trail's snapshot and the API's shape read it as they read a measurement."""

    index: int
    metric_id: int
    value: Decimal
    original_value: Decimal | None
    original_unit: str
    measured_at: dt.datetime
    note: str
    source: str
    external_id: str
    created: dt.datetime
    updated: dt.datetime
    submission_token: None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Stored:
    """What the upsert did with one row: `before` holds the changeable values it
    replaced (None for a created row), `created` the stored row's creation time."""

    id: int
    inserted: bool
    changed: bool
    created: dt.datetime
    before: dict | None


def _table() -> str:
    return connection.ops.quote_name(Measurement._meta.db_table)


def _statement(origin: dict[str, int]) -> str:
    table = _table()
    origin_columns = "".join(f", {name}" for name in origin)
    origin_values = "".join(f", %({name})s::bigint" for name in origin)
    origin_set = "".join(f", {name} = EXCLUDED.{name}" for name in origin)
    changeable = ", ".join(CHANGEABLE)
    return f"""
WITH incoming AS (
    SELECT * FROM unnest(
        %(ord)b::int4[], %(metric_id)b::int8[], %(value)b::numeric[],
        %(original_value)s::numeric[], %(original_unit)b::text[],
        %(measured_at)b::timestamptz[], %(note)b::text[], %(external_id)b::text[]
    ) AS t(ord, metric_id, value, original_value, original_unit, measured_at, note, external_id)
),
stored AS (
    SELECT m.id, m.metric_id, m.external_id, m.created,
        {", ".join(f"m.{name}" for name in CHANGEABLE)}
    FROM {table} AS m JOIN incoming AS i
        ON m.metric_id = i.metric_id AND m.external_id = i.external_id
    WHERE m.source = %(source)s AND NOT (m.external_id = '') AND NOT (i.external_id = '')
),
written AS (
    INSERT INTO {table} AS m (
        metric_id, {changeable}, source, external_id, created, updated{origin_columns}
    )
    SELECT metric_id, {changeable}, %(source)s, external_id, %(now)s, %(now)s{origin_values}
    FROM incoming ORDER BY ord
    ON CONFLICT (metric_id, source, external_id) WHERE NOT (external_id = '')
    DO UPDATE SET {", ".join(f"{name} = EXCLUDED.{name}" for name in CHANGEABLE)},
        updated = EXCLUDED.updated{origin_set}
    WHERE ({", ".join(f"m.{name}" for name in CHANGEABLE)})
        IS DISTINCT FROM ({", ".join(f"EXCLUDED.{name}" for name in CHANGEABLE)})
    RETURNING m.id, (m.xmax = 0) AS inserted, m.metric_id, m.external_id
)
SELECT coalesce(w.id, s.id), coalesce(w.inserted, false), w.id IS NOT NULL,
    s.id IS NOT NULL, coalesce(w.metric_id, s.metric_id), coalesce(w.external_id, s.external_id),
    s.created, {", ".join(f"s.{name}" for name in CHANGEABLE)}
FROM written AS w FULL JOIN stored AS s ON s.id = w.id
ORDER BY coalesce(w.id, s.id)
"""


def upsert(
    rows: list[BulkRow], *, source: str, now: dt.datetime, origin: dict[str, int]
) -> list[Stored]:
    """Insert or update `rows` (keys unique within the batch), in one statement inside
    the caller's transaction; each row's fate, in the order of `rows`. Sets the ids of
    created and updated rows. Raises `Unsettled` when another transaction wrote one of
    the keys meanwhile."""
    if not rows:
        return []
    params = {
        "ord": list(range(len(rows))),
        "metric_id": [row.metric_id for row in rows],
        "value": [row.value for row in rows],
        "original_value": [row.original_value for row in rows],
        "original_unit": [row.original_unit for row in rows],
        "measured_at": [row.measured_at for row in rows],
        "note": [row.note for row in rows],
        "external_id": [row.external_id for row in rows],
        "source": str(source),
        "now": now,
        **origin,
    }
    with server_bound_cursor() as cursor:
        cursor.execute(_statement(origin), params)
        answer = cursor.fetchall()
    by_key: dict[tuple[int, str], Stored] = {}
    unkeyed: list[Stored] = []
    for id, inserted, written, stored, metric_id, external_id, created, *before in answer:
        if written and not inserted and not stored:
            raise Unsettled
        fate = Stored(
            id=id,
            inserted=inserted,
            changed=written,
            created=now if inserted else created,
            before=dict(zip(CHANGEABLE, before, strict=True)) if stored else None,
        )
        if external_id:
            by_key[(metric_id, external_id)] = fate
        else:
            unkeyed.append(fate)
    # Rows without an external id never conflict: they are all inserted, in the order
    # sent (`ORDER BY ord`), so their ids rise in that order.
    fresh = iter(unkeyed)
    fates = [
        by_key[(row.metric_id, row.external_id)] if row.external_id else next(fresh) for row in rows
    ]
    for row, fate in zip(rows, fates, strict=True):
        row.id = fate.id
    return fates


def audit_insert(entries: list[dict], *, owner_id: int, actor_id: int, now: dt.datetime) -> None:
    """Write audit entries of measurements in one INSERT inside the caller's
    transaction. Each entry gives `action`, `subject_id`, `metric_id`, `summary` and
    `changes` (JSON text), as `audit.trail.entry` builds them; the channel and
    correlation id are the request's (or the task's), as there."""
    if not entries:
        return
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    params = {
        "action": [entry["action"] for entry in entries],
        "subject_id": [entry["subject_id"] for entry in entries],
        "metric_id": [entry["metric_id"] for entry in entries],
        "summary": [entry["summary"][:200] for entry in entries],
        "changes": [entry["changes"] for entry in entries],
        "ord": list(range(len(entries))),
        "at": now,
        "owner_id": owner_id,
        "actor_id": actor_id,
        "subject_type": SUBJECT,
        "channel": str(current_channel()),
        "correlation_id": correlation_id(),
    }
    statement = f"""
INSERT INTO {table} (
    at, owner_id, actor_id, action, subject_type, subject_id, metric_id, summary,
    changes, channel, correlation_id
)
SELECT %(at)s, %(owner_id)s, %(actor_id)s, action, %(subject_type)s, subject_id, metric_id,
    summary, changes::jsonb, %(channel)s, %(correlation_id)s
FROM unnest(
    %(ord)b::int4[], %(action)b::text[], %(subject_id)b::int8[], %(metric_id)b::int8[],
    %(summary)b::text[], %(changes)b::text[]
) AS t(ord, action, subject_id, metric_id, summary, changes)
ORDER BY ord
"""
    with server_bound_cursor() as cursor:
        cursor.execute(statement, params)
