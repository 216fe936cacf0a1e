"""Background work: a queued sync run is run by a task worker (the database-backed
one by default; Redis-backed workers when configured)."""

import datetime as dt

from django.core.files.storage import default_storage
from django.tasks import task
from django.utils import timezone

from .engine import Dependencies, sync


def open_stored_upload(name: str):
    return default_storage.open(name, "rb")


def enqueue_later(run_id: int, seconds: float) -> None:
    """Queue a run again, to start no sooner than `seconds` from now."""
    run_after = timezone.now() + dt.timedelta(seconds=seconds)
    run_sync.using(run_after=run_after).enqueue(run_id)


@task
def run_sync(run_id: int) -> None:
    sync(run_id, Dependencies(open_upload=open_stored_upload, requeue=enqueue_later))
