"""Metrics and measurements through the JSON API: the same orchestrators as the pages,
values in any compatible unit, cursor pages, and another user's objects not found."""

from decimal import Decimal

import pytest

from audit.models import AuditEntry
from measurements.models import Measurement
from tests.factories import MeasurementFactory, MetricFactory

pytestmark = pytest.mark.django_db


def test_a_metric_is_created_listed_renamed_and_deleted(api):
    created = api.call("post", "metrics", {"name": "Weight", "unit": "kg"})
    assert created.status_code == 201, created.content
    metric_id = created.json()["id"]
    assert [m["name"] for m in api.call("get", "metrics").json()] == ["Weight"]
    renamed = api.call("patch", f"metrics/{metric_id}", {"name": "Body weight"})
    assert renamed.json()["name"] == "Body weight"
    assert api.call("delete", f"metrics/{metric_id}").status_code == 204
    assert api.call("get", f"metrics/{metric_id}").status_code == 404


def test_a_measurement_in_another_unit_is_converted_and_audited_as_api(api, owner):
    metric = MetricFactory(owner=owner, unit="kg")
    response = api.call(
        "post",
        "measurements",
        {"metric_id": metric.id, "value": 180, "unit": "lb", "measured_at": "2026-11-25T07:30:00Z"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["value"], body["unit"], body["original_value"], body["original_unit"]) == (
        "81.646627",
        "kg",
        "180",
        "lb",
    )
    assert body["source"] == "api"
    assert AuditEntry.objects.get().channel == "api"


def test_the_answer_to_a_post_is_the_measurement_as_a_later_read_shows_it(api, owner):
    """The answer is built from the write, not read back: it must not differ from a
    read in any field, a time sent with an offset included."""
    metric = MetricFactory(owner=owner, unit="kg")
    posted = api.call(
        "post",
        "measurements",
        {
            "metric_id": metric.id,
            "value": "81.40",
            "measured_at": "2026-11-25T09:30:00.250+02:00",
            "note": "after the run",
            "external_id": "scale-7",
        },
    ).json()
    listed = api.call("get", f"measurements?metric_id={metric.id}").json()["items"]
    assert posted == {**listed[0], "outside_goals": []}
    assert posted["measured_at"].startswith("2026-11-25T07:30:00.25")


def test_pages_follow_the_cursor_without_gaps(api, owner):
    metric = MetricFactory(owner=owner)
    made = MeasurementFactory.create_batch(5, metric=metric)
    seen, cursor = [], None
    while True:
        query = {"metric_id": metric.id, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.call("get", "measurements", data=query).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(m.id for m in made) and len(seen) == 5


def test_a_measurement_is_corrected_and_deleted(api, owner):
    measurement = MeasurementFactory(metric=MetricFactory(owner=owner), value=Decimal(80))
    patched = api.call("patch", f"measurements/{measurement.id}", {"note": "after the run"})
    assert patched.json()["note"] == "after the run" and patched.json()["value"] == "80"
    assert api.call("delete", f"measurements/{measurement.id}").status_code == 204
    assert not Measurement.objects.exists()


def test_another_users_objects_are_not_found(api, stranger_api, owner):
    metric = MetricFactory(owner=owner)
    measurement = MeasurementFactory(metric=metric)
    for method, path, body in [
        ("get", f"metrics/{metric.id}", None),
        ("patch", f"metrics/{metric.id}", {"name": "Mine now"}),
        ("delete", f"metrics/{metric.id}", None),
        ("get", f"measurements/{measurement.id}", None),
        ("patch", f"measurements/{measurement.id}", {"note": "x"}),
        ("delete", f"measurements/{measurement.id}", None),
    ]:
        response = stranger_api.call(method, path, body)
        assert response.status_code == 404, (method, path, response.content)
        assert response.json()["error"]["code"] == "not_found"
    recorded = stranger_api.call("post", "measurements", {"metric_id": metric.id, "value": 1})
    assert recorded.status_code == 404
    assert Measurement.objects.count() == 1
