"""Login throttling: wrong passwords pause logging in, per account and per client
address, on the site and in the admin; the pause says when it ends, and ends."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client, RequestFactory, override_settings

from accounts.throttle import client_address
from tests.factories import PASSWORD, UserFactory

SITE_LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
ATTACKER = "198.51.100.7"
ELSEWHERE = "203.0.113.9"

pytestmark = pytest.mark.django_db


def attempt(client: Client, url: str, username: str, password: str, address: str = ATTACKER):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def fail_until_locked(client: Client, url: str, username: str, address: str = ATTACKER):
    """The limit's worth of wrong passwords: the form comes back with its error until
    the last of them, which is answered with the pause."""
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = attempt(client, url, username, "wrong-password", address)
        assert response.status_code == 200
        assert "correct username and password" in response.content.decode()
    last = attempt(client, url, username, "wrong-password", address)
    assert last.status_code == 429
    assert not signed_in(client)
    return last


def assert_locked_out(response, wait: str = "15 minutes", seconds=range(880, 901)) -> None:
    body = response.content.decode()
    assert response.status_code == 429
    assert "Too many failed logins" in body
    assert f"Try again in {wait}" in body
    assert '<link rel="stylesheet"' in body  # the site's own page, not a bare text
    assert int(response["Retry-After"]) in seconds


@pytest.mark.parametrize("url", [SITE_LOGIN, ADMIN_LOGIN])
def test_the_right_password_is_refused_after_too_many_wrong_ones(url):
    user = UserFactory(is_staff=True)
    client = Client()
    assert_locked_out(fail_until_locked(client, url, user.username))
    response = attempt(client, url, user.username, PASSWORD)
    assert_locked_out(response)
    assert not signed_in(client)


def test_fewer_wrong_passwords_than_the_limit_do_not_lock():
    user = UserFactory()
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, SITE_LOGIN, user.username, "wrong-password")
    response = attempt(client, SITE_LOGIN, user.username, PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)


def test_the_pause_ends_after_the_cool_off():
    user = UserFactory()
    client = Client()
    fail_until_locked(client, SITE_LOGIN, user.username)
    assert attempt(client, SITE_LOGIN, user.username, PASSWORD).status_code == 429
    # Still paused just before the cool-off ends...
    cool_off = settings.AXES_COOLOFF_TIME
    AccessAttempt.objects.update(
        attempt_time=dt.datetime.now(dt.UTC) - cool_off + dt.timedelta(minutes=1)
    )
    assert attempt(client, SITE_LOGIN, user.username, PASSWORD).status_code == 429
    # ...and over once it has.
    AccessAttempt.objects.update(
        attempt_time=dt.datetime.now(dt.UTC) - cool_off - dt.timedelta(seconds=1)
    )
    response = attempt(client, SITE_LOGIN, user.username, PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)


def test_a_short_cool_off_from_the_settings_is_honoured():
    user = UserFactory()
    client = Client()
    with override_settings(AXES_COOLOFF_TIME=dt.timedelta(seconds=2)):
        fail_until_locked(client, SITE_LOGIN, user.username)
        locked = attempt(client, SITE_LOGIN, user.username, PASSWORD)
        assert_locked_out(locked, "1 minute", range(1, 3))
        AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=3))
        assert attempt(client, SITE_LOGIN, user.username, PASSWORD).status_code == 302


def test_the_lockout_is_per_account_and_per_address():
    victim, bystander, neighbour = UserFactory(), UserFactory(), UserFactory()
    fail_until_locked(Client(), SITE_LOGIN, victim.username)

    # The account is paused from any address...
    assert attempt(Client(), SITE_LOGIN, victim.username, PASSWORD, ELSEWHERE).status_code == 429
    # ...the address for any account...
    assert attempt(Client(), SITE_LOGIN, neighbour.username, PASSWORD).status_code == 429
    # ...and another account from another address is not affected.
    client = Client()
    response = attempt(client, SITE_LOGIN, bystander.username, PASSWORD, ELSEWHERE)
    assert response.status_code == 302
    assert signed_in(client)


def test_guessing_many_accounts_from_one_address_is_paused_too():
    users = [UserFactory() for _ in range(settings.AXES_FAILURE_LIMIT)]
    client = Client()
    for user in users:
        attempt(client, SITE_LOGIN, user.username, "wrong-password")
    fresh = UserFactory()
    assert attempt(client, SITE_LOGIN, fresh.username, PASSWORD).status_code == 429
    assert attempt(Client(), SITE_LOGIN, fresh.username, PASSWORD, ELSEWHERE).status_code == 302


def test_a_success_clears_the_failures_before_it():
    user = UserFactory()
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, SITE_LOGIN, user.username, "wrong-password")
    assert attempt(client, SITE_LOGIN, user.username, PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, SITE_LOGIN, user.username, "wrong-password")
    assert attempt(client, SITE_LOGIN, user.username, PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "6.6.6.6", "10.0.0.2"),  # no proxy: the header is the client's own words
        (1, "6.6.6.6, 192.0.2.50", "192.0.2.50"),  # one proxy: the address it saw
        (2, "6.6.6.6, 192.0.2.50, 10.0.0.3", "192.0.2.50"),
        (1, "", "10.0.0.2"),
    ],
)
def test_the_client_address_cannot_be_picked_by_the_client(proxies, forwarded, expected):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(TRUSTED_PROXIES=proxies):
        assert client_address(request) == expected
