"""Scheduled pulls: a source is queued when its interval has passed since its last
run, and not while a run of it is queued or running."""

import datetime as dt

import pytest

from sources.models import DataSource, RunStatus, SyncRun
from sources.orchestrators import queue_due_syncs
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def source(**fields) -> DataSource:
    return DataSource.objects.create(
        owner=UserFactory(), provider="icalendar", name="Gym", created=NOW, **fields
    )


def run(of: DataSource, minutes_ago: int, status=RunStatus.SUCCEEDED) -> None:
    SyncRun.objects.create(
        source=of, created=NOW - dt.timedelta(minutes=minutes_ago), status=status
    )


def test_only_sources_whose_interval_has_passed_are_queued():
    never_ran = source(every_minutes=60)
    due = source(every_minutes=60)
    run(due, minutes_ago=61)
    not_yet = source(every_minutes=60)
    run(not_yet, minutes_ago=30)
    busy = source(every_minutes=5)
    run(busy, minutes_ago=30, status=RunStatus.RUNNING)
    unscheduled = source()
    paused = source(every_minutes=5, enabled=False)
    enqueued: list[int] = []
    queued = queue_due_syncs(now=NOW, enqueue=enqueued.append)
    sources = set(SyncRun.objects.filter(id__in=queued).values_list("source_id", flat=True))
    assert sources == {never_ran.id, due.id}
    assert {not_yet.id, busy.id, unscheduled.id, paused.id}.isdisjoint(sources)
