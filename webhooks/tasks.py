"""Background work of outgoing webhooks: a task worker sends each attempt of a
delivery (the database-backed worker by default, Redis-backed ones when configured)."""

import datetime as dt

from django.tasks import task

from config.request_context import Channel, bind

from .orchestrators import deliver


def enqueue_delivery(delivery_id: int) -> None:
    """Send it as soon as a worker is free."""
    send_delivery.enqueue(delivery_id)


def enqueue_delivery_at(delivery_id: int, when: dt.datetime) -> None:
    """Send it no sooner than `when` (the task backend holds it until then)."""
    send_delivery.using(run_after=when).enqueue(delivery_id)


@task
def send_delivery(delivery_id: int) -> None:
    with bind(channel=Channel.TASK):
        deliver(delivery_id, enqueue_at=enqueue_delivery_at)
