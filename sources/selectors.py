"""Reads of data sources and their runs."""

import datetime as dt

from django.db.models import Max, Q, QuerySet

from config.envelope import NotFound
from measurements.models import Measurement

from .contracts import AbandonedRun
from .models import DataSource, RunStatus, SyncRun


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


def sources_of_provider(*, owner_id: int, provider: str) -> list[DataSource]:
    """The owner's sources of one provider (to tell a new one from one they have)."""
    return list(DataSource.objects.filter(owner_id=owner_id, provider=provider))


def same_source(
    *, owner_id: int, provider: str, name: str, settings: dict | None = None
) -> DataSource | None:
    """The owner's source of `provider` named `name` (in any case), or else, when
    `settings` are given, one with exactly those settings; None when there is none."""
    sources = sources_of_provider(owner_id=owner_id, provider=provider)
    folded = name.strip().casefold()
    named = next((s for s in sources if s.name.strip().casefold() == folded), None)
    if named is not None or settings is None:
        return named
    return next((s for s in sources if s.settings == settings), None)


def measurements_brought(*, source_id: int, owner_id: int) -> int:
    """How many of the owner's measurements the source brought (and still links)."""
    return Measurement.objects.filter(metric__owner_id=owner_id, data_source_id=source_id).count()


def webhook_source(*, source_id: int, providers: list[str]) -> DataSource:
    """A source of one of the `providers` that are sent data, paused or not (a paused
    one answers that it is paused, once the delivery's signature shows the sender
    knows its secret)."""
    source = DataSource.objects.filter(id=source_id, provider__in=providers).first()
    if source is None:
        raise NotFound("There is no such webhook.")
    return source


def _abandoned(stale_before: dt.datetime) -> Q:
    """Running, with a heartbeat (or, for a run that never beat, a start) older than
    `stale_before`: its worker stopped."""
    return Q(status=RunStatus.RUNNING) & (
        Q(heartbeat__lt=stale_before) | Q(heartbeat__isnull=True, started__lt=stale_before)
    )


def abandoned_runs(*, stale_before: dt.datetime, limit: int = 100) -> list[AbandonedRun]:
    runs = (
        SyncRun.objects.filter(_abandoned(stale_before))
        .order_by("heartbeat", "id")
        .values("id", "mode", "resumes", "source__provider")[:limit]
    )
    return [
        AbandonedRun(
            run_id=run["id"],
            provider=run["source__provider"],
            mode=run["mode"],
            resumes=run["resumes"],
        )
        for run in runs
    ]


def due_sources(*, now: dt.datetime, stale_before: dt.datetime | None = None) -> list[DataSource]:
    """Enabled sources with a schedule whose last run started longer ago than their
    interval (or that never ran), and with no run queued or running. A run whose
    heartbeat is older than `stale_before` does not count: its worker is gone, and
    the reaper settles it."""
    active = SyncRun.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING])
    if stale_before is not None:
        active = active.exclude(_abandoned(stale_before))
    candidates = (
        DataSource.objects.filter(enabled=True, every_minutes__isnull=False)
        .exclude(id__in=active.values("source_id"))
        .annotate(last=Max("runs__created"))
    )
    return [
        source
        for source in candidates
        if source.last is None or source.last + dt.timedelta(minutes=source.every_minutes) <= now
    ]
