"""Small leaks of shape: a refusal tells no more than it must, and says it in the same
words as every other refusal of its kind."""

import pytest
from django.test import Client
from django.utils import timezone

from sources.models import DataSource, SyncRun
from tests.factories import PASSWORD, UserFactory
from tests.responses import as_seen


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/metrics", None),
        ("get", "/api/v1/measurements", None),
        ("post", "/api/v1/measurements", {"metric_id": 1, "value": "1"}),
        ("post", "/api/v1/measurements/batch", {"items": []}),
        ("get", "/api/v1/goals", None),
    ],
)
def test_an_api_request_without_credentials_is_refused_while_authenticating(method, path, body):
    client = Client()
    kwargs = {"content_type": "application/json", "data": body} if body is not None else {}
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "unauthenticated"
    assert error["phase"] == "authenticate"
    assert error["correlation_id"] == response["X-Request-ID"]


@pytest.mark.django_db
def test_syncing_another_users_source_is_not_found_like_any_other_object():
    owner, stranger = UserFactory(), UserFactory()
    theirs = DataSource.objects.create(
        owner=owner, provider="icalendar", name="Gym", created=timezone.now()
    )
    client = Client()
    assert client.login(username=stranger.username, password=PASSWORD)

    response = client.post(f"/sources/{theirs.id}/sync/")
    missing = client.post(f"/sources/{theirs.id + 1000}/sync/")

    assert response.status_code == missing.status_code == 404
    assert "Location" not in response
    assert b"Gym" not in response.content
    assert as_seen(response) == as_seen(missing)
    assert not SyncRun.objects.filter(source=theirs).exists()


@pytest.mark.django_db
def test_syncing_ones_own_source_is_still_queued():
    owner = UserFactory()
    mine = DataSource.objects.create(
        owner=owner, provider="icalendar", name="Gym", created=timezone.now()
    )
    client = Client()
    assert client.login(username=owner.username, password=PASSWORD)
    response = client.post(f"/sources/{mine.id}/sync/")
    assert response.status_code == 302
    assert SyncRun.objects.filter(source=mine).count() == 1
