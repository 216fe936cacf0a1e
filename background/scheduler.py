"""The one scheduler: every chore that runs on a clock, and the lease that makes
each run once per interval however many schedulers tick (one per machine, say).

A tick offers each chore to `chore_lease_take`; the scheduler that gets the lease
runs the chore, the others skip it until the lease runs out. Each chore is safe to
run again anyway (due pulls skip busy sources, purges delete what is already
expired), so a chore that outruns its interval and starts twice does no harm.
"""

import datetime as dt
import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import close_old_connections
from django.utils import timezone

from api.idempotency import purge_expired
from events.retention import purge_old_events
from goals.orchestrators import judge_statuses, purge_deleted_goals
from measurements.days import settle_due
from notifications.orchestrators import plan_daily_notices, requeue_lost_notices
from notifications.tasks import enqueue_notice_at
from sources.orchestrators import queue_due_syncs
from sources.recovery import reap_abandoned_runs
from sources.tasks import run_sync
from webhooks.orchestrators import requeue_lost_deliveries
from webhooks.tasks import enqueue_delivery

from .executors import chore_lease_take
from .outage import DATABASE_AWAY, Outage

logger = logging.getLogger(__name__)


def _pull_due_sources(now: dt.datetime) -> str:
    return f"queued {len(queue_due_syncs(now=now, enqueue=run_sync.enqueue))} pull(s)"


def _reap_abandoned_runs(now: dt.datetime) -> str:
    return f"settled {len(reap_abandoned_runs(now=now, enqueue=run_sync.enqueue))} run(s)"


def _purge_idempotency_keys(now: dt.datetime) -> str:
    return f"forgot {purge_expired(now=now)} key(s)"


def _purge_old_events(now: dt.datetime) -> str:
    return f"deleted {purge_old_events(now=now)} event(s)"


def _purge_deleted_goals(now: dt.datetime) -> str:
    return f"removed {purge_deleted_goals(now=now).unwrap()} goal(s)"


def _requeue_lost_webhooks(now: dt.datetime) -> str:
    return f"queued {len(requeue_lost_deliveries(now=now, enqueue=enqueue_delivery))} delivery(ies)"


def _judge_goal_statuses(now: dt.datetime) -> str:
    return f"judged {judge_statuses(now=now)} goal(s)"


def _settle_days(now: dt.datetime) -> str:
    return f"settled {settle_due(now)} day(s)"


def _plan_notifications(now: dt.datetime) -> str:
    return f"planned {len(plan_daily_notices(now, enqueue_at=enqueue_notice_at))} notice(s)"


def _requeue_lost_notices(now: dt.datetime) -> str:
    return f"queued {len(requeue_lost_notices(now, enqueue_at=enqueue_notice_at))} notice(s)"


@dataclass(frozen=True)
class Chore:
    name: str
    run: Callable[[dt.datetime], str]
    every: dt.timedelta


CHORES = (
    Chore("pull_due_sources", _pull_due_sources, dt.timedelta(minutes=1)),
    Chore("reap_abandoned_runs", _reap_abandoned_runs, dt.timedelta(minutes=1)),
    Chore("purge_idempotency_keys", _purge_idempotency_keys, dt.timedelta(hours=1)),
    Chore("purge_deleted_goals", _purge_deleted_goals, dt.timedelta(hours=1)),
    Chore("purge_old_events", _purge_old_events, dt.timedelta(hours=1)),
    Chore("requeue_lost_webhooks", _requeue_lost_webhooks, dt.timedelta(minutes=1)),
    # A status can move as time passes, with nothing written: judged again every 15 min.
    Chore("judge_goal_statuses", _judge_goal_statuses, dt.timedelta(minutes=15)),
    # Days that are over are summed once, so progress over months reads a row a day.
    Chore("settle_days", _settle_days, dt.timedelta(minutes=15)),
    # Each person's daily reminder goes out at their local time, to the minute.
    Chore("plan_notifications", _plan_notifications, dt.timedelta(minutes=1)),
    Chore("requeue_lost_notices", _requeue_lost_notices, dt.timedelta(minutes=1)),
)


@dataclass(frozen=True)
class ChoreRun:
    chore: str
    started: dt.datetime
    outcome: str


class Scheduler:
    """Runs the chores whose lease it gets, tick after tick. `holder` names this
    scheduler in the lease rows (host and process id, say)."""

    def __init__(self, *, holder: str, chores=CHORES, clock=timezone.now):
        self.holder = holder
        self.chores = chores
        self.clock = clock
        self.outage = Outage("scheduler", logger, retrying="tries again at each tick")

    def tick(self) -> list[ChoreRun]:
        """Run every chore that is due and not leased by another scheduler. A chore
        that fails is logged and tried again at its next interval; a database that
        went away ends the tick, to be tried again at the next."""
        runs = []
        close_old_connections()
        try:
            for chore in self.chores:
                now = self.clock()
                lease = chore_lease_take(
                    name=chore.name, holder=self.holder, every=chore.every, now=now
                )
                if not lease.unwrap():
                    continue
                run = ChoreRun(chore.name, now, self._run(chore, now))
                logger.info("Chore %s at %s: %s.", run.chore, run.started.isoformat(), run.outcome)
                runs.append(run)
        except DATABASE_AWAY as error:
            self.outage.lost(error)
            return runs
        self.outage.over()
        return runs

    def _run(self, chore: Chore, now: dt.datetime) -> str:
        try:
            return chore.run(now)
        except DATABASE_AWAY:
            raise
        except Exception:
            logger.exception("The chore %s failed; it runs again in %s.", chore.name, chore.every)
            return "failed"

    def run_forever(self, *, every: float):
        """Tick every `every` seconds until SIGTERM or SIGINT, which end it after the
        tick under way: a chore whose lease was taken is run and logged, not cut off."""
        logger.info(
            "The scheduler %s ticks every %g s: %s.",
            self.holder,
            every,
            ", ".join(f"{chore.name} every {chore.every}" for chore in self.chores),
        )
        stopping = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.set())
        while not stopping.is_set():
            started = time.monotonic()
            self.tick()
            stopping.wait(max(0.0, every - (time.monotonic() - started)))
        logger.info("The scheduler %s stopped.", self.holder)
