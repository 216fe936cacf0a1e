"""The channel policy of outgoing webhooks as tables, against fakes: no database.

Routing (which endpoints an event goes to), the retry schedule, when an endpoint is
disabled, and `deliver` walking a claimed delivery through a send with recording
executors and a scripted sender."""

import datetime as dt
import json
from types import SimpleNamespace

import pytest

from config.envelope import Result
from webhooks.contracts import AttemptRecorded, DeliveryJob, Listener, Sent
from webhooks.orchestrators import (
    RetryPolicy,
    body_for,
    deliver,
    queue_deliveries,
    route,
    should_disable,
)

WHEN = dt.datetime(2026, 11, 20, 7, 0, tzinfo=dt.UTC)
ALICE, BOB = 1, 2
LISTENERS = [
    Listener(id=10, owner_id=ALICE, event_types=frozenset({"measurement.recorded"})),
    Listener(
        id=11, owner_id=ALICE, event_types=frozenset({"measurement.recorded", "goal.created"})
    ),
    Listener(id=20, owner_id=BOB, event_types=frozenset({"goal.created"})),
]


@pytest.mark.parametrize(
    ("event_type", "owner", "endpoints"),
    [
        ("measurement.recorded", ALICE, [10, 11]),
        ("goal.created", ALICE, [11]),
        ("goal.created", BOB, [20]),
        ("measurement.recorded", BOB, []),  # Bob's endpoint does not subscribe to it
        ("goal.deleted", ALICE, []),  # nobody subscribes to it
        ("webhook_endpoint.disabled", ALICE, []),  # not a public type: never routed
        ("webhook.test", ALICE, []),  # a test goes to its one endpoint, not by routing
    ],
)
def test_an_event_goes_to_its_owners_endpoints_that_subscribe_to_its_type(
    event_type, owner, endpoints
):
    assert route(event_type, owner, LISTENERS) == endpoints


def test_a_non_public_type_is_not_routed_even_if_an_endpoint_lists_it():
    sneaky = [Listener(id=1, owner_id=ALICE, event_types=frozenset({"webhook_endpoint.disabled"}))]
    assert route("webhook_endpoint.disabled", ALICE, sneaky) == []


SCHEDULE = RetryPolicy(delays=(5, 300, 1800, 7200, 18000, 36000, 36000))


@pytest.mark.parametrize(
    ("tries", "retry_after", "wait"),
    [
        (1, None, 5),
        (2, None, 300),
        (3, None, 1800),
        (7, None, 36000),
        (8, None, None),  # the eighth failure: the schedule ran out
        (1, 60, 60),  # Retry-After longer than the step is waited for
        (2, 60, 300),  # ... but never makes the wait shorter
        (1, 10**9, 36000),  # ... and is capped at the longest step
        (0, None, None),
    ],
)
def test_the_retry_schedule(tries, retry_after, wait):
    at = SCHEDULE.next_attempt(tries=tries, failed_at=WHEN, retry_after=retry_after)
    assert at == (None if wait is None else WHEN + dt.timedelta(seconds=wait))


def test_the_default_schedule_spans_about_a_day(settings):
    total = sum(RetryPolicy.from_settings().delays)
    assert dt.timedelta(hours=20) < dt.timedelta(seconds=total) < dt.timedelta(hours=30)


def recorded(**changes) -> AttemptRecorded:
    fields = {
        "delivery_id": 1,
        "endpoint_id": 10,
        "status": "failed",
        "tries": 8,
        "first_attempt_at": WHEN,
        "retry_at": None,
        "endpoint_enabled": True,
        "endpoint_failing_since": WHEN - dt.timedelta(hours=3),
        "applied": True,
    }
    return AttemptRecorded(**{**fields, **changes})


@pytest.mark.parametrize(
    ("changes", "disable"),
    [
        ({}, True),  # failed for good, failing since before its first attempt
        ({"endpoint_failing_since": WHEN}, True),  # failing since exactly then
        # another delivery succeeded after this one's first attempt: keep it
        ({"endpoint_failing_since": WHEN + dt.timedelta(hours=2)}, False),
        ({"status": "pending", "retry_at": WHEN}, False),  # still being retried
        ({"status": "succeeded", "endpoint_failing_since": None}, False),
        ({"endpoint_enabled": False}, False),  # already disabled
        ({"applied": False}, False),  # another worker's attempt decides
    ],
)
def test_when_an_endpoint_is_disabled(changes, disable):
    assert should_disable(recorded(**changes)) is disable


def test_the_body_is_the_type_the_time_and_the_object():
    body = body_for("goal.created", WHEN.replace(microsecond=120), {"id": 4, "title": "Run"})
    assert json.loads(body) == {
        "type": "goal.created",
        "timestamp": "2026-11-20T07:00:00.000120Z",
        "data": {"id": 4, "title": "Run"},
    }


# queue_deliveries, with a fake selector and executor


class Recording:
    def __init__(self, listeners):
        self.listeners = listeners
        self.calls = []

    def listening_endpoints(self, *, owner_ids):
        self.calls.append(("listening_endpoints", sorted(owner_ids)))
        return self.listeners

    def deliveries_create(self, *, planned, now, on_commit):
        self.calls.append(("deliveries_create", planned))
        return list(range(100, 100 + len(planned)))


def event(id, type, owner=ALICE):
    return SimpleNamespace(id=id, type=type, owner_id=owner, at=WHEN, data={"id": id})


def test_events_nobody_can_subscribe_to_cost_no_query():
    fake = Recording(LISTENERS)
    queued = queue_deliveries(
        [event(1, "webhook_delivery.changed"), event(2, "sync_run.progressed")],
        enqueue=None,
        selectors=fake,
        executors=fake,
    )
    assert queued == [] and fake.calls == []


def test_an_owner_without_endpoints_costs_one_query_and_no_write():
    fake = Recording([])
    queue_deliveries(
        [event(1, "measurement.recorded"), event(2, "goal.created")],
        enqueue=None,
        selectors=fake,
        executors=fake,
    )
    assert fake.calls == [("listening_endpoints", [ALICE])]


def test_each_event_is_one_message_to_every_endpoint_it_goes_to():
    fake = Recording(LISTENERS)
    ids = iter(["msg_a", "msg_b"])
    queued = queue_deliveries(
        [event(1, "measurement.recorded"), event(2, "goal.created")],
        enqueue=None,
        selectors=fake,
        executors=fake,
        new_id=lambda: next(ids),
    )
    assert queued == [100, 101, 102]
    (_, planned) = fake.calls[1]
    assert [(p.endpoint_id, p.event_id, p.msg_id) for p in planned] == [
        (10, 1, "msg_a"),
        (11, 1, "msg_a"),
        (11, 2, "msg_b"),
    ]
    assert json.loads(planned[0].body)["data"] == {"id": 1}


# deliver, with recording executors and a scripted sender


class Executors:
    """Claims the delivery (or not), records what it is told, answers as scripted."""

    def __init__(self, *, job=None, recorded=None):
        self.job = job
        self.recorded = recorded
        self.calls = []

    def delivery_claim(self, **kwargs):
        self.calls.append(("claim", kwargs))
        return Result.success(self.job)

    def attempt_record(self, **kwargs):
        self.calls.append(("record", kwargs))
        return Result.success(self.recorded)

    def endpoint_disable(self, **kwargs):
        self.calls.append(("disable", kwargs))
        return Result.success(None)


JOB = DeliveryJob(
    delivery_id=1,
    endpoint_id=10,
    url="https://example.com/hook",
    secrets=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    msg_id="msg_1",
    body="{}",
    tries=0,
)


def clock():
    return WHEN


def run(executors, sent, **kwargs):
    queued = []
    result = deliver(
        1,
        enqueue_at=lambda delivery_id, when: queued.append((delivery_id, when)),
        clock=clock,
        send=lambda job: sent,
        retries=SCHEDULE,
        executors=executors,
        **kwargs,
    )
    return result, queued


def test_nothing_to_send_sends_nothing():
    fake = Executors(job=None)
    sent = []
    result = deliver(1, enqueue_at=None, clock=clock, send=sent.append, executors=fake)
    assert result.ok and result.data is None
    assert sent == [] and [name for name, _ in fake.calls] == ["claim"]


def test_a_success_is_recorded_with_no_retry():
    fake = Executors(job=JOB, recorded=recorded(status="succeeded", endpoint_failing_since=None))
    _, queued = run(fake, Sent(ok=True, status_code=204, duration_ms=12))
    (_, record) = fake.calls[1]
    assert record["retry_at"] is None and record["sent"].status_code == 204
    assert queued == []


def test_a_failure_is_retried_on_the_schedule():
    retry = WHEN + dt.timedelta(seconds=5)
    fake = Executors(job=JOB, recorded=recorded(status="pending", retry_at=retry, tries=1))
    _, queued = run(fake, Sent(ok=False, status_code=500, error="the server had a problem"))
    (_, record) = fake.calls[1]
    assert record["retry_at"] == retry
    assert queued == [(1, retry)]
    assert [name for name, _ in fake.calls] == ["claim", "record"]


def test_the_last_failure_gives_up_and_disables_a_failing_endpoint():
    last = JOB.model_copy(update={"tries": 7})
    fake = Executors(job=last, recorded=recorded())
    _, queued = run(fake, Sent(ok=False, status_code=503, error="the server was busy"))
    assert fake.calls[1][1]["retry_at"] is None
    assert queued == []
    (name, disable) = fake.calls[2]
    assert name == "disable" and disable["endpoint_id"] == 10
    assert "failed for 3 hours without a single success" in disable["reason"]
    assert "the server was busy" in disable["reason"]
