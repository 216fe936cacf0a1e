"""Writes of data sources and sync runs. Each is one durable transaction; `now` comes
in as an argument; none makes an HTTP call (providers do that, for the orchestrator).
"""

import datetime as dt
from collections.abc import Callable
from functools import partial
from pathlib import Path

from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.db.models import Q

from audit.models import Action, AuditEntry
from config.envelope import Conflict, ErrorDetail, NotFound, Result
from measurements.choices import Source as Origin
from measurements.contracts import IngestCounts, IngestRow
from measurements.executors import SNAPSHOT_FIELDS, ingest_rows
from measurements.models import Measurement

from .contracts import BatchWritten, RunContext
from .models import DataSource, RunStatus, SyncRun, WebhookDelivery

#: How long a run holds its source without writing before another may take over (a
#: worker that died mid-run must not block the source for ever).
LEASE = dt.timedelta(minutes=10)
#: A large import outgrows the planner's statistics of the measurements table faster
#: than autovacuum refreshes them, and stale ones turn each batch's id lookup into a
#: scan of the metric's rows: so the run refreshes them every this many new rows.
REANALYZE_EVERY = 100_000

#: How many rejections a run keeps to show; the count has them all.
KEPT_REJECTIONS = 50


def _run(run_id: int) -> SyncRun:
    run = SyncRun.objects.select_for_update().select_related("source").filter(id=run_id).first()
    if run is None:
        raise NotFound("There is no such sync run.")
    return run


@transaction.atomic(durable=True)
def run_start(*, run_id: int, now: dt.datetime, correlation_id: str) -> Result:
    """Take the source's lease and mark the run running. A source leased by another
    live run is a Conflict: one source is never synced twice at once."""
    run = _run(run_id)
    if run.status != RunStatus.QUEUED:
        raise Conflict(f"This run is {run.get_status_display().lower()} already.")
    free = Q(leased_until__isnull=True) | Q(leased_until__lt=now) | Q(leased_by=run.id)
    taken = DataSource.objects.filter(free, id=run.source_id).update(
        leased_until=now + LEASE, leased_by=run.id
    )
    if not taken:
        raise Conflict("This source is being synced right now; the run waits for the next turn.")
    run.status, run.started, run.correlation_id = RunStatus.RUNNING, now, correlation_id
    run.save(update_fields=["status", "started", "correlation_id"])
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
            correlation_id=correlation_id,
        )
    )


@transaction.atomic(durable=True)
def batch_write(
    *,
    run_id: int,
    rows: list[IngestRow],
    refused: IngestCounts,
    cursor: str | None,
    progress: tuple[int, int | None],
    keep_cursor: bool,
    now: dt.datetime,
) -> Result:
    """Write one batch of the run, add its counts to the run, move the progress, and
    (for pulls) store the cursor, so that a later run resumes after this batch. The
    run's lease is extended: it is alive."""
    run = _run(run_id)
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
    run.save()
    fields = {"leased_until": now + LEASE}
    if keep_cursor and cursor is not None:
        fields["cursor"] = cursor
    DataSource.objects.filter(id=source.id, leased_by=run.id).update(**fields)
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


@transaction.atomic(durable=True)
def run_mode(*, run_id: int, mode: str, note: str = "") -> Result:
    run = _run(run_id)
    run.mode, run.note = mode, note[:300]
    run.save(update_fields=["mode", "note"])
    if mode != "incremental_pull":
        DataSource.objects.filter(id=run.source_id, leased_by=run.id).update(cursor="")
    return Result.success(run.id)


@transaction.atomic(durable=True)
def run_succeed(*, run_id: int, now: dt.datetime) -> Result:
    run = _run(run_id)
    _finish(run, RunStatus.SUCCEEDED, now)
    return Result.success(run.id)


@transaction.atomic(durable=True)
def run_fail(*, run_id: int, error: ErrorDetail, now: dt.datetime) -> Result:
    """A failed pull keeps what it wrote and its cursor: the next run resumes."""
    run = _run(run_id)
    _finish(run, RunStatus.FAILED, now, **_error_fields(error))
    return Result.success(run.id)


@transaction.atomic(durable=True)
def run_compensate(*, run_id: int, error: ErrorDetail, now: dt.datetime) -> Result:
    """Undo a failed import: remove the measurements it created and put back the
    values of those it changed (from their audit entries), in one transaction."""
    run = _run(run_id)
    made = Measurement.objects.filter(sync_run_id=run.id, created__gte=run.started)
    changed = AuditEntry.objects.filter(
        correlation_id=run.correlation_id, subject_type="measurement", action=Action.UPDATED
    ).order_by("at", "id")
    first_before: dict[int, dict] = {}
    for entry in changed:
        first_before.setdefault(entry.subject_id, entry.before())
    restored = 0
    older = Measurement.objects.filter(id__in=first_before, created__lt=run.started)
    for measurement in older:
        for name, value in first_before[measurement.id].items():
            if name in SNAPSHOT_FIELDS:
                field = Measurement._meta.get_field(name)
                setattr(measurement, field.attname, field.to_python(value))
        measurement.sync_run_id = None
        measurement.save()
        restored += 1
    removed, _ = made.delete()
    note = f"Undone: {removed:,} removed, {restored:,} put back as they were."
    _finish(run, RunStatus.COMPENSATED, now, note=note[:300], **_error_fields(error))
    return Result.success(run.id)


def _error_fields(error: ErrorDetail) -> dict[str, str]:
    return {
        "error_code": error.code.value,
        "error_message": error.message,
        "error_phase": error.phase.value if error.phase else "",
    }


@transaction.atomic(durable=True)
def run_queue(
    *,
    source_id: int,
    owner_id: int,
    now: dt.datetime,
    on_commit: Callable[[int], None],
    upload: File | None = None,
) -> Result:
    """Queue a run of the owner's source (with its file, for an import)."""
    source = DataSource.objects.filter(id=source_id, owner_id=owner_id).first()
    if source is None:
        raise NotFound("There is no such data source.")
    attempt = SyncRun.objects.filter(source=source).count() + 1
    return Result.success(
        _queued_run(source.id, now=now, on_commit=on_commit, upload=upload, attempt=attempt)
    )


def _queued_run(
    source_id: int,
    *,
    now: dt.datetime,
    on_commit: Callable[[int], None],
    upload: File | None = None,
    mode: str = "",
    attempt: int = 1,
) -> int:
    """A queued run (with its file, for an import), handed to `on_commit` once the
    transaction commits, so a worker never looks for a run that is not there yet."""
    run = SyncRun(source_id=source_id, created=now, mode=mode, attempt=attempt)
    if upload is not None:
        run.upload.save(Path(upload.name).name, upload, save=False)
    run.save()
    transaction.on_commit(partial(on_commit, run.id))
    return run.id


@transaction.atomic(durable=True)
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
    return Result.success(source.id)


@transaction.atomic(durable=True)
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
    return Result.success(_queued_run(source.id, now=now, on_commit=on_commit, upload=upload))


@transaction.atomic(durable=True)
def delivery_accept(
    *,
    source_id: int,
    signature: str,
    now: dt.datetime,
    forget_before: dt.datetime,
    on_commit: Callable[[int], None],
) -> Result:
    """Note a delivery's signature (a second one is a replay, refused) and queue the
    run that writes it."""
    WebhookDelivery.objects.filter(source_id=source_id, received__lt=forget_before).delete()
    try:
        with transaction.atomic():
            WebhookDelivery.objects.create(source_id=source_id, signature=signature, received=now)
    except IntegrityError as exc:
        raise Conflict("This delivery was received already; a replay changes nothing.") from exc
    return Result.success(_queued_run(source_id, now=now, on_commit=on_commit, mode="push"))
