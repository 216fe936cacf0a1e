"""Background work of notifications: a task worker sends each notice when it is due
(the task backend holds it until then)."""

import datetime as dt

from django.tasks import task
from django.utils import timezone

from config.request_context import Channel, bind

from .orchestrators import deliver


def enqueue_notice_at(notice_id: int, when: dt.datetime) -> None:
    """Send it at `when`, or as soon as a worker is free when that has passed."""
    if when <= timezone.now():
        send_notice.enqueue(notice_id)
    else:
        send_notice.using(run_after=when).enqueue(notice_id)


@task
def send_notice(notice_id: int) -> None:
    with bind(channel=Channel.TASK):
        deliver(notice_id, enqueue_at=enqueue_notice_at)
