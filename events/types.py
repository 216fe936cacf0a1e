"""The events the product records, and what each means. Executors emit these names;
outgoing webhooks offer the public ones to subscribe to."""

MEASUREMENT_RECORDED = "measurement.recorded"
MEASUREMENT_CHANGED = "measurement.changed"
MEASUREMENT_DELETED = "measurement.deleted"
MEASUREMENT_RESTORED = "measurement.restored"
METRIC_CREATED = "metric.created"
METRIC_CHANGED = "metric.changed"
METRIC_DELETED = "metric.deleted"
GOAL_CREATED = "goal.created"
GOAL_CHANGED = "goal.changed"
GOAL_DELETED = "goal.deleted"
GOAL_RESTORED = "goal.restored"
GOAL_STATUS_CHANGED = "goal.status_changed"
SYNC_RUN_QUEUED = "sync_run.queued"
SYNC_RUN_STARTED = "sync_run.started"
SYNC_RUN_PROGRESSED = "sync_run.progressed"
SYNC_RUN_FINISHED = "sync_run.finished"
SOURCE_CREATED = "source.created"
#: A data source was renamed, paused or resumed.
SOURCE_CHANGED = "source.changed"
#: A data source was deleted (with its measurements, or keeping them).
SOURCE_DELETED = "source.deleted"
ACCOUNT_CREATED = "account.created"
PREFERENCES_CHANGED = "preferences.changed"
API_TOKENS_CHANGED = "api_tokens.changed"
#: An address was entered for the account and waits to be confirmed from the link
#: mailed to it (or that wait ended without it being confirmed).
ACCOUNT_EMAIL_PENDING = "account.email_pending"
#: The account's confirmed address was set, changed or removed.
ACCOUNT_EMAIL_CHANGED = "account.email_changed"
WEBHOOK_ENDPOINT_CREATED = "webhook_endpoint.created"
WEBHOOK_ENDPOINT_CHANGED = "webhook_endpoint.changed"
WEBHOOK_ENDPOINT_DELETED = "webhook_endpoint.deleted"
#: An endpoint stopped being sent to: by its owner, or by the channel policy after its
#: deliveries kept failing (`data.disabled_reason` says which).
WEBHOOK_ENDPOINT_DISABLED = "webhook_endpoint.disabled"
#: A delivery was attempted, or queued again to be resent.
WEBHOOK_DELIVERY_CHANGED = "webhook_delivery.changed"
#: A test delivery asked for on the webhooks page or the API; sent to that one
#: endpoint, whatever it subscribes to.
WEBHOOK_TEST = "webhook.test"
#: A notice (a goal fell behind or was achieved, a reminder, a summary) was sent to its
#: owner; endpoints subscribed to it are one of the owner's notification channels.
NOTIFICATION_SENT = "notification.sent"
#: A notice was planned, held, skipped or failed: the Notifications page changed.
NOTIFICATION_LOGGED = "notification.logged"
NOTIFICATION_SETTINGS_CHANGED = "notification_settings.changed"
PUSH_SUBSCRIPTIONS_CHANGED = "push_subscriptions.changed"
#: A goal's reminders were snoozed until a day, or woken.
GOAL_SNOOZED = "goal.snoozed"

#: What someone automating can subscribe to, each with what it means.
PUBLIC: dict[str, str] = {
    MEASUREMENT_RECORDED: "A measurement was recorded (by hand, the API, an import or a sync).",
    MEASUREMENT_CHANGED: "A measurement's value, time or note was changed.",
    MEASUREMENT_DELETED: "A measurement was deleted.",
    MEASUREMENT_RESTORED: "A deleted measurement was brought back.",
    METRIC_CREATED: "A metric was created.",
    METRIC_CHANGED: "A metric was renamed or its display changed.",
    METRIC_DELETED: "A metric was deleted with its measurements.",
    GOAL_CREATED: "A goal was set.",
    GOAL_CHANGED: "A goal's settings, title or archive state changed.",
    GOAL_DELETED: "A goal was deleted.",
    GOAL_RESTORED: "A deleted goal was brought back.",
    GOAL_STATUS_CHANGED: (
        "A goal's progress status changed (for example from on track to behind, or to "
        "achieved); carries the status before and after."
    ),
    SYNC_RUN_FINISHED: "A sync or an import finished, succeeded or failed.",
    NOTIFICATION_SENT: (
        "A notification was sent to you (a goal fell behind or was achieved, a reminder, "
        "a deadline close, the weekly summary): its kind, title, text and link. An "
        "endpoint subscribed to it is one of your notification channels."
    ),
}
