"""Reads of the outbox for the live pages: where an owner's stream stands, and what
changed after a position.

An id is a position: an owner's events become visible in the order of their ids,
because `fanout.announcement` serialises the owner's writing transactions from the moment
their events get ids until they commit (on SQLite there is only one writer anyway). So
"everything after id N" never skips an event that commits later with a smaller id.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Subquery

from config.revalidation import event_name

from .models import Event

#: Events read at once for one message; a stream that is further behind sends several.
READ_LIMIT = 500


@dataclass(frozen=True)
class Change:
    """What one request (or task, or command) changed, as the htmx events to fire."""

    correlation_id: str
    names: list[str]


@dataclass(frozen=True)
class Changes:
    """The owner's events after a position, coalesced: one `Change` per correlation id,
    in the order they first appear. `position` is the id of the last event read (the
    position asked about when there is none); `more` says the read stopped at
    `READ_LIMIT`."""

    position: int
    changes: list[Change]
    more: bool = False

    def as_json(self) -> dict:
        return {
            "position": self.position,
            "changes": [
                {"request": change.correlation_id, "events": change.names}
                for change in self.changes
            ],
        }


def position(*, owner_id: int) -> int:
    """The id of the owner's last event, 0 if there is none."""
    last = Event.objects.filter(owner_id=owner_id).order_by("-id").values_list("id", flat=True)
    return last.first() or 0


def changes_after(*, owner_id: int, after: int, limit: int = READ_LIMIT) -> Changes:
    rows = list(
        Event.objects.filter(owner_id=owner_id, id__gt=after)
        .order_by("id")
        .values_list("id", "correlation_id", "affected")[:limit]
    )
    keys: dict[str, set[str]] = {}
    for _id, correlation_id, affected in rows:
        keys.setdefault(correlation_id, set()).update(affected)
    return Changes(
        position=rows[-1][0] if rows else after,
        changes=[
            Change(correlation_id, sorted({event_name(key) for key in affected}))
            for correlation_id, affected in keys.items()
            if affected
        ],
        more=len(rows) == limit,
    )


def positions(*, owner_ids: list[int]) -> dict[int, int]:
    """Each owner's position (owners without events are left out): one probe of the
    (owner, id) index per owner, however long their history."""
    last = Event.objects.filter(owner_id=OuterRef("pk")).order_by("-id").values("id")[:1]
    rows = (
        get_user_model()
        .objects.filter(pk__in=owner_ids)
        .annotate(position=Subquery(last))
        .filter(position__isnull=False)
        .values_list("pk", "position")
    )
    return dict(rows)
