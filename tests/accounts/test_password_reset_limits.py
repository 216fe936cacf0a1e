"""Password reset requests are limited per address (nothing more is mailed, and the
page answers as always) and per client (refused with a page that says when to try
again), through a real SMTP server on loopback."""

import pytest
from django.urls import reverse

from accounts import reset_limits
from config.rates import parse_rate
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("empty_cache")]

RESET = reverse("accounts:password_reset")
DONE = reverse("accounts:password_reset_done")


def ask(client, address: str, client_address: str = "203.0.113.7"):
    return client.post(RESET, {"email": address}, REMOTE_ADDR=client_address)


@pytest.fixture
def ada(db):
    return UserFactory(username="ada", email="ada@example.com")


def test_an_inbox_gets_the_limit_of_mails_and_the_page_reads_the_same_past_it(
    client, ada, settings, mail_settings, immediate_tasks
):
    settings.PASSWORD_RESET_ADDRESS_LIMIT = "2/h"
    UserFactory(username="grace", email="grace@example.com")

    answers = [ask(client, address) for address in ["ada@example.com", "ADA@example.com "] * 2]
    answers.append(ask(client, "grace@example.com"))

    mails = mail_settings.wait_for(3)
    assert len(mail_settings.messages) == 3  # each was sent before its page answered
    assert sorted(mail["To"] for mail in mails) == [
        "ada@example.com",
        "ada@example.com",
        "grace@example.com",
    ]
    assert {(answer.status_code, answer["Location"]) for answer in answers} == {(302, DONE)}


def test_a_client_past_its_limit_is_told_when_to_try_again(client, ada, settings, monkeypatch):
    settings.PASSWORD_RESET_CLIENT_LIMIT = "2/h"
    now = 1_800_000_000.0
    monkeypatch.setattr(reset_limits, "clock", lambda: now)

    assert [ask(client, f"someone{n}@example.com").status_code for n in range(2)] == [302, 302]
    refused = ask(client, "ada@example.com")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "3600"
    page = refused.content.decode()
    assert "Too many reset requests from here. Try again in 60 minutes." in page
    assert 'value="ada@example.com"' in page  # what was typed is kept

    assert ask(client, "ada@example.com", client_address="198.51.100.4").status_code == 302
    now += 3600
    assert ask(client, "ada@example.com").status_code == 302


@pytest.mark.parametrize(
    ("rate", "expected"), [("3/h", (3, 3600)), ("20/hour", (20, 3600)), ("5/m", (5, 60))]
)
def test_rates_read_as_count_and_window(rate, expected):
    assert parse_rate(rate) == expected
