from django.conf import settings
from django.db import models


class IdempotencyRecord(models.Model):
    """One `Idempotency-Key` a user sent with a POST: while the first request runs it
    is `running` and holds a lease (`lease_until`); afterwards it holds the response,
    which a replay gets back. A running record whose lease ran out belongs to a request
    that died, and the next resend takes it over."""

    class State(models.TextChoices):
        RUNNING = "running"
        DONE = "done"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    #: SHA-256 of method, path and body: the same key with another request is refused.
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=8, choices=State.choices, default=State.RUNNING)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(blank=True, default=b"")
    created = models.DateTimeField()
    #: While running: until when the request that claimed the key may still answer.
    lease_until = models.DateTimeField(null=True, blank=True)
    expires = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.state})"
