"""A value below zero is refused on every channel where its metric cannot have one (a
weight, a distance, a duration, a count), in the metric's unit or another; a
temperature or a balance takes it."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.api.conftest import ApiClient, token_for
from tests.factories import MeasurementFactory, MetricFactory

pytestmark = pytest.mark.django_db

WHEN = "2026-11-20T07:00:00+00:00"


@pytest.fixture
def api(user):
    return ApiClient(token_for(user))


@pytest.fixture
def weight(user):
    return MetricFactory(owner=user, name="Weight", unit="kg")


def fields(response) -> dict[str, str]:
    return {f["field"]: f["message"] for f in response.json()["error"]["fields"]}


@pytest.mark.parametrize(("value", "unit"), [("-80", ""), ("-80", "kg"), ("-180", "lb")])
def test_the_api_refuses_a_negative_weight(api, weight, value, unit):
    response = api.call(
        "post", "measurements", {"metric_id": weight.id, "value": value, "unit": unit}
    )
    assert response.status_code == 422, response.content
    assert fields(response) == {"value": "A weight cannot be negative."}
    assert not weight.measurements.exists()


def test_the_api_takes_a_temperature_below_zero(api, user):
    outside = MetricFactory(owner=user, name="Outside", unit="°C")
    response = api.call("post", "measurements", {"metric_id": outside.id, "value": "-3.5"})
    assert response.status_code == 201, response.content


def test_a_correction_below_zero_is_refused(api, weight):
    stored = MeasurementFactory(metric=weight, value=Decimal("80"))
    response = api.call("patch", f"measurements/{stored.id}", {"value": "-80"})
    assert response.status_code == 422
    stored.refresh_from_db()
    assert stored.value == 80


def test_a_batch_rejects_the_negative_items_alone(api, user, weight):
    workouts = MetricFactory(owner=user, name="Gym", unit="workouts")
    items = [
        {"metric_id": weight.id, "value": "80", "measured_at": WHEN},
        {"metric_id": weight.id, "value": "-80", "measured_at": WHEN},
        {"metric_id": workouts.id, "value": "-1", "measured_at": WHEN},
        {"metric_id": weight.id, "value": "-1", "unit": "lb", "measured_at": WHEN},
    ]
    response = api.call("post", "measurements/batch", {"items": items})
    body = response.json()
    assert (body["created"], body["rejected"]) == (1, 3)
    assert {
        r["index"]: [(f["field"], f["message"]) for f in r["fields"]] for r in body["rejections"]
    } == {
        1: [("value", "A weight cannot be negative.")],
        2: [("value", "A count of workouts cannot be negative.")],
        3: [("value", "A weight cannot be negative.")],
    }


def test_the_edit_form_refuses_it_and_keeps_the_stored_value(signed_in, weight):
    stored = MeasurementFactory(metric=weight, value=Decimal("80"))
    response = signed_in.post(
        reverse("measurements:edit", args=[stored.id]),
        {"value": "-80", "measured_at": "2026-11-20T08:00", "note": ""},
        headers={"HX-Request": "true"},
    )
    assert "A weight cannot be negative." in response.content.decode()
    stored.refresh_from_db()
    assert stored.value == 80
