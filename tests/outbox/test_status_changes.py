"""`goal.status_changed`: a write that moves a goal's status records the status before
and after, judged by the mapper after the write, in the same transaction."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from events.models import Event
from goals.contracts import GoalRef
from goals.orchestrators import archive_goal, restore_goal
from measurements.contracts import MeasurementRef, RecordMeasurement
from measurements.orchestrators import delete_measurement, record_measurement
from tests.factories import GoalFactory, MetricFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def goal():
    """Reach 75 kg from 82 over 90 days, starting 10 days ago."""
    start = timezone.localdate() - dt.timedelta(days=10)
    return GoalFactory(metric=MetricFactory(unit="kg"), start_date=start, standing="no_data")


def record(goal, value):
    command = RecordMeasurement(
        metric_id=goal.metric_id, value=Decimal(value), measured_at=timezone.now()
    )
    return record_measurement(command, actor_id=goal.owner_id, now=timezone.now())


def changes():
    return [
        (event.data["previous_status"], event.data["status"])
        for event in Event.objects.filter(type="goal.status_changed").order_by("id")
    ]


def test_a_value_that_reaches_the_target_records_the_goal_achieved(goal):
    record(goal, "81")
    assert changes() == [("no_data", "on_track")]
    record(goal, "74.8")
    assert changes() == [("no_data", "on_track"), ("on_track", "achieved")]
    last = Event.objects.filter(type="goal.status_changed").latest("id")
    assert last.affected == [f"goal:{goal.id}", "goals:summary"]
    assert last.data["goal"]["id"] == goal.id and last.data["percent"] == 100


def test_a_value_that_keeps_the_status_records_no_change(goal):
    record(goal, "81")
    record(goal, "80.9")
    assert changes() == [("no_data", "on_track")]


def test_falling_behind_is_recorded_and_undoing_the_value_brings_it_back(goal):
    on_track = record(goal, "81")
    behind = record(goal, "83")
    assert changes()[-1] == ("on_track", "behind")
    delete_measurement(
        MeasurementRef(measurement_id=behind.data.id), actor_id=goal.owner_id, now=timezone.now()
    )
    assert changes()[-1] == ("behind", "on_track")
    assert on_track.ok


def test_an_archived_goal_is_not_judged_and_is_judged_again_when_restored(goal):
    record(goal, "81")
    archive_goal(GoalRef(goal_id=goal.id), actor_id=goal.owner_id, now=timezone.now())
    record(goal, "74")
    assert changes() == [("no_data", "on_track")]
    restore_goal(GoalRef(goal_id=goal.id), actor_id=goal.owner_id, now=timezone.now())
    assert changes() == [("no_data", "on_track"), ("on_track", "achieved")]


def test_another_owners_goal_on_another_metric_is_untouched(goal):
    other = GoalFactory(start_date=goal.start_date)
    record(goal, "81")
    assert not Event.objects.filter(owner_id=other.owner_id).exists()
