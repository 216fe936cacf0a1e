"""The background worker, as a separate process on the test database: an import
queued from the page's orchestrator is picked up by the configured backend's worker
(`db_worker`, or `rqworker` with TASKS_BACKEND=redis) and runs to its end."""

import pytest
from django.core.files.base import ContentFile
from django.test import override_settings
from django.utils import timezone

from measurements.models import Measurement
from sources.models import RunStatus, SyncRun
from sources.orchestrators import import_file
from sources.tasks import run_sync
from tests.factories import MetricFactory
from tests.processes import run_queued

CSV = "date,weight\n2026-11-20,81.4\n2026-11-21,81.2\n2026-11-22,80.9\n"


@pytest.mark.django_db(transaction=True)
def test_a_queued_import_is_run_by_the_worker_process(tmp_path):
    metric = MetricFactory(unit="kg")
    with override_settings(MEDIA_ROOT=tmp_path):
        result = import_file(
            actor_id=metric.owner_id,
            provider_key="csv",
            name="weights.csv",
            settings={"metric_id": metric.id, "value_column": "weight", "time_column": "date"},
            upload=ContentFile(CSV.encode(), name="weights.csv"),
            now=timezone.now(),
            enqueue=run_sync.enqueue,
        )
    assert result.ok, result.error
    worker = run_queued(media_root=tmp_path)
    run = SyncRun.objects.get(id=result.data)
    assert run.status == RunStatus.SUCCEEDED, (run.error_message, worker.stderr[-2000:])
    assert Measurement.objects.filter(metric=metric).count() == 3
