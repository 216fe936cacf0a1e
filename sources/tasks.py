"""Background work: a queued sync run is run by a task worker (the database-backed
one by default; Redis-backed workers when configured)."""

from django.core.files.storage import default_storage
from django.tasks import task

from .orchestrators import sync


def open_stored_upload(name: str):
    return default_storage.open(name, "rb")


@task
def run_sync(run_id: int) -> None:
    sync(run_id, open_upload=open_stored_upload)
