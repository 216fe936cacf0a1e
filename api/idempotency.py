"""`Idempotency-Key`: a POST sent again with the same key gets the first answer back
instead of doing the work twice.

The first request claims the key by inserting its row (a unique index per user and
key decides between two that arrive together); it stores its response when done. A
request that finds the key claimed gets the stored response when the bodies match, a
422 when they do not, and a 409 while the first is still running. A response of 500
or more releases the key, so the client can retry. Keys live 24 hours.

A claim is a lease of `IDEMPOTENCY_LEASE_SECONDS`, a little longer than any request
may run (gunicorn kills a worker past its `--timeout`). A request whose worker died
never answers; once its lease has run out, the next resend takes the key over (one
conditional UPDATE, so of two resends only one wins) and runs the request. That is
still exactly once, because an executor's write is one transaction: a request killed
before its commit wrote nothing. One window stays open: a request killed after its
write committed but before its response was stored (rendering the response and one
UPDATE) leaves a claim that a takeover runs again. Closing it would need the write and
the stored response in one transaction, which durable executors rule out.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, HttpResponse

from config.inserts import insert_unless_taken

from .models import IdempotencyRecord

LIFETIME = dt.timedelta(hours=24)
MAX_KEY_LENGTH = 255


def fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), request.body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


@dataclass(frozen=True)
class Claimed:
    """This request holds the key until `lease_until`; its answer is stored only while
    it still does."""

    record_id: int
    lease_until: dt.datetime


@dataclass(frozen=True)
class Replay:
    record: IdempotencyRecord


class Mismatch:
    """The key was used with another request."""


class Running:
    """The first request with this key has not finished."""


def lease_length() -> dt.timedelta:
    return dt.timedelta(seconds=settings.IDEMPOTENCY_LEASE_SECONDS)


def claim(
    *, user_id: int, key: str, request_print: str, now: dt.datetime
) -> Claimed | Replay | Mismatch | Running:
    """Claim `key` for this request; a new key costs one statement (an INSERT that the
    unique index may turn down, `config.inserts`). An expired record of the key is
    found only when the INSERT collides with it, and is renewed in place."""
    lease_until = now + lease_length()
    record = IdempotencyRecord(
        user_id=user_id,
        key=key,
        fingerprint=request_print,
        created=now,
        expires=now + LIFETIME,
        lease_until=lease_until,
    )
    if insert_unless_taken(record):
        return Claimed(record.id, lease_until)
    existing = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
    if existing is None:
        return Running()
    if existing.expires <= now:
        return _renew(existing.id, request_print=request_print, now=now, lease_until=lease_until)
    if existing.fingerprint != request_print:
        return Mismatch()
    if existing.state == IdempotencyRecord.State.RUNNING:
        return _take_over(existing.id, now=now, lease_until=lease_until)
    return Replay(existing)


def _renew(
    record_id: int, *, request_print: str, now: dt.datetime, lease_until: dt.datetime
) -> Claimed | Running:
    """Claim the key of an expired record as if it were new (one conditional UPDATE, so
    of two requests renewing it only one wins)."""
    renewed = IdempotencyRecord.objects.filter(id=record_id, expires__lte=now).update(
        fingerprint=request_print,
        state=IdempotencyRecord.State.RUNNING,
        status=None,
        content_type="",
        body=b"",
        created=now,
        expires=now + LIFETIME,
        lease_until=lease_until,
    )
    return Claimed(record_id, lease_until) if renewed else Running()


def _take_over(record_id: int, *, now: dt.datetime, lease_until: dt.datetime) -> Claimed | Running:
    """Claim a running record whose lease ran out: its request died without answering."""
    abandoned = Q(lease_until__isnull=True) | Q(lease_until__lte=now)
    taken = IdempotencyRecord.objects.filter(
        abandoned, id=record_id, state=IdempotencyRecord.State.RUNNING
    ).update(lease_until=lease_until)
    return Claimed(record_id, lease_until) if taken else Running()


#: Answers that say nothing about the request's effect (who sent it, too soon, the
#: server failed): they release the key, so the same request can be sent again.
RETRYABLE = {401, 403, 429}


def complete(claimed: Claimed, response: HttpResponse) -> None:
    """Store the answer, or release the key for one that says nothing about the
    request's effect. A request that lost its lease to a takeover changes nothing."""
    ours = IdempotencyRecord.objects.filter(
        id=claimed.record_id,
        state=IdempotencyRecord.State.RUNNING,
        lease_until=claimed.lease_until,
    )
    if response.status_code >= 500 or response.status_code in RETRYABLE or response.streaming:
        ours.delete()
        return
    ours.update(
        state=IdempotencyRecord.State.DONE,
        status=response.status_code,
        content_type=response.get("Content-Type", ""),
        body=response.content,
        lease_until=None,
    )


def replayed(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(
        bytes(record.body), status=record.status, content_type=record.content_type
    )
    response["Idempotent-Replayed"] = "true"
    return response


def purge_expired(*, now: dt.datetime) -> int:
    """Forget the keys older than their lifetime; the scheduler runs it."""
    deleted, _ = IdempotencyRecord.objects.filter(expires__lte=now).delete()
    return deleted
