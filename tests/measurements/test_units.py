"""Values typed with a unit, recorded: what was typed is kept, and a refused entry
writes nothing. The reading itself is tabled in `test_entry_parsing`."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import MetricFactory


@pytest.mark.django_db
def test_recording_in_another_unit_keeps_what_was_typed(signed_in, user):
    metric = MetricFactory(owner=user, unit="kg")
    response = signed_in.post(
        reverse("measurements:record", args=[metric.id]),
        {"value": "180 lb"},
        headers={"HX-Request": "true"},
    )
    assert "Recorded 180 lb (81.6 kg)." in response.content.decode()
    row = metric.measurements.get()
    assert (row.value, row.original_value, row.original_unit) == (
        Decimal("81.646627"),
        Decimal("180"),
        "lb",
    )
    page = signed_in.get(metric.get_absolute_url()).content.decode()
    assert "81.6 kg" in page and "(180 lb)" in page


@pytest.mark.django_db
@pytest.mark.parametrize("entry", ["1 lb", "1e999", "9999999999999"])
def test_a_rejected_entry_writes_nothing(signed_in, user, entry):
    metric = MetricFactory(owner=user, unit="km")
    response = signed_in.post(
        reverse("measurements:record", args=[metric.id]),
        {"value": entry},
        headers={"HX-Request": "true"},
    )
    assert 'role="alert"' in response.content.decode()
    assert not metric.measurements.exists()
