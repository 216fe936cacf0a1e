"""How long the outbox keeps events: long enough for a page to resume after a night
asleep and for a webhook's retries to find their event; a delivery keeps the body it
sends, so it outlives its event."""

import datetime as dt

from django.conf import settings

from .models import Event

#: Events deleted per statement, so a purge never holds a long lock.
BATCH = 5000


def purge_old_events(*, now: dt.datetime) -> int:
    """Delete the events older than `EVENTS_KEEP_DAYS`; the scheduler runs it."""
    cutoff = now - dt.timedelta(days=settings.EVENTS_KEEP_DAYS)
    deleted = 0
    while ids := list(
        Event.objects.filter(at__lt=cutoff).order_by("id").values_list("id", flat=True)[:BATCH]
    ):
        count, _ = Event.objects.filter(id__in=ids).delete()
        deleted += len(ids)
        if count == 0:
            break
    return deleted
