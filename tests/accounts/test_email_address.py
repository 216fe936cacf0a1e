"""An account's email address, through a real SMTP server on loopback: entered at
sign-up or in Preferences it waits, and a link mailed to it makes it the account's
confirmed address (`User.email`), which nothing else sets."""

import datetime as dt
import re
import time
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts import verification
from accounts.models import Profile
from events import types
from events.models import Event
from tests.factories import PASSWORD, UserFactory
from tests.processes import free_port, run_queued

pytestmark = pytest.mark.django_db(transaction=True)

SIGN_UP = {
    "username": "ada",
    "password1": "a-long-passphrase-42",
    "password2": "a-long-passphrase-42",
    "time_zone": "Europe/London",
}


def link_in(mail) -> str:
    """The path of the one link in the mail's text, the same as in its HTML."""
    text = mail.get_body(("plain",)).get_content()
    [link] = re.findall(r"https?://\S+", text)
    assert f'href="{link}"' in mail.get_body(("html",)).get_content()
    return urlsplit(link).path


def words(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def account(username: str = "ada"):
    user = get_user_model().objects.get(username=username)
    return user.email, Profile.objects.get(user=user).email_pending


def signed_days_ago(monkeypatch, days: float, **claim) -> str:
    then = int(time.time() - days * 24 * 3600)
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(then))
    token = verification.make_token(**claim)
    monkeypatch.undo()
    return token


@pytest.fixture
def ada(client):
    """Signed in as ada, whose confirmed address is ada@example.com."""
    user = UserFactory(username="ada", email="ada@example.com")
    assert client.login(username="ada", password=PASSWORD)
    return user


def test_sign_up_with_an_address_mails_it_one_link_and_keeps_it_waiting(
    client, mail_settings, immediate_tasks
):
    response = client.post(reverse("accounts:signup"), {**SIGN_UP, "email": "Ada@Example.COM"})
    assert response.status_code == 302
    [mail] = mail_settings.wait_for(1)
    assert len(mail_settings.messages) == 1
    assert mail["To"] == "Ada@example.com"
    assert mail["Subject"] == "Confirm your email address for Goaltrack"
    assert "to confirm Ada@example.com as the email address of your Goaltrack account" in (
        mail.get_body(("plain",)).get_content().replace("\n", " ")
    )
    assert link_in(mail).startswith("/accounts/email/confirm/")
    assert account() == ("", "Ada@example.com")
    page = words(client.get(reverse("accounts:preferences")))
    assert "Ada@example.com</strong>: waiting for you to open the link we sent" in page
    assert "No confirmed address" in page


def test_sign_up_without_an_address_sends_nothing(client, mail_settings, immediate_tasks):
    assert client.post(reverse("accounts:signup"), SIGN_UP).status_code == 302
    assert account() == ("", "")
    assert mail_settings.messages == []


def test_the_link_confirms_the_address_for_whoever_opens_it(client, mail_settings, immediate_tasks):
    client.post(reverse("accounts:signup"), {**SIGN_UP, "email": "ada@example.com"})
    link = link_in(mail_settings.wait_for(1)[0])
    client.post(reverse("accounts:logout"))

    response = client.get(link)
    assert response.status_code == 200
    assert "ada@example.com</strong> is the email address of your account “ada” now" in words(
        response
    )
    assert account() == ("ada@example.com", "")
    event = Event.objects.get(type=types.ACCOUNT_EMAIL_CHANGED)
    assert (event.affected, event.data) == (["account:email"], {"confirmed": True})

    again = client.get(link)
    assert again.status_code == 200
    assert account() == ("ada@example.com", "")
    assert Event.objects.filter(type=types.ACCOUNT_EMAIL_CHANGED).count() == 1


def test_a_tampered_link_is_refused_in_words(client, mail_settings, immediate_tasks):
    client.post(reverse("accounts:signup"), {**SIGN_UP, "email": "ada@example.com"})
    link = link_in(mail_settings.wait_for(1)[0])
    token = link.rstrip("/").rsplit("/", 1)[1]
    other = UserFactory()
    payload = {"user": other.id, "email": "ada@example.com"}
    forged = signing.b64_encode(signing.JSONSerializer().dumps(payload)).decode()
    for tampered in [
        token[:-2] + ("AA" if token[-2:] != "AA" else "BB"),
        forged + token[token.index(":") :],
        token[:20],
    ]:
        response = client.get(reverse("accounts:email_confirm", args=[tampered]))
        assert response.status_code == 400
        assert "This confirmation link is not valid" in words(response)
    assert account() == ("", "ada@example.com")
    assert get_user_model().objects.get(id=other.id).email == ""


def test_an_expired_link_is_refused_in_words(client, ada, monkeypatch, mail_settings):
    Profile.objects.filter(user=ada).update(email_pending="new@example.com")
    claim = {"user_id": ada.id, "address": "new@example.com"}

    expired = signed_days_ago(monkeypatch, 3.01, **claim)
    response = client.get(reverse("accounts:email_confirm", args=[expired]))
    assert response.status_code == 400
    assert "This confirmation link has expired: links work for 3 days." in words(response)
    assert account() == ("ada@example.com", "new@example.com")

    two_days_old = signed_days_ago(monkeypatch, 2, **claim)
    assert client.get(reverse("accounts:email_confirm", args=[two_days_old])).status_code == 200
    assert account() == ("new@example.com", "")


def test_a_new_address_is_confirmed_at_that_address_and_the_old_one_serves_until_then(
    client, ada, mail_settings, immediate_tasks
):
    response = client.post(reverse("accounts:email"), {"email": "ada@new.example.org"})
    assert response.status_code == 302
    [mail] = mail_settings.wait_for(1)
    assert mail["To"] == "ada@new.example.org"
    assert account() == ("ada@example.com", "ada@new.example.org")
    page = words(client.get(reverse("accounts:preferences")))
    assert 'Your address: <strong id="email-verified">ada@example.com</strong>, confirmed' in page
    assert (
        "<strong>ada@new.example.org</strong>: waiting for you to open the link we sent; "
        "ada@example.com stays in use until then"
    ) in page

    assert client.get(link_in(mail)).status_code == 200
    assert account() == ("ada@new.example.org", "")
    assert "ada@new.example.org</strong>, confirmed" in words(client.get(reverse("accounts:email")))


def test_entering_the_confirmed_address_again_calls_a_change_off(
    client, ada, mail_settings, immediate_tasks
):
    client.post(reverse("accounts:email"), {"email": "ada@new.example.org"})
    link = link_in(mail_settings.wait_for(1)[0])
    client.post(reverse("accounts:email"), {"email": "ADA@example.com"})
    assert account() == ("ada@example.com", "")
    assert len(mail_settings.messages) == 1

    response = client.get(link)
    assert response.status_code == 400
    assert "no longer waits to confirm" in words(response)
    assert account() == ("ada@example.com", "")


def test_an_address_confirmed_for_another_account_is_refused(
    client, mail_settings, immediate_tasks
):
    UserFactory(username="grace", email="Grace@Example.com")
    response = client.post(reverse("accounts:signup"), {**SIGN_UP, "email": "grace@example.com"})
    assert response.status_code == 200
    assert "That address is already confirmed for another account." in words(response)
    assert not get_user_model().objects.filter(username="ada").exists()

    UserFactory(username="ada")
    assert client.login(username="ada", password=PASSWORD)
    response = client.post(reverse("accounts:email"), {"email": "GRACE@example.com"})
    assert response.status_code == 200
    assert "That address is already confirmed for another account." in words(response)
    assert account() == ("", "")
    assert mail_settings.messages == []


def test_a_link_is_refused_once_another_account_has_confirmed_the_address(
    client, ada, mail_settings, immediate_tasks
):
    client.post(reverse("accounts:email"), {"email": "shared@example.com"})
    link = link_in(mail_settings.wait_for(1)[0])
    get_user_model().objects.filter(id=UserFactory().id).update(email="shared@example.com")

    response = client.get(link)
    assert response.status_code == 400
    assert "That address is already confirmed for another account." in words(response)
    assert account() == ("ada@example.com", "shared@example.com")


def test_removing_leaves_no_address_confirmed_or_waiting(
    client, ada, mail_settings, immediate_tasks
):
    client.post(reverse("accounts:email"), {"email": "ada@new.example.org"})
    link = link_in(mail_settings.wait_for(1)[0])

    response = client.post(reverse("accounts:email_remove"), follow=True)
    assert "Your account has no email address now" in words(response)
    assert "No confirmed address" in words(response)
    assert account() == ("", "")
    assert client.get(link).status_code == 400
    assert account() == ("", "")


def test_send_again_mails_a_new_link_but_not_on_every_click(
    client, ada, mail_settings, immediate_tasks
):
    client.post(reverse("accounts:email"), {"email": "ada@new.example.org"})
    mail_settings.wait_for(1)
    response = client.post(reverse("accounts:email_resend"), follow=True)
    assert "We sent a link less than a minute ago." in words(response)
    assert len(mail_settings.messages) == 1

    a_while_ago = timezone.now() - dt.timedelta(minutes=2)
    Profile.objects.filter(user=ada).update(email_pending_sent_at=a_while_ago)
    response = client.post(reverse("accounts:email_resend"), follow=True)
    assert "A link is on its way to ada@new.example.org" in words(response)
    _, second = mail_settings.wait_for(2)
    assert second["To"] == "ada@new.example.org"
    assert client.get(link_in(second)).status_code == 200
    assert account() == ("ada@new.example.org", "")


def test_the_link_is_mailed_by_the_worker_after_the_page_has_answered(client, mail_settings):
    """With the product's task backend (the database's queue), the sign-up answers
    without talking to the mail server; a worker process sends the mail."""
    dead = f"smtp://127.0.0.1:{free_port()}?timeout=2"
    worker_env = {"EMAIL_URL": dead}
    response = client.post(reverse("accounts:signup"), {**SIGN_UP, "email": "ada@example.com"})
    assert response.status_code == 302
    assert mail_settings.messages == []

    run_queued(**worker_env)
    # The refused attempt is tried again later (accounts.tasks.MAIL_RETRY_DELAYS).
    first, retry = DBTaskResult.objects.order_by("enqueued_at")
    assert first.status == "SUCCESSFUL" and first.return_value is False
    assert retry.status == "READY" and retry.run_after > timezone.now()
    assert retry.args_kwargs["args"][-1] == 1
    assert mail_settings.messages == []

    Profile.objects.update(email_pending_sent_at=timezone.now() - dt.timedelta(minutes=2))
    client.post(reverse("accounts:email_resend"))
    run_queued()
    [mail] = mail_settings.wait_for(1)
    assert mail["To"] == "ada@example.com"
    assert client.get(link_in(mail)).status_code == 200
    assert account() == ("ada@example.com", "")
