"""Background work of accounts: the mails, sent by a task worker once the change that
asks for one has committed. A mail server that is down fails the attempt, never the
page: the mail is tried again after `MAIL_RETRY_DELAYS` (the task backend holds it
until then), and after the last the task fails (the worker logs it and the backend
records it); the person can still ask again ("Send again" in Preferences, the reset
form).

Only ids and the site's address travel through the queue: the link's token is made
when the mail is written, so no working link is ever stored in the queue, and one sent
on a later attempt is as fresh as the first would have been."""

import datetime as dt
import logging
import smtplib
from functools import partial

from django.tasks import task
from django.utils import timezone

from config.request_context import Channel, bind

from .orchestrators import mail_email_link, mail_password_reset

logger = logging.getLogger(__name__)

#: After a mail server did not take an account mail: when it is tried again.
MAIL_RETRY_DELAYS = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
)


def enqueue_email_link(user_id: int, address: str, *, origin: str) -> None:
    """Have a confirmation link mailed to `address`; `origin` is the site's address
    (`https://goals.example.com`) the link starts with."""
    send_email_link.enqueue(user_id, address, origin)


def enqueue_password_reset(user_id: int, *, origin: str) -> None:
    send_password_reset.enqueue(user_id, origin)


@task
def send_email_link(user_id: int, address: str, origin: str, attempt: int = 0) -> bool:
    send = partial(mail_email_link, user_id=user_id, address=address, origin=origin)
    return _mailed(send, send_email_link, attempt, user_id, address, origin)


@task
def send_password_reset(user_id: int, origin: str, attempt: int = 0) -> bool:
    send = partial(mail_password_reset, user_id=user_id, origin=origin)
    return _mailed(send, send_password_reset, attempt, user_id, origin)


def _mailed(send, mail_task, attempt: int, *args) -> bool:
    """`send()`, as a task: a mail the server did not take is tried again later
    (`_again_later`, with `args`), and fails the task after the last attempt."""
    with bind(channel=Channel.TASK):
        try:
            return send()
        except (OSError, smtplib.SMTPException):
            if not _again_later(mail_task, attempt, *args):
                raise
            return False


def _again_later(mail_task, attempt: int, *args) -> bool:
    """Queue the next attempt of a mail the server did not take; False after the last,
    or on a backend that cannot hold a task until later (the attempt then fails)."""
    if attempt >= len(MAIL_RETRY_DELAYS) or not mail_task.get_backend().supports_defer:
        return False
    when = timezone.now() + MAIL_RETRY_DELAYS[attempt]
    logger.warning(
        "%s: the mail server did not take the mail (attempt %d); trying again at %s",
        mail_task.name,
        attempt + 1,
        when.isoformat(timespec="seconds"),
        exc_info=True,
    )
    mail_task.using(run_after=when).enqueue(*args, attempt + 1)
    return True
