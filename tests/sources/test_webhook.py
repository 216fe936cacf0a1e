"""Signed webhook deliveries over HTTP: a genuine one is written, a forged, stale or
replayed one is refused, and a malformed one leaves nothing behind."""

import json
import time

import pytest
from django.utils import timezone

from measurements.models import Measurement
from sources.models import RunStatus, SyncRun
from sources.orchestrators import create_webhook_source
from sources.webhooks import signature
from tests.factories import MetricFactory

pytestmark = pytest.mark.django_db

BODY = {
    "measurements": [
        {"id": "w-1", "value": 81.4, "measured_at": "2026-11-25T07:30:00+01:00", "note": "scale"},
        {"id": "w-2", "value": 180, "unit": "lb", "measured_at": "2026-11-26T07:30:00+01:00"},
    ]
}


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


def test_a_signed_delivery_is_written_and_answered_with_counts(client, hook):
    response = deliver(client, *hook, BODY)
    assert response.status_code == 200, response.content
    assert (response.json()["created"], response.json()["rejected"]) == (2, 0)
    stored = Measurement.objects.order_by("external_id")
    assert [str(m.value) for m in stored] == ["81.400000", "81.646627"]
    assert {m.source for m in stored} == {"provider"}
    assert SyncRun.objects.get().mode == "push"


def test_the_same_data_sent_again_in_a_new_delivery_changes_nothing(client, hook):
    deliver(client, *hook, BODY)
    again = deliver(client, *hook, BODY, timestamp=int(time.time()) + 1)
    assert (again.json()["created"], again.json()["unchanged"]) == (0, 2)
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
    assert deliver(client, url, secret, BODY, timestamp=stamp).status_code == 200
    replay = deliver(client, url, secret, BODY, timestamp=stamp)
    assert replay.status_code == 409
    assert Measurement.objects.count() == 2


def test_a_malformed_delivery_leaves_nothing(client, hook):
    response = deliver(client, *hook, {"measurements": "not a list"})
    assert response.status_code == 400
    assert not Measurement.objects.exists()
    assert SyncRun.objects.get().status == RunStatus.COMPENSATED


def test_an_unknown_hook_is_not_found(client, hook):
    _, secret = hook
    assert deliver(client, "/sources/hooks/999999/", secret, BODY).status_code == 404
