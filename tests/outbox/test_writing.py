"""A transaction's events are written whole and in order, with their ids: as arrays on
PostgreSQL, with `bulk_create` on SQLite."""

import pytest

from events import types
from events.models import Event
from events.outbox import emit, executor
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@executor
def many_changes(*, owner_id: int, count: int):
    for n in range(count):
        emit(
            types.MEASUREMENT_RECORDED,
            owner_id=owner_id,
            affected=[f"metric:{n % 3}", "goals:summary"],
            subject=("measurement", n),
            data={"id": n, "note": f"“quoted” {n}\n", "value": "81.4"},
        )


@pytest.mark.parametrize("count", [1, 150])
def test_the_events_are_written_whole_and_in_order(count):
    owner = UserFactory()
    many_changes(owner_id=owner.id, count=count)
    events = list(Event.objects.filter(owner=owner).order_by("id"))
    assert [event.subject_id for event in events] == list(range(count))
    last = events[-1]
    assert last.data == {"id": count - 1, "note": f"“quoted” {count - 1}\n", "value": "81.4"}
    assert last.affected == ["goals:summary", f"metric:{(count - 1) % 3}"]
    assert last.type == types.MEASUREMENT_RECORDED and last.subject_type == "measurement"
