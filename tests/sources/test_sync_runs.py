"""Sync runs against the real database: a failed import leaves nothing, a failed pull
keeps its batches and the next run resumes after them, and one source is never
synced twice at once."""

import datetime as dt
import threading
import time
from decimal import Decimal
from functools import partial
from types import SimpleNamespace

import pytest
from django.db import connection
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pydantic import BaseModel

from config.envelope import Conflict
from measurements.models import Measurement
from sources import executors, selectors
from sources.engine import BUSY_MESSAGE
from sources.models import DataSource, RunStatus, SyncRun
from sources.orchestrators import sync
from sources.providers import Batch, Capability, PermanentError, Provider
from sources.recovery import reap_abandoned_runs
from tests.factories import MeasurementFactory, MetricFactory

WHEN = dt.datetime(2026, 11, 20, 7, 0, tzinfo=dt.UTC)


class NoSettings(BaseModel):
    pass


class Feed(Provider):
    """Serves numbered batches of two measurements; fails after `fail_after` batches."""

    key = "feed"
    label = "Test feed"
    capabilities = Capability.FULL_PULL | Capability.INCREMENTAL_PULL | Capability.FILE_IMPORT
    settings_model = NoSettings

    def __init__(self, metric_id: int, batches: int, fail_after: int | None = None, pause=0.0):
        self.metric_id, self.batches, self.fail_after, self.pause = (
            metric_id,
            batches,
            fail_after,
            pause,
        )
        self.cursors_seen: list[str | None] = []

    def _batches(self, start: int):
        for number in range(start, self.batches):
            if self.fail_after is not None and number == self.fail_after:
                raise PermanentError(f"The feed broke at batch {number}.")
            time.sleep(self.pause)
            items = [
                {
                    "metric_id": self.metric_id,
                    "value": str(80 + number),
                    "measured_at": (WHEN + dt.timedelta(hours=2 * number + i)).isoformat(),
                    "external_id": f"b{number}-{i}",
                }
                for i in range(2)
            ]
            yield Batch(items=items, cursor=str(number + 1), progress=(number + 1, self.batches))

    def pull(self, source, *, mode):
        self.cursors_seen.append(source.cursor)
        return self._batches(int(source.cursor or 0))

    def parse(self, source, upload):
        return self._batches(0)


def registry(provider):
    return SimpleNamespace(get=lambda key: provider if key == "feed" else None)


def queued_run(source: DataSource, *, upload: bool = False) -> int:
    if upload:
        run = SyncRun.objects.create(source=source, created=timezone.now(), upload="imports/x.csv")
        return run.id
    return executors.run_queue(
        source_id=source.id, owner_id=source.owner_id, now=timezone.now(), on_commit=print
    ).data


def stored_file(name):
    return open(__file__, "rb")


@pytest.fixture
def source(db):
    metric = MetricFactory(unit="kg")
    return DataSource.objects.create(
        owner=metric.owner, provider="feed", name="Scale", created=timezone.now()
    )


def metric_of(source):
    return source.owner.metrics.get()


@pytest.mark.django_db
def test_a_pull_that_fails_keeps_its_batches_and_the_next_run_resumes(source):
    feed = Feed(metric_of(source).id, batches=5, fail_after=2)
    failed = sync(queued_run(source), providers=registry(feed))
    assert not failed.ok and "batch 2" in failed.error.message
    assert Measurement.objects.count() == 4
    source.refresh_from_db()
    assert source.cursor == "2" and source.leased_by is None
    assert SyncRun.objects.get(status=RunStatus.FAILED).created_count == 4

    feed.fail_after = None
    resumed = sync(queued_run(source), providers=registry(feed))
    assert resumed.ok
    assert feed.cursors_seen == [None, "2"]
    assert Measurement.objects.count() == 10
    assert SyncRun.objects.filter(status=RunStatus.SUCCEEDED).get().mode == "incremental_pull"


@pytest.mark.django_db
def test_an_import_that_fails_leaves_nothing_and_puts_back_what_it_changed(source):
    metric = metric_of(source)
    existing = MeasurementFactory(
        metric=metric, value=Decimal(70), source="import", external_id="b0-0", measured_at=WHEN
    )
    feed = Feed(metric.id, batches=4, fail_after=2)
    failed = sync(
        queued_run(source, upload=True), providers=registry(feed), open_upload=stored_file
    )
    assert not failed.ok
    run = SyncRun.objects.get()
    assert run.status == RunStatus.COMPENSATED
    assert "removed" in run.note
    assert list(Measurement.objects.values_list("id", "value")) == [(existing.id, Decimal(70))]


@pytest.mark.django_db
def test_undoing_an_import_puts_back_more_rows_than_one_statement_names(source, monkeypatch):
    """The rows an import changed are read back a slice of ids at a time: a big
    re-import that fails names more of them than a statement may carry."""
    monkeypatch.setattr(executors, "IDS_PER_STATEMENT", 3)
    metric = metric_of(source)
    before = {
        f"b{number}-{i}": MeasurementFactory(
            metric=metric,
            value=Decimal(70),
            source="import",
            external_id=f"b{number}-{i}",
            measured_at=WHEN,
        ).id
        for number in range(4)
        for i in range(2)
    }
    feed = Feed(metric.id, batches=5, fail_after=4)
    failed = sync(
        queued_run(source, upload=True), providers=registry(feed), open_upload=stored_file
    )
    assert not failed.ok
    assert SyncRun.objects.get().status == RunStatus.COMPENSATED
    stored = Measurement.objects.values_list("external_id", "id", "value", "measured_at")
    assert {key: (id, value, at) for key, id, value, at in stored} == {
        key: (id, Decimal(70), WHEN) for key, id in before.items()
    }


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_sync_one_source_at_once(source):
    feed = Feed(metric_of(source).id, batches=3, pause=0.2)
    runs = [queued_run(source), queued_run(source)]
    barrier = threading.Barrier(2)
    results = {}

    def work(run_id):
        barrier.wait()
        try:
            results[run_id] = sync(run_id, providers=registry(feed))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(run_id,)) for run_id in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcomes = sorted(result.ok for result in results.values())
    assert outcomes == [False, True]
    refused = next(result for result in results.values() if not result.ok)
    assert refused.error.code == "conflict"
    assert Measurement.objects.count() == 6
    assert DataSource.objects.get().leased_by is None
    # Never silent: with no queue to put it off to, the refused run ends saying why.
    ended = SyncRun.objects.get(status=RunStatus.FAILED)
    assert ended.error_message == BUSY_MESSAGE and ended.can_retry


# --- runs whose worker died -------------------------------------------------------------

STALE = dt.timedelta(seconds=90)


def dead_run(source: DataSource, *, upload: bool = False, batches: int = 0) -> int:
    """A run started (and `batches` written) by a worker that then died: running,
    with a heartbeat older than the stale limit and the source's lease held."""
    run_id = queued_run(source, upload=upload)
    long_ago = timezone.now() - 2 * STALE
    feed = Feed(metric_of(source).id, batches=batches)
    context = executors.run_start(
        run_id=run_id, now=long_ago, correlation_id="dead-worker", lease_until=long_ago + STALE
    ).data
    executors.run_mode(run_id=run_id, generation=0, mode="file_import" if upload else "full_pull")
    for batch in feed._batches(0):
        write_batch(context, batch, long_ago, upload).unwrap()
    return run_id


def write_batch(context, batch, when, upload):
    from measurements.contracts import IngestCounts
    from measurements.orchestrators import prepare_rows

    rows, _ = prepare_rows(batch.items, {batch.items[0]["metric_id"]: "kg"})
    return executors.batch_write(
        run_id=context.run_id,
        generation=context.generation,
        rows=rows,
        refused=IngestCounts(),
        cursor=batch.cursor,
        progress=batch.progress,
        keep_cursor=not upload,
        now=when,
        lease_until=when + STALE,
    )


@pytest.mark.django_db(transaction=True)
def test_a_dead_pull_is_reaped_and_resumes_from_its_committed_cursor(source):
    run_id = dead_run(source, batches=2)
    enqueued: list[int] = []
    DBTaskResult.objects.create(
        status=TaskResultStatus.RUNNING,
        args_kwargs={"args": [run_id], "kwargs": {}},
        task_path="sources.tasks.run_sync",
        backend_name="default",
        run_after=timezone.now(),
    )

    feed = Feed(metric_of(source).id, batches=4)
    reap = partial(reap_abandoned_runs, enqueue=enqueued.append, providers=registry(feed))
    assert reap(now=timezone.now()) == [run_id]
    assert reap(now=timezone.now()) == []  # settled once

    run = SyncRun.objects.get(id=run_id)
    assert (run.status, run.resumes, enqueued) == (RunStatus.QUEUED, 1, [run_id])
    assert DataSource.objects.get().leased_by is None
    assert DBTaskResult.objects.get().status == TaskResultStatus.FAILED
    assert sync(run_id, providers=registry(feed)).ok
    assert feed.cursors_seen == ["2"]
    assert Measurement.objects.count() == 8
    assert SyncRun.objects.get(id=run_id).correlation_id == "dead-worker"


@pytest.mark.django_db(transaction=True)
def test_a_dead_import_that_cannot_be_replayed_is_undone_and_offers_retry(source):
    run_id = dead_run(source, upload=True, batches=2)
    assert Measurement.objects.count() == 4

    assert reap_abandoned_runs(now=timezone.now(), enqueue=print, providers=registry(Feed(0, 0)))

    run = SyncRun.objects.get(id=run_id)
    assert run.status == RunStatus.COMPENSATED and run.can_retry
    assert "worker stopped" in run.error_message
    assert not Measurement.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_wakes_after_its_run_was_started_again_writes_nothing(source):
    """A worker paused past the stale limit (not dead) whose run was reaped and started
    by another worker: its next batch, heartbeat and ending are refused."""
    feed = Feed(metric_of(source).id, batches=3)
    first_batch, second_batch, _ = feed._batches(0)
    run_id = queued_run(source)
    long_ago = timezone.now() - 2 * STALE
    paused = executors.run_start(
        run_id=run_id, now=long_ago, correlation_id="paused", lease_until=long_ago + STALE
    ).data
    write_batch(paused, first_batch, long_ago, upload=False).unwrap()
    assert reap_abandoned_runs(now=timezone.now(), enqueue=print, providers=registry(feed))
    now = timezone.now()
    again = executors.run_start(
        run_id=run_id, now=now, correlation_id="again", lease_until=now + STALE
    ).data
    assert (paused.generation, again.generation) == (0, 1)

    with pytest.raises(Conflict):
        write_batch(paused, second_batch, now, upload=False)
    with pytest.raises(Conflict):
        executors.run_heartbeat(
            run_id=run_id, generation=paused.generation, now=now, lease_until=now + STALE
        )
    with pytest.raises(Conflict):
        executors.run_succeed(run_id=run_id, generation=paused.generation, now=now)
    assert write_batch(again, second_batch, now, upload=False).ok
    assert executors.run_succeed(run_id=run_id, generation=again.generation, now=now).ok
    assert Measurement.objects.count() == 4
    assert SyncRun.objects.get(id=run_id).created_count == 4


@pytest.mark.django_db
def test_a_run_with_a_fresh_heartbeat_is_left_alone(source):
    run_id = queued_run(source)
    now = timezone.now()
    executors.run_start(run_id=run_id, now=now, correlation_id="alive", lease_until=now + STALE)
    assert reap_abandoned_runs(now=now + STALE / 2, enqueue=print) == []
    assert SyncRun.objects.get(id=run_id).status == RunStatus.RUNNING


@pytest.mark.django_db
def test_an_abandoned_run_does_not_hold_back_the_schedule(source):
    source.every_minutes = 5
    source.save()
    dead_run(source)
    now = timezone.now()
    assert [due.id for due in selectors.due_sources(now=now + dt.timedelta(minutes=10))] == []
    stale_before = now - STALE
    due = selectors.due_sources(now=now + dt.timedelta(minutes=10), stale_before=stale_before)
    assert [s.id for s in due] == [source.id]
