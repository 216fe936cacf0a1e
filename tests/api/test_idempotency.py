"""`Idempotency-Key`: a POST sent again with the same key gets the first answer back
and does nothing new; the same key with another body is refused; keys are per user,
live 24 hours, and are not spent by a 5xx. Two requests racing with one key write once,
on PostgreSQL and on SQLite, each on its own connection. A request that died holds the
key for its lease only; then a resend takes the key over, and writes once."""

import datetime as dt
import threading
import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api import idempotency
from api.models import IdempotencyRecord
from audit.models import AuditEntry
from measurements import api as measurements_api
from measurements.models import Measurement, Metric
from tests.api.conftest import ApiClient, token_for
from tests.factories import MetricFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache")]


@pytest.fixture
def metric(owner):
    return MetricFactory(owner=owner, unit="kg")


def reading(metric, value=80, **extra) -> dict:
    return {"metric_id": metric.id, "value": value, "measured_at": "2026-01-05T07:00:00Z", **extra}


def post(client, body, key: str | None = "key-1", path="measurements"):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.call("post", path, body, headers=headers)


def test_a_replay_returns_the_first_response_and_creates_nothing(api, metric):
    first = post(api, reading(metric))
    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first
    audit_before = AuditEntry.objects.count()

    again = post(api, reading(metric))
    assert again.status_code == 201
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert again["Idempotent-Replayed"] == "true"
    assert Measurement.objects.count() == 1
    assert AuditEntry.objects.count() == audit_before


def test_a_replay_is_the_same_for_many_retries(api, metric):
    first = post(api, reading(metric))
    for _ in range(3):
        again = post(api, reading(metric))
        assert (again.status_code, again.content) == (first.status_code, first.content)
    assert Measurement.objects.count() == 1


def test_without_a_key_each_post_creates(api, metric):
    assert post(api, reading(metric), key=None).status_code == 201
    assert post(api, reading(metric), key=None).status_code == 201
    assert Measurement.objects.count() == 2


def test_different_keys_each_create(api, metric):
    assert post(api, reading(metric), key="key-a").status_code == 201
    assert post(api, reading(metric), key="key-b").status_code == 201
    assert Measurement.objects.count() == 2


def test_the_same_key_with_another_body_is_a_422(api, metric):
    assert post(api, reading(metric, 80)).status_code == 201
    response = post(api, reading(metric, 81))
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert [field["field"] for field in error["fields"]] == ["Idempotency-Key"]
    assert error["correlation_id"] == response["X-Request-ID"]
    assert "Idempotent-Replayed" not in response
    assert list(Measurement.objects.values_list("value", flat=True)) == [80]


def test_the_same_key_on_another_route_is_a_422(api, metric):
    body = {"name": "Steps", "unit": "steps"}
    assert post(api, body, path="metrics").status_code == 201
    response = post(api, body, path="measurements")
    assert response.status_code == 422, response.content
    assert Metric.objects.filter(name="Steps").count() == 1


def test_a_first_answer_that_was_an_error_is_replayed_too(api, metric):
    """A validation error is a final answer: the replay is the same 422, not a retry."""
    bad = reading(metric, "NaN")
    first = post(api, bad)
    assert first.status_code == 422
    again = post(api, bad)
    assert (again.status_code, again.content) == (422, first.content)
    assert again["Idempotent-Replayed"] == "true"
    assert not Measurement.objects.exists()


def test_keys_are_per_user(api, metric):
    stranger = UserFactory()
    theirs = MetricFactory(owner=stranger, unit="kg")
    mine = post(api, reading(metric))
    other = post(ApiClient(token_for(stranger)), reading(theirs))
    assert mine.status_code == 201 and other.status_code == 201, other.content
    assert "Idempotent-Replayed" not in other
    assert mine.json()["id"] != other.json()["id"]
    assert Measurement.objects.filter(metric=metric).count() == 1
    assert Measurement.objects.filter(metric=theirs).count() == 1
    assert IdempotencyRecord.objects.filter(key="key-1").count() == 2


def test_another_user_cannot_read_a_response_through_a_shared_key(api, stranger_api, metric):
    """Even with the very same body, a second user's request is theirs: it is not a
    replay of the first user's answer (their metric id is not found)."""
    first = post(api, reading(metric))
    assert first.status_code == 201
    response = post(stranger_api, reading(metric))
    assert response.status_code == 404, response.content
    assert "Idempotent-Replayed" not in response
    assert Measurement.objects.count() == 1


def test_an_expired_key_is_forgotten(api, metric):
    assert post(api, reading(metric)).status_code == 201
    past = timezone.now() - dt.timedelta(seconds=1)
    IdempotencyRecord.objects.update(created=past - dt.timedelta(hours=24), expires=past)

    again = post(api, reading(metric))
    assert again.status_code == 201, again.content
    assert "Idempotent-Replayed" not in again
    assert Measurement.objects.count() == 2
    record = IdempotencyRecord.objects.get()
    assert record.expires > timezone.now() + dt.timedelta(hours=23)


def test_an_expired_key_may_carry_another_body(api, metric):
    assert post(api, reading(metric, 80)).status_code == 201
    IdempotencyRecord.objects.update(expires=timezone.now() - dt.timedelta(minutes=1))
    assert post(api, reading(metric, 81)).status_code == 201


def test_a_key_lives_24_hours(api, metric):
    before = timezone.now()
    post(api, reading(metric))
    record = IdempotencyRecord.objects.get()
    assert record.state == IdempotencyRecord.State.DONE and record.status == 201
    lifetime = record.expires - record.created
    assert lifetime == dt.timedelta(hours=24)
    assert record.created >= before


def test_a_5xx_is_not_stored_so_the_client_can_retry(api, metric, monkeypatch):
    real = measurements_api.record_measurement
    calls = []

    def fails_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(measurements_api, "record_measurement", fails_once)
    failed = post(api, reading(metric))
    assert failed.status_code == 500
    assert not IdempotencyRecord.objects.exists()

    retried = post(api, reading(metric))
    assert retried.status_code == 201, retried.content
    assert "Idempotent-Replayed" not in retried
    assert Measurement.objects.count() == 1


def test_a_get_ignores_the_key(api, metric):
    for _ in range(2):
        response = api.call("get", "metrics", headers={"Idempotency-Key": "key-1"})
        assert response.status_code == 200 and "Idempotent-Replayed" not in response
    assert not IdempotencyRecord.objects.exists()


def test_the_replay_of_a_batch_does_not_count_twice(api, metric):
    body = {"items": [reading(metric, 80, external_id="a"), reading(metric, 81)]}
    first = post(api, body, path="measurements/batch")
    assert first.status_code == 200, first.content
    assert first.json()["created"] == 2
    again = post(api, body, path="measurements/batch")
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert Measurement.objects.count() == 2


# Two requests with the same key at the same moment


@pytest.mark.django_db(transaction=True)
def test_two_racing_requests_with_one_key_write_once(owner, monkeypatch):
    metric = MetricFactory(owner=owner, unit="kg")
    secret = token_for(owner)
    real = measurements_api.record_measurement

    def slow(*args, **kwargs):
        time.sleep(0.2)
        return real(*args, **kwargs)

    monkeypatch.setattr(measurements_api, "record_measurement", slow)
    body = reading(metric)
    barrier = threading.Barrier(2)
    responses, failures = [], []

    def send():
        try:
            client = ApiClient(secret)
            barrier.wait(timeout=10)
            responses.append(post(client, body, key="race-1"))
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not failures, failures
    assert len(responses) == 2

    assert Measurement.objects.filter(metric=metric).count() == 1
    statuses = sorted(response.status_code for response in responses)
    assert statuses in ([201, 201], [201, 409]), [r.content for r in responses]
    first = next(r for r in responses if "Idempotent-Replayed" not in r and r.status_code == 201)
    other = next(r for r in responses if r is not first)
    if other.status_code == 201:
        assert other["Idempotent-Replayed"] == "true"
        assert other.content == first.content
    else:
        error = other.json()["error"]
        assert error["code"] == "conflict" and error["correlation_id"] == other["X-Request-ID"]
    measurement = Measurement.objects.get(metric=metric)
    assert first.json()["id"] == measurement.id
    assert AuditEntry.objects.filter(subject_type="measurement").count() == 1
    record = IdempotencyRecord.objects.get(key="race-1")
    assert record.state == IdempotencyRecord.State.DONE and record.status == 201

    # and once the first has finished, a retry is a plain replay
    late = post(ApiClient(secret), body, key="race-1")
    assert late.status_code == 201 and late["Idempotent-Replayed"] == "true"
    assert late.content == first.content
    cache.clear()


@pytest.mark.django_db(transaction=True)
def test_racing_requests_with_different_keys_both_write(owner, monkeypatch):
    metric = MetricFactory(owner=owner, unit="kg")
    secret = token_for(owner)
    barrier = threading.Barrier(2)
    responses = []

    def send(key):
        try:
            client = ApiClient(secret)
            barrier.wait(timeout=10)
            responses.append(post(client, reading(metric), key=key))
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(f"key-{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(r.status_code for r in responses) == [201, 201]
    assert Measurement.objects.filter(metric=metric).count() == 2
    cache.clear()


def test_a_session_post_refused_for_its_csrf_token_does_not_spend_the_key(owner, metric):
    """A request the API never let in (403: no CSRF token) is no answer to replay: the
    same request sent again properly, with the same key, is done."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    headers = {"Idempotency-Key": "form-1"}
    refused = client.post(
        "/api/v1/measurements", reading(metric), content_type="application/json", headers=headers
    )
    assert refused.status_code == 403

    assert client.get(reverse("accounts:api_tokens")).status_code == 200
    csrf = client.cookies["csrftoken"].value
    accepted = client.post(
        "/api/v1/measurements",
        reading(metric),
        content_type="application/json",
        headers={**headers, "X-CSRFToken": csrf},
    )
    assert accepted.status_code == 201, accepted.content
    assert Measurement.objects.count() == 1


# A request that died: its claim is a lease


def dies_once(monkeypatch):
    """The first call ends the process the way gunicorn ends a worker past its
    timeout (SystemExit), so the middleware never stores an answer."""
    real = measurements_api.record_measurement
    calls = []

    def record(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise SystemExit(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(measurements_api, "record_measurement", record)


def test_a_claim_holds_a_lease_of_the_configured_length(api, metric, settings, monkeypatch):
    settings.IDEMPOTENCY_LEASE_SECONDS = 7
    dies_once(monkeypatch)
    with pytest.raises(SystemExit):
        post(api, reading(metric))
    record = IdempotencyRecord.objects.get()
    assert record.state == IdempotencyRecord.State.RUNNING
    assert record.lease_until - record.created == dt.timedelta(seconds=7)
    assert record.expires - record.created == dt.timedelta(hours=24)


def test_a_resend_within_the_lease_of_a_dead_request_is_a_409(api, metric, monkeypatch):
    dies_once(monkeypatch)
    with pytest.raises(SystemExit):
        post(api, reading(metric))
    response = post(api, reading(metric))
    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "conflict"
    assert not Measurement.objects.exists()


def test_after_the_lease_a_resend_takes_the_key_over_and_writes_once(api, metric, monkeypatch):
    dies_once(monkeypatch)
    with pytest.raises(SystemExit):
        post(api, reading(metric))
    IdempotencyRecord.objects.update(lease_until=timezone.now() - dt.timedelta(seconds=1))

    taken_over = post(api, reading(metric))
    assert taken_over.status_code == 201, taken_over.content
    assert "Idempotent-Replayed" not in taken_over
    again = post(api, reading(metric))
    assert again["Idempotent-Replayed"] == "true" and again.content == taken_over.content
    assert Measurement.objects.count() == 1
    record = IdempotencyRecord.objects.get()
    assert (record.state, record.status, record.lease_until) == ("done", 201, None)


def test_an_expired_lease_does_not_let_another_body_in(api, metric, monkeypatch):
    dies_once(monkeypatch)
    with pytest.raises(SystemExit):
        post(api, reading(metric, 80))
    IdempotencyRecord.objects.update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert post(api, reading(metric, 81)).status_code == 422
    assert not Measurement.objects.exists()


def claim_at(when: dt.datetime, user_id: int):
    return idempotency.claim(user_id=user_id, key="k", request_print="print", now=when)


def test_of_two_takeovers_at_once_one_wins(owner):
    start = timezone.now()
    assert isinstance(claim_at(start, owner.id), idempotency.Claimed)
    later = start + idempotency.lease_length()
    outcomes = [claim_at(later, owner.id), claim_at(later, owner.id)]
    assert [type(outcome) for outcome in outcomes] == [idempotency.Claimed, idempotency.Running]


def test_a_request_that_lost_its_lease_stores_nothing(owner):
    start = timezone.now()
    late = claim_at(start, owner.id)
    taker = claim_at(start + idempotency.lease_length(), owner.id)
    idempotency.complete(late, HttpResponse(b"late", status=201))
    assert IdempotencyRecord.objects.get().state == IdempotencyRecord.State.RUNNING
    idempotency.complete(taker, HttpResponse(b"taker", status=201))
    record = IdempotencyRecord.objects.get()
    assert (record.state, bytes(record.body)) == ("done", b"taker")


def test_purge_forgets_only_expired_keys(owner):
    now = timezone.now()
    claim_at(now - idempotency.LIFETIME, owner.id)
    idempotency.claim(user_id=owner.id, key="fresh", request_print="print", now=now)
    assert idempotency.purge_expired(now=now) == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]
