"""Policy for recording measurements and creating metrics. Every channel (browser,
API, import, tasks, commands) writes through these."""

import datetime as dt
from functools import partial
from typing import Protocol

from pydantic import TypeAdapter, ValidationError

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
from .units import Reading, UnitError, convert, refuse_negative


class KnownMetric(Protocol):
    """A metric a page already read for its owner."""

    id: int
    owner_id: int


UNDO_WINDOW = dt.timedelta(minutes=10)
"""How long a deleted measurement can be brought back with Undo."""


def record_measurement(
    command: RecordMeasurement,
    *,
    actor_id: int,
    now: dt.datetime,
    metric: KnownMetric | None = None,
    executors=measurement_executors,
    selectors=measurement_selectors,
) -> Result:
    """Record one measurement; it affects its metric and everything built on it.
    `metric`: the command's metric, when the caller already read it for this actor
    (the quick entry's page did, to parse the value in its unit): it is passed down,
    not read again."""

    def authorize():
        if metric is None or (metric.id, metric.owner_id) != (command.metric_id, actor_id):
            selectors.metric_for_owner(metric_id=command.metric_id, owner_id=actor_id)

    return execute_authorized(
        authorize,
        partial(
            executors.measurement_record, owner_id=actor_id, command=command, now=now, metric=metric
        ),
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


#: A batch's items are validated as one list: one call into pydantic for all of them.
_ITEMS = TypeAdapter(list[IngestItem])


def _checked_items(
    items: list[object], first_index: int
) -> tuple[list[tuple[int, IngestItem]], list[Rejection]]:
    """The valid items by position, and the rejections of the invalid ones, with the
    field errors each gets validated alone."""
    try:
        return list(enumerate(_ITEMS.validate_python(items))), []
    except ValidationError as exc:
        failed = {error["loc"][0] for error in exc.errors() if error["loc"]}
    valid, refused = [], []
    for position, raw in enumerate(items):
        if position not in failed:
            continue
        try:
            valid.append((position, IngestItem.model_validate(raw)))
        except ValidationError as exc:
            refused.append(Rejection(index=first_index + position, fields=field_errors(exc)))
    kept = [position for position in range(len(items)) if position not in failed]
    valid += zip(kept, _ITEMS.validate_python([items[i] for i in kept]), strict=True)
    return sorted(valid, key=lambda pair: pair[0]), refused


def _reading(item: IngestItem, metric_unit: str) -> Reading:
    """The item's value in its metric's unit. In that unit already (the usual case),
    the value stands as validated (below zero only where the metric allows it);
    another unit converts through pint."""
    unit = item.unit.strip()
    if not unit or unit.casefold() == metric_unit.strip().casefold():
        refuse_negative(item.value, metric_unit)
        return Reading(value=item.value)
    return convert(item.value, item.unit, metric_unit)


def prepare_rows(
    items: list[object], units: dict[int, str], *, first_index: int = 0
) -> tuple[list[IngestRow], list[Rejection]]:
    """Raw items as rows to write (checked, converted to their metrics' units), and
    the rejections of the others, numbered from `first_index`."""
    valid, refused = _checked_items(items, first_index)
    rows: list[IngestRow] = []
    for position, item in valid:
        index = first_index + position
        if item.metric_id not in units:
            message = "There is no such metric."
            refused.append(
                Rejection(index=index, fields=[FieldError(field="metric_id", message=message)])
            )
            continue
        try:
            reading = _reading(item, units[item.metric_id])
        except UnitError as exc:
            refused.append(
                Rejection(index=index, fields=[FieldError(field=exc.field, message=str(exc))])
            )
            continue
        # Built without validating again: the item's validators (a storable value, a
        # plausible moment in UTC, the lengths) are those of `MeasurementValues`, and
        # `convert` bounds what it computes.
        values = MeasurementValues.model_construct(
            value=reading.value,
            original_value=reading.original_value,
            original_unit=reading.original_unit,
            measured_at=item.measured_at,
            note=item.note,
        )
        rows.append(
            IngestRow.model_construct(
                index=index, metric_id=item.metric_id, values=values, external_id=item.external_id
            )
        )
    return rows, sorted(refused, key=lambda rejection: rejection.index)


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
