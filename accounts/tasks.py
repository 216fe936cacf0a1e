"""Background work of accounts: the mails, sent by a task worker once the change that
asks for one has committed. A mail server that is down fails the task (the worker
logs it and the task backend records it), never the page; the person can ask again
("Send again" in Preferences, the reset form).

Only ids and the site's address travel through the queue: the link's token is made
when the mail is written, so no working link is ever stored in the queue."""

from django.tasks import task

from config.request_context import Channel, bind

from .orchestrators import mail_email_link, mail_password_reset


def enqueue_email_link(user_id: int, address: str, *, origin: str) -> None:
    """Have a confirmation link mailed to `address`; `origin` is the site's address
    (`https://goals.example.com`) the link starts with."""
    send_email_link.enqueue(user_id, address, origin)


def enqueue_password_reset(user_id: int, *, origin: str) -> None:
    send_password_reset.enqueue(user_id, origin)


@task
def send_email_link(user_id: int, address: str, origin: str) -> bool:
    with bind(channel=Channel.TASK):
        return mail_email_link(user_id=user_id, address=address, origin=origin)


@task
def send_password_reset(user_id: int, origin: str) -> bool:
    with bind(channel=Channel.TASK):
        return mail_password_reset(user_id=user_id, origin=origin)
