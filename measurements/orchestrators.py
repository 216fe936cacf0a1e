"""Policy for recording measurements and creating metrics. Every channel (browser,
API, import, tasks, commands) writes through these."""

import datetime as dt
from functools import partial

from pydantic import ValidationError

from config.envelope import FieldError, Result, ValidationFailed, field_errors
from config.orchestration import execute, execute_authorized
from config.request_context import Phase, set_phase

from . import executors as measurement_executors
from . import selectors as measurement_selectors
from .choices import Source
from .contracts import (
    MAX_BATCH,
    CreateMetric,
    EditMeasurement,
    IngestCounts,
    IngestItem,
    IngestRow,
    MeasurementRef,
    MeasurementValues,
    MetricRef,
    RecordMeasurement,
    Rejection,
    UpdateMetric,
)
from .units import UnitError, convert

UNDO_WINDOW = dt.timedelta(minutes=10)
"""How long a deleted measurement can be brought back with Undo."""


def record_measurement(
    command: RecordMeasurement,
    *,
    actor_id: int,
    now: dt.datetime,
    executors=measurement_executors,
    selectors=measurement_selectors,
) -> Result:
    """Record one measurement; it affects its metric and everything built on it."""
    return execute_authorized(
        partial(selectors.metric_for_owner, metric_id=command.metric_id, owner_id=actor_id),
        partial(executors.measurement_record, owner_id=actor_id, command=command, now=now),
    )


def create_metric(
    command: CreateMetric, *, actor_id: int, now: dt.datetime, executors=measurement_executors
) -> Result:
    return execute(partial(executors.metric_create, owner_id=actor_id, command=command, now=now))


def edit_measurement(
    command: EditMeasurement,
    *,
    actor_id: int,
    now: dt.datetime,
    executors=measurement_executors,
    selectors=measurement_selectors,
) -> Result:
    return execute_authorized(
        partial(
            selectors.measurement_for_owner,
            measurement_id=command.measurement_id,
            owner_id=actor_id,
        ),
        partial(executors.measurement_update, owner_id=actor_id, command=command, now=now),
    )


def delete_measurement(
    command: MeasurementRef,
    *,
    actor_id: int,
    now: dt.datetime,
    executors=measurement_executors,
    selectors=measurement_selectors,
) -> Result:
    """Delete; `undelete_measurement` brings it back for `UNDO_WINDOW`."""
    return execute_authorized(
        partial(
            selectors.measurement_for_owner,
            measurement_id=command.measurement_id,
            owner_id=actor_id,
        ),
        partial(
            executors.measurement_delete,
            owner_id=actor_id,
            measurement_id=command.measurement_id,
            now=now,
        ),
    )


def undelete_measurement(
    command: MeasurementRef,
    *,
    actor_id: int,
    now: dt.datetime,
    executors=measurement_executors,
    selectors=measurement_selectors,
) -> Result:
    """Undo a delete within `UNDO_WINDOW`; after that there is nothing to undo."""
    since = now - UNDO_WINDOW
    return execute_authorized(
        partial(
            selectors.recently_deleted_measurement,
            measurement_id=command.measurement_id,
            owner_id=actor_id,
            since=since,
        ),
        partial(
            executors.measurement_restore,
            owner_id=actor_id,
            measurement_id=command.measurement_id,
            deleted_since=since,
            now=now,
        ),
    )


def rename_metric(
    command: UpdateMetric,
    *,
    actor_id: int,
    now: dt.datetime,
    executors=measurement_executors,
    selectors=measurement_selectors,
) -> Result:
    """A metric's name shows on its goals too."""
    return execute_authorized(
        partial(selectors.metric_for_owner, metric_id=command.metric_id, owner_id=actor_id),
        partial(executors.metric_rename, owner_id=actor_id, command=command, now=now),
    )


def delete_metric(
    command: MetricRef,
    *,
    actor_id: int,
    now: dt.datetime,
    executors=measurement_executors,
    selectors=measurement_selectors,
) -> Result:
    return execute_authorized(
        partial(selectors.metric_for_owner, metric_id=command.metric_id, owner_id=actor_id),
        partial(executors.metric_delete, owner_id=actor_id, metric_id=command.metric_id, now=now),
    )


def _ingest_row(index: int, raw: object, units: dict[int, str]) -> IngestRow | Rejection:
    """One raw item as a row to write, converted to its metric's unit, or why not."""
    try:
        item = IngestItem.model_validate(raw)
    except ValidationError as exc:
        return Rejection(index=index, fields=field_errors(exc))
    if item.metric_id not in units:
        message = "There is no such metric."
        return Rejection(index=index, fields=[FieldError(field="metric_id", message=message)])
    try:
        reading = convert(item.value, item.unit, units[item.metric_id])
        values = MeasurementValues(
            value=reading.value,
            original_value=reading.original_value,
            original_unit=reading.original_unit,
            measured_at=item.measured_at,
            note=item.note,
        )
    except UnitError as exc:
        return Rejection(index=index, fields=[FieldError(field=exc.field, message=str(exc))])
    except ValidationError as exc:
        return Rejection(index=index, fields=field_errors(exc))
    return IngestRow(
        index=index, metric_id=item.metric_id, values=values, external_id=item.external_id
    )


def prepare_rows(
    items: list[object], units: dict[int, str], *, first_index: int = 0
) -> tuple[list[IngestRow], list[Rejection]]:
    """Raw items as rows to write (checked, converted to their metrics' units), and
    the rejections of the others, numbered from `first_index`."""
    checked = [_ingest_row(first_index + i, raw, units) for i, raw in enumerate(items)]
    rows = [row for row in checked if isinstance(row, IngestRow)]
    return rows, [row for row in checked if isinstance(row, Rejection)]


def ingest_measurements(
    items: list[object],
    *,
    actor_id: int,
    now: dt.datetime,
    source: Source = Source.API,
    executors=measurement_executors,
    selectors=measurement_selectors,
) -> Result:
    """A batch from a device, a script or an import. Each item is checked on its own:
    the valid ones are written (one transaction), the others come back as rejections
    with their index and field errors. Everything built on a metric that got data is
    affected."""
    set_phase(Phase.VALIDATE)
    if len(items) > MAX_BATCH:
        return Result.failure(
            ValidationFailed.on(
                "items", f"A batch holds at most {MAX_BATCH:,} measurements, not {len(items):,}."
            )
        )
    set_phase(Phase.AUTHORIZE)
    units = {m.id: m.unit for m in selectors.metrics_for_owner(owner_id=actor_id)}
    set_phase(Phase.PLAN)
    rows, refused = prepare_rows(items, units)
    result = execute(
        partial(executors.measurements_ingest, owner_id=actor_id, rows=rows, source=source, now=now)
    )
    if not result.ok:
        return result
    written: IngestCounts = result.data
    rejections = sorted([*refused, *written.rejections], key=lambda rejection: rejection.index)
    counts = written.model_copy(update={"rejected": len(rejections), "rejections": rejections})
    return result.model_copy(update={"data": counts})
