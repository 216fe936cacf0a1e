from django.apps import AppConfig


def _plan_status_notices(events, _read=None) -> None:
    """The outbox's reaction: a notice for each goal that fell behind or was achieved,
    planned in the transaction of its status change, sent by a worker once it commits."""
    from .orchestrators import plan_status_notices
    from .tasks import enqueue_notice_at

    plan_status_notices(events, enqueue_at=enqueue_notice_at)


class NotificationsConfig(AppConfig):
    name = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from events import outbox

        outbox.react(_plan_status_notices)
