"""Faults injected into a real `db_worker` process on the test database: the worker
killed with SIGKILL in the middle of a large CSV import, then the reaper and a new
worker; and a Retry posted while a dead run still holds its source's lease. Each run
ends in a terminal state (or resumes to success), with the file's rows exactly: none
lost, none twice. Each test prints its time to recovery."""

import datetime as dt
import os
import signal
import subprocess
import time

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from measurements.models import Measurement
from sources.models import DataSource, RunStatus, SyncRun
from sources.orchestrators import import_file
from sources.recovery import reap_abandoned_runs
from sources.tasks import run_sync
from tests import processes
from tests.factories import PASSWORD, MetricFactory

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = 50_000
START = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
TERMINAL = (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.COMPENSATED)


def big_csv(rows: int) -> bytes:
    lines = ["id,time,weight"]
    lines += [
        f"r{n},{(START + dt.timedelta(minutes=n)).isoformat()},{70 + n % 300 / 10}"
        for n in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


def worker(media_root, log, *options: str, stale_after: int = 90) -> subprocess.Popen:
    """A `db_worker` that keeps waiting for tasks, with a quick heartbeat."""
    connection.close()
    return processes.start(
        processes.manage("db_worker", "--no-startup-delay", *options),
        log,
        MEDIA_ROOT=str(media_root),
        TASKS_BACKEND="database",
        SYNC_STALE_AFTER_SECONDS=str(stale_after),
        SYNC_HEARTBEAT_SECONDS="1",
    )


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_a_worker_killed_mid_import_is_reaped_and_the_import_resumes_exactly_once(tmp_path):
    metric = MetricFactory(unit="kg")
    queued = import_file(
        actor_id=metric.owner_id,
        provider_key="csv",
        name="years.csv",
        settings={
            "metric_id": metric.id,
            "value_column": "weight",
            "time_column": "time",
            "external_id_column": "id",
        },
        upload=ContentFile(big_csv(ROWS), name="years.csv"),
        now=timezone.now(),
        enqueue=run_sync.enqueue,
    )
    assert queued.ok, queued.error
    run_id = queued.data
    first = worker(tmp_path, tmp_path / "killed.log", "--interval", "0.1")
    try:
        done = processes.wait_until(
            lambda: SyncRun.objects.filter(id=run_id, progress_done__gt=0).first(),
            timeout=60,
            what="the import to make progress",
            step=0.05,
        )
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        killed_at = time.monotonic()
    finally:
        processes.stop(first)
    run = SyncRun.objects.get(id=run_id)
    kept = Measurement.objects.filter(metric=metric).count()
    assert run.status == RunStatus.RUNNING and 0 < kept < ROWS, (run.status, kept)
    print(
        f"\nkilled at {done.progress_done:,} of {done.progress_total:,} bytes, {kept:,} rows kept"
    )

    time.sleep(1.1)
    reaped = reap_abandoned_runs(
        now=timezone.now(), enqueue=run_sync.enqueue, stale_after=dt.timedelta(seconds=1)
    )
    assert reaped == [run_id]
    dead_task = DBTaskResult.objects.get(status=TaskResultStatus.FAILED)
    assert dead_task.args_kwargs["args"] == [run_id]

    second = worker(tmp_path, tmp_path / "resumed.log", "--batch")
    try:
        second.wait(timeout=120)
    finally:
        processes.stop(second)
    recovered = time.monotonic() - killed_at
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, (run.error_message, second.log.read_text()[-2000:])
    assert run.resumes == 1 and "resumed" in run.note
    stored = Measurement.objects.filter(metric=metric)
    ids = list(stored.values_list("external_id", flat=True))
    assert len(ids) == len(set(ids)) == ROWS  # none twice, none missing
    assert set(ids) == {f"r{n}" for n in range(ROWS)}
    print(f"recovered in {recovered:.1f} s: {ROWS:,} rows, 0 lost, 0 duplicated")


def test_a_retry_while_a_dead_run_holds_the_lease_ends_visibly(client, tmp_path):
    metric = MetricFactory(unit="kg")
    source = DataSource.objects.create(
        owner=metric.owner,
        provider="csv",
        name="weights.csv",
        settings={"metric_id": metric.id, "value_column": "weight", "time_column": "time"},
        created=timezone.now(),
    )
    now = timezone.now()
    dead = SyncRun.objects.create(
        source=source,
        created=now,
        started=now,
        # Its last beat looks fresh for a minute: however slowly the worker starts (a
        # loaded machine), the reaper it runs first leaves the lease where it is.
        heartbeat=now + dt.timedelta(seconds=60),
        status=RunStatus.RUNNING,
        mode="file_import",
        upload=ContentFile(b"time,weight\n2026-11-20,81.4\n", name="weights.csv"),
    )
    source.leased_by, source.leased_until = dead.id, now + dt.timedelta(seconds=60)
    source.save()
    assert client.login(username=metric.owner.username, password=PASSWORD)

    posted = time.monotonic()
    assert client.post(f"/sources/runs/{dead.id}/retry/").status_code == 302
    retry = SyncRun.objects.exclude(id=dead.id).get()
    process = worker(tmp_path, tmp_path / "worker.log", "--interval", "0.1", stale_after=2)
    try:
        ended = processes.wait_until(
            lambda: SyncRun.objects.filter(id=retry.id, status__in=TERMINAL).first(),
            timeout=30,
            what="the retry to end",
        )
    finally:
        processes.stop(process)
    took = time.monotonic() - posted
    assert ended.status == RunStatus.FAILED
    assert ended.error_message.startswith("Another run of this source was in progress")
    assert ended.deferrals == 4 and ended.can_retry
    assert not Measurement.objects.exists()
    page = client.get("/sources/").content.decode()
    assert f'action="/sources/runs/{ended.id}/retry/"' in page
    print(f"\nthe retry ended visibly after {took:.1f} s and {ended.deferrals} put-offs")
