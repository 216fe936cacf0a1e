"""The database-backed task worker, made to outlive the database going away.

django-tasks-db's worker lets an error of its polling loop end the process, so a
PostgreSQL restart ("the database system is starting up") stopped all background
work. This worker runs the same loop; when the database goes away it logs it once,
reconnects with capped backoff and goes on. A task whose database connection was cut
fails (its sync run is settled by the reaper); the task's own row is marked failed as
soon as the database is back, so no task row stays "running".

On start it hands runs abandoned by a dead worker back to the sync policy.
"""

import logging

from django.tasks.base import TaskResultStatus
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from sources.recovery import reap_abandoned_runs
from sources.tasks import run_sync

from .outage import DATABASE_AWAY, Outage, wait_for_database

logger = logging.getLogger(__name__)


def reap_on_start() -> None:
    """Settle the runs a dead worker left running. A failure here is logged, not
    fatal: the scheduler reaps every minute too."""
    try:
        reaped = reap_abandoned_runs(now=timezone.now(), enqueue=run_sync.enqueue)
    except DATABASE_AWAY:
        raise
    except Exception:
        logger.exception("Reaping abandoned runs on start failed; the scheduler will retry.")
        return
    if reaped:
        logger.info("Handed %d abandoned run(s) back to the sync policy.", len(reaped))


class DatabaseResilientWorker(Worker):
    def __init__(self, **options):
        super().__init__(**options)
        self.outage = Outage("task worker", logger)
        self._reaped = False
        self._unsettled: tuple[DBTaskResult, BaseException] | None = None

    def run(self) -> None:
        while True:
            try:
                self.outage.over()
                self._settle_unsettled()
                if not self._reaped:
                    reap_on_start()
                    self._reaped = True
                return super().run()
            except DATABASE_AWAY as error:
                self.outage.lost(error)
                self.running_task = False
                # The random start-up delay is for the first start only.
                self.startup_delay = False
                if not wait_for_database(keep_waiting=lambda: self.running):
                    return None

    def run_task(self, db_task_result: DBTaskResult) -> None:
        try:
            super().run_task(db_task_result)
        except DATABASE_AWAY as error:
            # The task's outcome could not be written: settle it once we are back.
            self._unsettled = (db_task_result, error.__context__ or error)
            raise

    def _settle_unsettled(self) -> None:
        if self._unsettled is None:
            return
        db_task_result, error = self._unsettled
        still_running = DBTaskResult.objects.filter(
            id=db_task_result.id, status=TaskResultStatus.RUNNING
        ).exists()
        if still_running:
            db_task_result.set_failed(error)
            logger.warning(
                "Task id=%s failed: the database went away while it ran.", db_task_result.id
            )
        self._unsettled = None
