"""Writing a transaction's events to the outbox.

On PostgreSQL, one statement orders, announces and writes them: the owners' locks and
the `NOTIFY` of `fanout.announcement`, then an `INSERT ... SELECT FROM unnest(...)` of
server-bound typed arrays, which returns their ids in order for the reactions (webhook
deliveries). A quick entry's one event costs one statement instead of two, and a batch
of 10,000 is written in a tenth of the time `bulk_create` spends building and quoting
it on the client. The same statement runs the reads the reactions name (`Read`): the
webhooks' "who listens" costs no round trip of its own. SQLite takes `bulk_create`,
has one writer at a time to order them, and leaves the reads to the reactions."""

import json
from collections.abc import Callable, Sequence

from django.db import connection

from config.sql import server_bound_cursor

from . import fanout
from .models import Event

#: A reaction's read: the text of a `SELECT` that may name `%(event_owners)b::int8[]`
#: (the ids of the events' owners); the reaction gets its rows as dicts (`to_jsonb` of
#: each row).
Read = Callable[[], str]

STATEMENT = """
{ctes},
written AS (
INSERT INTO {table} (
    at, owner_id, type, subject_type, subject_id, data, affected, channel, correlation_id
)
SELECT at, owner_id, type, subject_type, subject_id, data::jsonb, affected::jsonb, channel,
    correlation_id
FROM unnest(
    %(ord)b::int4[], %(at)b::timestamptz[], %(owner_id)b::int8[], %(type)b::text[],
    %(subject_type)b::text[], %(subject_id)b::int8[], %(data)b::text[], %(affected)b::text[],
    %(channel)b::text[], %(correlation_id)b::text[]
) AS e(ord, at, owner_id, type, subject_type, subject_id, data, affected, channel,
    correlation_id)
CROSS JOIN {joined}
ORDER BY ord
RETURNING id
)
SELECT id, NULL::int4, NULL::text FROM written
{reads}
"""
READ = "UNION ALL SELECT NULL, {number}, to_jsonb(r)::text FROM ({sql}) AS r"


def write(events: list[Event], reads: Sequence[Read | None] = ()) -> list[list[dict] | None]:
    """Insert `events`, announced to the other processes on commit, and set their ids,
    in the caller's transaction. The answer: the rows of each of `reads`, where they
    were read with the events (PostgreSQL), else None."""
    owners = {event.owner_id for event in events}
    if connection.vendor == "postgresql":
        read = _write_arrays(events, owners, reads)
    else:
        Event.objects.bulk_create(events)
        read = [None for _ in reads]
    fanout.announce_on_commit(owners)
    return read


def _write_arrays(
    events: list[Event], owners: set[int], reads: Sequence[Read | None]
) -> list[list[dict] | None]:
    announcement = fanout.announcement(owners)
    params = {
        **announcement.params,
        "event_owners": sorted(owners),
        "ord": list(range(len(events))),
        "at": [event.at for event in events],
        "owner_id": [event.owner_id for event in events],
        "type": [event.type for event in events],
        "subject_type": [event.subject_type for event in events],
        "subject_id": [event.subject_id for event in events],
        "data": [json.dumps(event.data) for event in events],
        "affected": [json.dumps(event.affected) for event in events],
        "channel": [str(event.channel) for event in events],
        "correlation_id": [event.correlation_id for event in events],
    }
    statement = STATEMENT.format(
        ctes=announcement.ctes,
        table=connection.ops.quote_name(Event._meta.db_table),
        joined=announcement.joined,
        reads="\n".join(
            READ.format(number=number, sql=read())
            for number, read in enumerate(reads)
            if read is not None
        ),
    )
    with server_bound_cursor() as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    # Ids are drawn in the order the rows are inserted, which is `ord`.
    ids = sorted(event_id for event_id, _, _ in rows if event_id is not None)
    for event, event_id in zip(events, ids, strict=True):
        event.id = event_id
        event._state.adding = False
        event._state.db = connection.alias
    read: list[list[dict] | None] = [None if r is None else [] for r in reads]
    for _, number, row in rows:
        if number is not None:
            read[number].append(json.loads(row))
    return read
