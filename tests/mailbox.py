"""A real SMTP server on loopback for tests, and the settings that send to it.

`smtp_server` is an aiosmtpd server on 127.0.0.1 (a free port) that keeps every mail
it accepts, parsed (`email.message.EmailMessage`, `email.policy.default`):

    def test_...(mail_settings):             # Django sends to the server
        ...
        [mail] = mail_settings.wait_for(1)   # the server, as `smtp_server`
        assert mail["To"] == "ada@example.com"

`mail_settings` points `MAILERS` at it (through `EMAIL_URL`'s parser, as a deployment
would) and sets `EMAIL_URL` in the environment, so a worker process started by the
test (`tests.processes.run_queued`) sends there too. `immediate_tasks` runs each task
as it is queued, in the process that queues it (on commit, when queued on commit).
"""

import email
import email.policy
import logging
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from config.email_url import mailer_from_url
from tests.processes import free_port

IMMEDIATE_TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

# aiosmtpd logs every SMTP command at INFO; a failing test's report needs none of it.
logging.getLogger("mail.log").setLevel(logging.WARNING)


class Mailbox:
    """What the server received; safe to read while the server's thread adds to it."""

    def __init__(self) -> None:
        self._messages: list[EmailMessage] = []
        self._arrived = threading.Condition()
        self.url = ""

    @property
    def messages(self) -> list[EmailMessage]:
        """The mails received so far, oldest first (a copy)."""
        with self._arrived:
            return list(self._messages)

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        """The mails received, once there are at least `count` of them; fails the test
        if they have not all come within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self._messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    subjects = [message["Subject"] for message in self._messages]
                    raise AssertionError(
                        f"Waited {timeout:g} s for {count} mail(s); {len(subjects)} came: "
                        f"{subjects}"
                    )
                self._arrived.wait(left)
            return list(self._messages)

    def clear(self) -> None:
        with self._arrived:
            self._messages.clear()

    async def handle_DATA(self, server, session, envelope) -> str:
        """aiosmtpd's hook for a mail whose data has arrived."""
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with self._arrived:
            self._messages.append(message)
            self._arrived.notify_all()
        return "250 OK"


def _started(mailbox: Mailbox, attempts: int = 5) -> Controller:
    """A controller listening on a free loopback port (another one, should the port
    be taken between choosing it and binding it)."""
    for attempt in range(attempts):
        controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
        try:
            controller.start()
        except (OSError, RuntimeError):
            if attempt == attempts - 1:
                raise
            continue
        return controller
    raise AssertionError("unreachable")


@pytest.fixture
def smtp_server() -> Iterator[Mailbox]:
    mailbox = Mailbox()
    controller = _started(mailbox)
    mailbox.url = f"smtp://{controller.hostname}:{controller.port}"
    try:
        yield mailbox
    finally:
        controller.stop()


@pytest.fixture
def mail_settings(settings, smtp_server: Mailbox, monkeypatch) -> Mailbox:
    settings.MAILERS = {"default": mailer_from_url(smtp_server.url)}
    monkeypatch.setenv("EMAIL_URL", smtp_server.url)
    return smtp_server


@pytest.fixture
def immediate_tasks(settings) -> None:
    settings.TASKS = IMMEDIATE_TASKS
