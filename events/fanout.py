"""Telling the other processes that an owner has new events.

The events themselves are read from the outbox; what crosses processes is only "owner
N has news". Which way it crosses is configuration (`EVENTS_FANOUT`):

- `postgres`: `NOTIFY` inside the writing transaction, which PostgreSQL delivers to
  every listener when (and only if) the transaction commits;
- `redis`: a publish on Redis pub/sub once the transaction has committed;
- `poll`: nothing is sent; streams read the outbox every `EVENTS_POLL_SECONDS` (SQLite).

The listening side is `events.hub`.
"""

import functools
import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import connection, transaction

logger = logging.getLogger(__name__)

CHANNEL = "goaltrack_events"
#: The first key of the advisory locks that order an owner's events (the second is
#: the owner's id), so they collide with no other use of advisory locks.
LOCK_SPACE = 0x6576  # "ev"


def announce(owner_ids: Iterable[int]) -> None:
    """Inside the writing transaction, before its events are inserted: make the owners'
    new events known on commit.

    On PostgreSQL this first takes a lock per owner until the commit, so that of two
    transactions writing events for one owner, the second gets its ids only once the
    first has committed: an owner's events then become visible in the order of their
    ids, and a stream that has read up to id N can never be passed by a smaller id
    committing later. (SQLite has one writer at a time, so its order is that already.)
    """
    owners = sorted(set(owner_ids))
    payload = ",".join(str(owner_id) for owner_id in owners)
    if connection.vendor == "postgresql":
        lock = "SELECT count(pg_advisory_xact_lock(%s, owner)) FROM unnest(%s::int[]) AS owner"
        with connection.cursor() as cursor:
            if settings.EVENTS_FANOUT == "postgres":
                cursor.execute(
                    f"SELECT pg_notify(%s, %s) FROM ({lock}) AS locked",
                    [CHANNEL, payload, LOCK_SPACE, owners],
                )
            else:
                cursor.execute(lock, [LOCK_SPACE, owners])
    if settings.EVENTS_FANOUT == "redis":
        transaction.on_commit(functools.partial(_publish, payload))


def _publish(payload: str) -> None:
    """After the commit: a publish that fails is logged, not raised (the write has
    committed; its events are in the outbox and reach the pages with the next one)."""
    import redis

    try:
        _redis().publish(CHANNEL, payload)
    except redis.RedisError:
        logger.warning("Could not announce new events for owners %s on Redis", payload)


@functools.cache
def _redis():
    """One client per process; it keeps a pool of connections to Redis."""
    import redis

    return redis.Redis.from_url(settings.EVENTS_REDIS_URL)
