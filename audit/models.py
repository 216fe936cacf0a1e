from django.conf import settings
from django.db import models

from config.request_context import Channel


class Action(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Changed"
    DELETED = "deleted", "Deleted"
    RESTORED = "restored", "Restored"


class AuditEntry(models.Model):
    """One change to a goal or a measurement, written by the executor that made it,
    in the same transaction: who, when, what (before and after), from which channel,
    under which correlation id.

    Subjects are named by type and id rather than by foreign key, so an entry outlives
    what it describes (a deleted measurement is restored from its entry).
    """

    at = models.DateTimeField()
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    subject_type = models.CharField(max_length=16)
    subject_id = models.BigIntegerField()
    #: The metric the subject belongs to (a goal's, a measurement's), so a goal's
    #: history can include changes to the data it is built on.
    metric_id = models.BigIntegerField(null=True, blank=True)
    summary = models.CharField(max_length=200)
    #: {field: [before, after]}, JSON-safe; a creation has no befores, a deletion no
    #: afters, so each holds a whole snapshot.
    changes = models.JSONField(default=dict, blank=True)
    channel = models.CharField(max_length=10, choices=[(c.value, c.name.title()) for c in Channel])
    correlation_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name_plural = "audit entries"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "-at"], name="audit_subject"),
            models.Index(fields=["metric_id", "-at"], name="audit_metric"),
            # A goal's history lists the corrections to its metric's data, not the
            # entries of every measurement recorded (a million, for some metrics).
            models.Index(
                fields=["metric_id", "-at"],
                condition=~models.Q(action=Action.CREATED),
                name="audit_metric_corrections",
            ),
            models.Index(fields=["owner", "-at"], name="audit_owner"),
            models.Index(fields=["correlation_id"], name="audit_correlation"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.subject_type} {self.subject_id}: {self.summary}"

    def before(self) -> dict:
        return {field: values[0] for field, values in self.changes.items()}
