"""Signed webhook deliveries over HTTP: a genuine one is acknowledged (202) and
written by the worker, a forged, stale or replayed one is refused, and a malformed
one leaves nothing behind. The worker's part runs here in-process
(`tests/security/test_webhooks.py` has a real worker process)."""

import json
import time

import pytest
from django.utils import timezone

from measurements.models import Measurement
from sources.models import RunStatus, SyncRun
from sources.orchestrators import create_webhook_source, sync
from sources.tasks import open_stored_upload
from sources.webhooks import signature
from tests.factories import MetricFactory

pytestmark = pytest.mark.django_db

BODY = {
    "measurements": [
        {"id": "w-1", "value": 81.4, "measured_at": "2026-11-25T07:30:00+01:00", "note": "scale"},
        {"id": "w-2", "value": 180, "unit": "lb", "measured_at": "2026-11-26T07:30:00+01:00"},
    ]
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def hook():
    metric = MetricFactory(unit="kg")
    made = create_webhook_source(
        actor_id=metric.owner_id, name="Scale", metric_id=metric.id, now=timezone.now()
    ).unwrap()
    return f"/sources/hooks/{made['source_id']}/", made["secret"]


def deliver(client, url, secret, body, *, timestamp=None, signed_with=None):
    raw = json.dumps(body).encode()
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    headers = {
        "X-Goaltrack-Timestamp": stamp,
        "X-Goaltrack-Signature": signature(signed_with or secret, stamp, raw),
    }
    return client.post(url, raw, content_type="application/json", headers=headers)


def written(response):
    """The delivery's run, once the worker has run it."""
    assert response.status_code == 202, response.content
    sync(response.json()["run"], open_upload=open_stored_upload)
    return SyncRun.objects.get(id=response.json()["run"])


def test_a_signed_delivery_is_acknowledged_then_written(client, hook):
    response = deliver(client, *hook, BODY)
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"
    assert not Measurement.objects.exists()
    run = written(response)
    assert (run.status, run.created_count, run.rejected_count) == (RunStatus.SUCCEEDED, 2, 0)
    stored = Measurement.objects.order_by("external_id")
    assert [str(m.value) for m in stored] == ["81.400000", "81.646627"]
    assert {m.source for m in stored} == {"provider"}
    assert SyncRun.objects.get().mode == "push"


def test_the_same_data_sent_again_in_a_new_delivery_changes_nothing(client, hook):
    written(deliver(client, *hook, BODY))
    again = written(deliver(client, *hook, BODY, timestamp=int(time.time()) + 1))
    assert (again.created_count, again.unchanged_count) == (0, 2)
    assert Measurement.objects.count() == 2


def test_a_forged_signature_is_refused(client, hook):
    response = deliver(client, *hook, BODY, signed_with="not-the-secret")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert not Measurement.objects.exists()


def test_a_stale_delivery_is_refused(client, hook):
    response = deliver(client, *hook, BODY, timestamp=int(time.time()) - 600)
    assert response.status_code == 400 and "stale" in response.json()["error"]["message"]


def test_a_replayed_delivery_is_refused(client, hook):
    url, secret = hook
    stamp = int(time.time())
    written(deliver(client, url, secret, BODY, timestamp=stamp))
    replay = deliver(client, url, secret, BODY, timestamp=stamp)
    assert replay.status_code == 409
    assert replay.json()["error"]["code"] == "conflict"
    assert Measurement.objects.count() == 2


def test_a_malformed_delivery_leaves_nothing(client, hook):
    run = written(deliver(client, *hook, {"measurements": "not a list"}))
    assert not Measurement.objects.exists()
    assert run.status == RunStatus.COMPENSATED
    assert run.can_retry


def test_an_unknown_hook_is_not_found(client, hook):
    _, secret = hook
    assert deliver(client, "/sources/hooks/999999/", secret, BODY).status_code == 404
