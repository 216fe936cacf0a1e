"""`Idempotency-Key`: a POST sent again with the same key gets the first answer back
instead of doing the work twice.

The first request claims the key by inserting its row (a unique index per user and
key decides between two that arrive together); it stores its response when done. A
request that finds the key claimed gets the stored response when the bodies match, a
422 when they do not, and a 409 while the first is still running. A response of 500
or more releases the key, so the client can retry. Keys live 24 hours.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse

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
    record_id: int


@dataclass(frozen=True)
class Replay:
    record: IdempotencyRecord


class Mismatch:
    """The key was used with another request."""


class Running:
    """The first request with this key has not finished."""


def claim(
    *, user_id: int, key: str, request_print: str, now: dt.datetime
) -> Claimed | Replay | Mismatch | Running:
    IdempotencyRecord.objects.filter(user_id=user_id, key=key, expires__lte=now).delete()
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                user_id=user_id,
                key=key,
                fingerprint=request_print,
                created=now,
                expires=now + LIFETIME,
            )
        return Claimed(record.id)
    except IntegrityError:
        pass
    existing = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
    if existing is None:
        return Running()
    if existing.fingerprint != request_print:
        return Mismatch()
    if existing.state == IdempotencyRecord.State.RUNNING:
        return Running()
    return Replay(existing)


#: Answers that say nothing about the request's effect (who sent it, too soon, the
#: server failed): they release the key, so the same request can be sent again.
RETRYABLE = {401, 403, 429}


def complete(claimed: Claimed, response: HttpResponse) -> None:
    if response.status_code >= 500 or response.status_code in RETRYABLE or response.streaming:
        IdempotencyRecord.objects.filter(id=claimed.record_id).delete()
        return
    IdempotencyRecord.objects.filter(id=claimed.record_id).update(
        state=IdempotencyRecord.State.DONE,
        status=response.status_code,
        content_type=response.get("Content-Type", ""),
        body=response.content,
    )


def replayed(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(
        bytes(record.body), status=record.status, content_type=record.content_type
    )
    response["Idempotent-Replayed"] = "true"
    return response


def purge_expired(*, now: dt.datetime) -> int:
    deleted, _ = IdempotencyRecord.objects.filter(expires__lte=now).delete()
    return deleted
