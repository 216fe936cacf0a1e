"""An account mail the mail server does not take is tried again later (the task
backend holds it until then), and its last attempt fails the task; a later attempt
reaches a server that is back, through a real SMTP server on loopback."""

import datetime as dt
import socket

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.tasks import MAIL_RETRY_DELAYS, send_email_link, send_password_reset
from config.email_url import mailer_from_url
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ORIGIN = "http://testserver"


@pytest.fixture
def mail_server_down(settings):
    """The mailer points at a loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.MAILERS = {"default": mailer_from_url(f"smtp://127.0.0.1:{port}")}


def queued(task) -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=task.module_path).order_by("run_after"))


def test_a_reset_mail_the_server_refused_is_queued_again_for_later(mail_server_down):
    ada = UserFactory(email="ada@example.com")
    before = timezone.now()

    assert send_password_reset.call(ada.id, ORIGIN) is False

    (retry,) = queued(send_password_reset)
    assert retry.args_kwargs["args"] == [ada.id, ORIGIN, 1]
    assert before + MAIL_RETRY_DELAYS[0] <= retry.run_after <= timezone.now() + MAIL_RETRY_DELAYS[0]

    send_password_reset.call(ada.id, ORIGIN, 1)
    later = queued(send_password_reset)[-1]
    assert later.args_kwargs["args"] == [ada.id, ORIGIN, 2]
    assert later.run_after - retry.run_after >= MAIL_RETRY_DELAYS[1] - dt.timedelta(minutes=1)


def test_the_last_attempt_fails_the_task(mail_server_down):
    ada = UserFactory(email="ada@example.com")
    last = len(MAIL_RETRY_DELAYS)

    with pytest.raises(OSError):
        send_password_reset.call(ada.id, ORIGIN, last)
    assert queued(send_password_reset) == []


def test_a_later_attempt_reaches_a_server_that_is_back(mail_settings):
    ada = UserFactory(email="ada@example.com")
    ada.profile.email_pending = "new@example.com"
    ada.profile.save()

    assert send_email_link.call(ada.id, "new@example.com", ORIGIN, 2) is True
    assert send_password_reset.call(ada.id, ORIGIN, 3) is True
    mails = mail_settings.wait_for(2)
    assert sorted(mail["To"] for mail in mails) == ["ada@example.com", "new@example.com"]
    assert queued(send_email_link) == queued(send_password_reset) == []
