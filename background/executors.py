"""Writes of the scheduler: taking a chore's lease."""

import datetime as dt

from django.db.models import F

from config.envelope import Result
from events.outbox import executor

from .models import ChoreLease

NEVER_LEASED = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@executor
def chore_lease_take(*, name: str, holder: str, every: dt.timedelta, now: dt.datetime) -> Result:
    """Take the chore's lease for `every` if nobody holds it at `now`; `data` says
    whether this holder got it. The conditional UPDATE decides between schedulers that
    try at once: PostgreSQL re-checks the condition on the row the winner committed,
    SQLite lets one writer in at a time."""
    ChoreLease.objects.get_or_create(name=name, defaults={"leased_until": NEVER_LEASED})
    taken = ChoreLease.objects.filter(name=name, leased_until__lte=now).update(
        leased_until=now + every, holder=holder, last_started=now, runs=F("runs") + 1
    )
    return Result.success(taken == 1)
