"""Changes made in the admin are on the audit trail too: the admin is the actor, the
channel is "admin", and a deleted measurement can be brought back like any other."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from audit.models import Action, AuditEntry
from measurements.executors import measurement_restore
from measurements.models import Measurement
from tests.factories import GoalFactory, MeasurementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-42")
    client.force_login(admin)
    client.admin = admin
    return client


def change_form(measurement: Measurement, **changes) -> dict:
    local = timezone.localtime(measurement.measured_at)
    return {
        "metric": measurement.metric_id,
        "value": str(measurement.value),
        "measured_at_0": local.strftime("%Y-%m-%d"),
        "measured_at_1": local.strftime("%H:%M:%S"),
        "original_unit": "",
        "note": measurement.note,
        "source": measurement.source,
        "external_id": "",
        **changes,
    }


def test_an_admin_edit_of_a_measurement_is_recorded_with_before_and_after(admin_client):
    on_the_second = timezone.now().replace(microsecond=0)
    measurement = MeasurementFactory(value=Decimal("80"), measured_at=on_the_second)
    response = admin_client.post(
        f"/admin/measurements/measurement/{measurement.id}/change/",
        change_form(measurement, value="79.5"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.channel, entry.actor_id) == (
        Action.UPDATED,
        "admin",
        admin_client.admin.id,
    )
    assert entry.owner_id == measurement.metric.owner_id
    assert entry.changes == {"value": ["80", "79.5"]}


def test_an_admin_delete_can_be_undone_by_the_owner(admin_client):
    measurement = MeasurementFactory(value=Decimal("80"), note="kept")
    response = admin_client.post(
        f"/admin/measurements/measurement/{measurement.id}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Measurement.objects.filter(id=measurement.id).exists()
    assert AuditEntry.objects.get().action == Action.DELETED
    now = timezone.now()
    measurement_restore(
        owner_id=measurement.metric.owner_id,
        measurement_id=measurement.id,
        deleted_since=now - dt.timedelta(minutes=10),
        now=now,
    )
    assert Measurement.objects.get(id=measurement.id).note == "kept"


def test_a_bulk_delete_in_the_admin_records_each_goal(admin_client):
    goals = GoalFactory.create_batch(2)
    response = admin_client.post(
        "/admin/goals/goal/",
        {"action": "delete_selected", "_selected_action": [g.id for g in goals], "post": "yes"},
    )
    assert response.status_code == 302
    deleted = AuditEntry.objects.filter(action=Action.DELETED, subject_type="goal")
    assert sorted(deleted.values_list("subject_id", flat=True)) == sorted(g.id for g in goals)
