"""An owner's events become visible in the order of their ids, so a stream that has read
up to id N is never passed by a smaller id committing later: on PostgreSQL the writer
that announces an owner's events holds that owner until it commits."""

import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from events import writing
from events.models import Event
from tests.factories import UserFactory
from tests.faults.live_processes import is_postgresql

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not is_postgresql(), reason="SQLite has one writer at a time anyway"),
]

HOLD_SECONDS = 0.5


def write_events(owner_id: int, hold: float, out: dict, started: threading.Event | None = None):
    try:
        with transaction.atomic(durable=True):
            event = Event(
                at=timezone.now(), owner_id=owner_id, type="test.order", channel="command"
            )
            writing.write([event])
            if started:
                started.set()
            time.sleep(hold)
            # Taken before the commit that releases the owner's lock: a thread that
            # notes the time after its own commit may be scheduled after the next one.
            out["committing"] = time.monotonic()
        out["id"] = event.id
        out["committed"] = time.monotonic()
    finally:
        connection.close()


@pytest.mark.parametrize("same_owner", [True, False])
def test_a_second_writer_of_the_same_owner_gets_its_id_after_the_first_commits(same_owner):
    first_owner, other = UserFactory(), UserFactory()
    second_owner = first_owner if same_owner else other
    first, second = {}, {}
    started = threading.Event()
    holder = threading.Thread(
        target=write_events, args=(first_owner.id, HOLD_SECONDS, first, started)
    )
    holder.start()
    assert started.wait(5)
    began = time.monotonic()
    follower = threading.Thread(target=write_events, args=(second_owner.id, 0, second))
    follower.start()
    follower.join(10)
    holder.join(10)
    waited = second["committed"] - began
    if same_owner:
        assert second["committed"] > first["committing"]
        assert second["id"] > first["id"]
        assert waited >= HOLD_SECONDS * 0.8
    else:
        assert waited < HOLD_SECONDS * 0.8, "another owner's writer is not held"
