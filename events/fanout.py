"""Telling the other processes that an owner has new events.

The events themselves are read from the outbox; what crosses processes is only "owner
N has news". Which way it crosses is configuration (`EVENTS_FANOUT`):

- `postgres`: `NOTIFY` inside the writing transaction, which PostgreSQL delivers to
  every listener when (and only if) the transaction commits;
- `redis`: a publish on Redis pub/sub once the transaction has committed;
- `poll`: nothing is sent; streams read the outbox every `EVENTS_POLL_SECONDS` (SQLite).
"""

from collections.abc import Iterable

from django.conf import settings
from django.db import connection, transaction

CHANNEL = "goaltrack_events"


def announce(owner_ids: Iterable[int]) -> None:
    """Inside the writing transaction: make the owners' new events known on commit."""
    payload = ",".join(str(owner_id) for owner_id in sorted(set(owner_ids)))
    if settings.EVENTS_FANOUT == "postgres":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, payload])
    elif settings.EVENTS_FANOUT == "redis":
        transaction.on_commit(lambda: _publish(payload))


def _publish(payload: str) -> None:
    import redis

    redis.Redis.from_url(settings.EVENTS_REDIS_URL).publish(CHANNEL, payload)
