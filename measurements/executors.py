"""Writes for metrics and measurements. Each public executor is one durable
transaction; `now` and the acting user come in as arguments."""

import datetime as dt

from django.db import IntegrityError, transaction

from config.envelope import Result, ValidationFailed

from .contracts import CreateMetric, MeasurementData, MetricData, RecordMeasurement
from .models import Measurement, Metric

#: How far ahead of "now" a measurement may be dated (clock skew, time zones).
FUTURE_TOLERANCE = dt.timedelta(days=1)


def metric_insert(*, owner_id: int, command: CreateMetric, now: dt.datetime) -> Metric:
    """Insert a metric inside the caller's transaction (goal creation uses it too)."""
    if Metric.objects.filter(owner_id=owner_id, name__iexact=command.name).exists():
        raise ValidationFailed.on("name", f"You already have a metric called “{command.name}”.")
    metric = Metric(owner_id=owner_id, name=command.name, unit=command.unit, created=now)
    metric.full_clean(exclude=["owner"])
    try:
        with transaction.atomic():
            metric.save()
    except IntegrityError as exc:
        raise ValidationFailed.on(
            "name", f"You already have a metric called “{command.name}”."
        ) from exc
    return metric


@transaction.atomic(durable=True)
def metric_create(*, owner_id: int, command: CreateMetric, now: dt.datetime) -> Result:
    metric = metric_insert(owner_id=owner_id, command=command, now=now)
    return Result.success(MetricData.model_validate(metric))


@transaction.atomic(durable=True)
def measurement_record(*, owner_id: int, command: RecordMeasurement, now: dt.datetime) -> Result:
    metric = Metric.objects.filter(id=command.metric_id, owner_id=owner_id).first()
    if metric is None:
        raise ValidationFailed.on("metric", "There is no such metric.")
    if command.measured_at > now + FUTURE_TOLERANCE:
        raise ValidationFailed.on("measured_at", "That time is in the future.")
    measurement = Measurement(
        metric=metric,
        value=command.value,
        original_value=command.original_value,
        original_unit=command.original_unit,
        measured_at=command.measured_at,
        note=command.note,
        source=command.source,
        external_id=command.external_id,
        created=now,
        updated=now,
    )
    measurement.full_clean(validate_unique=False, validate_constraints=False)
    measurement.save()
    return Result.success(MeasurementData.model_validate(measurement))
