"""The background worker, as a separate process on the test database: an import
queued from the page's orchestrator is picked up by the configured backend's worker
(`db_worker`, or `rqworker` with TASKS_BACKEND=redis) and runs to its end."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from measurements.models import Measurement
from sources.models import RunStatus, SyncRun
from sources.orchestrators import import_file
from sources.tasks import run_sync
from tests.factories import MetricFactory

ROOT = Path(__file__).resolve().parents[2]
#: A worker that runs what is queued, then stops.
WORKER = {
    "database": ["db_worker", "--batch", "--no-startup-delay"],
    "redis": ["rqworker", "--burst", "--job-class", "django_tasks_rq.Job", "default"],
}
CSV = "date,weight\n2026-11-20,81.4\n2026-11-21,81.2\n2026-11-22,80.9\n"


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


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
    connection.close()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(tmp_path),
        "TASKS_BACKEND": settings.TASKS_BACKEND,
    }
    worker = subprocess.run(
        [sys.executable, "manage.py", *WORKER[settings.TASKS_BACKEND]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode == 0, worker.stderr
    run = SyncRun.objects.get(id=result.data)
    assert run.status == RunStatus.SUCCEEDED, (run.error_message, worker.stderr[-2000:])
    assert Measurement.objects.filter(metric=metric).count() == 3
