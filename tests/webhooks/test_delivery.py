"""Deliveries against a real HTTP receiver on loopback, sent in this process through
the real orchestrator, executors, database and outbound client: what arrives verifies
with the Standard Webhooks library; retries keep the message id; the endpoint is
disabled when its receiver keeps failing; test events, resends and rotated secrets."""

import datetime as dt
import time

import pytest
from django.utils import timezone
from standardwebhooks import Webhook
from werkzeug import Response

from events.models import Event
from events.types import WEBHOOK_ENDPOINT_DISABLED
from tests.factories import MetricFactory
from webhooks import sending
from webhooks.apps import _queue_deliveries
from webhooks.contracts import Sent
from webhooks.executors import delivery_claim
from webhooks.models import Attempt, Delivery, DeliveryStatus, Endpoint
from webhooks.orchestrators import (
    deliver,
    requeue_lost_deliveries,
    resend_delivery,
    rotate_secret,
    send_test_event,
)

from .conftest import make_endpoint, record

pytestmark = pytest.mark.usefixtures("loopback")


def received(httpserver):
    """(headers, body) of every request the receiver got, in order."""
    return [(dict(request.headers), request.get_data()) for request, _ in httpserver.log]


def send_until_done(delivery_id: int, *, limit: float = 10) -> Delivery:
    """Send the delivery's attempts as they fall due, until it is done."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        deliver(delivery_id, enqueue_at=None)
        delivery = Delivery.objects.get(id=delivery_id)
        if delivery.status != DeliveryStatus.PENDING:
            return delivery
        time.sleep(0.02)
    raise AssertionError("The delivery was still pending.")


def test_a_recorded_measurement_arrives_signed_as_standard_webhooks_say(httpserver, metric):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    endpoint, secret = make_endpoint(metric.owner_id, httpserver.url_for("/hook"))
    assert secret.startswith("whsec_")
    measurement = record(metric)

    delivery = Delivery.objects.get(endpoint_id=endpoint.id)
    assert delivery.type == "measurement.recorded" and delivery.status == DeliveryStatus.PENDING
    done = send_until_done(delivery.id)

    [(headers, body)] = received(httpserver)
    payload = Webhook(secret).verify(body, headers)
    assert payload["type"] == "measurement.recorded"
    assert payload["data"]["id"] == measurement.id
    assert payload["data"]["value"] == "81.4"
    event = Event.objects.get(id=delivery.event_id)
    assert payload["timestamp"] == event.at.isoformat().replace("+00:00", "Z")
    assert headers["Webhook-Id"] == delivery.msg_id
    assert headers["Content-Type"] == "application/json"
    assert done.status == DeliveryStatus.SUCCEEDED and done.attempts == 1
    [attempt] = Attempt.objects.filter(delivery=delivery)
    assert attempt.status_code == 200 and attempt.succeeded and attempt.error == ""
    assert Endpoint.objects.get(id=endpoint.id).last_success_at is not None


def test_a_tampered_body_does_not_verify(httpserver, metric):
    httpserver.expect_request("/hook").respond_with_data("ok")
    endpoint, secret = make_endpoint(metric.owner_id, httpserver.url_for("/hook"))
    record(metric)
    send_until_done(Delivery.objects.get(endpoint_id=endpoint.id).id)
    [(headers, body)] = received(httpserver)
    with pytest.raises(Exception, match="signature"):
        Webhook(secret).verify(body.replace(b"81.4", b"99.9"), headers)


def test_a_receiver_that_fails_twice_gets_the_same_message_three_times(httpserver, metric):
    answers = iter([500, 503, 200])
    httpserver.expect_request("/hook").respond_with_handler(
        lambda request: Response("", status=next(answers))
    )
    endpoint, secret = make_endpoint(metric.owner_id, httpserver.url_for("/hook"))
    record(metric)
    delivery = send_until_done(Delivery.objects.get(endpoint_id=endpoint.id).id)

    requests = received(httpserver)
    assert len(requests) == 3
    assert {headers["Webhook-Id"] for headers, _ in requests} == {delivery.msg_id}
    assert len({body for _, body in requests}) == 1  # the same bytes every time
    for headers, body in requests:
        Webhook(secret).verify(body, headers)
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 3
    log = list(delivery.attempt_log.order_by("at", "id"))
    assert [attempt.status_code for attempt in log] == [500, 503, 200]
    assert [attempt.succeeded for attempt in log] == [False, False, True]
    assert "HTTP 500" in log[0].error and "HTTP 503" in log[1].error
    assert Endpoint.objects.get(id=endpoint.id).failing_since is None


def test_an_endpoint_whose_receiver_keeps_failing_is_disabled_and_its_owner_told(
    httpserver, metric
):
    httpserver.expect_request("/hook").respond_with_data("down", status=500)
    endpoint, _ = make_endpoint(metric.owner_id, httpserver.url_for("/hook"))
    record(metric)
    delivery = send_until_done(Delivery.objects.get(endpoint_id=endpoint.id).id)

    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 8 == len(received(httpserver))
    stored = Endpoint.objects.get(id=endpoint.id)
    assert not stored.enabled and stored.disabled_by_failures
    assert "without a single success" in stored.disabled_reason
    assert "HTTP 500" in stored.disabled_reason
    told = Event.objects.get(owner_id=metric.owner_id, type=WEBHOOK_ENDPOINT_DISABLED)
    assert told.data["id"] == endpoint.id and told.data["enabled"] is False
    # Nothing more is queued for it.
    record(metric, "80.0")
    assert Delivery.objects.filter(endpoint_id=endpoint.id).count() == 1


def test_a_success_in_between_keeps_a_flaky_endpoint_enabled(httpserver, metric):
    """One delivery fails for good, but another succeeded meanwhile."""
    httpserver.expect_request("/hook").respond_with_data("down", status=500)
    endpoint, _ = make_endpoint(metric.owner_id, httpserver.url_for("/hook"))
    record(metric)
    first = Delivery.objects.get(endpoint_id=endpoint.id)
    deliver(first.id, enqueue_at=None)  # fails once: the endpoint is failing now
    httpserver.clear()
    httpserver.expect_request("/hook").respond_with_data("ok")
    record(metric, "80.0")
    second = Delivery.objects.exclude(id=first.id).get(endpoint_id=endpoint.id)
    send_until_done(second.id)  # succeeds
    httpserver.clear()
    httpserver.expect_request("/hook").respond_with_data("down", status=500)
    assert send_until_done(first.id).status == DeliveryStatus.FAILED
    assert Endpoint.objects.get(id=endpoint.id).enabled


def test_redirects_are_not_followed(httpserver, metric):
    httpserver.expect_request("/hook").respond_with_data(
        "", status=307, headers={"Location": httpserver.url_for("/elsewhere")}
    )
    httpserver.expect_request("/elsewhere").respond_with_data("ok")
    endpoint, _ = make_endpoint(metric.owner_id, httpserver.url_for("/hook"))
    record(metric)
    delivery = Delivery.objects.get(endpoint_id=endpoint.id)
    deliver(delivery.id, enqueue_at=None)
    assert [request.path for request, _ in httpserver.log] == ["/hook"]
    [attempt] = Attempt.objects.filter(delivery=delivery)
    assert not attempt.succeeded and "redirect" in attempt.error


def test_a_private_address_is_refused_unless_the_operator_allows_it(httpserver, metric, settings):
    httpserver.expect_request("/hook").respond_with_data("ok")
    endpoint, _ = make_endpoint(metric.owner_id, httpserver.url_for("/hook"))
    record(metric)
    settings.OUTBOUND_ALLOW_NETWORKS = []
    delivery = Delivery.objects.get(endpoint_id=endpoint.id)
    deliver(delivery.id, enqueue_at=None)
    assert httpserver.log == []
    [attempt] = Attempt.objects.filter(delivery=delivery)
    assert attempt.status_code is None and "private or local network" in attempt.error


def test_another_users_writes_are_not_sent(httpserver, metric):
    endpoint, _ = make_endpoint(metric.owner_id, httpserver.url_for("/hook"))
    record(MetricFactory())
    assert not Delivery.objects.filter(endpoint_id=endpoint.id).exists()


def test_an_event_type_not_subscribed_to_is_not_sent(httpserver, metric):
    endpoint, _ = make_endpoint(metric.owner_id, httpserver.url_for("/hook"), ["goal.created"])
    record(metric)
    assert not Delivery.objects.filter(endpoint_id=endpoint.id).exists()


def test_a_test_event_and_a_resend(httpserver, metric):
    httpserver.expect_request("/hook").respond_with_data("ok")
    endpoint, secret = make_endpoint(metric.owner_id, httpserver.url_for("/hook"))
    owner = metric.owner_id
    sent = send_test_event(endpoint.id, actor_id=owner, now=timezone.now(), enqueue=None)
    delivery = send_until_done(sent.unwrap())
    [(headers, body)] = received(httpserver)
    payload = Webhook(secret).verify(body, headers)
    assert payload["type"] == "webhook.test" and payload["data"]["endpoint_id"] == endpoint.id

    again = resend_delivery(delivery.id, actor_id=owner, now=timezone.now(), enqueue=None)
    assert again.ok
    delivery = send_until_done(delivery.id)
    requests = received(httpserver)
    assert len(requests) == 2
    assert requests[1][0]["Webhook-Id"] == requests[0][0]["Webhook-Id"] == delivery.msg_id
    assert delivery.attempts == 2 and delivery.status == DeliveryStatus.SUCCEEDED


def test_a_pending_delivery_cannot_be_resent_nor_another_users(metric, other_user):
    endpoint, _ = make_endpoint(metric.owner_id, "https://hooks.example.com/in")
    record(metric)
    delivery = Delivery.objects.get(endpoint_id=endpoint.id)
    pending = resend_delivery(
        delivery.id, actor_id=metric.owner_id, now=timezone.now(), enqueue=None
    )
    assert pending.error.code == "conflict"
    theirs = resend_delivery(delivery.id, actor_id=other_user.id, now=timezone.now(), enqueue=None)
    assert theirs.error.code == "not_found"
    test = send_test_event(endpoint.id, actor_id=other_user.id, now=timezone.now(), enqueue=None)
    assert test.error.code == "not_found"


def test_after_a_rotation_both_secrets_sign_for_a_day(httpserver, metric):
    httpserver.expect_request("/hook").respond_with_data("ok")
    endpoint, old = make_endpoint(metric.owner_id, httpserver.url_for("/hook"))
    new = rotate_secret(endpoint.id, actor_id=metric.owner_id, now=timezone.now()).unwrap().secret
    assert new != old
    record(metric)
    send_until_done(Delivery.objects.get(endpoint_id=endpoint.id).id)
    [(headers, body)] = received(httpserver)
    assert len(headers["Webhook-Signature"].split(" ")) == 2
    Webhook(new).verify(body, headers)
    Webhook(old).verify(body, headers)


def test_a_delivery_is_claimed_by_one_worker_at_a_time(metric):
    endpoint, _ = make_endpoint(metric.owner_id, "https://hooks.example.com/in")
    record(metric)
    delivery = Delivery.objects.get(endpoint_id=endpoint.id)
    now = timezone.now()
    until = now + dt.timedelta(minutes=1)
    first = delivery_claim(delivery_id=delivery.id, claim="a" * 32, now=now, lease_until=until)
    second = delivery_claim(delivery_id=delivery.id, claim="b" * 32, now=now, lease_until=until)
    assert first.data.msg_id == delivery.msg_id and second.data is None
    # The lease of a worker that died runs out, and another takes it.
    later = until + dt.timedelta(seconds=1)
    third = delivery_claim(delivery_id=delivery.id, claim="c" * 32, now=later, lease_until=later)
    assert third.data is not None


def test_the_scheduler_hands_over_deliveries_whose_task_was_lost(metric):
    endpoint, _ = make_endpoint(metric.owner_id, "https://hooks.example.com/in")
    record(metric)  # its task is never run: as if the process died after the commit
    delivery = Delivery.objects.get(endpoint_id=endpoint.id)
    now = timezone.now()
    queued = []
    assert requeue_lost_deliveries(now=now, enqueue=queued.append) == []  # just queued
    later = now + dt.timedelta(minutes=6)
    assert requeue_lost_deliveries(now=later, enqueue=queued.append) == [delivery.id]
    # Handed over once: the next sweep leaves it to the task it was given.
    assert requeue_lost_deliveries(now=later, enqueue=queued.append) == []
    much_later = later + dt.timedelta(minutes=6)
    claim = delivery_claim(
        delivery_id=delivery.id,
        claim="w" * 32,
        now=much_later,
        lease_until=much_later + dt.timedelta(minutes=1),
    )
    assert claim.data is not None
    # One being sent is not handed over.
    assert requeue_lost_deliveries(now=much_later, enqueue=queued.append) == []


def test_writes_of_an_owner_without_endpoints_cost_one_query(metric, django_assert_num_queries):
    event = Event(
        id=1,
        owner_id=metric.owner_id,
        type="measurement.recorded",
        at=timezone.now(),
        data={},
    )
    with django_assert_num_queries(1):
        _queue_deliveries([event])
    with django_assert_num_queries(0):
        _queue_deliveries([Event(id=2, owner_id=metric.owner_id, type="webhook.test")])


def test_an_endpoint_deleted_while_its_delivery_is_sent_ends_it_quietly(metric):
    endpoint, _ = make_endpoint(metric.owner_id, "https://hooks.example.com/in")
    record(metric)
    delivery = Delivery.objects.get(endpoint_id=endpoint.id)

    def send(job):
        Endpoint.objects.filter(id=job.endpoint_id).delete()
        return Sent(ok=True, status_code=200)

    result = deliver(delivery.id, enqueue_at=None, send=send)
    assert result.error.code == "not_found"
    assert not Delivery.objects.filter(id=delivery.id).exists()


def test_an_error_of_ours_while_sending_is_a_failed_attempt_not_a_stuck_delivery(metric):
    endpoint, _ = make_endpoint(metric.owner_id, "https://hooks.example.com/in")
    record(metric)
    delivery = Delivery.objects.get(endpoint_id=endpoint.id)

    def broken_fetch(*args, **kwargs):
        raise UnicodeError("a bug")

    deliver(delivery.id, enqueue_at=None, send=lambda job: sending.send(job, fetch=broken_fetch))
    delivery.refresh_from_db()
    [attempt] = delivery.attempt_log.all()
    assert "error on our side" in attempt.error and not attempt.succeeded
    assert delivery.status == DeliveryStatus.PENDING and delivery.claim == ""
    assert delivery.next_attempt_at is not None
