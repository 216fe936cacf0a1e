"""Live pages and their server, over real HTTP on loopback, each server a process of
its own on the bench database:

- the quick-entry round trip (the HTMX POST of `measurements:record`) on the WSGI
  server the app had (gunicorn, sync workers) and on ASGI servers, interleaved;
- commit-to-page latency: a write commits in this process, and the clock runs until
  the stream's message naming it is read from the socket, per fan-out (PostgreSQL
  `NOTIFY`, Redis pub/sub, polling the outbox);
- one server process holding idle streams: its memory and CPU, and the database
  connections it keeps.
"""

import http.client
import math
import os
import random
import time
import uuid
from decimal import Decimal
from pathlib import Path
from tempfile import TemporaryDirectory

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from measurements.contracts import RecordMeasurement
from measurements.orchestrators import record_measurement
from tests import processes
from tests.events.client import EventStream, session_for

from .seed import seed_account
from .timing import Path as RequestPath
from .timing import Timing, interleaved, table

GUNICORN = str(processes.BIN / "gunicorn")
#: The servers timed for the quick entry, each as `make run` starts it (2 workers).
SERVERS = {
    "WSGI: gunicorn, sync workers (before)": lambda port: [
        GUNICORN, "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
    ],
    "ASGI: gunicorn, uvicorn workers (make run, after)": lambda port: processes.web_server(
        port, workers=2
    ),
}  # fmt: skip
FANOUTS = ("postgres", "redis", "poll")
IDLE_HOLD_SECONDS = 30
CSRF = "b" * 32


class QuickEntry:
    """The quick-entry form's POST on one server, on a kept connection (gunicorn's sync
    workers close it after each response, so there it is opened again each time)."""

    def __init__(self, port: int, path: str, session: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.path = path
        self.headers = {
            "Cookie": f"sessionid={session}; csrftoken={CSRF}",
            "X-CSRFToken": CSRF,
            "HX-Request": "true",
            "Content-Type": "application/x-www-form-urlencoded",
        }

    def send(self) -> tuple[int, bytes]:
        body = f"value=81.4&submission_token={uuid.uuid4().hex}"
        self.conn.request("POST", self.path, body, self.headers)
        response = self.conn.getresponse()
        return response.status, response.read()

    @staticmethod
    def check(response: tuple[int, bytes]) -> None:
        status, body = response
        if status != 200 or b"Recorded" not in body:
            raise AssertionError(
                f"record: expected 200 with “Recorded”, got {status}: {body[:300]!r}"
            )


def _quick_entry(account, logs: Path, runs: int, warmup: int) -> list[Timing]:
    session = session_for(account.user)
    path = reverse("measurements:record", args=[account.metric_id])
    servers, paths = [], []
    try:
        for number, (label, command) in enumerate(SERVERS.items()):
            port = processes.free_port()
            servers.append(processes.serve(command(port), logs / f"server-{number}.log", port=port))
            entry = QuickEntry(port, path, session)
            paths.append(RequestPath(label, entry.send, entry.check))
        return interleaved(paths, runs=runs, warmup=warmup)
    finally:
        for server in servers:
            processes.stop(server, processes.GRACEFUL_SECONDS + 5)


def _record(account, fanout: str) -> None:
    with override_settings(EVENTS_FANOUT=fanout):
        result = record_measurement(
            RecordMeasurement(
                metric_id=account.metric_id, value=Decimal("81.2"), measured_at=timezone.now()
            ),
            actor_id=account.user.id,
            now=timezone.now(),
        )
    if not result.ok:
        raise AssertionError(f"The write failed: {result.error.message}")


def _commit_to_page(account, logs: Path, writes: int) -> dict[str, list[float]]:
    """Per fan-out, seconds from a write's commit (its orchestrator returned) to the
    stream's message naming its metric, read by a client of another server process."""
    session = session_for(account.user)
    expected = f"metric-{account.metric_id}-changed"
    latencies: dict[str, list[float]] = {}
    for fanout in FANOUTS:
        port = processes.free_port()
        server = processes.serve(
            processes.web_server(port), logs / f"stream-{fanout}.log", port=port,
            EVENTS_FANOUT=fanout,
        )  # fmt: skip
        stream = EventStream(port, session=session)
        try:
            assert stream.status == 200, f"The stream answered {stream.status}"
            _record(account, fanout)  # the stream is open and heard once before timing
            stream.next_message()
            seconds = []
            for _ in range(writes):
                if fanout == "poll":
                    # Else each write would follow the previous message, just after a
                    # poll, and wait a whole interval: writes come at any moment.
                    time.sleep(random.uniform(0, settings.EVENTS_POLL_SECONDS))
                _record(account, fanout)
                committed = time.perf_counter()
                message = stream.next_message(timeout=10)
                assert expected in message.names, message
                seconds.append(message.arrived - committed)
            latencies[fanout] = seconds
        finally:
            stream.close()
            processes.stop(server, processes.GRACEFUL_SECONDS + 5)
    return latencies


def _tree(pid: int) -> list[int]:
    """The process and its descendants."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        for child in children:
            found += _tree(int(child))
    return found


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _threads(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _connections() -> int:
    """Connections to the bench database, other than this process's own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def _idle_streams(logs: Path, count: int, fanout: str) -> dict:
    """One server process (one worker) with `count` streams of as many users open and
    quiet for `IDLE_HOLD_SECONDS`."""
    User = get_user_model()
    prefix = f"idle-{fanout}-"
    User.objects.bulk_create(User(username=f"{prefix}{i}") for i in range(count))
    sessions = [session_for(user) for user in User.objects.filter(username__startswith=prefix)]
    port = processes.free_port()
    server = processes.serve(
        processes.web_server(port, workers=1), logs / f"idle-{fanout}.log", port=port,
        EVENTS_FANOUT=fanout,
    )  # fmt: skip
    streams = []
    try:
        pids = _tree(server.pid)
        worker = pids[-1]
        time.sleep(1)
        rss_before = {pid: _rss_mb(pid) for pid in pids}
        threads_before = _threads(worker)
        connections_before = _connections()
        opened = time.perf_counter()
        for session in sessions:
            streams.append(EventStream(port, session=session))
        opening = time.perf_counter() - opened
        refused = sum(stream.status != 200 for stream in streams)
        time.sleep(2)
        cpu = {pid: _cpu_seconds(pid) for pid in pids}
        started = time.perf_counter()
        time.sleep(IDLE_HOLD_SECONDS)
        held = time.perf_counter() - started
        cpu_percent = {pid: 100 * (_cpu_seconds(pid) - cpu[pid]) / held for pid in pids}
        rss = {pid: _rss_mb(pid) for pid in pids}
        threads = (threads_before, _threads(worker))
        connections_open = _connections()
    finally:
        for stream in streams:
            stream.close()
        time.sleep(2)
        connections_after = _connections()
        processes.stop(server, processes.GRACEFUL_SECONDS + 5)
    return {
        "fanout": fanout,
        "count": count,
        "refused": refused,
        "opening": opening,
        "worker_rss": (rss_before[worker], rss[worker]),
        "total_rss": (sum(rss_before.values()), sum(rss.values())),
        "worker_cpu": cpu_percent[worker],
        "total_cpu": sum(cpu_percent.values()),
        "connections": (connections_before, connections_open, connections_after),
        "threads": threads,
    }


def run(*, runs: int, warmup: int, streams: int = 500, stream_writes: int = 200) -> str:
    account = seed_account(username="bench-live")
    with TemporaryDirectory(prefix="goaltrack-bench-live-") as folder:
        logs = Path(folder)
        quick = _quick_entry(account, logs, runs, warmup)
        latencies = _commit_to_page(account, logs, stream_writes)
        idle = [_idle_streams(logs, streams, fanout) for fanout in ("postgres", "poll")]
    return _section(quick, latencies, idle, runs, stream_writes)


def _ms(seconds: list[float], share: float) -> str:
    """The nearest-rank percentile, in milliseconds."""
    ranked = sorted(seconds)
    return f"{ranked[max(0, math.ceil(share * len(ranked)) - 1)] * 1000:.1f}"


def _section(quick: list[Timing], latencies, idle: list[dict], runs: int, writes: int) -> str:
    before = quick[0]
    rows = [
        [
            t.label,
            f"{t.median_ms:.2f}",
            f"{t.p95_ms:.2f}",
            f"{100 * (t.median_ms / before.median_ms - 1):+.1f} %",
        ]
        for t in quick
    ]
    latency_rows = [
        [
            {"postgres": "PostgreSQL NOTIFY", "redis": "Redis pub/sub", "poll": "poll"}[fanout]
            + (f" (every {settings.EVENTS_POLL_SECONDS:g} s)" if fanout == "poll" else ""),
            _ms(seconds, 0.5),
            _ms(seconds, 0.95),
            f"{max(seconds) * 1000:.1f}",
        ]
        for fanout, seconds in latencies.items()
    ]
    idle_rows = [
        [
            f"{result['count']} ({result['refused']} refused), {result['fanout']}",
            f"{result['opening']:.1f}",
            "{:.0f} → {:.0f}".format(*result["worker_rss"]),
            "{:.0f} → {:.0f}".format(*result["total_rss"]),
            f"{result['worker_cpu']:.1f} %",
            f"{result['total_cpu']:.1f} %",
            "{} / {} / {}".format(*result["connections"]),
        ]
        for result in idle
    ]
    return "\n\n".join(
        [
            "## Live pages: the server, and commit-to-page latency",
            "### Quick entry over HTTP, WSGI before and ASGI after",
            f"`POST /metrics/<id>/record/` (HTMX, the quick-entry form) over loopback, each "
            f"server started as `make run` starts it (2 workers), on the same database, "
            f"{runs} requests each, interleaved. gunicorn's sync workers close the connection "
            "after each response, so those requests include opening it; the ASGI servers "
            "keep it.",
            table(["server", "median ms", "p95 ms", "median vs before"], rows),
            "### Commit to page",
            f"{writes} writes (a quick-entry record through its orchestrator, in the bench "
            "process), one at a time (for polling, each after a random pause of up to one "
            "interval); from the write's commit (its orchestrator returned) "
            "until a client of the server (one uvicorn worker, another process) has read "
            "the stream's message naming the metric.",
            table(["fan-out", "p50 ms", "p95 ms", "max ms"], latency_rows),
            "### Idle streams held by one server process",
            f"One uvicorn worker; streams of as many users opened one after another, then "
            f"held quiet for {IDLE_HOLD_SECONDS} s (a keep-alive comment every 15 s each). "
            "Memory is resident (RSS) before the streams and with them open; CPU is over "
            "the quiet time, as a share of one core; the server's database connections "
            "before / with the streams open / after they closed.",
            table(
                [
                    "streams",
                    "opening s",
                    "worker RSS MB",
                    "all processes RSS MB",
                    "worker CPU",
                    "all processes CPU",
                    "DB connections",
                ],
                idle_rows,
            ),
        ]
    )
