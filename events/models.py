from django.conf import settings
from django.db import models

from config.request_context import Channel


class Event(models.Model):
    """One thing that changed (`measurement.recorded`, `goal.status_changed`, ...),
    written by the executor that changed it, in the same transaction: if the write
    commits the event exists, if it rolls back it never did.

    Everything that reacts to a change reads these rows, whichever channel made it:
    the live pages of the owner (resuming from the last id they saw), outgoing
    webhooks and notifications. Ids only grow, so an id is a position in the stream.
    """

    at = models.DateTimeField()
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=40)
    subject_type = models.CharField(max_length=20, blank=True)
    subject_id = models.BigIntegerField(null=True, blank=True)
    #: The object as the API shows it, at the moment of the change (a deleted one as
    #: it was); `goal.status_changed` adds the status before and after.
    data = models.JSONField(default=dict, blank=True)
    #: The revalidation keys the change affects (`goal:42`, `metric:7`, `goals:list`).
    affected = models.JSONField(default=list, blank=True)
    channel = models.CharField(max_length=10, choices=[(c.value, c.name.title()) for c in Channel])
    correlation_id = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "id"], name="event_owner_position")]

    def __str__(self) -> str:
        return f"{self.type} #{self.id}"
