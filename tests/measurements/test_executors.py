import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction

from config.envelope import ValidationFailed
from measurements.contracts import CreateMetric, RecordMeasurement
from measurements.executors import measurement_record, metric_create
from measurements.models import Measurement, Metric
from tests.factories import MetricFactory

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_metric_create_writes_the_metric(user):
    result = metric_create(
        owner_id=user.id, command=CreateMetric(name=" Weight ", unit="kg"), now=NOW
    )
    assert result.ok
    metric = Metric.objects.get(id=result.data.id)
    assert (metric.name, metric.unit, metric.owner_id, metric.created) == (
        "Weight",
        "kg",
        user.id,
        NOW,
    )


@pytest.mark.django_db
def test_metric_names_are_unique_per_owner_ignoring_case(user, other_user):
    metric_create(owner_id=user.id, command=CreateMetric(name="Weight", unit="kg"), now=NOW)
    with pytest.raises(ValidationFailed) as raised:
        metric_create(owner_id=user.id, command=CreateMetric(name="weight", unit="lb"), now=NOW)
    assert raised.value.fields[0].field == "name"
    assert metric_create(
        owner_id=other_user.id, command=CreateMetric(name="Weight", unit="kg"), now=NOW
    ).ok
    assert Metric.objects.count() == 2


@pytest.mark.django_db
def test_measurement_record_writes_one_row():
    metric = MetricFactory()
    command = RecordMeasurement(
        metric_id=metric.id, value=Decimal("81.4"), measured_at=NOW, note="after run"
    )
    result = measurement_record(owner_id=metric.owner_id, command=command, now=NOW)
    assert result.ok
    row = Measurement.objects.get()
    assert (row.value, row.measured_at, row.note, row.source) == (
        Decimal("81.4"),
        NOW,
        "after run",
        "manual",
    )
    assert result.data.id == row.id


@pytest.mark.django_db
def test_measurement_record_refuses_another_users_metric(other_user):
    metric = MetricFactory()
    command = RecordMeasurement(metric_id=metric.id, value=Decimal(1), measured_at=NOW)
    with pytest.raises(ValidationFailed):
        measurement_record(owner_id=other_user.id, command=command, now=NOW)
    assert not Measurement.objects.exists()


@pytest.mark.django_db
def test_measurement_record_refuses_the_far_future():
    metric = MetricFactory()
    command = RecordMeasurement(
        metric_id=metric.id, value=Decimal(1), measured_at=NOW + dt.timedelta(days=3)
    )
    with pytest.raises(ValidationFailed) as raised:
        measurement_record(owner_id=metric.owner_id, command=command, now=NOW)
    assert raised.value.fields[0].field == "measured_at"
    assert not Measurement.objects.exists()


@pytest.mark.django_db
def test_a_failure_inside_the_executor_leaves_nothing(monkeypatch):
    metric = MetricFactory()
    command = RecordMeasurement(metric_id=metric.id, value=Decimal(1), measured_at=NOW)

    def fail_after_write(*args, **kwargs):
        raise RuntimeError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr("measurements.executors.MeasurementData.model_validate", fail_after_write)
        with pytest.raises(RuntimeError):
            measurement_record(owner_id=metric.owner_id, command=command, now=NOW)
    assert not Measurement.objects.exists()


@pytest.mark.django_db
def test_executors_refuse_to_run_inside_another_transaction(user):
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        metric_create(owner_id=user.id, command=CreateMetric(name="Nested", unit="x"), now=NOW)
