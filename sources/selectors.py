"""Reads of data sources and their runs."""

import datetime as dt

from django.db.models import Max, Q, QuerySet

from config.envelope import NotFound

from .models import DataSource, SyncRun


def sources_for(*, owner_id: int) -> QuerySet[DataSource]:
    return DataSource.objects.filter(owner_id=owner_id)


def recent_runs(*, owner_id: int, limit: int = 20) -> list[SyncRun]:
    return list(SyncRun.objects.select_related("source").filter(source__owner_id=owner_id)[:limit])


def run_for_owner(*, run_id: int, owner_id: int) -> SyncRun:
    run = SyncRun.objects.select_related("source").filter(id=run_id).first()
    if run is None or run.source.owner_id != owner_id:
        raise NotFound("There is no such sync run.")
    return run


def source_for_owner(*, source_id: int, owner_id: int) -> DataSource:
    source = DataSource.objects.filter(id=source_id, owner_id=owner_id).first()
    if source is None:
        raise NotFound("There is no such data source.")
    return source


def webhook_source(*, source_id: int) -> DataSource:
    source = DataSource.objects.filter(id=source_id, provider="webhook", enabled=True).first()
    if source is None:
        raise NotFound("There is no such webhook.")
    return source


def run_by_id(*, run_id: int) -> SyncRun:
    return SyncRun.objects.get(id=run_id)


def due_sources(*, now: dt.datetime) -> list[DataSource]:
    """Enabled sources with a schedule whose last run started longer ago than their
    interval (or that never ran), and with no run queued or running."""
    active = Q(runs__status__in=["queued", "running"])
    candidates = (
        DataSource.objects.filter(enabled=True, every_minutes__isnull=False)
        .exclude(id__in=DataSource.objects.filter(active).values("id"))
        .annotate(last=Max("runs__created"))
    )
    return [
        source
        for source in candidates
        if source.last is None or source.last + dt.timedelta(minutes=source.every_minutes) <= now
    ]
