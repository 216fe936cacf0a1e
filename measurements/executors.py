"""Writes for metrics and measurements. Each public executor is one durable
transaction that also writes its audit entry and its events; `now` and the acting user
come in as arguments."""

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from types import SimpleNamespace

from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from audit import trail
from audit.models import Action, AuditEntry
from config.envelope import Conflict, FieldError, NotFound, Result, ValidationFailed
from config.numbers import quantity
from config.revalidation import METRICS_LIST, metric_key
from events import types
from events.outbox import emit, executor

from . import bulk, dependents
from .choices import Source
from .contracts import (
    CreateMetric,
    EditMeasurement,
    IngestCounts,
    IngestRow,
    MeasurementData,
    MeasurementValues,
    MetricData,
    Outcome,
    RecordMeasurement,
    Rejection,
    UpdateMetric,
    Written,
)
from .days import unsettle
from .inserts import insert_recorded
from .models import SNAPSHOT_FIELDS, Measurement, Metric
from .precision import places_in
from .rollup import rollup_add, rollup_refresh, touched_by
from .shown import measurement_shown, metric_shown

#: How far ahead of "now" a measurement may be dated (clock skew, time zones).
FUTURE_TOLERANCE = dt.timedelta(days=1)


SUBJECT = "measurement"


def _metric_event(type: str, metric: Metric, affected: list[str]) -> None:
    emit(
        type,
        owner_id=metric.owner_id,
        affected=affected,
        subject=("metric", metric.id),
        data=metric_shown(metric),
    )


def tell_changed(
    owner_id: int,
    changes: list[tuple[str, dict]],
    *,
    now: dt.datetime,
    moved_from: Iterable[tuple[int, dt.datetime]] = (),
    recorded_at: dt.datetime | None = None,
    in_rollup: bool = False,
    known: Iterable[Metric] = (),
) -> dict[int, dependents.Dependents]:
    """Record one event per changed measurement (type, and the measurement as the API
    shows it, taken before a delete), after the writes: the rollup is refreshed where
    they fall (and settled days that hold them are taken back), what depends on each
    metric is judged with them counted, and each event affects its metric's keys. An
    edit that moves a measurement in time also names its old (metric id, measured_at)
    in `moved_from`, so the bucket it left is refreshed. A single record names its
    moment in `recorded_at`, for the windows it misses, and says `in_rollup` when its
    insert added it to its bucket already. `known`: changed metrics read
    `dependents.with_reads`, whose dependents need no query of their own."""
    if not changes:
        return {}
    touched = [*touched_by(changes), *moved_from]
    if in_rollup:
        assert not moved_from, "a measurement that moved has buckets to refresh"
    elif not moved_from and all(type == types.MEASUREMENT_RECORDED for type, _ in changes):
        rollup_add(data["id"] for _, data in changes)
    else:
        rollup_refresh(touched)
    unsettle(touched, now=now)
    metric_ids = {data["metric_id"] for _, data in changes}
    built_on = dependents.after_change(metric_ids, now=now, measured_at=recorded_at, known=known)
    for type, data in changes:
        emit(
            type,
            owner_id=owner_id,
            affected=built_on[data["metric_id"]].affected,
            subject=(SUBJECT, data["id"]),
            data=data,
        )
    return built_on


def metric_insert(*, owner_id: int, command: CreateMetric, now: dt.datetime) -> Metric:
    """Insert a metric inside the caller's transaction (goal creation uses it too)."""
    if Metric.objects.filter(owner_id=owner_id, name__iexact=command.name).exists():
        raise ValidationFailed.on("name", f"You already have a metric called “{command.name}”.")
    metric = Metric(
        owner_id=owner_id,
        name=command.name,
        unit=command.unit,
        display_places=command.display_places,
        created=now,
    )
    metric.full_clean(exclude=["owner"])
    try:
        with transaction.atomic():
            metric.save()
    except IntegrityError as exc:
        raise ValidationFailed.on(
            "name", f"You already have a metric called “{command.name}”."
        ) from exc
    _metric_event(types.METRIC_CREATED, metric, [METRICS_LIST, metric_key(metric.id)])
    return metric


@executor
def metric_create(*, owner_id: int, command: CreateMetric, now: dt.datetime) -> Result:
    metric = metric_insert(owner_id=owner_id, command=command, now=now)
    return Result.success(MetricData.model_validate(metric))


def _locked_metric(metric_id: int, owner_id: int) -> Metric:
    metric = Metric.objects.select_for_update().filter(id=metric_id, owner_id=owner_id).first()
    if metric is None:
        raise NotFound("There is no such metric.")
    return metric


@executor
def metric_rename(*, owner_id: int, command: UpdateMetric, now: dt.datetime) -> Result:
    metric = _locked_metric(command.metric_id, owner_id)
    changed = command.model_dump(include={"name", "display_places"}, exclude_none=True)
    taken = Metric.objects.filter(owner_id=owner_id, name__iexact=command.name)
    if command.name is not None and taken.exclude(id=metric.id).exists():
        raise ValidationFailed.on("name", f"You already have a metric called “{command.name}”.")
    for field, value in changed.items():
        setattr(metric, field, value)
    if changed:
        metric.save(update_fields=list(changed))
        built_on = dependents.after_change([metric.id], now=now)[metric.id]
        _metric_event(types.METRIC_CHANGED, metric, [METRICS_LIST, *built_on.affected])
    return Result.success(MetricData.model_validate(metric))


@executor
def metric_delete(*, owner_id: int, metric_id: int, now: dt.datetime) -> Result:
    """Delete a metric and its measurements; refused while goals are built on it."""
    metric = _locked_metric(metric_id, owner_id)
    data = MetricData.model_validate(metric)
    was = metric_shown(metric)
    try:
        with transaction.atomic():
            metric.delete()
    except ProtectedError as exc:
        raise Conflict("Goals are built on this metric; delete or move them first.") from exc
    emit(
        types.METRIC_DELETED,
        owner_id=owner_id,
        affected=[METRICS_LIST, metric_key(metric_id)],
        subject=("metric", metric_id),
        data=was,
    )
    return Result.success(data)


def metric_note_typed(metric: Metric, values: list) -> None:
    """Remember the most decimals typed in the metric's own unit, inside the caller's
    transaction; its values read with them until a person sets display places."""
    places = places_in(values)
    if places is not None and places > (metric.typed_places or -1):
        metric.typed_places = places
        metric.save(update_fields=["typed_places"])


def _note_typed(metric: Metric, written: list[tuple]) -> None:
    """Values typed in another unit ("180 lb") say nothing of this one's scale."""
    metric_note_typed(metric, [value for value, unit in written if not unit])


def _check_time(command: MeasurementValues, now: dt.datetime) -> None:
    if command.measured_at > now + FUTURE_TOLERANCE:
        raise ValidationFailed.on("measured_at", "That time is in the future.")


def _audit_fields(
    measurement: Measurement,
    action: Action,
    *,
    actor_id: int,
    now: dt.datetime,
    before: dict | None = None,
    after: dict | None = None,
) -> dict:
    """What the audit trail says of a change to `measurement`."""
    metric = measurement.metric
    return {
        "action": action,
        "subject_type": SUBJECT,
        "subject_id": measurement.id,
        "owner_id": metric.owner_id,
        "actor_id": actor_id,
        "summary": quantity(measurement.value, metric.unit, metric.places),
        "now": now,
        "before": before,
        "after": after,
        "metric_id": metric.id,
    }


def _audit(measurement: Measurement, action: Action, **fields) -> None:
    trail.record(**_audit_fields(measurement, action, **fields))


def _data(
    measurement: Measurement, *, replayed: bool = False, outside: Iterable[str] = ()
) -> MeasurementData:
    places = measurement.metric.places if Measurement.metric.is_cached(measurement) else None
    return MeasurementData.model_validate(measurement).model_copy(
        update={"replayed": replayed, "places": places, "outside": list(outside)}
    )


def _already_recorded(command: RecordMeasurement) -> Measurement | None:
    if command.submission_token is None:
        return None
    found = Measurement.objects.filter(submission_token=command.submission_token).first()
    if found is not None and found.metric_id != command.metric_id:
        raise Conflict("This form was already used for another measurement.")
    return found


@executor
def measurement_record(
    *, owner_id: int, command: RecordMeasurement, now: dt.datetime, metric: Metric | None = None
) -> Result:
    """Record one measurement. `metric` is the command's metric when the caller has it
    already, read for this owner (with `selectors.metric_for_record`, what depends on
    it comes with it). A submission token seen before returns the
    measurement it recorded (`replayed`), also when two requests with it race: the
    second's insert finds the token taken, and then the first's row."""
    if metric is None or (metric.id, metric.owner_id) != (command.metric_id, owner_id):
        metric = dependents.with_reads(
            Metric.objects.filter(id=command.metric_id, owner_id=owner_id)
        ).first()
    if metric is None:
        raise ValidationFailed.on("metric", "There is no such metric.")
    _check_time(command, now)
    measurement = Measurement(
        metric=metric,
        value=command.value,
        original_value=command.original_value,
        original_unit=command.original_unit,
        measured_at=command.measured_at,
        note=command.note,
        source=command.source,
        external_id=command.external_id,
        submission_token=command.submission_token,
        created=now,
        updated=now,
    )
    measurement.full_clean(exclude=["metric"], validate_unique=False, validate_constraints=False)
    entry = trail.entry(
        **_audit_fields(
            measurement,
            Action.CREATED,
            actor_id=owner_id,
            now=now,
            after=trail.snapshot(measurement, SNAPSHOT_FIELDS),
        )
    )
    try:
        written = insert_recorded(measurement, entry)
    except IntegrityError as exc:  # its metric was deleted meanwhile
        raise ValidationFailed.on("metric", "There is no such metric.") from exc
    if not written:
        existing = _already_recorded(command)
        if existing is None:
            raise Conflict(
                f"This metric already has a measurement from {command.source} "
                f"with the external id “{command.external_id}”."
            )
        return Result.success(_data(existing, replayed=True))
    _note_typed(metric, [(measurement.value, measurement.original_unit)])
    built_on = tell_changed(
        owner_id,
        [(types.MEASUREMENT_RECORDED, shown(measurement))],
        now=now,
        recorded_at=measurement.measured_at,
        in_rollup=True,
        known=[metric],
    )
    return Result.success(_data(measurement, outside=built_on[metric.id].outside))


def shown(measurement: Measurement) -> dict:
    """The measurement as the API shows it (its metric is read if not selected)."""
    return measurement_shown(measurement, unit=measurement.metric.unit)


def _locked_measurement(measurement_id: int, owner_id: int) -> Measurement:
    measurement = (
        Measurement.objects.select_for_update(of=("self",))
        .select_related("metric")
        .filter(id=measurement_id, metric__owner_id=owner_id)
        .first()
    )
    if measurement is None:
        raise NotFound("There is no such measurement.")
    return measurement


@executor
def measurement_update(*, owner_id: int, command: EditMeasurement, now: dt.datetime) -> Result:
    measurement = _locked_measurement(command.measurement_id, owner_id)
    _check_time(command, now)
    before = trail.snapshot(measurement, SNAPSHOT_FIELDS)
    was_at = (measurement.metric_id, measurement.measured_at)
    for field in ("value", "original_value", "original_unit", "measured_at", "note"):
        setattr(measurement, field, getattr(command, field))
    measurement.updated = now
    measurement.full_clean(exclude=["metric"], validate_unique=False, validate_constraints=False)
    measurement.save()
    _audit(
        measurement,
        Action.UPDATED,
        actor_id=owner_id,
        now=now,
        before=before,
        after=trail.snapshot(measurement, SNAPSHOT_FIELDS),
    )
    tell_changed(
        owner_id, [(types.MEASUREMENT_CHANGED, shown(measurement))], now=now, moved_from=[was_at]
    )
    return Result.success(_data(measurement))


@executor
def measurement_delete(*, owner_id: int, measurement_id: int, now: dt.datetime) -> Result:
    """Delete for good; the audit entry keeps the whole row, so that
    `measurement_restore` can bring it back, id and all."""
    measurement = _locked_measurement(measurement_id, owner_id)
    data, was = _data(measurement), shown(measurement)
    _audit(
        measurement,
        Action.DELETED,
        actor_id=owner_id,
        now=now,
        before=trail.snapshot(measurement, SNAPSHOT_FIELDS),
    )
    measurement.delete()
    tell_changed(owner_id, [(types.MEASUREMENT_DELETED, was)], now=now)
    return Result.success(data)


@executor
def measurement_restore(
    *, owner_id: int, measurement_id: int, deleted_since: dt.datetime, now: dt.datetime
) -> Result:
    """Bring back a measurement deleted at or after `deleted_since`, as it was."""
    entry = (
        AuditEntry.objects.filter(
            subject_type=SUBJECT,
            subject_id=measurement_id,
            owner_id=owner_id,
            action=Action.DELETED,
            at__gte=deleted_since,
        )
        .order_by("-at", "-id")
        .first()
    )
    if entry is None or Measurement.objects.filter(id=measurement_id).exists():
        raise NotFound("There is no such deleted measurement, or it is too late to undo.")
    fields = {
        name: Measurement._meta.get_field(name).to_python(value)
        for name, value in entry.before().items()
        if name in SNAPSHOT_FIELDS
    }
    if not Metric.objects.filter(id=fields.get("metric_id"), owner_id=owner_id).exists():
        raise NotFound("Its metric no longer exists.")
    measurement = Measurement(id=measurement_id, updated=now, **fields)
    try:
        with transaction.atomic():
            measurement.save(force_insert=True)
    except IntegrityError as exc:
        raise Conflict(
            "A measurement with the same origin has arrived since; this one was not restored."
        ) from exc
    _audit(
        measurement,
        Action.RESTORED,
        actor_id=owner_id,
        now=now,
        after=trail.snapshot(measurement, SNAPSHOT_FIELDS),
    )
    tell_changed(owner_id, [(types.MEASUREMENT_RESTORED, shown(measurement))], now=now)
    return Result.success(_data(measurement))


INGEST_CHUNK = 1000
CHANGEABLE = bulk.CHANGEABLE


def _existing_by_key(rows: list[IngestRow], source: Source) -> dict[tuple[int, str], Measurement]:
    """The stored measurements the rows' external ids name, by (metric, external id)."""
    found: dict[tuple[int, str], Measurement] = {}
    keyed = [row for row in rows if row.external_id]
    for start in range(0, len(keyed), INGEST_CHUNK):
        chunk = keyed[start : start + INGEST_CHUNK]
        found_rows = (
            Measurement.objects.select_related("metric")
            .filter(
                metric_id__in={row.metric_id for row in chunk},
                source=source,
                external_id__in={row.external_id for row in chunk},
            )
            # Says outright what the partial unique index covers (PostgreSQL cannot
            # infer it from an IN list of more than 100 ids), and asks for no order:
            # the default one would walk the metric's whole history in time order.
            .exclude(external_id="")
            .order_by()
        )
        for measurement in found_rows:
            found[(measurement.metric_id, measurement.external_id)] = measurement
    return found


@executor
def measurements_ingest(
    *, owner_id: int, rows: list[IngestRow], source: Source, now: dt.datetime
) -> Result:
    """Write a batch in one transaction (see `ingest_rows`)."""
    return Result.success(ingest_rows(owner_id=owner_id, rows=rows, source=source, now=now))


def ingest_rows(
    *,
    owner_id: int,
    rows: list[IngestRow],
    source: Source,
    now: dt.datetime,
    origin: dict[str, int] | None = None,
) -> IngestCounts:
    """Upsert a batch inside the caller's transaction, by (metric, source, external
    id): a new id creates, a known one with other values updates, a known one with the
    same values changes nothing; rows without an external id always create. The same
    external id twice in one batch is rejected the second time. `origin` (the data
    source and sync run) is stamped on what it creates and updates. Each written row's
    id and outcome come back by its index (ids of new rows from the insert itself).

    On PostgreSQL the batch is one upsert statement and one audit INSERT
    (`measurements.bulk`); elsewhere rows are read and written through the ORM. Both
    write the same rows, audit entries and events."""
    origin = origin or {}
    metrics = {metric.id: metric for metric in Metric.objects.filter(owner_id=owner_id)}
    admitted, rejections = _admitted(rows, metrics, now)
    batch = {
        "owner_id": owner_id,
        "rows": admitted,
        "metrics": metrics,
        "source": source,
        "now": now,
        "origin": origin,
        "rejections": rejections,
    }
    if connection.vendor == "postgresql":
        return _ingest_set_based(**batch)
    return _ingest_row_by_row(**batch)


def _admitted(
    rows: list[IngestRow], metrics: dict[int, Metric], now: dt.datetime
) -> tuple[list[IngestRow], list[Rejection]]:
    """The rows to write, and the rejections of the others: an unknown metric, a time
    in the future, an external id already seen earlier in the batch."""
    admitted, rejections = [], []
    seen: set[tuple[int, str]] = set()
    latest = now + FUTURE_TOLERANCE
    for row in rows:
        if row.metric_id not in metrics:
            rejections.append(_rejected(row.index, "metric_id", "There is no such metric."))
            continue
        if row.values.measured_at > latest:
            rejections.append(_rejected(row.index, "measured_at", "That time is in the future."))
            continue
        if row.external_id:
            key = (row.metric_id, row.external_id)
            if key in seen:
                rejections.append(
                    _rejected(row.index, "external_id", "This external id is twice in the batch.")
                )
                continue
            seen.add(key)
        admitted.append(row)
    return admitted, rejections


RACED = "Another request wrote some of these external ids at the same moment; send the batch again."


def _ingest_set_based(
    *,
    owner_id: int,
    rows: list[IngestRow],
    metrics: dict[int, Metric],
    source: Source,
    now: dt.datetime,
    origin: dict[str, int],
    rejections: list[Rejection],
) -> IngestCounts:
    batch = [
        bulk.BulkRow(
            index=row.index,
            metric_id=row.metric_id,
            value=row.values.value,
            original_value=row.values.original_value,
            original_unit=row.values.original_unit,
            measured_at=row.values.measured_at,
            note=row.values.note,
            source=source,
            external_id=row.external_id,
            created=now,
            updated=now,
        )
        for row in rows
    ]
    try:
        fates = bulk.upsert(batch, source=source, now=now, origin=origin)
    except bulk.Unsettled as exc:
        raise Conflict(RACED) from exc
    created: list[bulk.BulkRow] = []
    updated: list[bulk.BulkRow] = []
    kept: list[Written] = []
    moved_from: list[tuple[int, dt.datetime]] = []
    audit: list[dict] = []
    # Read per metric, not per row: a metric's places ask pint about its unit.
    shown_as = {metric.id: (metric.unit, metric.places) for metric in metrics.values()}
    for row, fate in zip(batch, fates, strict=True):
        if fate.inserted:
            created.append(row)
            continue
        if not fate.changed:
            kept.append(
                Written.model_construct(index=row.index, id=row.id, outcome=Outcome.UNCHANGED)
            )
            continue
        row.created = fate.created
        updated.append(row)
        kept.append(Written.model_construct(index=row.index, id=row.id, outcome=Outcome.UPDATED))
        moved_from.append((row.metric_id, fate.before["measured_at"]))
        before = trail.snapshot(SimpleNamespace(**fate.before), CHANGEABLE)
        audit.append(
            _bulk_audit(row, Action.UPDATED, shown_as[row.metric_id], before, bulk.CHANGEABLE)
        )
    typed = defaultdict(list)
    for row in created:
        typed[row.metric_id].append((row.value, row.original_unit))
    for metric_id, values in typed.items():
        _note_typed(metrics[metric_id], values)
        shown_as[metric_id] = (metrics[metric_id].unit, metrics[metric_id].places)
    audit.extend(
        _bulk_audit(row, Action.CREATED, shown_as[row.metric_id], {}, SNAPSHOT_FIELDS)
        for row in created
    )
    bulk.audit_insert(audit, owner_id=owner_id, actor_id=owner_id, now=now)
    kept.extend(
        Written.model_construct(index=row.index, id=row.id, outcome=Outcome.CREATED)
        for row in created
    )
    unit = {metric_id: metric.unit for metric_id, metric in metrics.items()}
    tell_changed(
        owner_id,
        [
            *(
                (types.MEASUREMENT_RECORDED, measurement_shown(row, unit=unit[row.metric_id]))
                for row in created
            ),
            *(
                (types.MEASUREMENT_CHANGED, measurement_shown(row, unit=unit[row.metric_id]))
                for row in updated
            ),
        ],
        now=now,
        moved_from=moved_from,
    )
    return IngestCounts(
        created=len(created),
        updated=len(updated),
        unchanged=len(kept) - len(created) - len(updated),
        rejected=len(rejections),
        rejections=rejections,
        written=sorted(kept, key=lambda item: item.index),
    )


def _bulk_audit(
    row: bulk.BulkRow,
    action: Action,
    shown_as: tuple[str, int],
    before: dict,
    fields: tuple[str, ...],
) -> dict:
    """An audit entry of the set-based path, with what `audit.trail.entry` records:
    the fields whose JSON-safe value differs between before and after."""
    after = trail.snapshot(row, fields)
    if before:
        changes = {
            field: [before.get(field), value]
            for field, value in after.items()
            if before.get(field) != value
        }
    else:
        changes = {field: [None, value] for field, value in after.items() if value is not None}
    return {
        "action": action.value,
        "subject_id": row.id,
        "metric_id": row.metric_id,
        "summary": quantity(row.value, *shown_as),
        "changes": json.dumps(changes),
    }


def _ingest_row_by_row(
    *,
    owner_id: int,
    rows: list[IngestRow],
    metrics: dict[int, Metric],
    source: Source,
    now: dt.datetime,
    origin: dict[str, int],
    rejections: list[Rejection],
) -> IngestCounts:
    """The ORM's way, for databases without the set-based statement (SQLite)."""
    existing = _existing_by_key(rows, source)
    created, updated = [], []
    created_indexes: list[int] = []
    kept: list[Written] = []
    unchanged = 0
    audit = []
    moved_from: list[tuple[int, dt.datetime]] = []
    for row in rows:
        metric = metrics[row.metric_id]
        stored = existing.get((row.metric_id, row.external_id)) if row.external_id else None
        if stored is None:
            created.append(
                Measurement(
                    metric=metric,
                    source=source,
                    external_id=row.external_id,
                    created=now,
                    updated=now,
                    **origin,
                    **row.values.model_dump(),
                )
            )
            created_indexes.append(row.index)
            continue
        before = trail.snapshot(stored, SNAPSHOT_FIELDS)
        was_at = (stored.metric_id, stored.measured_at)
        for field in CHANGEABLE:
            setattr(stored, field, getattr(row.values, field))
        if trail.snapshot(stored, SNAPSHOT_FIELDS) == before:
            unchanged += 1
            kept.append(
                Written.model_construct(index=row.index, id=stored.id, outcome=Outcome.UNCHANGED)
            )
            continue
        moved_from.append(was_at)
        stored.updated = now
        for field, value in origin.items():
            setattr(stored, field, value)
        updated.append(stored)
        kept.append(Written.model_construct(index=row.index, id=stored.id, outcome=Outcome.UPDATED))
        audit.append(
            _audit_fields(
                stored,
                Action.UPDATED,
                actor_id=owner_id,
                now=now,
                before=before,
                after=trail.snapshot(stored, SNAPSHOT_FIELDS),
            )
        )
    try:
        with transaction.atomic():
            Measurement.objects.bulk_create(created, batch_size=INGEST_CHUNK)
    except IntegrityError as exc:
        raise Conflict(RACED) from exc
    Measurement.objects.bulk_update(
        updated, [*CHANGEABLE, "updated", *origin], batch_size=INGEST_CHUNK
    )
    typed = defaultdict(list)
    for measurement in created:
        typed[measurement.metric_id].append((measurement.value, measurement.original_unit))
    for metric_id, values in typed.items():
        _note_typed(metrics[metric_id], values)
    audit.extend(
        _audit_fields(
            measurement,
            Action.CREATED,
            actor_id=owner_id,
            now=now,
            after=trail.snapshot(measurement, SNAPSHOT_FIELDS),
        )
        for measurement in created
    )
    entries = [trail.entry(**fields) for fields in audit]
    AuditEntry.objects.bulk_create([e for e in entries if e], batch_size=INGEST_CHUNK)
    kept.extend(
        Written.model_construct(index=index, id=measurement.id, outcome=Outcome.CREATED)
        for index, measurement in zip(created_indexes, created, strict=True)
    )
    tell_changed(
        owner_id,
        [
            *((types.MEASUREMENT_RECORDED, shown(measurement)) for measurement in created),
            *((types.MEASUREMENT_CHANGED, shown(measurement)) for measurement in updated),
        ],
        now=now,
        moved_from=moved_from,
    )
    return IngestCounts(
        created=len(created),
        updated=len(updated),
        unchanged=unchanged,
        rejected=len(rejections),
        rejections=rejections,
        written=sorted(kept, key=lambda item: item.index),
    )


def _rejected(index: int, field: str, message: str) -> Rejection:
    return Rejection(index=index, fields=[FieldError(field=field, message=message)])
