"""The audit trail: every goal and measurement executor writes one entry, in its own
transaction, with the request's channel and correlation id."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from audit import trail
from audit.models import Action, AuditEntry
from config.envelope import NotFound
from config.request_context import Channel, bind
from goals.choices import GoalStatus
from goals.contracts import GoalFields
from goals.executors import (
    goal_create,
    goal_delete,
    goal_rename,
    goal_set_status,
    goal_undelete,
    goal_update,
)
from goals.models import Goal
from measurements.contracts import EditMeasurement, RecordMeasurement
from measurements.executors import (
    measurement_delete,
    measurement_record,
    measurement_restore,
    measurement_update,
)
from measurements.inserts import insert_recorded
from measurements.models import Measurement
from tests.factories import GoalFactory, MeasurementFactory, MetricFactory, UserFactory

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(minutes=5)
MEASURED = dt.datetime(2026, 11, 25, 7, 30, tzinfo=dt.UTC)
REACH = GoalFields(
    title="Weigh 75 kg",
    kind="reach",
    start_value=Decimal("82"),
    target=Decimal("75"),
    start_date=dt.date(2026, 11, 1),
    deadline=dt.date(2027, 3, 1),
)


def the_entry() -> AuditEntry:
    (entry,) = AuditEntry.objects.all()
    return entry


def subject_of(entry: AuditEntry) -> tuple:
    return (entry.subject_type, entry.subject_id, entry.owner_id, entry.actor_id, entry.metric_id)


def created_goal() -> Goal:
    metric = MetricFactory()
    result = goal_create(
        owner_id=metric.owner_id, fields=REACH, metric_id=metric.id, new_metric=None, now=NOW
    )
    AuditEntry.objects.all().delete()
    return Goal.objects.get(id=result.data.id)


def record(metric, **values):
    command = RecordMeasurement(
        metric_id=metric.id, value=Decimal("81.4"), measured_at=MEASURED, **values
    )
    return measurement_record(owner_id=metric.owner_id, command=command, now=NOW)


def edit(measurement, **values) -> EditMeasurement:
    current = {
        "value": measurement.value,
        "measured_at": measurement.measured_at,
        "original_value": measurement.original_value,
        "original_unit": measurement.original_unit,
        "note": measurement.note,
    }
    return EditMeasurement(measurement_id=measurement.id, **(current | values))


def failing_after(real):
    def record_then_fail(**kwargs):
        real(**kwargs)
        raise RuntimeError("after the audit write")

    return record_then_fail


# Goals


@pytest.mark.django_db
def test_goal_create_records_every_field_as_created():
    metric = MetricFactory()
    result = goal_create(
        owner_id=metric.owner_id, fields=REACH, metric_id=metric.id, new_metric=None, now=NOW
    )
    entry = the_entry()
    assert entry.action == Action.CREATED
    assert subject_of(entry) == (
        "goal",
        result.data.id,
        metric.owner_id,
        metric.owner_id,
        metric.id,
    )
    assert (entry.at, entry.summary) == (NOW, "Weigh 75 kg")
    assert entry.changes["title"] == [None, "Weigh 75 kg"]
    assert entry.changes["target"] == [None, "75"]
    assert entry.changes["deadline"] == [None, "2027-03-01"]
    assert all(before is None for before, _ in entry.changes.values())


@pytest.mark.django_db
def test_goal_update_records_only_the_changed_fields():
    goal = created_goal()
    fields = REACH.model_copy(update={"target": Decimal("74"), "deadline": dt.date(2027, 4, 1)})
    goal_update(
        owner_id=goal.owner_id,
        goal_id=goal.id,
        fields=fields,
        metric_id=goal.metric_id,
        new_metric=None,
        now=LATER,
    )
    entry = the_entry()
    assert entry.action == Action.UPDATED
    assert subject_of(entry) == ("goal", goal.id, goal.owner_id, goal.owner_id, goal.metric_id)
    assert entry.changes == {"target": ["75", "74"], "deadline": ["2027-03-01", "2027-04-01"]}
    assert entry.at == LATER


@pytest.mark.django_db
def test_goal_update_moving_to_another_metric_records_the_metric_change():
    goal = created_goal()
    other = MetricFactory(owner=goal.owner)
    goal_update(
        owner_id=goal.owner_id,
        goal_id=goal.id,
        fields=REACH,
        metric_id=other.id,
        new_metric=None,
        now=LATER,
    )
    entry = the_entry()
    assert entry.changes == {"metric_id": [goal.metric_id, other.id]}
    assert entry.metric_id == other.id


@pytest.mark.django_db
def test_goal_update_that_changes_nothing_writes_no_entry():
    goal = created_goal()
    goal_update(
        owner_id=goal.owner_id,
        goal_id=goal.id,
        fields=REACH,
        metric_id=goal.metric_id,
        new_metric=None,
        now=LATER,
    )
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_goal_rename_records_only_the_title():
    goal = created_goal()
    goal_rename(owner_id=goal.owner_id, goal_id=goal.id, title="Weigh 74 kg", now=LATER)
    entry = the_entry()
    assert entry.action == Action.UPDATED
    assert subject_of(entry) == ("goal", goal.id, goal.owner_id, goal.owner_id, goal.metric_id)
    assert entry.changes == {"title": ["Weigh 75 kg", "Weigh 74 kg"]}
    assert entry.summary == "Weigh 74 kg"


@pytest.mark.django_db
def test_goal_rename_to_the_same_title_writes_no_entry():
    goal = created_goal()
    goal_rename(owner_id=goal.owner_id, goal_id=goal.id, title=goal.title, now=LATER)
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_goal_set_status_records_only_the_status():
    goal = created_goal()
    goal_set_status(owner_id=goal.owner_id, goal_id=goal.id, status=GoalStatus.ARCHIVED, now=LATER)
    entry = the_entry()
    assert entry.action == Action.UPDATED
    assert subject_of(entry) == ("goal", goal.id, goal.owner_id, goal.owner_id, goal.metric_id)
    assert entry.changes == {"status": ["active", "archived"]}


@pytest.mark.django_db
def test_goal_delete_and_undelete_each_record_their_action():
    goal = created_goal()
    goal_delete(owner_id=goal.owner_id, goal_id=goal.id, now=NOW)
    deleted = the_entry()
    assert (deleted.action, deleted.at) == (Action.DELETED, NOW)
    assert subject_of(deleted) == ("goal", goal.id, goal.owner_id, goal.owner_id, goal.metric_id)

    goal_undelete(owner_id=goal.owner_id, goal_id=goal.id, deleted_since=NOW, now=LATER)
    restored = AuditEntry.objects.exclude(id=deleted.id).get()
    assert (restored.action, restored.at) == (Action.RESTORED, LATER)
    assert subject_of(restored) == ("goal", goal.id, goal.owner_id, goal.owner_id, goal.metric_id)


@pytest.mark.django_db
def test_a_goal_change_that_fails_writes_no_entry(other_user):
    goal = GoalFactory()
    with pytest.raises(NotFound):
        goal_rename(owner_id=other_user.id, goal_id=goal.id, title="Mine now", now=NOW)
    assert not AuditEntry.objects.exists()


# Measurements


@pytest.mark.django_db
def test_measurement_record_records_the_row_as_created():
    metric = MetricFactory(unit="kg")
    result = record(metric, note="after run")
    entry = the_entry()
    assert entry.action == Action.CREATED
    assert subject_of(entry) == (
        "measurement",
        result.data.id,
        metric.owner_id,
        metric.owner_id,
        metric.id,
    )
    assert (entry.at, entry.summary) == (NOW, "81.4 kg")
    assert entry.changes["value"] == [None, "81.4"]
    assert entry.changes["note"] == [None, "after run"]
    assert entry.changes["measured_at"] == [None, MEASURED.isoformat()]


@pytest.mark.django_db
def test_measurement_update_records_only_the_changed_fields():
    measurement = MeasurementFactory(value=Decimal("80"), measured_at=MEASURED)
    owner_id = measurement.metric.owner_id
    measurement_update(
        owner_id=owner_id, command=edit(measurement, value=Decimal("79.5")), now=LATER
    )
    entry = the_entry()
    assert entry.action == Action.UPDATED
    assert subject_of(entry) == (
        "measurement",
        measurement.id,
        owner_id,
        owner_id,
        measurement.metric_id,
    )
    assert entry.changes == {"value": ["80", "79.5"]}


@pytest.mark.django_db
def test_measurement_update_that_changes_nothing_writes_no_entry():
    measurement = MeasurementFactory(measured_at=MEASURED, note="as it was")
    measurement_update(owner_id=measurement.metric.owner_id, command=edit(measurement), now=LATER)
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_measurement_delete_keeps_the_whole_row_and_restore_brings_it_back():
    metric = MetricFactory(unit="kg")
    measurement = MeasurementFactory(
        metric=metric,
        value=Decimal("81.646627"),
        original_value=Decimal("180"),
        original_unit="lb",
        note="after run",
        source="import",
        external_id="row-7",
        measured_at=MEASURED,
        created=NOW - dt.timedelta(days=1),
    )
    measurement_delete(owner_id=metric.owner_id, measurement_id=measurement.id, now=NOW)
    deleted = the_entry()
    assert deleted.action == Action.DELETED
    assert subject_of(deleted) == (
        "measurement",
        measurement.id,
        metric.owner_id,
        metric.owner_id,
        metric.id,
    )
    assert all(after is None for _, after in deleted.changes.values())
    assert not Measurement.objects.exists()

    result = measurement_restore(
        owner_id=metric.owner_id, measurement_id=measurement.id, deleted_since=NOW, now=LATER
    )
    assert result.ok
    back = Measurement.objects.get()
    assert back.id == measurement.id
    assert (
        back.value,
        back.original_value,
        back.original_unit,
        back.note,
        back.source,
        back.external_id,
        back.measured_at,
        back.created,
        back.updated,
    ) == (
        Decimal("81.646627"),
        Decimal("180"),
        "lb",
        "after run",
        "import",
        "row-7",
        MEASURED,
        NOW - dt.timedelta(days=1),
        LATER,
    )
    restored = AuditEntry.objects.get(action=Action.RESTORED)
    assert subject_of(restored) == (
        "measurement",
        measurement.id,
        metric.owner_id,
        metric.owner_id,
        metric.id,
    )


@pytest.mark.django_db
def test_measurement_restore_after_the_window_is_not_found():
    measurement = MeasurementFactory(measured_at=MEASURED)
    owner_id = measurement.metric.owner_id
    measurement_delete(owner_id=owner_id, measurement_id=measurement.id, now=NOW)
    with pytest.raises(NotFound):
        measurement_restore(
            owner_id=owner_id,
            measurement_id=measurement.id,
            deleted_since=NOW + dt.timedelta(seconds=1),
            now=LATER,
        )
    assert not Measurement.objects.exists()
    assert not AuditEntry.objects.filter(action=Action.RESTORED).exists()


@pytest.mark.django_db
def test_measurement_restore_twice_fails_the_second_time():
    measurement = MeasurementFactory(measured_at=MEASURED)
    owner_id = measurement.metric.owner_id
    measurement_delete(owner_id=owner_id, measurement_id=measurement.id, now=NOW)
    measurement_restore(
        owner_id=owner_id, measurement_id=measurement.id, deleted_since=NOW, now=LATER
    )
    with pytest.raises(NotFound):
        measurement_restore(
            owner_id=owner_id, measurement_id=measurement.id, deleted_since=NOW, now=LATER
        )
    assert Measurement.objects.count() == 1
    assert AuditEntry.objects.filter(action=Action.RESTORED).count() == 1


@pytest.mark.django_db
def test_another_user_cannot_restore_a_deleted_measurement(other_user):
    measurement = MeasurementFactory(measured_at=MEASURED)
    measurement_delete(owner_id=measurement.metric.owner_id, measurement_id=measurement.id, now=NOW)
    with pytest.raises(NotFound):
        measurement_restore(
            owner_id=other_user.id, measurement_id=measurement.id, deleted_since=NOW, now=LATER
        )
    assert not Measurement.objects.exists()


# Channel and correlation id


@pytest.mark.django_db
def test_the_entry_carries_the_bound_channel_and_correlation_id():
    metric = MetricFactory()
    with bind("corr-123-abc", channel=Channel.API):
        record(metric)
    entry = the_entry()
    assert (entry.channel, entry.correlation_id) == ("api", "corr-123-abc")


@pytest.mark.django_db
def test_a_goal_entry_carries_the_bound_channel_and_correlation_id():
    goal = created_goal()
    with bind("task-run-0042", channel=Channel.TASK):
        goal_rename(owner_id=goal.owner_id, goal_id=goal.id, title="Renamed", now=LATER)
    entry = the_entry()
    assert (entry.channel, entry.correlation_id) == ("task", "task-run-0042")


@pytest.mark.django_db
def test_a_browser_request_stores_its_request_id_and_the_web_channel(signed_in, user):
    metric = MetricFactory(owner=user)
    response = signed_in.post(
        reverse("measurements:record", args=[metric.id]),
        {"value": "81.4"},
        headers={"X-Request-ID": "some-valid-id-1234"},
    )
    assert response.status_code == 302
    entry = the_entry()
    assert (entry.action, entry.channel, entry.correlation_id) == (
        Action.CREATED,
        "web",
        "some-valid-id-1234",
    )
    assert (entry.owner_id, entry.actor_id) == (user.id, user.id)


# One transaction with the change


@pytest.mark.django_db
def test_a_record_that_fails_after_its_audit_write_leaves_neither(monkeypatch):
    """A record writes its entry with the measurement (`insert_recorded`: one
    statement on PostgreSQL); a failure after that takes both back."""
    metric = MetricFactory()

    def insert_then_fail(measurement, entry):
        insert_recorded(measurement, entry)
        assert AuditEntry.objects.filter(subject_id=measurement.id).exists()
        raise RuntimeError("after the audit write")

    monkeypatch.setattr("measurements.executors.insert_recorded", insert_then_fail)
    with pytest.raises(RuntimeError, match="after the audit write"):
        record(metric)
    assert not Measurement.objects.exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_an_update_that_fails_after_its_audit_write_leaves_neither(monkeypatch):
    measurement = MeasurementFactory(value=Decimal("80"), measured_at=MEASURED)
    monkeypatch.setattr("measurements.executors.trail.record", failing_after(trail.record))
    with pytest.raises(RuntimeError, match="after the audit write"):
        measurement_update(
            owner_id=measurement.metric.owner_id,
            command=edit(measurement, value=Decimal("70")),
            now=LATER,
        )
    measurement.refresh_from_db()
    assert measurement.value == Decimal("80")
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_a_delete_that_fails_after_its_audit_write_leaves_neither(monkeypatch):
    measurement = MeasurementFactory(measured_at=MEASURED)
    monkeypatch.setattr("measurements.executors.trail.record", failing_after(trail.record))
    with pytest.raises(RuntimeError, match="after the audit write"):
        measurement_delete(
            owner_id=measurement.metric.owner_id, measurement_id=measurement.id, now=NOW
        )
    assert Measurement.objects.filter(id=measurement.id).exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_a_goal_create_that_fails_after_its_audit_write_leaves_neither(monkeypatch):
    metric = MetricFactory()
    monkeypatch.setattr("goals.executors.trail.record", failing_after(trail.record))
    with pytest.raises(RuntimeError, match="after the audit write"):
        goal_create(
            owner_id=metric.owner_id, fields=REACH, metric_id=metric.id, new_metric=None, now=NOW
        )
    assert not Goal.objects.exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_a_goal_update_that_fails_after_its_audit_write_leaves_neither(monkeypatch):
    goal = created_goal()
    monkeypatch.setattr("goals.executors.trail.record", failing_after(trail.record))
    with pytest.raises(RuntimeError, match="after the audit write"):
        goal_update(
            owner_id=goal.owner_id,
            goal_id=goal.id,
            fields=REACH.model_copy(update={"title": "Weigh 70 kg"}),
            metric_id=goal.metric_id,
            new_metric=None,
            now=LATER,
        )
    goal.refresh_from_db()
    assert (goal.title, goal.updated) == ("Weigh 75 kg", NOW)
    assert not AuditEntry.objects.exists()


# The admin


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.django_db
def test_the_admin_finds_an_entry_by_its_correlation_id(admin_client):
    metric = MetricFactory()
    with bind("corr-aaa-111111", channel=Channel.API):
        wanted = record(metric)
    with bind("corr-bbb-222222", channel=Channel.API):
        record(metric, note="another")
    response = admin_client.get("/admin/audit/auditentry/", {"q": "corr-aaa-111111"})
    assert response.status_code == 200
    found = list(response.context["cl"].result_list)
    assert [(entry.subject_id, entry.correlation_id) for entry in found] == [
        (wanted.data.id, "corr-aaa-111111")
    ]


@pytest.mark.django_db
def test_the_admin_cannot_add_change_or_delete_entries(admin_client):
    with bind("corr-ccc-333333"):
        record(MetricFactory())
    entry = the_entry()
    assert admin_client.get("/admin/audit/auditentry/add/").status_code == 403
    change = admin_client.post(
        f"/admin/audit/auditentry/{entry.id}/change/", {"summary": "tampered"}
    )
    assert change.status_code == 403
    assert admin_client.post(f"/admin/audit/auditentry/{entry.id}/delete/").status_code == 403
    entry.refresh_from_db()
    assert entry.summary == "81.4 kg"
