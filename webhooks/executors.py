"""Writes of outgoing webhooks. Each public executor is one durable transaction with
its audit entry (for endpoints) and its events; `now`, secrets and message ids come
in as arguments. None makes an HTTP call: sending is `webhooks.sending`, for the
policy in `webhooks.orchestrators`.

`deliveries_create` is the exception to "one durable transaction": it runs inside the
transaction of whichever executor wrote the events, so a delivery exists exactly when
its event does.
"""

import datetime as dt
from collections.abc import Callable
from functools import partial

from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce

from audit import trail
from audit.models import Action
from config.envelope import Conflict, NotFound, Result
from events import types
from events.outbox import emit, executor

from .contracts import (
    AttemptRecorded,
    CreateEndpoint,
    DeliveryJob,
    EndpointCreated,
    EndpointData,
    PlannedDelivery,
    Sent,
    UpdateEndpoint,
)
from .models import Attempt, Delivery, DeliveryStatus, Endpoint

SUBJECT = "webhook_endpoint"
ENDPOINTS_LIST = "webhook_endpoints:list"
AUDITED_FIELDS = ("url", "description", "event_types", "enabled", "disabled_reason")
#: What a delivery's log says of deliveries stopped by a disabled endpoint.
STOPPED = "Not sent: the endpoint was disabled."

Enqueue = Callable[[int], object]


def endpoint_key(endpoint_id: int) -> str:
    return f"{SUBJECT}:{endpoint_id}"


def _shown(endpoint: Endpoint) -> dict:
    return EndpointData.model_validate(endpoint).model_dump(mode="json")


def _tell(type: str, endpoint: Endpoint, *, data: dict | None = None) -> None:
    emit(
        type,
        owner_id=endpoint.owner_id,
        affected=[ENDPOINTS_LIST, endpoint_key(endpoint.id)],
        subject=(SUBJECT, endpoint.id),
        data=_shown(endpoint) if data is None else data,
    )


def _audit(action: Action, endpoint: Endpoint, *, actor_id, now, summary, before=None):
    after = None if action == Action.DELETED else trail.snapshot(endpoint, AUDITED_FIELDS)
    trail.record(
        action=action,
        subject_type=SUBJECT,
        subject_id=endpoint.id,
        owner_id=endpoint.owner_id,
        actor_id=actor_id,
        summary=summary,
        now=now,
        before=before,
        after=after,
    )


def _locked(endpoint_id: int, owner_id: int | None = None) -> Endpoint:
    endpoints = Endpoint.objects.select_for_update().filter(id=endpoint_id)
    if owner_id is not None:
        endpoints = endpoints.filter(owner_id=owner_id)
    endpoint = endpoints.first()
    if endpoint is None:
        raise NotFound("There is no such webhook endpoint.")
    return endpoint


# Endpoints ----------------------------------------------------------------------------


@executor
def endpoint_create(
    *, owner_id: int, command: CreateEndpoint, secret: str, now: dt.datetime
) -> Result:
    endpoint = Endpoint.objects.create(
        owner_id=owner_id,
        url=command.url,
        description=command.description,
        event_types=command.event_types,
        secret=secret,
        created=now,
    )
    _audit(Action.CREATED, endpoint, actor_id=owner_id, now=now, summary=f"Webhook to {endpoint}")
    _tell(types.WEBHOOK_ENDPOINT_CREATED, endpoint)
    return Result.success(
        EndpointCreated(endpoint=EndpointData.model_validate(endpoint), secret=secret)
    )


def _stop_pending(endpoint: Endpoint) -> None:
    """Deliveries still waiting to be sent end as failed (a resend sends them later)."""
    Delivery.objects.filter(endpoint_id=endpoint.id, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.FAILED,
        next_attempt_at=None,
        claim="",
        claimed_until=None,
        note=STOPPED,
    )


def _disable(endpoint: Endpoint, *, reason: str, now: dt.datetime) -> None:
    endpoint.enabled = False
    endpoint.disabled_reason = reason[:300]
    endpoint.disabled_at = now
    _stop_pending(endpoint)


def _enable(endpoint: Endpoint) -> None:
    """Enabled again, with a clean slate: its past failures no longer count."""
    endpoint.enabled = True
    endpoint.disabled_reason = ""
    endpoint.disabled_at = None
    endpoint.failing_since = None
    endpoint.consecutive_failures = 0


@executor
def endpoint_update(
    *, owner_id: int, endpoint_id: int, command: UpdateEndpoint, now: dt.datetime
) -> Result:
    endpoint = _locked(endpoint_id, owner_id)
    before = trail.snapshot(endpoint, AUDITED_FIELDS)
    was_enabled = endpoint.enabled
    for field in ("url", "description", "event_types"):
        value = getattr(command, field)
        if value is not None:
            setattr(endpoint, field, value)
    if command.enabled is False and was_enabled:
        _disable(endpoint, reason="", now=now)
    elif command.enabled and not was_enabled:
        _enable(endpoint)
    endpoint.save()
    _audit(
        Action.UPDATED,
        endpoint,
        actor_id=owner_id,
        now=now,
        summary=f"Webhook to {endpoint}",
        before=before,
    )
    stopped = was_enabled and not endpoint.enabled
    _tell(types.WEBHOOK_ENDPOINT_DISABLED if stopped else types.WEBHOOK_ENDPOINT_CHANGED, endpoint)
    return Result.success(EndpointData.model_validate(endpoint))


@executor
def endpoint_disable(*, endpoint_id: int, reason: str, now: dt.datetime) -> Result:
    """Stop sending to an endpoint whose deliveries keep failing (the policy's call),
    saying why to its owner. An endpoint already disabled stays as it is."""
    endpoint = _locked(endpoint_id)
    if not endpoint.enabled:
        return Result.success(EndpointData.model_validate(endpoint))
    before = trail.snapshot(endpoint, AUDITED_FIELDS)
    _disable(endpoint, reason=reason, now=now)
    endpoint.save()
    _audit(
        Action.UPDATED,
        endpoint,
        actor_id=None,
        now=now,
        summary=f"Webhook to {endpoint} disabled after failed deliveries",
        before=before,
    )
    _tell(types.WEBHOOK_ENDPOINT_DISABLED, endpoint)
    return Result.success(EndpointData.model_validate(endpoint))


@executor
def endpoint_delete(*, owner_id: int, endpoint_id: int, now: dt.datetime) -> Result:
    endpoint = _locked(endpoint_id, owner_id)
    shown = _shown(endpoint)
    before = trail.snapshot(endpoint, AUDITED_FIELDS)
    _audit(
        Action.DELETED,
        endpoint,
        actor_id=owner_id,
        now=now,
        summary=f"Webhook to {endpoint}",
        before=before,
    )
    _tell(types.WEBHOOK_ENDPOINT_DELETED, endpoint, data=shown)
    endpoint.delete()
    return Result.success(EndpointData.model_validate(shown))


@executor
def endpoint_rotate_secret(
    *,
    owner_id: int,
    endpoint_id: int,
    secret: str,
    keep_previous_until: dt.datetime,
    now: dt.datetime,
) -> Result:
    """A new secret; the old one keeps signing too until `keep_previous_until`."""
    endpoint = _locked(endpoint_id, owner_id)
    endpoint.previous_secret, endpoint.previous_secret_until = endpoint.secret, keep_previous_until
    endpoint.secret = secret
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
    trail.record(
        action=Action.UPDATED,
        subject_type=SUBJECT,
        subject_id=endpoint.id,
        owner_id=owner_id,
        actor_id=owner_id,
        summary=f"Webhook to {endpoint}: new signing secret",
        now=now,
        before={"secret": "(previous)"},
        after={"secret": "(new)"},
    )
    _tell(types.WEBHOOK_ENDPOINT_CHANGED, endpoint)
    return Result.success(
        EndpointCreated(endpoint=EndpointData.model_validate(endpoint), secret=secret)
    )


# Deliveries ---------------------------------------------------------------------------


def _enqueue_each(ids: list[int], enqueue: Enqueue | None) -> None:
    if enqueue is not None:
        for delivery_id in ids:
            transaction.on_commit(partial(enqueue, delivery_id))


def deliveries_create(
    *, planned: list[PlannedDelivery], now: dt.datetime, on_commit: Enqueue | None
) -> list[int]:
    """Inside the caller's transaction: one delivery per planned one, due now, each
    handed to `on_commit` once (and only if) the transaction commits."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Deliveries are created inside the transaction of their events.")
    created = Delivery.objects.bulk_create(
        [
            Delivery(
                endpoint_id=plan.endpoint_id,
                event_id=plan.event_id,
                type=plan.type,
                msg_id=plan.msg_id,
                body=plan.body,
                next_attempt_at=now,
                queued_at=now,
                created=now,
            )
            for plan in planned
        ]
    )
    ids = [delivery.id for delivery in created]
    _enqueue_each(ids, on_commit)
    return ids


@executor
def test_delivery_create(
    *,
    owner_id: int,
    endpoint_id: int,
    msg_id: str,
    body: str,
    now: dt.datetime,
    on_commit: Enqueue | None,
) -> Result:
    """A `webhook.test` delivery to one of the owner's enabled endpoints."""
    endpoint = _locked(endpoint_id, owner_id)
    if not endpoint.enabled:
        raise Conflict("This endpoint is disabled; enable it to send it a test event.")
    delivery = Delivery.objects.create(
        endpoint_id=endpoint.id,
        type=types.WEBHOOK_TEST,
        msg_id=msg_id,
        body=body,
        next_attempt_at=now,
        queued_at=now,
        created=now,
    )
    emit(
        types.WEBHOOK_TEST,
        owner_id=owner_id,
        affected=[endpoint_key(endpoint.id)],
        subject=("webhook_delivery", delivery.id),
        data={"endpoint_id": endpoint.id, "delivery_id": delivery.id},
    )
    _enqueue_each([delivery.id], on_commit)
    return Result.success(delivery.id)


@executor
def delivery_resend(
    *,
    owner_id: int,
    delivery_id: int,
    endpoint_id: int | None = None,
    now: dt.datetime,
    on_commit: Enqueue | None,
) -> Result:
    """Send a finished delivery again, as the same message, with a fresh retry
    schedule. One still pending is a Conflict: it is on its way."""
    deliveries = Delivery.objects.select_for_update().select_related("endpoint")
    if endpoint_id is not None:
        # Through the endpoint's id, whose lookup finds nothing for an id beyond the
        # column (the foreign key's own would send it to the database, which refuses it).
        deliveries = deliveries.filter(endpoint__id=endpoint_id)
    delivery = deliveries.filter(id=delivery_id, endpoint__owner_id=owner_id).first()
    if delivery is None:
        raise NotFound("There is no such delivery.")
    if not delivery.endpoint.enabled:
        raise Conflict("This endpoint is disabled; enable it to send it anything.")
    if delivery.status == DeliveryStatus.PENDING:
        raise Conflict("This delivery is still being sent.")
    delivery.status = DeliveryStatus.PENDING
    delivery.tries, delivery.first_attempt_at = 0, None
    delivery.next_attempt_at = delivery.queued_at = now
    delivery.note = ""
    delivery.save()
    _tell_attempted(delivery, owner_id)
    _enqueue_each([delivery.id], on_commit)
    return Result.success(delivery.id)


def _tell_attempted(delivery: Delivery, owner_id: int) -> None:
    emit(
        types.WEBHOOK_DELIVERY_CHANGED,
        owner_id=owner_id,
        affected=[endpoint_key(delivery.endpoint_id)],
        subject=("webhook_delivery", delivery.id),
        data={
            "delivery_id": delivery.id,
            "endpoint_id": delivery.endpoint_id,
            "status": delivery.status,
            "attempts": delivery.attempts,
        },
    )


def _free(now: dt.datetime) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)


@executor
def delivery_claim(
    *, delivery_id: int, claim: str, now: dt.datetime, lease_until: dt.datetime
) -> Result:
    """Take a due delivery to send it, until `lease_until`; the data is the job, or
    None when there is nothing to send now (done, not due, taken by another worker,
    or its endpoint disabled). One conditional UPDATE decides between workers."""
    taken = Delivery.objects.filter(
        _free(now),
        id=delivery_id,
        status=DeliveryStatus.PENDING,
        next_attempt_at__lte=now,
        endpoint__enabled=True,
    ).update(claim=claim, claimed_until=lease_until)
    if not taken:
        return Result.success(None)
    delivery = Delivery.objects.select_related("endpoint").get(id=delivery_id)
    endpoint = delivery.endpoint
    keys = [endpoint.secret]
    if endpoint.previous_secret and (endpoint.previous_secret_until or now) > now:
        keys.append(endpoint.previous_secret)
    return Result.success(
        DeliveryJob(
            delivery_id=delivery.id,
            endpoint_id=endpoint.id,
            url=endpoint.url,
            secrets=keys,
            msg_id=delivery.msg_id,
            body=delivery.body,
            tries=delivery.tries,
        )
    )


@executor
def attempt_record(
    *,
    delivery_id: int,
    claim: str,
    sent: Sent,
    started: dt.datetime,
    retry_at: dt.datetime | None,
    now: dt.datetime,
) -> Result:
    """Log one attempt (begun at `started`) and move the delivery on: delivered,
    due again at `retry_at`, or failed for good when the policy gives no `retry_at`.
    The endpoint's bookkeeping follows (a success clears `failing_since`). A worker
    whose claim was taken over meanwhile only adds its attempt to the log."""
    delivery = Delivery.objects.select_for_update().filter(id=delivery_id).first()
    if delivery is None:
        raise NotFound("The delivery was deleted with its endpoint while it was sent.")
    Attempt.objects.create(
        delivery=delivery,
        at=started,
        status_code=sent.status_code,
        duration_ms=sent.duration_ms,
        succeeded=sent.ok,
        error=sent.error[:300],
    )
    delivery.attempts += 1
    applied = delivery.claim == claim and delivery.status == DeliveryStatus.PENDING
    if applied:
        delivery.tries += 1
        delivery.first_attempt_at = delivery.first_attempt_at or started
        delivery.last_attempt_at = started
        delivery.claim, delivery.claimed_until = "", None
        if sent.ok:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.SUCCEEDED, None
        elif retry_at is None:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        else:
            delivery.next_attempt_at = delivery.queued_at = retry_at
    delivery.save()
    endpoints = Endpoint.objects.filter(id=delivery.endpoint_id)
    if sent.ok:
        endpoints.update(failing_since=None, consecutive_failures=0, last_success_at=now)
    else:
        endpoints.update(
            failing_since=Coalesce(F("failing_since"), started),
            consecutive_failures=F("consecutive_failures") + 1,
            last_failure_at=now,
        )
    endpoint = endpoints.values("owner_id", "enabled", "failing_since").get()
    _tell_attempted(delivery, endpoint["owner_id"])
    return Result.success(
        AttemptRecorded(
            delivery_id=delivery.id,
            endpoint_id=delivery.endpoint_id,
            status=delivery.status,
            tries=delivery.tries,
            first_attempt_at=delivery.first_attempt_at,
            retry_at=delivery.next_attempt_at if applied else None,
            endpoint_enabled=endpoint["enabled"],
            endpoint_failing_since=endpoint["failing_since"],
            applied=applied,
        )
    )


@executor
def deliveries_requeue(
    *,
    now: dt.datetime,
    queued_before: dt.datetime,
    limit: int,
    on_commit: Enqueue | None,
) -> Result:
    """Hand the queue again the deliveries that are due, not being sent, and were
    last handed over before `queued_before` (their task was lost: a process died
    between the commit and the queue, or a worker mid-send). The ids, oldest first."""
    due = list(
        Delivery.objects.filter(
            _free(now),
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=now,
            queued_at__lt=queued_before,
            endpoint__enabled=True,
        )
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    Delivery.objects.filter(id__in=due).update(queued_at=now)
    _enqueue_each(due, on_commit)
    return Result.success(due)
