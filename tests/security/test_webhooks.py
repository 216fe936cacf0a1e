"""Hostile webhook deliveries over real HTTP (the live server on loopback): odd
timestamps, oversize bodies and floods are refused in the JSON error shape with
nothing written; a genuine delivery is acknowledged with 202 and written by a real
worker process."""

import json
import time
import urllib.error
import urllib.request

import pytest
from django.core.cache import cache
from django.utils import timezone

from measurements.models import Measurement
from sources.models import RunStatus, SyncRun
from sources.orchestrators import create_webhook_source
from sources.webhooks import signature
from tests.factories import MetricFactory
from tests.processes import run_queued

pytestmark = pytest.mark.django_db(transaction=True)

BODY = json.dumps(
    {"measurements": [{"id": "w-1", "value": 81.4, "measured_at": "2026-11-25T07:30:00+01:00"}]}
).encode()


@pytest.fixture(autouse=True)
def isolated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def hook(live_server):
    metric = MetricFactory(unit="kg")
    made = create_webhook_source(
        actor_id=metric.owner_id, name="Scale", metric_id=metric.id, now=timezone.now()
    ).unwrap()
    return f"{live_server.url}/sources/hooks/{made['source_id']}/", made["secret"]


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict, dict]:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as refused:
        raw = refused.read()
        assert refused.headers.get("Content-Type", "").startswith("application/json"), raw[:200]
        return refused.code, dict(refused.headers), json.loads(raw)


def signed(url: str, secret: str, body: bytes = BODY, stamp: str | None = None):
    stamp = stamp if stamp is not None else str(int(time.time()))
    headers = {
        "X-Goaltrack-Timestamp": stamp,
        "X-Goaltrack-Signature": signature(secret, stamp, body),
    }
    return post(url, body, headers)


def assert_error_shape(payload: dict, code: str) -> None:
    error = payload["error"]
    assert error["code"] == code
    assert error["message"] and error["phase"] and error["correlation_id"]


def assert_nothing_written() -> None:
    assert not Measurement.objects.exists()
    assert not SyncRun.objects.exists()


@pytest.mark.parametrize(
    "stamp",
    [
        pytest.param("99999999999999999999", id="huge"),
        pytest.param("9" * 400, id="hundreds-of-digits"),
        pytest.param("99999999999", id="far-future-in-bounds"),
        pytest.param("0", id="epoch"),
        pytest.param("-1764140000", id="negative"),
        pytest.param("1764140000.5", id="fraction"),
        pytest.param("1e10", id="exponent"),
        pytest.param("¹²³", id="superscript-digits-isdigit-but-not-int"),
        pytest.param("1764140000x", id="trailing-letter"),
        pytest.param("now", id="word"),
    ],
)
def test_an_odd_timestamp_is_a_400_in_the_error_shape(hook, stamp):
    url, secret = hook
    status, _, payload = signed(url, secret, stamp=stamp)
    assert status == 400, payload
    assert_error_shape(payload, "bad_request")
    assert_nothing_written()


def test_a_body_over_the_limit_is_a_413_in_the_error_shape(hook, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 64 * 1024
    url, secret = hook
    status, _, payload = signed(url, secret, body=b" " * (64 * 1024 + 1))
    assert status == 413, payload
    assert_error_shape(payload, "payload_too_large")
    assert_nothing_written()


def test_a_body_over_djangos_own_limit_is_a_413_too(hook, settings):
    """Above DATA_UPLOAD_MAX_MEMORY_SIZE, Django would answer an HTML 400."""
    url, secret = hook
    too_big = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1
    settings.WEBHOOK_MAX_BODY_BYTES = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    status, _, payload = signed(url, secret, body=b" " * too_big)
    assert status == 413, payload
    assert_error_shape(payload, "payload_too_large")
    assert_nothing_written()


def test_a_flood_is_a_429_with_retry_after(hook, settings):
    settings.WEBHOOK_RATE_LIMIT = "3/m"
    url, secret = hook
    answers = [signed(url, secret, stamp=str(int(time.time()) + n))[0] for n in range(3)]
    assert answers == [202, 202, 202]
    status, headers, payload = signed(url, secret, stamp=str(int(time.time()) + 3))
    assert status == 429, payload
    assert_error_shape(payload, "rate_limited")
    assert 1 <= int(headers["Retry-After"]) <= 60
    assert SyncRun.objects.count() == 3


def test_unsigned_deliveries_do_not_use_up_the_allowance(hook, settings):
    """Anyone may post to the URL; only genuine deliveries count against the limit."""
    settings.WEBHOOK_RATE_LIMIT = "2/m"
    url, secret = hook
    stamp = str(int(time.time()))
    forged = {"X-Goaltrack-Timestamp": stamp, "X-Goaltrack-Signature": "sha256=" + "0" * 64}
    assert [post(url, BODY, forged)[0] for _ in range(5)] == [401] * 5
    assert signed(url, secret)[0] == 202
    assert SyncRun.objects.count() == 1


def test_a_delivery_is_acknowledged_and_written_by_the_worker_process(hook, tmp_path):
    url, secret = hook
    started = time.monotonic()
    status, _, payload = signed(url, secret)
    acknowledged = time.monotonic() - started
    assert status == 202, payload
    assert payload["status"] == "queued"
    run = SyncRun.objects.get(id=payload["run"])
    assert (run.status, run.mode) == (RunStatus.QUEUED, "push")
    assert not Measurement.objects.exists()

    worker = run_queued(media_root=tmp_path, TASKS_BACKEND="database")
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, (run.error_message, worker.stderr[-2000:])
    assert list(Measurement.objects.values_list("external_id", flat=True)) == ["w-1"]
    assert acknowledged < 5
