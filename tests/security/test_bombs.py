"""Files built to exhaust a server: CSV files with a million columns, zip and XML
bombs. Each is refused with a plain reason in bounded time and memory, and nothing
is written.

CSV files are refused by the upload's preview, in the web request. Apple Health
bombs are refused by a real worker process (`db_worker --batch`, or `rqworker
--burst` with TASKS_BACKEND=redis) as a failed run; a normal import queued after the
bomb then succeeds in the same worker run. The worker's peak memory (its maximum
resident set, read by a small launcher process) and each run's time to refusal are
printed (`-s`).

Figures on the machine this was written on (2 shared cores, SQLite): the worker
peaks at 75-76 MB with every bomb (a bare worker's size); the ratio bomb is refused
in about 0.1 s (after 8 MB unpacked), the others at once. Before these limits the
same files gave: ratio bomb imported in full (4.7 s), 400 MB of whitespace a
487 MB worker, and the long value a parse that grows with the square of its length
(the report: 16 MB took 8.7 s, 32 MB 30 s).
"""

import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from measurements.models import Measurement
from sources.models import RunStatus, SyncRun
from sources.orchestrators import import_file
from sources.providers.apple_health import TOKEN_TOO_LONG
from sources.tasks import run_sync
from tests.factories import MetricFactory
from tests.processes import ROOT, WORKER, manage, process_env
from tests.sources.test_worker import CSV

#: The most a worker may reach while refusing a bomb (a bare one is about 75 MB).
WORKER_MEMORY_BOUND = 300 * 1024 * 1024
HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n<HealthData locale="en_US">\n'
RECORD = (
    b' <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Watch" unit="count/min"'
    b' creationDate="2026-11-20 07:00:00 +0100" startDate="2026-11-20 07:00:00 +0100"'
    b' endDate="2026-11-20 07:00:00 +0100" value="61"/>\n'
)


# CSV, in the web request ----------------------------------------------------------------


@pytest.fixture
def signed_in_client(client, user, tmp_path):
    client.force_login(user)
    with override_settings(MEDIA_ROOT=tmp_path / "media"):
        yield client


def wide_csv(columns: int) -> bytes:
    header = ",".join(f"column{number}" for number in range(columns))
    return (header + "\n" + ",".join("1" for _ in range(columns)) + "\n").encode()


@pytest.mark.parametrize(
    ("columns", "refusal"),
    [
        (1_000_000, "Line 1 of the file is longer than 65,536 characters"),
        (100_000, "Line 1 of the file is longer than 65,536 characters"),
        (5_000, "Line 1 of the file has 5,000 cells; a file may have at most 200 columns."),
    ],
)
def test_a_csv_with_too_many_columns_is_refused_at_once(
    signed_in_client, user, tmp_path, columns, refusal
):
    metric = MetricFactory(owner=user, unit="kg")
    content = wide_csv(columns)
    upload = ContentFile(content, name="wide.csv")
    started = time.perf_counter()
    response = signed_in_client.post("/sources/csv/", {"csv-file": upload, "csv-metric": metric.id})
    seconds = time.perf_counter() - started
    print(
        f"\nCSV of {columns:,} columns ({len(content) / 1e6:.1f} MB) refused in the web "
        f"request in {seconds:.2f} s, page {len(response.content) / 1e3:.0f} KB"
    )
    assert response.status_code == 200
    assert refusal in response.content.decode()
    assert len(response.content) < 100_000
    assert seconds < 5
    assert "pending_import" not in signed_in_client.session
    assert not [path for path in (tmp_path / "media").rglob("*") if path.is_file()]


def test_the_import_request_does_not_read_the_file_again(signed_in_client, user, tmp_path):
    """The preview's header is kept in the session: the import request hands the file
    on unread, even when the file (here swapped behind its back) would take minutes
    to read."""
    metric = MetricFactory(owner=user, unit="kg")
    upload = ContentFile(CSV.encode(), name="weights.csv")
    signed_in_client.post("/sources/csv/", {"csv-file": upload, "csv-metric": metric.id})
    pending = tmp_path / "media" / signed_in_client.session["pending_import"]["name"]
    pending.write_bytes(wide_csv(1_000_000))
    started = time.perf_counter()
    response = signed_in_client.post(
        "/sources/csv/import/",
        {"value_column": "weight", "time_column": "date", "time_zone": "UTC"},
    )
    assert response.status_code == 302
    assert time.perf_counter() - started < 5
    assert SyncRun.objects.get().status == RunStatus.QUEUED


# Apple Health, in the worker ------------------------------------------------------------


def zipped(path: Path, pieces, *, level: int = 6) -> Path:
    """A zip whose export.xml is `pieces` written one after another, compressed as
    it is written: the test never holds the unpacked file."""
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive,
        archive.open("apple_health_export/export.xml", "w", force_zip64=True) as entry,
    ):
        for piece in pieces:
            entry.write(piece)
    return path


def repeated(piece: bytes, total: int):
    block = piece * max(1, (1 << 20) // len(piece))
    for _ in range(total // len(block)):
        yield block


def ratio_bomb(path: Path) -> Path:
    """200 MB of identical records: valid XML, about 1,000 times smaller packed."""
    return zipped(path, [HEAD, *repeated(RECORD, 200 << 20), b"</HealthData>\n"])


def long_value(path: Path) -> Path:
    """One attribute value of 50 MB, as in the report (there, 1 GB)."""
    return zipped(
        path, [HEAD, b' <Record type="x" value="', *repeated(b"a", 50 << 20), b'"/>\n</HealthData>']
    )


def whitespace(path: Path) -> Path:
    """400 MB of whitespace between two elements."""
    return zipped(path, [HEAD, RECORD, *repeated(b" ", 400 << 20), b"</HealthData>\n"])


BOMBS = {
    "zip bomb (ratio)": (
        ratio_bomb,
        "The zip unpacks to more than 100 times its size, which no Apple Health export "
        "does; it is not one we can read.",
    ),
    "one 50 MB attribute value": (long_value, TOKEN_TOO_LONG),
    "400 MB of whitespace": (whitespace, TOKEN_TOO_LONG),
}


def queue(metric, provider: str, name: str, upload, settings_: dict) -> int:
    result = import_file(
        actor_id=metric.owner_id,
        provider_key=provider,
        name=name,
        settings=settings_,
        upload=upload,
        now=timezone.now(),
        enqueue=run_sync.enqueue,
    )
    assert result.ok, result.error
    return result.data


#: Runs a command and writes its peak resident set (KB) to PEAK_FILE. The worker is
#: started from this small process, not from pytest: Linux counts into a child's peak
#: the memory of the process it was forked from.
MEASURED = """
import os, resource, subprocess, sys
code = subprocess.call(sys.argv[1:])
with open(os.environ["PEAK_FILE"], "w") as out:
    out.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(code)
"""


def run_worker(media: Path, log: Path) -> tuple[int, int, float]:
    """Run the worker until the queue is empty: (exit code, its peak resident bytes,
    seconds)."""
    connection.close()
    peak_file = log.with_suffix(".peak")
    env = process_env(MEDIA_ROOT=str(media), PEAK_FILE=str(peak_file))
    command = [sys.executable, "-c", MEASURED, *manage(*WORKER[settings.TASKS_BACKEND])]
    started = time.perf_counter()
    with log.open("w") as out:
        worker = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            code = worker.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
            raise AssertionError(f"The worker ran past 120 s: {log.read_text()[-2000:]}") from None
    # ru_maxrss is in kilobytes on Linux.
    return code, int(peak_file.read_text()) * 1024, time.perf_counter() - started


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("bomb", BOMBS)
def test_a_bomb_fails_its_run_in_bounded_memory_and_the_worker_goes_on(tmp_path, bomb):
    build, reason = BOMBS[bomb]
    media = tmp_path / "media"
    made = time.perf_counter()
    path = build(tmp_path / "export.zip")
    made = time.perf_counter() - made
    steps = MetricFactory(unit="count")
    weight = MetricFactory(owner=steps.owner, unit="kg")
    with override_settings(MEDIA_ROOT=media), path.open("rb") as raw:
        bombed = queue(
            steps,
            "apple_health",
            "Apple Health: export.zip",
            File(raw, name="export.zip"),
            {"metrics": {"steps": steps.id}},
        )
        normal = queue(
            weight,
            "csv",
            "weights.csv",
            ContentFile(CSV.encode(), name="weights.csv"),
            {"metric_id": weight.id, "value_column": "weight", "time_column": "date"},
        )
    code, peak, seconds = run_worker(media, tmp_path / "worker.log")
    run = SyncRun.objects.get(id=bombed)
    after = SyncRun.objects.get(id=normal)
    refused_in = (run.finished - run.started).total_seconds()
    print(
        f"\n{bomb}: zip {path.stat().st_size / 1e6:.2f} MB (built in {made:.1f} s); "
        f"refused in {refused_in:.2f} s; worker peak {peak / 2**20:.0f} MB; "
        f"worker run (both jobs, with start-up) {seconds:.1f} s"
    )
    assert code == 0, (tmp_path / "worker.log").read_text()[-2000:]
    assert run.status == RunStatus.COMPENSATED, (run.status, run.error_message)
    assert run.error_message == reason
    assert not Measurement.objects.filter(metric=steps).exists()
    assert peak < WORKER_MEMORY_BOUND
    assert refused_in < 10
    assert after.status == RunStatus.SUCCEEDED, after.error_message
    assert after.started >= run.finished
    assert Measurement.objects.filter(metric=weight).count() == 3
