"""The JSON API for metrics and measurements (`/api/v1/metrics`, `/api/v1/measurements`).

Like the pages' views: parse into the same commands, call the same orchestrators,
turn the envelope into a response. Failed envelopes raise, and the API's error
handlers answer them in the one error shape.
"""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from pydantic import AwareDatetime, field_validator

from config.api_schemas import Number, OptionalNumber, Strict, error_responses
from config.envelope import ValidationFailed
from config.request_context import Phase, set_phase

from . import selectors
from .contracts import (
    MAX_BATCH,
    CreateMetric,
    EditMeasurement,
    ItemOutcome,
    MeasurementData,
    MeasurementRef,
    MetricRef,
    RecordMeasurement,
    Rejection,
    UpdateMetric,
    plausible_moment,
)
from .orchestrators import (
    create_metric,
    delete_measurement,
    delete_metric,
    edit_measurement,
    ingest_measurements,
    record_measurement,
    rename_metric,
)
from .units import UnitError, convert

metrics = Router(tags=["metrics"])
measurements = Router(tags=["measurements"])


# Metrics


class MetricIn(Strict):
    name: str = Field(min_length=1, max_length=80)
    unit: str = Field(min_length=1, max_length=24, description="kg, km, h, workouts…")
    display_places: int | None = Field(
        default=None,
        ge=0,
        le=6,
        description="Decimals pages show (values stay exact); null: from the first value typed.",
    )


class MetricPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=80)
    display_places: int | None = Field(default=None, ge=0, le=6)


class MetricOut(Schema):
    id: int
    name: str
    unit: str
    display_places: int = Field(
        validation_alias="places", description="Decimals pages show; API values stay exact."
    )
    created: dt.datetime


@metrics.get("", response={200: list[MetricOut], **error_responses()}, summary="Your metrics")
def list_metrics(request):
    return selectors.metrics_for_owner(owner_id=request.user.id)


@metrics.post("", response={201: MetricOut, **error_responses()}, summary="Create a metric")
def create_metric_api(request, payload: MetricIn):
    command = CreateMetric(
        name=payload.name, unit=payload.unit, display_places=payload.display_places
    )
    data = create_metric(command, actor_id=request.user.id, now=timezone.now()).unwrap()
    return Status(201, selectors.metric_for_owner(metric_id=data.id, owner_id=request.user.id))


@metrics.get(
    "/{metric_id}", response={200: MetricOut, **error_responses(404)}, summary="One metric"
)
def get_metric(request, metric_id: int):
    set_phase(Phase.AUTHORIZE)
    return selectors.metric_for_owner(metric_id=metric_id, owner_id=request.user.id)


@metrics.patch(
    "/{metric_id}",
    response={200: MetricOut, **error_responses(404)},
    summary="Rename a metric or set its display places",
)
def rename_metric_api(request, metric_id: int, payload: MetricPatch):
    command = UpdateMetric(
        metric_id=metric_id, name=payload.name, display_places=payload.display_places
    )
    rename_metric(command, actor_id=request.user.id, now=timezone.now()).unwrap()
    return selectors.metric_for_owner(metric_id=metric_id, owner_id=request.user.id)


@metrics.delete(
    "/{metric_id}",
    response={204: None, **error_responses(404, 409)},
    summary="Delete a metric and its measurements (not while goals use it)",
)
def delete_metric_api(request, metric_id: int):
    delete_metric(
        MetricRef(metric_id=metric_id), actor_id=request.user.id, now=timezone.now()
    ).unwrap()
    return Status(204, None)


# Measurements


class MeasurementIn(Strict):
    metric_id: int
    value: Decimal = Field(description="In the metric's unit, or in `unit`.")
    unit: str = Field(default="", max_length=24, description="e.g. lb for a kg metric")
    measured_at: AwareDatetime | None = Field(
        default=None, description="With its offset; now when left out."
    )
    note: str = Field(default="", max_length=500)
    external_id: str = Field(default="", max_length=200)


class MeasurementPatch(Strict):
    value: Decimal | None = None
    unit: str = Field(default="", max_length=24)
    measured_at: AwareDatetime | None = None
    note: str | None = Field(default=None, max_length=500)


class MeasurementOut(Schema):
    id: int
    metric_id: int
    value: Number
    unit: str = Field(validation_alias="metric.unit")
    original_value: OptionalNumber
    original_unit: str
    measured_at: dt.datetime
    note: str
    source: str
    external_id: str
    created: dt.datetime
    updated: dt.datetime


class MeasurementRecordedOut(MeasurementOut):
    outside_goals: list[str] = Field(
        description=(
            "The active goals over the metric whose window does not hold `measured_at`, "
            "each as a sentence saying when it starts or ended, e.g. "
            "`“Run 100 km in December” starts on 1 Dec`: the value does not count there."
        )
    )


class MeasurementPage(Schema):
    items: list[MeasurementOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")


class MeasurementFilters(Schema):
    metric_id: int | None = None
    since: AwareDatetime | None = Field(default=None, description="From this moment on")
    until: AwareDatetime | None = Field(default=None, description="Before this moment")

    _plausible = field_validator("since", "until")(plausible_moment)
    cursor: str | None = None
    limit: int = Field(default=100, ge=1, le=1000)


class BatchIn(Strict):
    items: list[Any] = Field(
        max_length=MAX_BATCH,
        description=(
            "Up to 10,000 measurements, each like a single one (metric_id, value, unit, "
            "measured_at, note, external_id). Items are checked one by one; the valid "
            "ones are written, the others come back as rejections."
        ),
    )


class BatchOut(Schema):
    created: int
    updated: int
    unchanged: int
    rejected: int
    rejections: list[Rejection] = Field(
        description="The rejected items alone, by index (each is in `items` too)."
    )
    items: list[ItemOutcome] = Field(
        description=(
            "Every item, in the order sent: its `index`, its `outcome` (`created`, "
            "`updated`, `unchanged` or `rejected`), the `id` of its measurement (null "
            "when rejected) and, when rejected, the `fields` that were wrong."
        )
    )


def _reading(value: Decimal, unit: str, metric_unit: str):
    try:
        return convert(value, unit, metric_unit)
    except UnitError as exc:
        raise ValidationFailed.on(exc.field, str(exc)) from exc


def _owned(request, measurement_id: int):
    set_phase(Phase.AUTHORIZE)
    return selectors.measurement_for_owner(measurement_id=measurement_id, owner_id=request.user.id)


@measurements.get(
    "",
    response={200: MeasurementPage, **error_responses()},
    summary="Your measurements, newest first",
)
def list_measurements(request, filters: Query[MeasurementFilters]):
    after = selectors.Cursor.decode(filters.cursor)
    if filters.cursor and after is None:
        raise ValidationFailed.on("cursor", "This is not a cursor the API gave out.")
    page = selectors.measurements_page(
        owner_id=request.user.id,
        metric_id=filters.metric_id,
        since=filters.since,
        until=filters.until,
        after=after,
        size=filters.limit,
    )
    cursor = page.next_cursor.encode() if page.next_cursor else None
    return {"items": page.rows, "next_cursor": cursor}


@measurements.post(
    "",
    response={201: MeasurementRecordedOut, **error_responses(404, 409)},
    summary="Record one measurement",
)
def record_measurement_api(request, payload: MeasurementIn):
    set_phase(Phase.AUTHORIZE)
    metric = selectors.metric_for_record(metric_id=payload.metric_id, owner_id=request.user.id)
    set_phase(Phase.VALIDATE)
    reading = _reading(payload.value, payload.unit, metric.unit)
    command = RecordMeasurement(
        metric_id=metric.id,
        value=reading.value,
        original_value=reading.original_value,
        original_unit=reading.original_unit,
        measured_at=payload.measured_at or timezone.now(),
        note=payload.note,
        source="api",
        external_id=payload.external_id,
    )
    data = record_measurement(
        command, actor_id=request.user.id, now=timezone.now(), metric=metric
    ).unwrap()
    return Status(201, _recorded(data, metric))


def _recorded(data: MeasurementData, metric) -> SimpleNamespace:
    """The new measurement as `MeasurementRecordedOut` shows it, from what the write
    returned: it is not read again."""
    return SimpleNamespace(
        **data.model_dump(exclude={"outside"}), metric=metric, outside_goals=data.outside
    )


@measurements.post(
    "/batch",
    response={200: BatchOut, **error_responses(409)},
    summary="Record or update many at once",
)
def ingest_api(request, payload: BatchIn):
    counts = ingest_measurements(payload.items, actor_id=request.user.id, now=timezone.now())
    counts = counts.unwrap()
    return {
        **counts.model_dump(exclude={"written", "rejections"}),
        "rejections": counts.rejections,
        "items": counts.outcomes(),
    }


@measurements.get(
    "/{measurement_id}",
    response={200: MeasurementOut, **error_responses(404)},
    summary="One measurement",
)
def get_measurement(request, measurement_id: int):
    return _owned(request, measurement_id)


@measurements.patch(
    "/{measurement_id}",
    response={200: MeasurementOut, **error_responses(404)},
    summary="Correct one",
)
def edit_measurement_api(request, measurement_id: int, payload: MeasurementPatch):
    stored = _owned(request, measurement_id)
    if payload.unit and payload.value is None:
        raise ValidationFailed.on("unit", "Send the value with its unit.")
    if payload.value is not None:
        reading = _reading(payload.value, payload.unit, stored.metric.unit)
        values = {
            "value": reading.value,
            "original_value": reading.original_value,
            "original_unit": reading.original_unit,
        }
    else:
        values = {
            "value": stored.value,
            "original_value": stored.original_value,
            "original_unit": stored.original_unit,
        }
    command = EditMeasurement(
        measurement_id=measurement_id,
        measured_at=payload.measured_at or stored.measured_at,
        note=stored.note if payload.note is None else payload.note,
        **values,
    )
    edit_measurement(command, actor_id=request.user.id, now=timezone.now()).unwrap()
    return _owned(request, measurement_id)


@measurements.delete(
    "/{measurement_id}", response={204: None, **error_responses(404)}, summary="Delete one"
)
def delete_measurement_api(request, measurement_id: int):
    command = MeasurementRef(measurement_id=measurement_id)
    delete_measurement(command, actor_id=request.user.id, now=timezone.now()).unwrap()
    return Status(204, None)
