"""GET/PATCH /api/v1/me: the caller's time zone and first day of the week, read and
changed through the same orchestrator as the preferences page; the week start by name."""

import pytest
from django.contrib.auth import get_user_model

from accounts.models import Profile
from accounts.selectors import preferences_for
from tests.api.conftest import ApiClient, token_for
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def profile_of(user) -> Profile:
    return Profile.objects.get(user=user)


def test_me_reads_the_time_zone_and_week_start(api, owner):
    Profile.objects.filter(user=owner).update(time_zone="Asia/Tokyo", week_start=6)
    response = api.call("get", "me")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "username": owner.username,
        "time_zone": "Asia/Tokyo",
        "week_start": "sunday",
    }


def test_patch_changes_both(api, owner):
    response = api.call("patch", "me", {"time_zone": "America/New_York", "week_start": "saturday"})
    assert response.status_code == 200, response.content
    assert response.json()["time_zone"] == "America/New_York"
    assert response.json()["week_start"] == "saturday"
    profile = profile_of(owner)
    assert (profile.time_zone, profile.week_start) == ("America/New_York", 5)
    assert api.call("get", "me").json()["week_start"] == "saturday"


def test_what_a_patch_leaves_out_stays(api, owner):
    Profile.objects.filter(user=owner).update(week_start=2)
    assert api.call("patch", "me", {"time_zone": "UTC"}).json() == {
        "username": owner.username,
        "time_zone": "UTC",
        "week_start": "wednesday",
    }
    assert api.call("patch", "me", {"week_start": "monday"}).json()["time_zone"] == "UTC"
    assert api.call("patch", "me", {}).json()["week_start"] == "monday"
    profile = profile_of(owner)
    assert (profile.time_zone, profile.week_start) == ("UTC", 0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"time_zone": ""}, "time_zone"),
        ({"time_zone": "europe/berlin"}, "time_zone"),
        ({"week_start": "funday"}, "week_start"),
        ({"week_start": 0}, "week_start"),
        ({"username": "someone-else"}, "username"),
    ],
)
def test_a_bad_patch_is_a_422_and_changes_nothing(api, owner, body, field):
    before = profile_of(owner)
    response = api.call("patch", "me", body)
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert [f["field"] for f in error["fields"]] == [field]
    after = profile_of(owner)
    assert (after.time_zone, after.week_start) == (before.time_zone, before.week_start)
    assert get_user_model().objects.get(id=owner.id).username == owner.username


def test_the_pages_see_what_the_api_set(api, owner):
    api.call("patch", "me", {"time_zone": "Pacific/Auckland", "week_start": "sunday"})
    prefs = preferences_for(get_user_model().objects.get(id=owner.id))
    assert (prefs.time_zone, prefs.week_start) == ("Pacific/Auckland", 6)


def test_a_user_without_a_profile_reads_the_defaults_and_gets_one_on_patch(db, settings):
    user = get_user_model().objects.create_user(username="admin-made", password=PASSWORD)
    api = ApiClient(token_for(user))
    assert api.call("get", "me").json() == {
        "username": "admin-made",
        "time_zone": settings.TIME_ZONE,
        "week_start": "monday",
    }
    response = api.call("patch", "me", {"week_start": "tuesday"})
    assert response.status_code == 200, response.content
    assert (profile_of(user).time_zone, profile_of(user).week_start) == (settings.TIME_ZONE, 1)


def test_each_caller_sees_and_changes_only_their_own(api, owner, stranger_api):
    stranger_api.call("patch", "me", {"time_zone": "Africa/Lagos"})
    assert (
        api.call("get", "me").json()["time_zone"] == profile_of(owner).time_zone != "Africa/Lagos"
    )


@pytest.mark.parametrize("method", ["get", "patch"])
def test_me_needs_a_token(client, method):
    response = getattr(client, method)("/api/v1/me", {}, content_type="application/json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_the_schema_names_the_week_days(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert set(schema["paths"]["/api/v1/me"]) == {"get", "patch"}
    assert schema["components"]["schemas"]["WeekStart"]["enum"] == [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ]
