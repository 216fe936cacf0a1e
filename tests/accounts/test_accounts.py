import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.factories import PASSWORD


@pytest.mark.django_db
def test_sign_up_logs_in_and_stores_the_time_zone(client):
    response = client.post(
        reverse("accounts:signup"),
        {
            "username": "ada",
            "password1": "a-long-passphrase-42",
            "password2": "a-long-passphrase-42",
            "time_zone": "America/New_York",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("goals:create")
    user = get_user_model().objects.get(username="ada")
    assert user.profile.time_zone == "America/New_York"
    assert client.get(reverse("goals:dashboard")).status_code == 200


@pytest.mark.django_db
def test_sign_up_refuses_a_weak_password_and_a_taken_name(client, user):
    response = client.post(
        reverse("accounts:signup"),
        {
            "username": user.username.upper(),
            "password1": "123",
            "password2": "123",
            "time_zone": "UTC",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "too short" in body
    assert get_user_model().objects.count() == 1


@pytest.mark.django_db
def test_log_in_and_out(client, user):
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("goals:dashboard")).status_code == 200
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("goals:dashboard")).status_code == 302


@pytest.mark.django_db
def test_change_password(signed_in, user):
    response = signed_in.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-passphrase-7",
            "new_password2": "another-long-passphrase-7",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("another-long-passphrase-7")


@pytest.mark.django_db
def test_preferences_change_time_zone_and_week_start(signed_in, user):
    response = signed_in.post(
        reverse("accounts:preferences"), {"time_zone": "Asia/Tokyo", "week_start": "6"}
    )
    assert response.status_code == 302
    user.profile.refresh_from_db()
    assert (user.profile.time_zone, user.profile.week_start) == ("Asia/Tokyo", 6)


@pytest.mark.django_db
def test_preferences_refuse_an_unknown_zone(signed_in, user):
    response = signed_in.post(
        reverse("accounts:preferences"), {"time_zone": "Mars/Olympus", "week_start": "0"}
    )
    assert response.status_code == 200
    user.profile.refresh_from_db()
    assert user.profile.time_zone == "Europe/Berlin"
