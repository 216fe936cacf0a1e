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
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

CHANNEL = "goaltrack_events"
#: The first key of the advisory locks that order an owner's events (the second is
#: the owner's id), so they collide with no other use of advisory locks.
LOCK_SPACE = 0x6576  # "ev"


@dataclass(frozen=True)
class Announcement:
    """What the INSERT of a transaction's events on PostgreSQL begins with, so that one
    statement orders, announces and writes them: common table expressions (`WITH`),
    the one-row relation the INSERT's rows are joined with, and their parameters."""

    ctes: str
    joined: str
    params: dict


def announcement(owner_ids: Iterable[int]) -> Announcement:
    """On PostgreSQL, for the statement that inserts the owners' events: a lock per
    owner until the commit, taken before the rows draw their ids, so that of two
    transactions writing events for one owner, the second gets its ids only once the
    first has committed: an owner's events then become visible in the order of their
    ids, and a stream that has read up to id N can never be passed by a smaller id
    committing later. (SQLite has one writer at a time, so its order is that already.)
    With the `postgres` fan-out, also the `NOTIFY` that PostgreSQL delivers on commit."""
    owners = sorted(set(owner_ids))
    ctes = [
        "locked AS (SELECT count(pg_advisory_xact_lock(%(lock_space)s::int4, owner))"
        " FROM unnest(%(owners)s::int4[]) AS owner)"
    ]
    params = {"lock_space": LOCK_SPACE, "owners": owners}
    joined = "locked"
    if settings.EVENTS_FANOUT == "postgres":
        ctes.append(
            "announced AS (SELECT pg_notify(%(notify_channel)s, %(notify_payload)s) FROM locked)"
        )
        params |= {"notify_channel": CHANNEL, "notify_payload": _payload(owners)}
        joined = "announced"
    return Announcement(ctes="WITH " + ",\n".join(ctes), joined=joined, params=params)


def announce_on_commit(owner_ids: Iterable[int]) -> None:
    """After the events are written: with the `redis` fan-out, publish once the
    transaction commits (PostgreSQL's `NOTIFY` is part of the writing statement)."""
    if settings.EVENTS_FANOUT == "redis":
        transaction.on_commit(functools.partial(_publish, _payload(owner_ids)))


def _payload(owner_ids: Iterable[int]) -> str:
    return ",".join(str(owner_id) for owner_id in sorted(set(owner_ids)))


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
