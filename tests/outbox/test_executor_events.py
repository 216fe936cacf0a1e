"""Executors record their events in their own transaction (events/outbox.py): what
changed, what it affects, and the object as the API shows it."""

import datetime as dt
from decimal import Decimal

import psycopg
import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.envelope import Result
from events.models import Event
from events.outbox import ATTEMPTS, emit, executor
from goals.contracts import GoalRef, RenameGoal
from goals.orchestrators import archive_goal, rename_goal
from measurements.contracts import MeasurementRef, RecordMeasurement
from measurements.orchestrators import (
    delete_measurement,
    ingest_measurements,
    record_measurement,
)
from tests.api.conftest import ApiClient, token_for
from tests.factories import GoalFactory, MeasurementFactory, MetricFactory

pytestmark = pytest.mark.django_db


def record(metric, value, *, token=None, when=None):
    command = RecordMeasurement(
        metric_id=metric.id,
        value=Decimal(value),
        measured_at=when or timezone.now(),
        submission_token=token,
    )
    return record_measurement(command, actor_id=metric.owner_id, now=timezone.now())


def types_written():
    return list(Event.objects.order_by("id").values_list("type", flat=True))


def test_a_recorded_value_is_an_event_naming_what_it_affects():
    metric = MetricFactory(unit="kg")
    goal = GoalFactory(metric=metric)
    result = record(metric, "80.5")
    (event,) = Event.objects.filter(type="measurement.recorded")
    assert event.owner_id == metric.owner_id
    assert (event.subject_type, event.subject_id) == ("measurement", result.data.id)
    assert event.affected == sorted([f"goal:{goal.id}", "goals:summary", f"metric:{metric.id}"])
    assert result.affected == event.affected
    assert event.data["value"] == "80.5" and event.data["unit"] == "kg"


def test_the_event_carries_the_measurement_as_the_api_shows_it():
    metric = MetricFactory(unit="km")
    result = record(metric, "5.25")
    api = ApiClient(token_for(metric.owner))
    shown = api.call("get", f"measurements/{result.data.id}").json()
    (event,) = Event.objects.filter(type="measurement.recorded")
    assert event.data == shown


def test_the_goal_in_an_event_is_the_goal_as_the_api_shows_it():
    goal = GoalFactory(title="Weigh less")
    archive_goal(GoalRef(goal_id=goal.id), actor_id=goal.owner_id, now=timezone.now())
    api = ApiClient(token_for(goal.owner))
    shown = api.call("get", f"goals/{goal.id}").json()
    (event,) = Event.objects.filter(type="goal.changed")
    assert event.data == {key: value for key, value in shown.items() if key != "progress"}


def test_a_repeated_submission_records_nothing_more():
    metric = MetricFactory()
    token = "5f0c6a2e-9f6c-4d35-9a43-1f1c5fd1c001"
    record(metric, "80", token=token)
    again = record(metric, "80", token=token)
    assert again.data.replayed
    assert types_written() == ["measurement.recorded"]
    assert again.affected == []


def test_a_failed_write_leaves_no_event():
    metric = MetricFactory()
    result = record(metric, "80", when=timezone.now() + dt.timedelta(days=5))
    assert not result.ok
    assert Event.objects.count() == 0


def test_an_event_emitted_by_a_write_that_rolls_back_never_existed():
    metric = MetricFactory()

    @executor
    def write_then_fail() -> Result:
        emit("measurement.recorded", owner_id=metric.owner_id, affected=["metric:1"])
        raise RuntimeError("the disk is full")

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert Event.objects.count() == 0


def _aborted(error: type[psycopg.errors.Error]) -> OperationalError:
    """What Django raises for a transaction PostgreSQL aborted with `error`."""
    try:
        raise OperationalError(error.__name__) from error()
    except OperationalError as exc:
        return exc


@pytest.mark.parametrize(
    "error", [psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure]
)
def test_a_transaction_aborted_for_a_deadlock_is_run_again_and_keeps_one_event(error):
    metric = MetricFactory()
    runs = []

    @executor
    def write_once_aborted() -> Result:
        runs.append(1)
        emit("measurement.recorded", owner_id=metric.owner_id, affected=["metric:1"])
        if len(runs) == 1:
            raise _aborted(error)
        return Result.success()

    assert write_once_aborted().affected == ["metric:1"]
    assert len(runs) == 2
    assert types_written() == ["measurement.recorded"]


def test_an_abort_that_keeps_coming_or_another_database_error_is_raised():
    runs = []

    @executor
    def always(error) -> Result:
        runs.append(error)
        raise _aborted(error)

    with pytest.raises(OperationalError):
        always(psycopg.errors.DeadlockDetected)
    assert len(runs) == ATTEMPTS
    runs.clear()
    with pytest.raises(OperationalError):
        always(psycopg.errors.AdminShutdown)
    assert len(runs) == 1
    assert Event.objects.count() == 0


def test_emitting_outside_an_executor_is_refused():
    with pytest.raises(RuntimeError, match="outside an executor"):
        emit("measurement.recorded", owner_id=1)


def test_events_carry_the_correlation_id_and_channel_of_the_request(client):
    metric = MetricFactory()
    api = ApiClient(token_for(metric.owner))
    response = api.call(
        "post",
        "measurements",
        {"metric_id": metric.id, "value": "3"},
        headers={"X-Request-ID": "req-abcdef123"},
    )
    assert response.status_code == 201
    (event,) = Event.objects.filter(type="measurement.recorded")
    assert (event.correlation_id, event.channel) == ("req-abcdef123", "api")


def test_a_batch_records_one_event_per_measurement_written():
    metric = MetricFactory()
    MeasurementFactory(metric=metric, source="api", external_id="a", value=Decimal("1"))
    at = timezone.now().isoformat()
    items = [
        {"metric_id": metric.id, "value": "2", "external_id": "a", "measured_at": at},
        {"metric_id": metric.id, "value": "3", "external_id": "b", "measured_at": at},
        {"metric_id": metric.id, "value": "4", "external_id": "c", "measured_at": at},
        {"metric_id": 999999, "value": "4", "measured_at": at},
    ]
    result = ingest_measurements(items, actor_id=metric.owner_id, now=timezone.now())
    assert (result.data.created, result.data.updated, result.data.rejected) == (2, 1, 1)
    assert sorted(types_written()) == [
        "measurement.changed",
        "measurement.recorded",
        "measurement.recorded",
    ]
    assert result.affected == [f"metric:{metric.id}"]


def test_a_delete_carries_the_measurement_as_it_was():
    measurement = MeasurementFactory(value=Decimal("70"))
    owner_id = measurement.metric.owner_id
    delete_measurement(
        MeasurementRef(measurement_id=measurement.id), actor_id=owner_id, now=timezone.now()
    )
    (event,) = Event.objects.filter(type="measurement.deleted")
    assert (event.data["id"], event.data["value"]) == (measurement.id, "70")


def test_a_new_title_affects_only_the_goal():
    goal = GoalFactory()
    result = rename_goal(
        RenameGoal(goal_id=goal.id, title="Lighter"), actor_id=goal.owner_id, now=timezone.now()
    )
    assert result.affected == [f"goal:{goal.id}"]
    assert types_written() == ["goal.changed"]


def test_recording_costs_the_same_queries_however_many_goals_are_over_the_metric():
    """Judging the goals' statuses after the write is a fixed number of queries."""
    counts = []
    for goals in (1, 12):
        metric = MetricFactory()
        GoalFactory.create_batch(goals, metric=metric)
        record(metric, "81")  # the first write stores each goal's first status
        with CaptureQueriesContext(connection) as queries:
            record(metric, "81")
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_metric_in_an_event_is_the_metric_as_the_api_shows_it(user):
    api = ApiClient(token_for(user))
    created = api.call("post", "metrics", {"name": "Sleep", "unit": "h"}).json()
    (event,) = Event.objects.filter(type="metric.created")
    assert event.data == api.call("get", f"metrics/{created['id']}").json()
    assert event.affected == [f"metric:{created['id']}", "metrics:list"]


def test_events_older_than_the_keeping_time_are_purged(
    settings,
):
    from events.retention import purge_old_events

    settings.EVENTS_KEEP_DAYS = 30
    metric = MetricFactory()
    record(metric, "1")
    record(metric, "2")
    Event.objects.filter(id=Event.objects.order_by("id").first().id).update(
        at=timezone.now() - dt.timedelta(days=31)
    )
    assert purge_old_events(now=timezone.now()) == 1
    assert Event.objects.count() == 1
