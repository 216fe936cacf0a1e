"""A gunicorn worker killed (SIGKILL) in the middle of an idempotent API request: the
key's claim is a lease, so once it has run out the same request sent again with the
same key takes the key over and is done, and its rows are written exactly once.
Against a real gunicorn on the test database; PostgreSQL only (it is the production
database, and a SQLite file shared with a killed writer proves little)."""

import contextlib
import datetime as dt
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.utils import timezone

from api.models import IdempotencyRecord
from measurements.models import Measurement
from tests import processes
from tests.api.conftest import token_for
from tests.factories import MetricFactory, UserFactory
from tests.faults import live_processes as live

pytestmark = pytest.mark.django_db(transaction=True)

LEASE_SECONDS = 3
ITEMS = 10_000
KEY = "batch-after-a-crash"


@pytest.fixture(autouse=True)
def on_postgresql():
    if not live.is_postgresql():
        pytest.skip("kills a process that writes to PostgreSQL")


@pytest.fixture
def server(tmp_path):
    port = processes.free_port()
    process = processes.start(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "30",
        ],
        tmp_path / "gunicorn.log",
        DEBUG="0",
        DJANGO_HTTPS="0",
        ALLOWED_HOSTS="127.0.0.1",
        API_RATE_LIMIT="100000/s",
        IDEMPOTENCY_LEASE_SECONDS=str(LEASE_SECONDS),
        LOG_LEVEL="WARNING",
    )
    base = f"http://127.0.0.1:{port}"
    processes.wait_until(lambda: answers(base), timeout=30, what="gunicorn to answer")
    process.base = base
    yield process
    processes.stop(process, timeout=20)


def answers(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/api/v1/openapi.json", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def gunicorn_worker(master: subprocess.Popen) -> int:
    children = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(master.pid)], capture_output=True, text=True
    ).stdout.split()
    assert len(children) == 1, children
    return int(children[0])


def times(count: int) -> list[dt.datetime]:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return [start + dt.timedelta(minutes=n) for n in range(count)]


def send(base: str, token: str, body: bytes) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(
        base + "/api/v1/measurements/batch",
        data=body,
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": KEY,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_a_request_killed_midway_is_done_once_by_a_resend_after_the_lease(server):
    owner = UserFactory()
    metric = MetricFactory(owner=owner, unit="kg")
    token = token_for(owner)
    body = json.dumps(
        {
            "items": [
                {"metric_id": metric.id, "value": 80 + n / ITEMS, "measured_at": at.isoformat()}
                for n, at in enumerate(times(ITEMS))
            ]
        }
    ).encode()

    first = threading.Thread(target=lambda: _ignore_errors(send, server.base, token, body))
    first.start()
    processes.wait_until(
        lambda: IdempotencyRecord.objects.filter(key=KEY).exists(),
        timeout=20,
        what="the first request to claim the key",
        step=0.01,
    )
    worker = gunicorn_worker(server)
    os.kill(worker, signal.SIGKILL)
    killed = time.monotonic()
    first.join(timeout=30)
    assert Measurement.objects.filter(metric=metric).count() == 0, "killed after the commit"
    record = IdempotencyRecord.objects.get(key=KEY)
    assert record.state == IdempotencyRecord.State.RUNNING

    status, _, content = send(server.base, token, body)
    assert status == 409, content
    assert json.loads(content)["error"]["code"] == "conflict"

    time.sleep(max(0.0, (record.lease_until - timezone.now()).total_seconds()))
    status, headers, content = send(server.base, token, body)
    recovered = time.monotonic() - killed
    assert status == 200, content
    assert "Idempotent-Replayed" not in headers
    assert json.loads(content)["created"] == ITEMS, content[:500]

    status, headers, replay = send(server.base, token, body)
    assert (status, headers.get("Idempotent-Replayed"), replay) == (200, "true", content)
    assert Measurement.objects.filter(metric=metric).count() == ITEMS
    assert gunicorn_worker(server) != worker
    print(f"gunicorn worker killed mid-request: resend succeeded {recovered:.2f} s after the kill")


def _ignore_errors(function, *args):
    """The first request's connection dies with its worker."""
    with contextlib.suppress(OSError, http.client.HTTPException):
        function(*args)
