"""Values typed with a unit, read into the metric's unit: the conversion table and
the rejections."""

from decimal import Decimal

import pytest
from django.urls import reverse

from measurements.units import UnitError, read
from tests.factories import MetricFactory


@pytest.mark.parametrize(
    ("entry", "metric_unit", "value", "original"),
    [
        ("81.4", "kg", "81.4", None),
        ("81,4", "kg", "81.4", None),
        (" 81.4 kg ", "kg", "81.4", None),
        ("81.4 KG", "kg", "81.4", None),
        ("180 lb", "kg", "81.646627", ("180", "lb")),
        ("5 mi", "km", "8.046720", ("5", "mi")),
        ("10000 m", "km", "10.000000", ("10000", "m")),
        ("45 min", "h", "0.750000", ("45", "min")),
        ("90 minutes", "hours", "1.500000", ("90", "minutes")),
        ("-3.5", "°C", "-3.5", None),
        ("3", "workouts", "3", None),
        ("3 workouts", "workouts", "3", None),
        (".5", "cups", ".5", None),
    ],
)
def test_readings(entry, metric_unit, value, original):
    reading = read(entry, metric_unit)
    assert reading.value == Decimal(value)
    if original is None:
        assert (reading.original_value, reading.original_unit) == (None, "")
    else:
        assert (reading.original_value, reading.original_unit) == (
            Decimal(original[0]),
            original[1],
        )


@pytest.mark.parametrize(
    ("entry", "metric_unit", "message"),
    [
        ("eighty", "kg", "Enter a number, optionally with a unit"),
        ("", "kg", "Enter a number"),
        ("NaN", "kg", "Enter a number"),
        ("inf", "kg", "Enter a number"),
        ("1 lb", "km", "lb cannot be converted to km."),
        ("5 blorbs", "kg", "“blorbs” is not a unit we know."),
        ("2 pages", "workouts", "This metric counts workouts; enter a plain number."),
        ("2 kg", "workouts", "This metric counts workouts; enter a plain number."),
    ],
)
def test_rejections(entry, metric_unit, message):
    with pytest.raises(UnitError, match=message):
        read(entry, metric_unit)


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
