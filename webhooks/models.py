from django.conf import settings
from django.db import models


class Endpoint(models.Model):
    """A URL its owner wants told of chosen events: each event of a subscribed type
    becomes a `Delivery`, signed with the endpoint's secret (Standard Webhooks).

    The failure bookkeeping says how the receiver has been doing: `failing_since` is
    the first failed attempt since the last success (None while it succeeds); the
    channel policy (`webhooks.orchestrators`) reads it to decide when to disable.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.CharField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    #: The event types (of `events.types.PUBLIC`) this endpoint is sent.
    event_types = models.JSONField(default=list)
    #: `whsec_` and the base64 of the signing key. Kept (it signs every delivery), never
    #: shown again after it was made.
    secret = models.CharField(max_length=100)
    #: After a rotation the old secret also signs, until `previous_secret_until`, so a
    #: receiver can switch over without missing a delivery.
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    #: Why it is disabled, in words for its owner ("" when the owner disabled it).
    disabled_reason = models.CharField(max_length=300, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField()
    failing_since = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created", "id"]
        indexes = [models.Index(fields=["owner", "enabled"], name="endpoint_owner_enabled")]

    def __str__(self) -> str:
        return self.description or self.url

    @property
    def disabled_by_failures(self) -> bool:
        return not self.enabled and bool(self.disabled_reason)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Failed"


class Delivery(models.Model):
    """One event sent to one endpoint, attempt after attempt, always as the same
    message: the same `msg_id` (the `webhook-id` header) and the same body bytes.

    `tries` and `first_attempt_at` count the current round (the first send, or the
    last resend), which the retry schedule walks; `attempts` counts them all.
    """

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    #: The event it tells of; None for a test event, or once the outbox forgot it (the
    #: body keeps what was sent).
    event = models.ForeignKey(
        "events.Event", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    type = models.CharField(max_length=40)
    msg_id = models.CharField(max_length=64)
    #: The JSON body exactly as sent, so every attempt sends the same bytes.
    body = models.TextField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    tries = models.PositiveIntegerField(default=0)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    #: Not sent before this; None once it is done.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    #: When it was last handed to the task queue: the sweeper hands a due delivery
    #: over again only when this is long past (its task was lost).
    queued_at = models.DateTimeField(null=True, blank=True)
    #: A worker sending it holds it until `claimed_until`, under `claim`: a second
    #: task for the same delivery finds it taken and sends nothing.
    claim = models.CharField(max_length=32, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    #: Why it stopped without being sent, in words ("the endpoint was disabled").
    note = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField()

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "msg_id"], name="delivery_message_once")
        ]
        indexes = [
            models.Index(fields=["endpoint", "-created"], name="delivery_endpoint_recent"),
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.type} to {self.endpoint_id} ({self.msg_id}): {self.status}"

    @property
    def can_resend(self) -> bool:
        return self.status != DeliveryStatus.PENDING


class Attempt(models.Model):
    """One try at sending a delivery: when, the HTTP status (None when no answer
    came), how long it took, and what went wrong in words. Nothing of the
    receiver's answer is kept beyond its status."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    succeeded = models.BooleanField(default=False)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"
