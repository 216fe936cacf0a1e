"""Oversize uploads are refused while they stream in, with a plain message, and
nothing is stored: not in MEDIA_ROOT, not in the upload handlers' temporary files.

The limits are set to a few KB here, so the bodies stay small. Bodies are handed to
the view through a counting stream, so a test can tell how much of a body the
server read: a body declared far past the limit is refused without reading it; one
a little past it is read and dropped (the browser then shows the answer); one whose
declared length hides an oversize file is stopped by the handler as the file
streams. One test goes over real HTTP to gunicorn.
"""

import contextlib
import http.client
import io
import socket
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client, override_settings

from measurements.models import Measurement
from sources.models import DataSource, SyncRun
from sources.uploads import DRAIN_PAST_LIMIT, FORM_ALLOWANCE
from tests.factories import MetricFactory
from tests.processes import free_port, start, stop, wait_until

LIMIT = 4096
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
BOUNDARY = "----limit-test-boundary"
CSV_REFUSAL = "The file is larger than 4 KB, the most a CSV import takes."
HEALTH_REFUSAL = "The file is larger than 4 KB, the most an Apple Health import takes."


@pytest.fixture
def stores(tmp_path):
    """MEDIA_ROOT and the upload handlers' spool, both watched; every file upload
    spools to disk (FILE_UPLOAD_MAX_MEMORY_SIZE 0), so a leftover would show."""
    media, spool = tmp_path / "media", tmp_path / "spool"
    media.mkdir()
    spool.mkdir()
    with override_settings(
        MEDIA_ROOT=media,
        FILE_UPLOAD_TEMP_DIR=spool,
        FILE_UPLOAD_MAX_MEMORY_SIZE=0,
        UPLOAD_MAX_CSV_BYTES=LIMIT,
        UPLOAD_MAX_HEALTH_BYTES=LIMIT,
    ):
        yield media, spool


def stored(stores) -> list[Path]:
    return [path for store in stores for path in store.rglob("*") if path.is_file()]


@pytest.fixture
def metric(db, user):
    return MetricFactory(owner=user, name="Weight", unit="kg")


@pytest.fixture
def signed_in_client(client, user):
    client.force_login(user)
    return client


def multipart(fields: dict[str, str], file_field: str, content: bytes) -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{file_field}"; '
        f'filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n'.encode()
        + content
        + b"\r\n"
    )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


class CountingBody(io.RawIOBase):
    """A request body read as the server reads it, counting the bytes taken: `head`,
    then `length - len(head)` bytes made on demand (never held)."""

    def __init__(self, head: bytes, length: int):
        self.head, self.length, self.taken = head, length, 0

    def readable(self):
        return True

    def read(self, size=-1):
        left = self.length - self.taken
        size = left if size is None or size < 0 else min(size, left)
        start = self.taken
        self.taken += size
        made = self.head[start : start + size]
        return made + b"x" * (size - len(made))

    def readline(self, size=-1):
        return self.read(size)


def post_body(client, path: str, body: CountingBody):
    return client.generic(
        "POST",
        path,
        **{
            "wsgi.input": body,
            "CONTENT_LENGTH": str(body.length),
            "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
        },
    )


def csv_fields(signed_in_client, metric) -> dict[str, str]:
    signed_in_client.get("/sources/")
    return {
        "csrfmiddlewaretoken": signed_in_client.cookies["csrftoken"].value,
        "csv-metric": str(metric.id),
    }


def assert_refused(response, message: str, stores):
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert stored(stores) == []
    assert not DataSource.objects.exists() and not SyncRun.objects.exists()
    assert not Measurement.objects.exists()


def test_a_file_over_the_limit_is_stopped_as_it_streams(signed_in_client, metric, stores):
    """The declared body is within the form allowance, so only the handler sees the
    file pass the limit; the temporary file the next handler spooled is deleted."""
    body = multipart(
        csv_fields(signed_in_client, metric), "csv-file", b"date,value\n" + b"9" * 3 * LIMIT
    )
    assert len(body) < LIMIT + FORM_ALLOWANCE
    counted = CountingBody(body, len(body))
    response = post_body(signed_in_client, "/sources/csv/", counted)
    assert_refused(response, CSV_REFUSAL, stores)
    assert "pending_import" not in signed_in_client.session


def test_a_body_declared_far_past_the_limit_is_not_read(signed_in_client, metric, stores):
    length = LIMIT + DRAIN_PAST_LIMIT + 1
    counted = CountingBody(multipart(csv_fields(signed_in_client, metric), "csv-file", b""), length)
    response = post_body(signed_in_client, "/sources/csv/", counted)
    assert_refused(response, CSV_REFUSAL, stores)
    assert counted.taken == 0


def test_a_body_a_little_past_the_limit_is_read_and_dropped(signed_in_client, metric, stores):
    """250 times the limit, as in the report (250 MB against 1 MB): read to its end so
    that a browser sees the answer, and none of it kept."""
    length = 250 * LIMIT
    counted = CountingBody(multipart(csv_fields(signed_in_client, metric), "csv-file", b""), length)
    response = post_body(signed_in_client, "/sources/csv/", counted)
    assert_refused(response, CSV_REFUSAL, stores)
    assert counted.taken == length


def test_an_apple_health_export_over_its_limit_is_refused(signed_in_client, metric, stores):
    signed_in_client.get("/sources/")
    fields = {
        "csrfmiddlewaretoken": signed_in_client.cookies["csrftoken"].value,
        "apple-body_mass": str(metric.id),
    }
    body = multipart(fields, "apple-file", b"PK\x03\x04" + b"\x00" * 2 * LIMIT)
    response = post_body(signed_in_client, "/sources/apple-health/", CountingBody(body, len(body)))
    assert_refused(response, HEALTH_REFUSAL, stores)


def test_a_file_within_the_limit_is_previewed_and_csrf_is_still_checked(user, metric, stores):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    content = b"date,weight\n2026-11-20,81.4\n"
    refused = strict.post(
        "/sources/csv/", {"csv-file": io.BytesIO(content), "csv-metric": metric.id}
    )
    assert refused.status_code == 403
    upload = io.BytesIO(content)
    upload.name = "weights.csv"
    fields = csv_fields(strict, metric)
    shown = strict.post("/sources/csv/", {**fields, "csv-file": upload})
    assert shown.status_code == 200
    assert "81.4 kg" in shown.content.decode()
    assert strict.session["pending_import"]["columns"] == ["date", "weight"]


@pytest.fixture
def gunicorn(tmp_path):
    """The app under gunicorn on the test database, with a 4 KB CSV limit, its
    MEDIA_ROOT and temporary files in folders of their own."""
    media, spool = tmp_path / "media", tmp_path / "spool"
    media.mkdir()
    spool.mkdir()
    port = free_port()
    connection.close()
    server = start(
        [GUNICORN, "config.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", "1"],
        tmp_path / "gunicorn.log",
        MEDIA_ROOT=str(media),
        TMPDIR=str(spool),
        UPLOAD_MAX_CSV_BYTES=str(LIMIT),
    )

    def answers() -> bool:
        assert server.poll() is None, f"gunicorn did not start: {server.log.read_text()[-2000:]}"
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return True
        return False

    try:
        wait_until(answers, timeout=30, what="gunicorn to start")
        yield port, (media, spool)
    finally:
        stop(server)


@pytest.mark.django_db(transaction=True)
def test_over_real_http_the_browser_gets_the_message_not_a_reset(gunicorn, user):
    """gunicorn answers before the browser has sent the body: 32 MB (more than the
    socket buffers hold) are read and dropped, so the answer arrives instead of a
    reset connection, and nothing is kept."""
    port, stores = gunicorn
    metric = MetricFactory(owner=user, unit="kg")
    client = Client()
    client.force_login(user)
    client.get("/sources/")
    cookies = "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())
    fields = {
        "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
        "csv-metric": str(metric.id),
    }
    body = multipart(fields, "csv-file", b"date,value\n" + b"9" * (32 << 20))
    connection_ = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.perf_counter()
    connection_.request(
        "POST",
        "/sources/csv/",
        body=body,
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", "Cookie": cookies},
    )
    answer = connection_.getresponse()
    page = answer.read().decode()
    seconds = time.perf_counter() - started
    connection_.close()
    print(f"\n32 MB upload against a 4 KB limit refused over HTTP in {seconds:.2f} s")
    assert answer.status == 200
    assert CSV_REFUSAL in page
    assert stored(stores) == []
    assert not SyncRun.objects.exists()
