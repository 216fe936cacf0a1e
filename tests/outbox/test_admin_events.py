"""A change made in the admin reaches the owner's open pages and webhooks like any
other: its events are recorded in the admin's transaction, on channel "admin"."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from events.models import Event
from tests.audit.test_admin_changes import change_form
from tests.factories import GoalFactory, MeasurementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-42")
    client.force_login(admin)
    return client


def test_an_admin_edit_of_a_measurement_is_an_event_for_its_owner(admin_client):
    measurement = MeasurementFactory(
        value=Decimal("80"), measured_at=timezone.now().replace(microsecond=0)
    )
    goal = GoalFactory(metric=measurement.metric)
    response = admin_client.post(
        f"/admin/measurements/measurement/{measurement.id}/change/",
        change_form(measurement, value="79.5"),
    )
    assert response.status_code == 302
    (event,) = Event.objects.all()
    assert (event.type, event.channel, event.owner_id) == (
        "measurement.changed",
        "admin",
        goal.owner_id,
    )
    assert f"goal:{goal.id}" in event.affected and event.data["value"] == "79.5"


def test_an_admin_delete_of_a_goal_carries_the_goal_as_it_was(admin_client):
    goal = GoalFactory(title="Gone")
    response = admin_client.post(f"/admin/goals/goal/{goal.id}/delete/", {"post": "yes"})
    assert response.status_code == 302
    (event,) = Event.objects.all()
    assert (event.type, event.data["id"], event.data["title"]) == ("goal.deleted", goal.id, "Gone")
    assert "goals:list" in event.affected
