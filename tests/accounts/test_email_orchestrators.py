"""The policy of account mails, with fake selectors, executors and sender (no
database, no mail server): when a link is sent, and what it says."""

import datetime as dt
import re
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.urls import resolve

from accounts import verification
from accounts.mails import in_words
from accounts.orchestrators import (
    RESEND_AFTER,
    mail_email_link,
    mail_password_reset,
    resend_email_link,
)
from accounts.selectors import EmailState
from config.envelope import ErrorCode, Result

NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)
ORIGIN = "https://goals.example.com"


class Fake:
    def __init__(self, state: EmailState | None = None, user=None):
        self.state, self.user = state, user
        self.calls: list[tuple[str, dict]] = []
        self.sent: list[dict] = []

    def email_state_for(self, *, user_id):
        return self.state

    def user_for_password_reset(self, *, user_id):
        return self.user

    def email_link_resend(self, **kwargs):
        self.calls.append(("email_link_resend", kwargs))
        return Result.success(None)

    def send(self, **mail):
        self.sent.append(mail)


def waiting(*, sent_ago: dt.timedelta | None, pending="ada@new.example.org", **extra):
    sent_at = NOW - sent_ago if sent_ago is not None else None
    return EmailState(user_id=7, username="ada", pending=pending, pending_sent_at=sent_at, **extra)


@pytest.mark.parametrize(
    ("sent_ago", "resent"),
    [
        (dt.timedelta(seconds=5), False),
        (RESEND_AFTER - dt.timedelta(seconds=1), False),
        (RESEND_AFTER, True),
        (dt.timedelta(hours=1), True),
        (None, True),
    ],
)
def test_send_again_waits_a_minute_between_links(sent_ago, resent):
    fake = Fake(waiting(sent_ago=sent_ago))
    result = resend_email_link(actor_id=7, now=NOW, send_link=print, selectors=fake, executors=fake)
    assert result.ok is resent
    assert bool(fake.calls) is resent
    if not resent:
        assert result.error.code == ErrorCode.CONFLICT
        assert "less than a minute ago" in result.error.message


def test_a_link_goes_to_the_address_waiting_and_confirms_it():
    fake = Fake(waiting(sent_ago=None, pending="Ada@New.example.org"))
    assert mail_email_link(
        user_id=7, address="ada@new.example.org", origin=ORIGIN, send=fake.send, selectors=fake
    )
    [mail] = fake.sent
    assert mail["to"] == "Ada@New.example.org"
    [link] = re.findall(r"https://\S+", mail["text"])
    assert link in mail["html"]
    assert link.startswith(f"{ORIGIN}/accounts/email/confirm/")
    token = resolve(urlsplit(link).path).kwargs["token"]
    assert verification.read_token(token) == verification.Claim(
        user_id=7, address="Ada@New.example.org"
    )


@pytest.mark.parametrize(
    "state",
    [
        None,
        waiting(sent_ago=None, pending=""),
        waiting(sent_ago=None, pending="other@example.org"),
        waiting(sent_ago=None, is_active=False),
    ],
    ids=["account gone", "nothing waiting", "address replaced", "account inactive"],
)
def test_no_link_for_an_address_the_account_no_longer_waits_for(state):
    fake = Fake(state)
    assert not mail_email_link(
        user_id=7, address="ada@new.example.org", origin=ORIGIN, send=fake.send, selectors=fake
    )
    assert fake.sent == []


def test_no_reset_link_for_an_account_that_cannot_use_a_password():
    user = SimpleNamespace(has_usable_password=lambda: False)
    fake = Fake(user=user)
    assert not mail_password_reset(user_id=7, origin=ORIGIN, send=fake.send, selectors=fake)
    assert not mail_password_reset(
        user_id=7, origin=ORIGIN, send=fake.send, selectors=Fake(user=None)
    )
    assert fake.sent == []


@pytest.mark.parametrize(
    ("span", "words"),
    [
        (dt.timedelta(days=3), "3 days"),
        (dt.timedelta(days=1), "1 day"),
        (dt.timedelta(hours=36), "36 hours"),
        (dt.timedelta(hours=1), "1 hour"),
        (dt.timedelta(minutes=90), "90 minutes"),
        (dt.timedelta(seconds=20), "1 minute"),
    ],
)
def test_how_long_a_link_works_in_words(span, words):
    assert in_words(span) == words
