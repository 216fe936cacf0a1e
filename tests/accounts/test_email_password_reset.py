"""Password reset by email, through a real SMTP server on loopback: a link goes to an
account's confirmed address only, the page never tells whether there was one, and the
new password logs in, even after the login throttle had paused the account."""

import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.models import Profile
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "a-brand-new-passphrase-9"


def reset_link(mail) -> str:
    text = mail.get_body(("plain",)).get_content()
    [link] = re.findall(r"https?://\S+", text)
    assert f'href="{link}"' in mail.get_body(("html",)).get_content()
    return urlsplit(link).path


def ask_for_reset(client, address: str):
    return client.post(reverse("accounts:password_reset"), {"email": address})


def set_password(client, link: str, password: str = NEW_PASSWORD):
    """Open the mailed link (which moves the token out of the address bar) and set
    `password` on the form it leads to."""
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    assert "Choose a new password" in form_page.content.decode()
    form_url = form_page.redirect_chain[-1][0]
    return client.post(form_url, {"new_password1": password, "new_password2": password})


def log_in(client, username: str, password: str):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def main_of(response) -> str:
    """What the page says, without the per-request CSRF token."""
    html = response.content.decode()
    return re.search(r"<main.*</main>", html, re.S).group(0)


@pytest.fixture
def ada(db):
    return UserFactory(username="ada", email="ada@example.com")


def test_the_reset_mail_arrives_and_its_link_sets_a_new_password(
    client, ada, mail_settings, immediate_tasks
):
    login_page = client.get(reverse("accounts:login")).content.decode()
    assert f'href="{reverse("accounts:password_reset")}">Forgot your password?' in login_page

    response = ask_for_reset(client, "ADA@example.com")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    [mail] = mail_settings.wait_for(1)
    assert mail["To"] == "ada@example.com"
    assert mail["Subject"] == "Reset your Goaltrack password"
    assert "The link works once, for 3 days." in mail.get_body(("plain",)).get_content()
    link = reset_link(mail)

    done = set_password(client, link)
    assert done.status_code == 302
    assert done["Location"] == reverse("accounts:password_reset_complete")
    assert "Your password is set" in client.get(done["Location"]).content.decode()

    assert log_in(client, "ada", PASSWORD).status_code == 200
    assert log_in(client, "ada", NEW_PASSWORD).status_code == 302
    assert client.get(reverse("goals:dashboard")).status_code == 200

    client.post(reverse("accounts:logout"))
    used = client.get(link, follow=True)
    assert "This link does not work" in used.content.decode()


def test_no_mail_for_an_unknown_or_unconfirmed_address_and_the_page_reads_the_same(
    client, ada, mail_settings, immediate_tasks
):
    waiting = UserFactory(username="grace")
    Profile.objects.filter(user=waiting).update(email_pending="grace@example.com")

    answers = {
        address: ask_for_reset(client, address)
        for address in ["ada@example.com", "nobody@example.com", "grace@example.com"]
    }
    [mail] = mail_settings.wait_for(1)
    assert mail["To"] == "ada@example.com"
    assert len(mail_settings.messages) == 1

    locations = {(answer.status_code, answer["Location"]) for answer in answers.values()}
    assert locations == {(302, reverse("accounts:password_reset_done"))}
    pages = {main_of(client.get(reverse("accounts:password_reset_done"))) for _ in answers}
    assert len(pages) == 1
    assert "Check your inbox" in pages.pop()


def test_no_mail_for_an_inactive_account(client, ada, mail_settings, immediate_tasks):
    get_user_model().objects.filter(id=ada.id).update(is_active=False)
    assert ask_for_reset(client, "ada@example.com").status_code == 302
    assert mail_settings.messages == []


def test_after_a_reset_the_account_is_no_longer_paused_by_the_login_throttle(
    client, ada, mail_settings, immediate_tasks, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "ada", "a-wrong-guess")
    assert log_in(client, "ada", PASSWORD).status_code == 429

    ask_for_reset(client, "ada@example.com")
    [mail] = mail_settings.wait_for(1)
    assert set_password(client, reset_link(mail)).status_code == 302

    assert log_in(client, "ada", NEW_PASSWORD).status_code == 302
    assert client.get(reverse("goals:dashboard")).status_code == 200
