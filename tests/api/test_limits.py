"""The API's limits: the body size (413, checked before anything else), JSON only
(415), the rate limit per token or per signed-in user (429 with Retry-After, a window
that opens with the first request, shared by every process), and the Idempotency-Key's
own bounds."""

import json

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client, override_settings

from api import limits
from measurements.contracts import MAX_BATCH
from measurements.models import Measurement, Metric
from tests.api.conftest import ApiClient, token_for
from tests.factories import MetricFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache(db):
    cache.clear()
    limits.reset_local()
    yield
    cache.clear()
    limits.reset_local()


@pytest.fixture
def metric(owner):
    return MetricFactory(owner=owner, unit="kg")


def body_of_size(metric, size: int) -> bytes:
    """A valid measurement body of exactly `size` bytes (padded in the note)."""
    empty = json.dumps({"metric_id": metric.id, "value": 80, "note": ""}).encode()
    padded = json.dumps({"metric_id": metric.id, "value": 80, "note": "n" * (size - len(empty))})
    assert len(padded.encode()) == size
    return padded.encode()


def post_raw(client, path, body: bytes, content_type="application/json", **extra):
    return client.generic("POST", f"/api/v1/{path}", body, content_type=content_type, **extra)


def error_code(response) -> str:
    assert response["Content-Type"].startswith("application/json"), response.content
    error = response.json()["error"]
    assert error["correlation_id"] == response["X-Request-ID"]
    return error["code"]


# Body size


@override_settings(API_MAX_BODY_BYTES=300)
def test_a_body_of_exactly_the_limit_is_taken(api, metric):
    response = post_raw(api, "measurements", body_of_size(metric, 300))
    assert response.status_code == 201, response.content


@override_settings(API_MAX_BODY_BYTES=300)
def test_one_byte_over_the_limit_is_a_413(api, metric):
    response = post_raw(api, "measurements", body_of_size(metric, 301))
    assert response.status_code == 413
    assert error_code(response) == "payload_too_large"
    assert "301" in response.json()["error"]["message"]
    assert not Measurement.objects.exists()


@override_settings(API_MAX_BODY_BYTES=300)
@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_the_limit_holds_for_every_method_with_a_body(api, metric, method):
    response = api.generic(method, f"/api/v1/metrics/{metric.id}", b"{" + b" " * 400 + b"}")
    assert response.status_code == 413


@override_settings(API_MAX_BODY_BYTES=300)
def test_the_size_is_checked_before_the_media_type_and_the_token(db):
    response = post_raw(Client(), "measurements", b"x" * 400, content_type="text/plain")
    assert response.status_code == 413
    assert error_code(response) == "payload_too_large"


@override_settings(API_MAX_BODY_BYTES=300, API_RATE_LIMIT="2/m")
def test_a_refused_body_does_not_count_against_the_rate_limit(api, metric):
    for _ in range(3):
        assert post_raw(api, "measurements", body_of_size(metric, 400)).status_code == 413
    assert api.call("get", "metrics").status_code == 200
    assert api.call("get", "metrics").status_code == 200
    assert api.call("get", "metrics").status_code == 429


def test_a_content_length_that_is_not_a_number_is_a_400(api, metric):
    response = post_raw(api, "measurements", b"{}", CONTENT_LENGTH="lots")
    assert response.status_code == 400
    assert error_code(response) == "bad_request"


def test_a_full_batch_fits_in_the_default_body_limit(metric):
    item = {
        "metric_id": metric.id,
        "value": "81.123456",
        "unit": "kg",
        "measured_at": "2026-01-05T07:00:00.123456+01:00",
        "note": "morning, after the run",
        "external_id": "scale-2026-01-05-070000-000001",
    }
    size = len(json.dumps({"items": [item] * MAX_BATCH}).encode())
    assert size < settings.API_MAX_BODY_BYTES


def test_the_body_limit_and_djangos_upload_limit_agree():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE >= settings.API_MAX_BODY_BYTES


# Media type


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded",
        "text/plain",
        "text/json",
        "application/xml",
        "application/vnd.api+json",
    ],
)
def test_only_json_is_taken(api, metric, content_type):
    body = json.dumps({"metric_id": metric.id, "value": 80}).encode()
    response = post_raw(api, "measurements", body, content_type=content_type)
    assert response.status_code == 415, response.content
    assert error_code(response) == "unsupported_media_type"
    assert not Measurement.objects.exists()


def test_a_bodyless_delete_needs_no_media_type(api, metric):
    response = api.generic("DELETE", f"/api/v1/metrics/{metric.id}", b"", content_type="")
    assert response.status_code == 204


# Rate limit


@override_settings(API_RATE_LIMIT="3/m")
def test_the_fourth_request_in_a_minute_is_a_429(api):
    statuses = [api.call("get", "metrics").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


@override_settings(API_RATE_LIMIT="3/m")
def test_retry_after_says_when_the_window_opens(api):
    for _ in range(3):
        api.call("get", "metrics")
    response = api.call("get", "metrics")
    assert response.status_code == 429
    assert error_code(response) == "rate_limited"
    assert 55 <= int(response["Retry-After"]) <= 60


@override_settings(API_RATE_LIMIT="3/m")
def test_writes_count_and_a_refused_write_writes_nothing(api):
    for n in range(3):
        assert api.call("post", "metrics", {"name": f"M{n}", "unit": "kg"}).status_code == 201
    refused = api.call("post", "metrics", {"name": "M3", "unit": "kg"})
    assert refused.status_code == 429
    assert Metric.objects.count() == 3


@override_settings(API_RATE_LIMIT="3/m")
def test_the_window_closes(api, monkeypatch):
    for _ in range(3):
        assert api.call("get", "metrics").status_code == 200
    assert api.call("get", "metrics").status_code == 429
    later = limits.clock() + 61
    monkeypatch.setattr(limits, "clock", lambda: later)
    assert api.call("get", "metrics").status_code == 200


@override_settings(API_RATE_LIMIT="3/m")
def test_each_token_and_each_user_has_its_own_window(api, owner, stranger_api):
    second_token = ApiClient(token_for(owner))
    for _ in range(3):
        api.call("get", "metrics")
    assert api.call("get", "metrics").status_code == 429
    assert stranger_api.call("get", "metrics").status_code == 200
    assert second_token.call("get", "metrics").status_code == 200


@override_settings(API_RATE_LIMIT="3/m")
def test_a_signed_in_session_is_limited_per_user(owner):
    client = Client()
    client.force_login(owner)
    statuses = [client.get("/api/v1/metrics").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert error_code(client.get("/api/v1/metrics")) == "rate_limited"


@override_settings(API_RATE_LIMIT="3/m")
def test_replays_count_too(api, metric):
    body = {"metric_id": metric.id, "value": 80}
    headers = {"Idempotency-Key": "k"}
    statuses = [
        api.call("post", "measurements", body, headers=headers).status_code for _ in range(4)
    ]
    assert statuses == [201, 201, 201, 429]
    assert Measurement.objects.count() == 1


@override_settings(API_RATE_LIMIT="3/m", API_RATE_LIMIT_SYNC_REQUESTS=1)
def test_the_window_is_shared_by_every_process(api):
    """A process that has not counted this client yet (here: this one, having forgotten
    its own windows) learns the requests the others let through from the cache."""
    api.call("get", "metrics")
    api.call("get", "metrics")
    limits.reset_local()
    assert api.call("get", "metrics").status_code == 200
    assert api.call("get", "metrics").status_code == 429


# Idempotency-Key bounds


@pytest.mark.parametrize(
    ("key", "status"),
    [
        ("k", 201),
        ("k" * 255, 201),
        ("k" * 256, 400),
        ("", 400),
        ("bad\x01key", 400),
    ],
)
def test_idempotency_key_bounds(api, metric, key, status):
    response = api.call(
        "post",
        "measurements",
        {"metric_id": metric.id, "value": 80},
        headers={"Idempotency-Key": key},
    )
    assert response.status_code == status, response.content
    if status == 400:
        error = response.json()["error"]
        assert error["code"] == "bad_request"
        assert [field["field"] for field in error["fields"]] == ["Idempotency-Key"]
        assert not Measurement.objects.exists()
