"""The channel policy of outgoing webhooks, and the mutations of endpoints.

Which endpoints get which events
    An event goes to each enabled endpoint of its owner that subscribes to its type;
    only the public types (`events.types.PUBLIC`) can be subscribed to. A test event
    goes to the one endpoint it was asked for. Deliveries are made inside the
    transaction that wrote the events (`queue_deliveries`, a reaction of the outbox),
    so a write that rolls back sends nothing, and handed to the task queue when it
    commits.

Retries
    A 2xx answer delivers. Anything else is tried again after the delays of
    `WEBHOOK_RETRY_SCHEDULE` (by default 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h:
    eight attempts over about 27 hours), always as the same message (`webhook-id`).
    A receiver that answers 429 or 503 with a longer Retry-After is waited for, up to
    the schedule's longest delay. A delivery whose schedule runs out has failed; its
    owner can resend it, which starts the schedule again.

When an endpoint is disabled
    When a delivery fails for good and the endpoint has not had a single success
    since that delivery's first attempt, the receiver has been failing for the whole
    schedule (about a day): the endpoint is disabled, its owner is told why on the
    webhooks page (and by a `webhook_endpoint.disabled` event), and its pending
    deliveries stop. One success in between keeps it enabled: a receiver that fails
    some deliveries and takes others is a receiver with a bug, not one that is gone.

Nothing is lost
    A worker claims a delivery before sending it (`delivery_claim`), so two tasks for
    one delivery send it once. A delivery that is due but whose task was lost (a
    process died after the commit, a worker died mid-send) is handed to the queue
    again by the scheduler's chore (`requeue_lost_deliveries`). So a delivery is sent
    at least once; receivers tell a repeat by its `webhook-id`.

Like every orchestrator, these build no queries: selectors read, executors write.
"""

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

from django.conf import settings
from django.utils import timezone

from config.envelope import Result
from config.orchestration import execute
from config.times import exact_time
from events.types import PUBLIC, WEBHOOK_TEST

from . import executors as webhook_executors
from . import selectors as webhook_selectors
from . import sending, signing
from .contracts import (
    AttemptRecorded,
    CreateEndpoint,
    Listener,
    PlannedDelivery,
    UpdateEndpoint,
)

Enqueue = Callable[[int], object]
EnqueueAt = Callable[[int, dt.datetime], object]

#: A due delivery last handed to the queue longer ago than this, and not being sent,
#: lost its task: the scheduler hands it over again.
REQUEUE_AFTER = dt.timedelta(minutes=5)
#: How many lost deliveries one sweep hands over.
REQUEUE_BATCH = 500
#: How long the previous secret keeps signing after a rotation.
ROTATION_OVERLAP = dt.timedelta(hours=24)
#: How long a worker holds a delivery beyond the send's own deadline.
CLAIM_MARGIN = dt.timedelta(seconds=60)


# Policy -------------------------------------------------------------------------------


def route(event_type: str, owner_id: int, listeners: Iterable[Listener]) -> list[int]:
    """The endpoints an event of `event_type` of `owner_id` goes to."""
    if event_type not in PUBLIC:
        return []
    return [
        listener.id
        for listener in listeners
        if listener.owner_id == owner_id and event_type in listener.event_types
    ]


def body_for(event_type: str, at: dt.datetime, data: dict[str, Any]) -> str:
    """The JSON a receiver gets: the event's type, when it happened, and the object
    as the API shows it."""
    return json.dumps(
        {"type": event_type, "timestamp": exact_time(at), "data": data},
        separators=(",", ":"),
    )


@dataclass(frozen=True)
class RetryPolicy:
    #: Seconds to wait after the 1st, 2nd, ... failed attempt of a round.
    delays: tuple[float, ...]

    @classmethod
    def from_settings(cls) -> "RetryPolicy":
        return cls(tuple(float(delay) for delay in settings.WEBHOOK_RETRY_SCHEDULE))

    def next_attempt(
        self, *, tries: int, failed_at: dt.datetime, retry_after: float | None = None
    ) -> dt.datetime | None:
        """When to try again after the `tries`-th failed attempt of the round; None
        when the schedule has run out. A Retry-After longer than the scheduled delay
        is honoured, up to the schedule's longest delay."""
        if tries < 1 or tries > len(self.delays):
            return None
        delay = self.delays[tries - 1]
        if retry_after is not None:
            delay = max(delay, min(retry_after, max(self.delays)))
        return failed_at + dt.timedelta(seconds=delay)


def should_disable(recorded: AttemptRecorded) -> bool:
    """A delivery failed for good, and its endpoint has had no success since that
    delivery's first attempt (see the module's docstring)."""
    return (
        recorded.applied
        and recorded.status == "failed"
        and recorded.endpoint_enabled
        and recorded.endpoint_failing_since is not None
        and recorded.first_attempt_at is not None
        and recorded.endpoint_failing_since <= recorded.first_attempt_at
    )


def disabled_reason(*, failing_since: dt.datetime, now: dt.datetime, last_error: str) -> str:
    hours = max(1, round((now - failing_since).total_seconds() / 3600))
    span = f"{hours} hour{'s' if hours != 1 else ''}"
    last = f" The last answer: {last_error}." if last_error else ""
    return (
        f"Disabled: its deliveries failed for {span} without a single success.{last} "
        "Check the receiver, then enable the endpoint again."
    )[:300]


# Dispatch -----------------------------------------------------------------------------


class OutboxEvent(Protocol):
    id: int
    owner_id: int
    type: str
    at: dt.datetime
    data: dict


def queue_deliveries(
    events: Sequence[OutboxEvent],
    *,
    enqueue: Enqueue | None,
    listeners: list[Listener] | None = None,
    selectors=webhook_selectors,
    executors=webhook_executors,
    new_id: Callable[[], str] = signing.new_message_id,
) -> list[int]:
    """The outbox's reaction, inside the transaction that wrote `events`: a delivery
    for every endpoint each event goes to, queued once the transaction commits.
    `listeners`: the enabled endpoints of the events' owners, if known (the outbox
    reads them with the events on PostgreSQL); else no query at all for events nobody
    can subscribe to, one for the rest."""
    public = [event for event in events if event.type in PUBLIC]
    if not public:
        return []
    if listeners is None:
        listeners = selectors.listening_endpoints(owner_ids={event.owner_id for event in public})
    if not listeners:
        return []
    planned = []
    for event in public:
        msg_id = new_id()
        body = body_for(event.type, event.at, event.data)
        planned += [
            PlannedDelivery(
                endpoint_id=endpoint_id,
                event_id=event.id,
                type=event.type,
                msg_id=msg_id,
                body=body,
            )
            for endpoint_id in route(event.type, event.owner_id, listeners)
        ]
    if not planned:
        return []
    return executors.deliveries_create(planned=planned, now=public[0].at, on_commit=enqueue)


def deliver(
    delivery_id: int,
    *,
    enqueue_at: EnqueueAt | None,
    clock: Callable[[], dt.datetime] = timezone.now,
    send: Callable = sending.send,
    retries: RetryPolicy | None = None,
    executors=webhook_executors,
) -> Result:
    """Send one attempt of a delivery, if it is due and no other worker has it; record
    it; schedule the next one (`enqueue_at`) or give up, and disable the endpoint when
    the policy says so. The data is the recorded attempt, or None when there was
    nothing to send."""
    retries = retries or RetryPolicy.from_settings()
    claim, now = uuid.uuid4().hex, clock()
    lease = dt.timedelta(seconds=float(settings.WEBHOOK_TIMEOUT_SECONDS)) + CLAIM_MARGIN
    claimed = execute(
        partial(
            executors.delivery_claim,
            delivery_id=delivery_id,
            claim=claim,
            now=now,
            lease_until=now + lease,
        )
    )
    if not claimed.ok or claimed.data is None:
        return claimed
    job = claimed.data
    started = clock()
    sent = send(job)
    finished = clock()
    retry_at = None
    if not sent.ok:
        retry_at = retries.next_attempt(
            tries=job.tries + 1, failed_at=finished, retry_after=sent.retry_after
        )
    recorded = execute(
        partial(
            executors.attempt_record,
            delivery_id=delivery_id,
            claim=claim,
            sent=sent,
            started=started,
            retry_at=retry_at,
            now=finished,
        )
    )
    if not recorded.ok:
        return recorded
    outcome: AttemptRecorded = recorded.data
    if outcome.retry_at is not None and enqueue_at is not None:
        enqueue_at(delivery_id, outcome.retry_at)
    if should_disable(outcome):
        reason = disabled_reason(
            failing_since=outcome.endpoint_failing_since, now=finished, last_error=sent.error
        )
        execute(
            partial(
                executors.endpoint_disable,
                endpoint_id=outcome.endpoint_id,
                reason=reason,
                now=finished,
            )
        )
    return recorded


def requeue_lost_deliveries(
    *, now: dt.datetime, enqueue: Enqueue, executors=webhook_executors
) -> list[int]:
    """The scheduler's chore: hand the queue again every due delivery whose task was
    lost. Safe with any number of schedulers: a delivery is claimed before it is sent."""
    result = execute(
        partial(
            executors.deliveries_requeue,
            now=now,
            queued_before=now - REQUEUE_AFTER,
            limit=REQUEUE_BATCH,
            on_commit=enqueue,
        )
    )
    return result.unwrap()


# Endpoints ----------------------------------------------------------------------------


def create_endpoint(
    command: CreateEndpoint,
    *,
    actor_id: int,
    now: dt.datetime,
    executors=webhook_executors,
    new_secret: Callable[[], str] = signing.new_secret,
) -> Result:
    """A new endpoint with a new signing secret; the result carries the secret, to be
    shown once."""
    return execute(
        partial(
            executors.endpoint_create,
            owner_id=actor_id,
            command=command,
            secret=new_secret(),
            now=now,
        )
    )


def update_endpoint(
    endpoint_id: int,
    command: UpdateEndpoint,
    *,
    actor_id: int,
    now: dt.datetime,
    executors=webhook_executors,
) -> Result:
    """Change an endpoint; enabling one clears its failures, disabling one stops its
    pending deliveries."""
    return execute(
        partial(
            executors.endpoint_update,
            owner_id=actor_id,
            endpoint_id=endpoint_id,
            command=command,
            now=now,
        )
    )


def delete_endpoint(
    endpoint_id: int, *, actor_id: int, now: dt.datetime, executors=webhook_executors
) -> Result:
    return execute(
        partial(executors.endpoint_delete, owner_id=actor_id, endpoint_id=endpoint_id, now=now)
    )


def rotate_secret(
    endpoint_id: int,
    *,
    actor_id: int,
    now: dt.datetime,
    executors=webhook_executors,
    new_secret: Callable[[], str] = signing.new_secret,
) -> Result:
    """A new signing secret, shown once; for a day, deliveries carry a signature with
    the old one too, so the receiver can switch without missing any."""
    return execute(
        partial(
            executors.endpoint_rotate_secret,
            owner_id=actor_id,
            endpoint_id=endpoint_id,
            secret=new_secret(),
            keep_previous_until=now + ROTATION_OVERLAP,
            now=now,
        )
    )


def send_test_event(
    endpoint_id: int,
    *,
    actor_id: int,
    now: dt.datetime,
    enqueue: Enqueue | None,
    executors=webhook_executors,
    new_id: Callable[[], str] = signing.new_message_id,
) -> Result:
    """A `webhook.test` delivery to one enabled endpoint; the data is its id."""
    body = body_for(
        WEBHOOK_TEST,
        now,
        {"endpoint_id": endpoint_id, "message": "A test event from Goaltrack."},
    )
    return execute(
        partial(
            executors.test_delivery_create,
            owner_id=actor_id,
            endpoint_id=endpoint_id,
            msg_id=new_id(),
            body=body,
            now=now,
            on_commit=enqueue,
        )
    )


def resend_delivery(
    delivery_id: int,
    *,
    actor_id: int,
    now: dt.datetime,
    enqueue: Enqueue | None,
    endpoint_id: int | None = None,
    executors=webhook_executors,
) -> Result:
    """Send a delivered or failed delivery again, as the same message."""
    return execute(
        partial(
            executors.delivery_resend,
            owner_id=actor_id,
            delivery_id=delivery_id,
            endpoint_id=endpoint_id,
            now=now,
            on_commit=enqueue,
        )
    )
