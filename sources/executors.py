"""Writes of data sources and sync runs. Each is one durable transaction; `now` comes
in as an argument; none makes an HTTP call (providers do that, for the sync engine).
"""

import datetime as dt
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from audit import trail
from audit.models import Action, AuditEntry
from config.envelope import Conflict, ErrorDetail, NotFound, Result
from config.numbers import quantity
from config.revalidation import SOURCES_LIST, run_key
from config.times import exact_time
from events import types
from events.outbox import emit, executor
from measurements.choices import Source as Origin
from measurements.contracts import IngestCounts, IngestRow
from measurements.executors import SNAPSHOT_FIELDS, ingest_rows, shown, tell_changed
from measurements.models import Measurement

from .contracts import BatchWritten, RunContext, SourceBusy
from .models import DataSource, RunStatus, SyncRun, WebhookDelivery

#: The task that runs a sync run, as the task framework's own rows name it.
RUN_TASK_PATH = "sources.tasks.run_sync"
#: A large import outgrows the planner's statistics of the measurements table faster
#: than autovacuum refreshes them, and stale ones turn each batch's id lookup into a
#: scan of the metric's rows: so the run refreshes them every this many new rows.
REANALYZE_EVERY = 100_000

#: How many rejections a run keeps to show; the count has them all.
KEPT_REJECTIONS = 50
#: Ids named in one statement when an import is undone: a run can have changed more
#: rows than a statement may carry parameters (SQLite's limit).
IDS_PER_STATEMENT = 2000


def _in_slices(ids: list[int]) -> Iterator[list[int]]:
    """`ids`, `IDS_PER_STATEMENT` at a time."""
    for start in range(0, len(ids), IDS_PER_STATEMENT):
        yield ids[start : start + IDS_PER_STATEMENT]


def _run_shown(run: SyncRun) -> dict:
    source = run.source
    return {
        "id": run.id,
        "source": {"id": source.id, "name": source.name, "provider": source.provider},
        "status": run.status,
        "mode": run.mode,
        "created": run.created_count,
        "updated": run.updated_count,
        "unchanged": run.unchanged_count,
        "rejected": run.rejected_count,
        "started_at": run.started and exact_time(run.started),
        "finished_at": run.finished and exact_time(run.finished),
        "note": run.note,
        "error": {"code": run.error_code, "message": run.error_message} if run.error_code else None,
    }


def _tell(type: str, run: SyncRun) -> None:
    """The run's row and the sources list change with every step of a run."""
    emit(
        type,
        owner_id=run.source.owner_id,
        affected=[run_key(run.id), SOURCES_LIST],
        subject=("sync_run", run.id),
        data=_run_shown(run),
    )


def _run(run_id: int) -> SyncRun:
    run = SyncRun.objects.select_for_update().select_related("source").filter(id=run_id).first()
    if run is None:
        raise NotFound("There is no such sync run.")
    return run


def _still_queued(run_id: int) -> SyncRun:
    """The run, if no worker has started or ended it yet; else a Conflict."""
    run = _run(run_id)
    if run.status != RunStatus.QUEUED:
        raise Conflict(f"This run is {run.get_status_display().lower()} already.")
    return run


def _running(run_id: int, generation: int | None = None) -> SyncRun:
    """The run, if it is still running here; a run reaped and handed to another
    worker (or ended) is a Conflict, so a worker that was thought dead writes nothing.
    `generation` is the start the writing worker holds (`RunContext.generation`): a
    worker that paused past its heartbeat and woke after the run was started again
    holds an older one. Only the reaper, which holds no start, writes without it."""
    run = _run(run_id)
    if run.status != RunStatus.RUNNING or (generation is not None and generation != run.resumes):
        raise Conflict("This run is no longer running here; another worker has it.")
    return run


@executor
def run_start(
    *, run_id: int, now: dt.datetime, correlation_id: str, lease_until: dt.datetime
) -> Result:
    """Take the source's lease (until `lease_until`, renewed by each heartbeat) and
    mark the run running. A source leased by another live run is not taken: the
    result is `SourceBusy`, for the policy to put the start off. A resumed run keeps
    its first start and correlation id, so undoing it finds all it wrote."""
    run = _still_queued(run_id)
    free = Q(leased_until__isnull=True) | Q(leased_until__lt=now) | Q(leased_by=run.id)
    taken = DataSource.objects.filter(free, id=run.source_id).update(
        leased_until=lease_until, leased_by=run.id
    )
    if not taken:
        holder = DataSource.objects.filter(id=run.source_id).values_list("leased_by", flat=True)
        return Result.success(
            SourceBusy(run_id=run.id, held_by=holder.first(), deferrals=run.deferrals)
        )
    run.status, run.heartbeat = RunStatus.RUNNING, now
    if run.deferrals and not run.resumes:
        run.note = ""  # no longer waiting
    run.started = run.started or now
    run.correlation_id = run.correlation_id or correlation_id
    run.save(update_fields=["status", "note", "started", "heartbeat", "correlation_id"])
    _tell(types.SYNC_RUN_STARTED, run)
    source = run.source
    return Result.success(
        RunContext(
            run_id=run.id,
            source_id=source.id,
            owner_id=source.owner_id,
            provider=source.provider,
            settings=source.settings,
            secrets=source.secrets,
            streams=source.streams,
            cursor=source.cursor or None,
            upload=run.upload.name or None,
            pushed=run.mode == "push",
            correlation_id=run.correlation_id,
            generation=run.resumes,
            paused=not source.enabled,
        )
    )


@executor
def run_heartbeat(
    *, run_id: int, generation: int, now: dt.datetime, lease_until: dt.datetime
) -> Result:
    """The run is alive: note it and extend its lease on the source."""
    run = _running(run_id, generation)
    run.heartbeat = now
    run.save(update_fields=["heartbeat"])
    DataSource.objects.filter(id=run.source_id, leased_by=run.id).update(leased_until=lease_until)
    return Result.success(run.id)


@executor
def run_defer(*, run_id: int, note: str, on_commit: Callable[[int], None]) -> Result:
    """Put a queued run's start off (another run holds its source): counted, said on
    the run, and handed back to the queue by `on_commit` once committed."""
    run = _still_queued(run_id)
    run.deferrals += 1
    run.note = note[:300]
    run.save(update_fields=["deferrals", "note"])
    _tell(types.SYNC_RUN_PROGRESSED, run)
    transaction.on_commit(partial(on_commit, run.id))
    return Result.success(run.id)


@executor
def batch_write(
    *,
    run_id: int,
    generation: int,
    rows: list[IngestRow],
    refused: IngestCounts,
    cursor: str | None,
    progress: tuple[int, int | None],
    keep_cursor: bool,
    now: dt.datetime,
    lease_until: dt.datetime,
) -> Result:
    """Write one batch of the run, add its counts to the run, move the progress, and
    (for pulls) store the cursor, so that a later run resumes after this batch. The
    batch is the run's heartbeat: its lease is extended to `lease_until`."""
    run = _running(run_id, generation)
    source = run.source
    counts = ingest_rows(
        owner_id=source.owner_id,
        rows=rows,
        source=Origin.PROVIDER if run.mode != "file_import" else Origin.IMPORT,
        now=now,
        origin={"data_source_id": source.id, "sync_run_id": run.id},
    )
    rejections = sorted([*refused.rejections, *counts.rejections], key=lambda r: r.index)
    if (
        run.created_count + counts.created
    ) // REANALYZE_EVERY > run.created_count // REANALYZE_EVERY:
        _refresh_statistics()
    run.created_count += counts.created
    run.updated_count += counts.updated
    run.unchanged_count += counts.unchanged
    run.rejected_count += len(rejections)
    room = KEPT_REJECTIONS - len(run.rejections)
    run.rejections += [r.model_dump() for r in rejections[: max(room, 0)]]
    run.progress_done, run.progress_total = progress
    run.heartbeat = now
    run.save()
    fields = {"leased_until": lease_until}
    if keep_cursor and cursor is not None:
        fields["cursor"] = cursor
    DataSource.objects.filter(id=source.id, leased_by=run.id).update(**fields)
    _tell(types.SYNC_RUN_PROGRESSED, run)
    merged = counts.model_copy(update={"rejected": len(rejections), "rejections": rejections})
    return Result.success(BatchWritten(counts=merged, cursor=cursor))


def _refresh_statistics() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Measurement._meta.db_table}")


def _finish(run: SyncRun, status: RunStatus, now: dt.datetime, **fields) -> None:
    for name, value in fields.items():
        setattr(run, name, value)
    run.status, run.finished = status, now
    run.save()
    DataSource.objects.filter(id=run.source_id, leased_by=run.id).update(
        leased_until=None, leased_by=None
    )
    _tell(types.SYNC_RUN_FINISHED, run)


@executor
def run_mode(*, run_id: int, generation: int, mode: str, note: str = "") -> Result:
    run = _running(run_id, generation)
    run.mode = mode
    run.note = note[:300] or run.note
    run.save(update_fields=["mode", "note"])
    if mode != "incremental_pull":
        DataSource.objects.filter(id=run.source_id, leased_by=run.id).update(cursor="")
    _tell(types.SYNC_RUN_PROGRESSED, run)
    return Result.success(run.id)


@executor
def run_succeed(*, run_id: int, generation: int, now: dt.datetime) -> Result:
    run = _running(run_id, generation)
    _finish(run, RunStatus.SUCCEEDED, now)
    return Result.success(run.id)


def _ending(
    run_id: int, generation: int | None, abandoned_before: dt.datetime | None, now: dt.datetime
) -> SyncRun:
    """The run to end: one running under the worker's `generation`; or, for the
    reaper (`abandoned_before`), one still running whose heartbeat is older than that,
    whose dead task is settled."""
    if abandoned_before is None:
        return _running(run_id, generation)
    run = _running(run_id)
    alive = run.heartbeat or run.started
    if alive is not None and alive >= abandoned_before:
        raise Conflict("This run is alive; it is left to its worker.")
    _settle_dead_task(run.id, now)
    return run


def _settle_dead_task(run_id: int, now: dt.datetime) -> None:
    """The task framework's row of the task that died with its worker: failed, not
    running for ever."""
    DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, task_path=RUN_TASK_PATH, args_kwargs__args__0=run_id
    ).update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        exception_class_path="sources.recovery.WorkerStopped",
        traceback="The worker stopped while running this task; the run was reaped.",
    )


@executor
def run_fail(
    *,
    run_id: int,
    error: ErrorDetail,
    now: dt.datetime,
    generation: int | None = None,
    abandoned_before: dt.datetime | None = None,
) -> Result:
    """A failed pull keeps what it wrote and its cursor: the next run resumes."""
    run = _ending(run_id, generation, abandoned_before, now)
    _finish(run, RunStatus.FAILED, now, **_error_fields(error))
    return Result.success(run.id)


@executor
def run_refuse(*, run_id: int, error: ErrorDetail, now: dt.datetime) -> Result:
    """End a run that never started (its source stayed busy): failed, with why."""
    run = _still_queued(run_id)
    for name, value in _error_fields(error).items():
        setattr(run, name, value)
    run.status, run.finished = RunStatus.FAILED, now
    run.save()
    _tell(types.SYNC_RUN_FINISHED, run)
    return Result.success(run.id)


@executor
def run_resume(
    *,
    run_id: int,
    abandoned_before: dt.datetime,
    note: str,
    now: dt.datetime,
    on_commit: Callable[[int], None],
) -> Result:
    """Hand a run whose worker stopped back to the queue: it starts again where its
    committed batches leave it (its source's cursor). The source's lease is let go."""
    run = _ending(run_id, None, abandoned_before, now)
    run.status, run.note = RunStatus.QUEUED, note[:300]
    run.resumes += 1
    run.save(update_fields=["status", "note", "resumes"])
    DataSource.objects.filter(id=run.source_id, leased_by=run.id).update(
        leased_until=None, leased_by=None
    )
    _tell(types.SYNC_RUN_QUEUED, run)
    transaction.on_commit(partial(on_commit, run.id))
    return Result.success(run.id)


@executor
def run_compensate(
    *,
    run_id: int,
    error: ErrorDetail,
    now: dt.datetime,
    generation: int | None = None,
    abandoned_before: dt.datetime | None = None,
) -> Result:
    """Undo a failed import: remove the measurements it created and put back the
    values of those it changed (from their audit entries), in one transaction."""
    run = _ending(run_id, generation, abandoned_before, now)
    made = Measurement.objects.filter(sync_run_id=run.id, created__gte=run.started)
    changed = AuditEntry.objects.filter(
        correlation_id=run.correlation_id, subject_type="measurement", action=Action.UPDATED
    ).order_by("at", "id")
    first_before: dict[int, dict] = {}
    for entry in changed:
        first_before.setdefault(entry.subject_id, entry.before())
    changes = []
    older = (
        measurement
        for ids in _in_slices(list(first_before))
        for measurement in Measurement.objects.filter(
            id__in=ids, created__lt=run.started
        ).select_related("metric")
    )
    moved_from = []
    for measurement in older:
        moved_from.append((measurement.metric_id, measurement.measured_at))
        for name, value in first_before[measurement.id].items():
            if name in SNAPSHOT_FIELDS:
                field = Measurement._meta.get_field(name)
                setattr(measurement, field.attname, field.to_python(value))
        measurement.sync_run_id = None
        measurement.save()
        changes.append((types.MEASUREMENT_CHANGED, shown(measurement)))
    restored = len(changes)
    changes += [(types.MEASUREMENT_DELETED, shown(m)) for m in made.select_related("metric")]
    removed, _ = made.delete()
    tell_changed(run.source.owner_id, changes, now=now, moved_from=moved_from)
    note = f"Undone: {removed:,} removed, {restored:,} put back as they were."
    _finish(run, RunStatus.COMPENSATED, now, note=note[:300], **_error_fields(error))
    return Result.success(run.id)


def _error_fields(error: ErrorDetail) -> dict[str, str]:
    return {
        "error_code": error.code.value,
        "error_message": error.message,
        "error_phase": error.phase.value if error.phase else "",
    }


@executor
def run_queue(
    *,
    source_id: int,
    owner_id: int,
    now: dt.datetime,
    on_commit: Callable[[int], None],
    upload: File | None = None,
    mode: str = "",
) -> Result:
    """Queue a run of the owner's source (with its file, for an import; `mode` "push"
    for a delivery sent again)."""
    source = DataSource.objects.filter(id=source_id, owner_id=owner_id).first()
    if source is None:
        raise NotFound("There is no such data source.")
    if not source.enabled:
        raise Conflict(f"“{source.name}” is paused: resume it to bring its data in again.")
    attempt = SyncRun.objects.filter(source=source).count() + 1
    return Result.success(
        _queued_run(source, now=now, on_commit=on_commit, upload=upload, mode=mode, attempt=attempt)
    )


def _queued_run(
    source: DataSource,
    *,
    now: dt.datetime,
    on_commit: Callable[[int], None],
    upload: File | None = None,
    mode: str = "",
    attempt: int = 1,
) -> int:
    """A queued run (with its file, for an import), handed to `on_commit` once the
    transaction commits, so a worker never looks for a run that is not there yet."""
    run = SyncRun(source=source, created=now, mode=mode, attempt=attempt)
    if upload is not None:
        run.upload.save(Path(upload.name).name, upload, save=False)
    run.save()
    _tell(types.SYNC_RUN_QUEUED, run)
    transaction.on_commit(partial(on_commit, run.id))
    return run.id


@executor
def source_create(
    *,
    owner_id: int,
    provider: str,
    name: str,
    settings: dict,
    streams: dict[str, int],
    now: dt.datetime,
    secrets: dict[str, str] | None = None,
    every_minutes: int | None = None,
) -> Result:
    source = DataSource.objects.create(
        owner_id=owner_id,
        provider=provider,
        name=name,
        settings=settings,
        secrets=secrets or {},
        streams=streams,
        every_minutes=every_minutes,
        created=now,
    )
    _source_created(source)
    return Result.success(source.id)


def _source_created(source: DataSource) -> None:
    emit(
        types.SOURCE_CREATED,
        owner_id=source.owner_id,
        affected=[SOURCES_LIST],
        subject=("source", source.id),
        data={"id": source.id, "name": source.name, "provider": source.provider},
    )


@executor
def file_import_queue(
    *,
    owner_id: int,
    provider: str,
    name: str,
    settings: dict,
    upload: File,
    now: dt.datetime,
    on_commit: Callable[[int], None],
) -> Result:
    """A source for one uploaded file and the run that imports it, together."""
    source = DataSource.objects.create(
        owner_id=owner_id, provider=provider, name=name, settings=settings, created=now
    )
    _source_created(source)
    return Result.success(_queued_run(source, now=now, on_commit=on_commit, upload=upload))


@executor
def delivery_accept(
    *,
    source_id: int,
    signature: str,
    now: dt.datetime,
    forget_before: dt.datetime,
    payload: File,
    on_commit: Callable[[int], None],
) -> Result:
    """Note a delivery's signature (a second one is a replay, refused) and queue the
    run that writes it, with its body stored as the run's upload."""
    WebhookDelivery.objects.filter(source_id=source_id, received__lt=forget_before).delete()
    try:
        with transaction.atomic():
            WebhookDelivery.objects.create(source_id=source_id, signature=signature, received=now)
    except IntegrityError as exc:
        raise Conflict("This delivery was received already; a replay changes nothing.") from exc
    source = DataSource.objects.get(id=source_id)
    if not source.enabled:
        raise Conflict(PAUSED_DELIVERY)
    return Result.success(
        _queued_run(source, now=now, on_commit=on_commit, upload=payload, mode="push")
    )


#: What a delivery to a paused webhook is told (nothing of it is stored).
PAUSED_DELIVERY = (
    "This webhook is paused, so the delivery was not stored. Its owner can resume it on "
    "the Sources page; send it again then."
)
#: The audit trail's name for a data source.
SOURCE_SUBJECT = "data_source"
_SOURCE_AUDITED = ("name", "provider", "enabled")


def source_shown(source: DataSource) -> dict:
    """A source as its events and envelopes show it (never its settings or secrets,
    which may hold a private address)."""
    return {
        "id": source.id,
        "name": source.name,
        "provider": source.provider,
        "paused": not source.enabled,
    }


def _locked_source(source_id: int, owner_id: int) -> DataSource:
    source = DataSource.objects.select_for_update().filter(id=source_id, owner_id=owner_id).first()
    if source is None:
        raise NotFound("There is no such data source.")
    return source


def _source_audit(
    source: DataSource, action: Action, *, actor_id: int, now: dt.datetime, summary: str, **sides
) -> None:
    trail.record(
        action=action,
        subject_type=SOURCE_SUBJECT,
        subject_id=source.id,
        owner_id=source.owner_id,
        actor_id=actor_id,
        summary=summary,
        now=now,
        **sides,
    )


def _source_changed(source: DataSource) -> None:
    emit(
        types.SOURCE_CHANGED,
        owner_id=source.owner_id,
        affected=[SOURCES_LIST],
        subject=("source", source.id),
        data=source_shown(source),
    )


@executor
def source_rename(*, source_id: int, owner_id: int, name: str, now: dt.datetime) -> Result:
    source = _locked_source(source_id, owner_id)
    before = trail.snapshot(source, _SOURCE_AUDITED)
    source.name = name
    source.save(update_fields=["name"])
    after = trail.snapshot(source, _SOURCE_AUDITED)
    _source_audit(
        source, Action.UPDATED, actor_id=owner_id, now=now, summary=name, before=before, after=after
    )
    _source_changed(source)
    return Result.success(source_shown(source))


@executor
def source_pause(*, source_id: int, owner_id: int, paused: bool, now: dt.datetime) -> Result:
    """Pause a source (no scheduled or asked-for pulls, deliveries refused) or resume
    it. A run already running ends as it would have."""
    source = _locked_source(source_id, owner_id)
    before = trail.snapshot(source, _SOURCE_AUDITED)
    source.enabled = not paused
    source.save(update_fields=["enabled"])
    after = trail.snapshot(source, _SOURCE_AUDITED)
    summary = f"{'Paused' if paused else 'Resumed'} {source.name}"
    _source_audit(
        source,
        Action.UPDATED,
        actor_id=owner_id,
        now=now,
        summary=summary,
        before=before,
        after=after,
    )
    _source_changed(source)
    return Result.success(source_shown(source))


@executor
def source_delete(
    *, source_id: int, owner_id: int, keep_measurements: bool, now: dt.datetime
) -> Result:
    """Delete a source with its runs; the measurements it brought are kept (no longer
    linked to it) or deleted with it, each with its audit entry and event. Refused
    while a run of it is running (its lease is held)."""
    source = _locked_source(source_id, owner_id)
    if source.leased_until is not None and source.leased_until > now:
        raise Conflict(
            f"A run of “{source.name}” is in progress; delete the source once it has finished."
        )
    brought = Measurement.objects.filter(metric__owner_id=owner_id, data_source_id=source.id)
    deleted = 0
    if keep_measurements:
        brought.update(data_source_id=None, sync_run_id=None)
    else:
        deleted = _delete_measurements(brought, owner_id=owner_id, now=now)
    was = source_shown(source)
    _source_audit(
        source,
        Action.DELETED,
        actor_id=owner_id,
        now=now,
        summary=f"{source.name} ({deleted:,} measurements deleted with it)"
        if deleted
        else source.name,
        before=trail.snapshot(source, _SOURCE_AUDITED),
    )
    source.delete()
    data = {**was, "measurements_deleted": deleted}
    emit(
        types.SOURCE_DELETED,
        owner_id=owner_id,
        affected=[SOURCES_LIST],
        subject=("source", source_id),
        data=data,
    )
    return Result.success(data)


def _delete_measurements(brought, *, owner_id: int, now: dt.datetime) -> int:
    """Delete the measurements, each with its audit entry (which keeps the whole row)
    and its `measurement.deleted` event."""
    changes, entries, ids = [], [], []
    for measurement in brought.select_related("metric").iterator(chunk_size=2000):
        metric = measurement.metric
        changes.append((types.MEASUREMENT_DELETED, shown(measurement)))
        ids.append(measurement.id)
        entries.append(
            trail.entry(
                action=Action.DELETED,
                subject_type="measurement",
                subject_id=measurement.id,
                owner_id=owner_id,
                actor_id=owner_id,
                summary=quantity(measurement.value, metric.unit, metric.places),
                now=now,
                before=trail.snapshot(measurement, SNAPSHOT_FIELDS),
                metric_id=metric.id,
            )
        )
    AuditEntry.objects.bulk_create(entries, batch_size=IDS_PER_STATEMENT)
    for some in _in_slices(ids):
        Measurement.objects.filter(id__in=some).delete()
    tell_changed(owner_id, changes, now=now)
    return len(ids)
