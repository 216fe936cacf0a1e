"""The live pages' server tests run the web server as `make run` starts it, in a process
of its own on the test database, once per fan-out the database offers (PostgreSQL:
NOTIFY, Redis pub/sub and polling; SQLite: polling). Writes are made in the test's
process through the real orchestrators, so they reach the server the way another
process's writes would."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from subprocess import Popen

import pytest
from django.conf import settings
from django.utils import timezone

from config.envelope import Result
from config.request_context import Channel, Phase, bind
from measurements.contracts import RecordMeasurement
from measurements.orchestrators import record_measurement
from tests import processes
from tests.events.client import EventStream, session_for

#: How often the polling fan-out reads the outbox in these tests.
POLL_SECONDS = "0.2"


def fanouts() -> list[str]:
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return ["postgres", "redis", "poll"]
    return ["poll"]


def pytest_generate_tests(metafunc):
    """`fanout` is each fan-out of the database, or those of them a test names with
    `@pytest.mark.fanouts(...)`."""
    if "fanout" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("fanouts")
        chosen = [name for name in fanouts() if marker is None or name in marker.args]
        metafunc.parametrize("fanout", chosen, scope="module")


@dataclass
class Web:
    port: int
    fanout: str
    process: Popen
    log: Path

    def stream(
        self,
        user=None,
        *,
        after: int | None = None,
        last_event_id: int | str | None = None,
    ) -> EventStream:
        path = "/events/stream" + (f"?after={after}" if after is not None else "")
        return EventStream(
            self.port,
            session=session_for(user) if user is not None else None,
            path=path,
            last_event_id=None if last_event_id is None else str(last_event_id),
        )

    def worker_pid(self) -> int:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return int(children.read_text().split()[0])


@pytest.fixture(scope="module")
def web(fanout, django_db_setup, tmp_path_factory):
    """The web server on the test database with the `fanout` fan-out."""
    port = processes.free_port()
    log = tmp_path_factory.mktemp("web") / f"server-{fanout}.log"
    server = processes.serve(
        processes.web_server(port),
        log,
        port=port,
        EVENTS_FANOUT=fanout,
        EVENTS_POLL_SECONDS=POLL_SECONDS,
    )
    yield Web(port, fanout, server, log)
    processes.stop(server, processes.GRACEFUL_SECONDS + 5)


@pytest.fixture
def live(web, settings):
    """The server, with this process's writes announced by the same fan-out."""
    settings.EVENTS_FANOUT = web.fanout
    return web


def record(metric, value: str = "80.5", *, at: dt.datetime | None = None) -> tuple[Result, str]:
    """Record a measurement through the quick entry's orchestrator, as a web request
    would, under a correlation id of its own; the result and that id."""
    now = timezone.now()
    with bind(None, Phase.EXECUTE, Channel.WEB) as correlation:
        result = record_measurement(
            RecordMeasurement(metric_id=metric.id, value=Decimal(value), measured_at=at or now),
            actor_id=metric.owner_id,
            now=now,
        )
    assert result.ok, result.error
    return result, correlation
