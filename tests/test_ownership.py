"""Nobody reads or changes another user's objects: every object URL answers 404 (not
403, so ids cannot be probed), for GET and POST, and nothing changes."""

import pytest
from django.urls import reverse
from django.utils import timezone

from goals.models import Goal
from measurements.models import Measurement
from tests.factories import GoalFactory, MeasurementFactory
from tests.responses import as_seen

GOAL_URLS = [
    ("goals:detail", "get"),
    ("goals:progress", "get"),
    ("goals:measurements", "get"),
    ("goals:card", "get"),
    ("goals:edit", "get"),
    ("goals:edit", "post"),
    ("goals:archive", "post"),
    ("goals:restore", "post"),
    ("goals:title", "get"),
    ("goals:title", "post"),
    ("goals:delete", "get"),
    ("goals:delete", "post"),
    ("goals:undelete", "post"),
]
METRIC_URLS = [
    ("measurements:detail", "get"),
    ("measurements:measurements", "get"),
    ("measurements:record", "post"),
]


@pytest.fixture
def someone_elses_goal(other_user):
    goal = GoalFactory(metric__owner=other_user, title="Private")
    MeasurementFactory(metric=goal.metric)
    return goal


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method"), GOAL_URLS)
@pytest.mark.parametrize("htmx", [False, True])
def test_another_users_goal_is_not_found(signed_in, someone_elses_goal, name, method, htmx):
    url = reverse(name, args=[someone_elses_goal.id])
    headers = {"HX-Request": "true"} if htmx else {}
    data = {"title": "Mine now", "kind": "reach", "value": "1"} if method == "post" else None
    response = getattr(signed_in, method)(url, data, headers=headers)
    assert response.status_code == 404
    assert "Private" not in response.content.decode()
    goal = Goal.objects.get(id=someone_elses_goal.id)
    assert (goal.title, goal.status, goal.deleted_at) == ("Private", "active", None)


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True])
def test_another_users_deleted_goal_cannot_be_undeleted(signed_in, someone_elses_goal, htmx):
    Goal.objects.filter(id=someone_elses_goal.id).update(deleted_at=timezone.now())
    headers = {"HX-Request": "true"} if htmx else {}
    url = reverse("goals:undelete", args=[someone_elses_goal.id])
    response = signed_in.post(url, headers=headers)
    assert response.status_code == 404
    assert "Private" not in response.content.decode()
    assert Goal.objects.get(id=someone_elses_goal.id).deleted_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method"), METRIC_URLS)
def test_another_users_metric_is_not_found(signed_in, someone_elses_goal, name, method):
    url = reverse(name, args=[someone_elses_goal.metric_id])
    data = {"value": "1"} if method == "post" else None
    response = getattr(signed_in, method)(url, data)
    assert response.status_code == 404
    assert Measurement.objects.count() == 1


@pytest.mark.django_db
def test_the_404_looks_the_same_as_for_an_id_that_does_not_exist(signed_in, someone_elses_goal):
    theirs = signed_in.get(reverse("goals:detail", args=[someone_elses_goal.id]))
    missing = signed_in.get(reverse("goals:detail", args=[someone_elses_goal.id + 1000]))
    assert theirs.status_code == missing.status_code == 404
    assert as_seen(theirs) == as_seen(missing)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["/", "/goals/new/", "/metrics/", "/goals/1/", "/metrics/1/", "/accounts/preferences/"],
)
def test_every_page_needs_a_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
