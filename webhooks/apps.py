from django.apps import AppConfig


def _queue_deliveries(events) -> None:
    """The outbox's reaction: deliveries for the events just written, in their
    transaction, each handed to a worker once it commits."""
    from .orchestrators import queue_deliveries
    from .tasks import enqueue_delivery

    queue_deliveries(events, enqueue=enqueue_delivery)


class WebhooksConfig(AppConfig):
    name = "webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from events import outbox

        outbox.react(_queue_deliveries)
