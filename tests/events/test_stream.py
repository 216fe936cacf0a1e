"""The stream of what changed (`GET /events/stream`), over real HTTP from the web server
as `make run` starts it, for each fan-out: a write committed by another process arrives
as the htmx events its own page would fire, a reconnect resumes from `Last-Event-ID`
without missing anything, and nobody hears of anyone else's changes."""

import json
import time
from pathlib import Path

import pytest
from django.db import connection

from config.revalidation import event_name
from events.models import Event
from tests.factories import GoalFactory, MetricFactory, UserFactory
from tests.faults.live_processes import is_postgresql, server_admin

from .conftest import record

pytestmark = pytest.mark.django_db(transaction=True)


def names(*results) -> set[str]:
    return {event_name(key) for result in results for key in result.affected}


def last_event_id(user) -> int:
    return Event.objects.filter(owner=user).latest("id").id


def test_a_write_arrives_as_the_events_its_own_page_fires(live):
    metric = MetricFactory()
    goal = GoalFactory(metric=metric)
    stream = live.stream(metric.owner)
    try:
        assert stream.status == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert stream.headers["cache-control"] == "no-store"
        result, correlation = record(metric)
        message = stream.next_message()
    finally:
        stream.close()
    assert stream.retry == 2000
    assert {f"goal-{goal.id}-changed", f"metric-{metric.id}-changed"} <= message.names
    assert message.names == names(result)
    assert message.data["changes"] == [{"request": correlation, "events": sorted(names(result))}]
    assert message.id == str(last_event_id(metric.owner))
    assert message.data["position"] == last_event_id(metric.owner)


def test_a_reconnect_resumes_from_its_last_event_id_and_misses_nothing(live):
    user = UserFactory()
    weight, sleep, steps = (MetricFactory(owner=user) for _ in range(3))
    stream = live.stream(user)
    try:
        record(weight)
        seen = stream.next_message().id
    finally:
        stream.close()

    # While the page is away: three writes of its owner, one of someone else.
    missed = [record(metric) for metric in (weight, sleep, steps)]
    record(MetricFactory())

    for resumed in (live.stream(user, last_event_id=seen), live.stream(user, after=int(seen))):
        try:
            message = resumed.next_message()
        finally:
            resumed.close()
        assert message.id == str(last_event_id(user))
        assert message.names == names(*(result for result, _ in missed))
        assert [change["request"] for change in message.data["changes"]] == [
            correlation for _, correlation in missed
        ]


def test_a_stream_opened_without_a_position_starts_from_now(live):
    metric = MetricFactory()
    record(metric)  # before the stream: not sent
    stream = live.stream(metric.owner)
    try:
        result, _ = record(metric, "79.9")
        message = stream.next_message()
    finally:
        stream.close()
    assert len(message.data["changes"]) == 1
    assert message.names == names(result)


def test_nobody_hears_of_anyone_elses_changes(live):
    mine, theirs = MetricFactory(), MetricFactory()
    stream = live.stream(mine.owner, after=0)
    try:
        record(theirs)
        result, correlation = record(mine)
        message = stream.next_message()
    finally:
        stream.close()
    assert message.data["changes"] == [{"request": correlation, "events": sorted(names(result))}]
    assert message.data["position"] == last_event_id(mine.owner)


def test_without_a_session_the_stream_is_refused_with_401(live):
    stream = live.stream()
    try:
        assert stream.status == 401
        body = json.loads(stream.read_body())
    finally:
        stream.close()
    assert body["error"]["code"] == "unauthenticated"


def test_a_position_that_is_not_an_event_id_is_refused(live):
    stream = live.stream(UserFactory(), last_event_id="12; drop")
    try:
        assert stream.status == 400
    finally:
        stream.close()


#: The connections a server worker may hold however many streams it serves: its
#: listener and outbox readers, and on a loaded machine one more, of a thread that
#: served a request's synchronous part and has not yet let its connection go.
CONNECTIONS = 4


def test_fifty_open_streams_hold_neither_connections_nor_threads(live):
    """Each stream waits on the process's hub: the server keeps the connections of its
    listener and its outbox readers, whatever the number of streams, and no thread per
    stream; a write still reaches every one of them."""
    users = [UserFactory() for _ in range(10)]
    metric = MetricFactory(owner=users[0])
    worker = live.worker_pid()
    streams = [live.stream(users[i % 10]) for i in range(50)]
    try:
        assert {stream.status for stream in streams} == {200}
        held = settled(lambda: server_connections(worker), at_most=CONNECTIONS)
        threads = settled(lambda: thread_count(worker), at_most=12)
        record(metric)
        heard = [stream.next_message() for stream in streams[::10]]
    finally:
        for stream in streams:
            stream.close()
    assert held <= CONNECTIONS, f"{held} connections held by the server for 50 streams"
    assert threads <= 12, f"{threads} threads in the server process for 50 streams"
    assert all(f"metric-{metric.id}-changed" in message.names for message in heard)


@pytest.mark.fanouts("postgres")
def test_the_listener_comes_back_after_the_database_cut_it(live):
    metric = MetricFactory()
    stream = live.stream(metric.owner)
    try:
        record(metric)
        stream.next_message()
        with server_admin() as admin:
            cut = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = 'goaltrack live pages' AND datname = %s",
                (connection.settings_dict["NAME"],),
            ).fetchone()[0]
        assert cut == 1
        result, _ = record(metric, "78.1")
        message = stream.next_message(timeout=15)
    finally:
        stream.close()
    assert message.names == names(result)


def settled(measure, *, at_most: int, within: float = 10) -> int:
    """`measure()` once it is at most `at_most`, or as it is after `within` seconds
    (the threads that opened the streams end a moment after them)."""
    deadline = time.monotonic() + within
    while (value := measure()) > at_most and time.monotonic() < deadline:
        time.sleep(0.2)
    return value


def server_connections(worker: int) -> int:
    """Connections the server holds to the test database: on PostgreSQL, all but this
    process's; on SQLite, the server worker's open handles on the database file."""
    if not is_postgresql():
        database = Path(connection.settings_dict["NAME"]).resolve()
        handles = Path(f"/proc/{worker}/fd").iterdir()
        return sum(1 for handle in handles if handle.resolve() == database)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def thread_count(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    raise AssertionError("no thread count")
