"""The task worker (`manage.py run_worker`) outlives its database going away: its
connections cut while it waits and while it runs a job, and the database refusing
new connections for a few seconds (as while PostgreSQL restarts). Each time the
process stays up and the next job runs; a job whose connection was cut ends failed,
not "running". PostgreSQL only: the faults are PostgreSQL's."""

import re
import time

import pytest
from django.tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from tests import processes
from tests.faults import live_processes as live
from tests.faults.worker_tasks import answer, hold

pytestmark = pytest.mark.django_db(transaction=True)

FINISHED = {TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED}


@pytest.fixture(autouse=True)
def on_postgresql():
    if not live.is_postgresql():
        pytest.skip("cuts PostgreSQL connections")


@pytest.fixture(params=["run_worker", "db_worker"])
def worker(request, tmp_path):
    """The worker by either of its names: `db_worker`, the name django-tasks-db
    documents, is this project's resilient worker too."""
    process = processes.start(
        processes.manage(request.param, "--no-startup-delay", "--no-reload", "--interval", "0.1"),
        tmp_path / "worker.log",
    )
    yield process
    processes.stop(process)


def status(result) -> str:
    return DBTaskResult.objects.get(id=result.id).status


def finished(result, timeout: float = 15) -> str:
    return processes.wait_until(
        lambda: status(result) if status(result) in FINISHED else None,
        timeout=timeout,
        what=f"task {result.id} to finish",
    )


def assert_alive(worker) -> None:
    assert worker.poll() is None, worker.log.read_text()[-3000:]


def test_connections_cut_while_the_worker_waits(worker):
    assert finished(answer.enqueue("before")) == TaskResultStatus.SUCCESSFUL
    assert live.terminate_other_connections() >= 1

    cut = time.monotonic()
    after = answer.enqueue("after")
    assert finished(after) == TaskResultStatus.SUCCESSFUL
    assert_alive(worker)
    print(f"idle connection cut: next job done {time.monotonic() - cut:.2f} s later")


def test_connections_cut_while_a_job_runs(worker):
    held = hold.enqueue(2.0)
    processes.wait_until(
        lambda: status(held) == TaskResultStatus.RUNNING, timeout=10, what="the job to start"
    )
    assert live.terminate_other_connections() >= 1

    assert finished(held) == TaskResultStatus.FAILED
    failed = time.monotonic()
    assert_alive(worker)
    after = answer.enqueue("after")
    assert finished(after) == TaskResultStatus.SUCCESSFUL
    assert_alive(worker)
    print(
        f"connection cut mid-job: next job done {time.monotonic() - failed:.2f} s after it failed"
    )


def test_a_database_that_refuses_connections_for_a_while(worker):
    assert finished(answer.enqueue("before")) == TaskResultStatus.SUCCESSFUL
    with live.refusing_connections():
        queued = answer.enqueue("queued during the outage")
        processes.wait_until(
            lambda: "lost the database" in worker.log.read_text(),
            timeout=5,
            what="the worker to notice",
        )
        time.sleep(2)
        assert_alive(worker)
        assert status(queued) == TaskResultStatus.READY
    back = time.monotonic()
    assert finished(queued, timeout=35) == TaskResultStatus.SUCCESSFUL
    assert_alive(worker)
    log = worker.log.read_text()
    assert len(re.findall("lost the database", log)) == 1, log
    assert len(re.findall("The database is back", log)) == 1, log
    print(
        f"database refused connections: job done {time.monotonic() - back:.2f} s after it came back"
    )
