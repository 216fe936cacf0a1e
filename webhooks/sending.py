"""Sending one attempt of a delivery: signed, through the guarded outbound client
(`sources.outbound`: public addresses only unless the operator allows a network,
one deadline, a body cap), following no redirect. A 2xx answer is a success;
anything else is a failure described in words, keeping only the status code."""

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.utils import timezone

from sources import outbound

from .contracts import DeliveryJob, Sent
from .signing import signed_headers

logger = logging.getLogger(__name__)

#: The most of a 2xx answer's body read (and then dropped): receivers answer briefly.
MAX_ANSWER_BYTES = 256 * 1024


def limits() -> outbound.Limits:
    seconds = float(settings.WEBHOOK_TIMEOUT_SECONDS)
    return outbound.Limits(
        deadline=seconds,
        read_timeout=min(10.0, seconds),
        max_bytes=MAX_ANSWER_BYTES,
        max_redirects=0,
    )


def send(job: DeliveryJob, *, fetch: Callable[..., outbound.Response] = outbound.fetch) -> Sent:
    headers = signed_headers(msg_id=job.msg_id, body=job.body, at=timezone.now(), keys=job.secrets)
    started = time.monotonic()
    try:
        answer = fetch(
            job.url, method="POST", headers=headers, body=job.body.encode(), limits=limits()
        )
    except outbound.TooManyRedirects:
        return _failed(started, "it answered with a redirect, which webhooks do not follow")
    except outbound.FetchFailed as exc:
        return _failed(
            started, exc.reason, status=getattr(exc, "status", None), retry_after=exc.retry_after
        )
    except Exception:
        # A fault of ours, not the receiver's: logged, and recorded as a failed attempt
        # so the delivery moves on along its schedule instead of stalling claimed.
        logger.exception("Sending delivery %s failed unexpectedly.", job.delivery_id)
        return _failed(started, "it could not be sent, because of an error on our side")
    if 200 <= answer.status < 300:
        return Sent(ok=True, status_code=answer.status, duration_ms=_since(started))
    return _failed(
        started, f"it answered HTTP {answer.status}, not a success", status=answer.status
    )


def _since(started: float) -> int:
    return max(0, round((time.monotonic() - started) * 1000))


def _failed(
    started: float, error: str, *, status: int | None = None, retry_after: float | None = None
) -> Sent:
    return Sent(
        ok=False,
        status_code=status,
        duration_ms=_since(started),
        error=error[:300],
        retry_after=retry_after,
    )
