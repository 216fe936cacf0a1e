"""Times round-trip exactly: the database keeps microseconds, so the API gives them
back (Django's own JSON encoder would cut them to milliseconds), in UTC with `Z`."""

import datetime as dt

import pytest

from measurements.models import Measurement
from tests.factories import MetricFactory

pytestmark = pytest.mark.django_db

SENT = "2026-01-05T07:00:00.123456Z"


@pytest.fixture
def metric(owner):
    return MetricFactory(owner=owner, unit="kg")


def test_a_time_with_microseconds_comes_back_as_it_was_sent(api, metric):
    created = api.call(
        "post", "measurements", {"metric_id": metric.id, "value": "80", "measured_at": SENT}
    )
    assert created.status_code == 201, created.content
    assert created.json()["measured_at"] == SENT
    measurement_id = created.json()["id"]
    stored = Measurement.objects.get(id=measurement_id)
    assert stored.measured_at == dt.datetime(2026, 1, 5, 7, 0, 0, 123456, tzinfo=dt.UTC)

    assert api.call("get", f"measurements/{measurement_id}").json()["measured_at"] == SENT
    listed = api.call("get", "measurements", data={"metric_id": metric.id}).json()["items"]
    assert [item["measured_at"] for item in listed] == [SENT]


def test_another_offset_comes_back_as_the_same_instant_in_utc(api, metric):
    body = {
        "metric_id": metric.id,
        "value": "80",
        "measured_at": "2026-01-05T08:00:00.000001+01:00",
    }
    created = api.call("post", "measurements", body)
    assert created.json()["measured_at"] == "2026-01-05T07:00:00.000001Z"


def test_stamps_the_server_sets_keep_their_microseconds(api, metric):
    created = api.call("post", "measurements", {"metric_id": metric.id, "value": "80"}).json()
    stored = Measurement.objects.get(id=created["id"])
    for field in ("measured_at", "created", "updated"):
        assert dt.datetime.fromisoformat(created[field]) == getattr(stored, field), field


def test_a_correction_and_a_batch_keep_microseconds_too(api, metric):
    created = api.call("post", "measurements", {"metric_id": metric.id, "value": "80"}).json()
    patched = api.call(
        "patch", f"measurements/{created['id']}", {"measured_at": "2026-01-04T06:30:15.999999Z"}
    )
    assert patched.json()["measured_at"] == "2026-01-04T06:30:15.999999Z"

    batch = {
        "items": [{"metric_id": metric.id, "value": 81, "measured_at": "2026-01-03T00:00:00.5Z"}]
    }
    written = api.call("post", "measurements/batch", batch).json()["items"][0]
    assert api.call("get", f"measurements/{written['id']}").json()["measured_at"] == (
        "2026-01-03T00:00:00.500000Z"
    )


def test_a_whole_second_has_no_fraction(api, metric):
    created = api.call(
        "post",
        "measurements",
        {"metric_id": metric.id, "value": "80", "measured_at": "2026-01-05T07:00:00Z"},
    )
    assert created.json()["measured_at"] == "2026-01-05T07:00:00Z"
