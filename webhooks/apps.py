from django.apps import AppConfig


def _queue_deliveries(events, listening: list[dict] | None = None) -> None:
    """The outbox's reaction: deliveries for the events just written, in their
    transaction, each handed to a worker once it commits. `listening`: the enabled
    endpoints of the events' owners, when the outbox read them with the events."""
    from .contracts import Listener
    from .orchestrators import queue_deliveries
    from .tasks import enqueue_delivery

    listeners = None if listening is None else [Listener(**row) for row in listening]
    queue_deliveries(events, enqueue=enqueue_delivery, listeners=listeners)


class WebhooksConfig(AppConfig):
    name = "webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from events import outbox

        from .selectors import listening_endpoints_sql

        outbox.react(_queue_deliveries, reads=listening_endpoints_sql)
