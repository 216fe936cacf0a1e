from django.conf import settings
from django.db import models

from .wording import rejection_reason


class DataSource(models.Model):
    """Where measurements come from besides typing: a provider, its settings (checked
    by the provider's own model), secrets (never shown again), the metric each stream
    feeds, and how far it has read (its cursor)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_sources"
    )
    provider = models.CharField(max_length=32)
    name = models.CharField(max_length=80)
    settings = models.JSONField(default=dict, blank=True)
    secrets = models.JSONField(default=dict, blank=True)
    #: {stream: metric id}: which metric each incoming stream feeds.
    streams = models.JSONField(default=dict, blank=True)
    cursor = models.TextField(blank=True)
    enabled = models.BooleanField(default=True)
    #: Minutes between scheduled pulls; None: only when asked.
    every_minutes = models.PositiveIntegerField(null=True, blank=True)
    #: The lease that keeps one source from being synced twice at once, by any number
    #: of workers: held by a run until it ends (or the lease runs out, if it died).
    leased_until = models.DateTimeField(null=True, blank=True)
    leased_by = models.BigIntegerField(null=True, blank=True)
    created = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.provider})"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    COMPENSATED = "compensated", "Failed and undone"


class SyncRun(models.Model):
    """One attempt to bring a source's data in."""

    source = models.ForeignKey(DataSource, on_delete=models.CASCADE, related_name="runs")
    mode = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=12, choices=RunStatus.choices, default=RunStatus.QUEUED)
    attempt = models.PositiveSmallIntegerField(default=1)
    #: An uploaded file waiting to be imported (file imports only).
    upload = models.FileField(upload_to="imports/", blank=True)
    created = models.DateTimeField()
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    #: The first rejections, for the person to see what was wrong.
    rejections = models.JSONField(default=list, blank=True)
    progress_done = models.PositiveBigIntegerField(default=0)
    progress_total = models.PositiveBigIntegerField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.TextField(blank=True)
    error_phase = models.CharField(max_length=12, blank=True)
    correlation_id = models.CharField(max_length=64, blank=True)
    #: When the worker running it last said it was alive (each batch, and while it
    #: waits); a running run whose heartbeat is old is reaped (sources.recovery).
    heartbeat = models.DateTimeField(null=True, blank=True)
    #: How often it was handed to a new worker after its worker stopped.
    resumes = models.PositiveSmallIntegerField(default=0)
    #: How often its start was put off because another run held the source.
    deferrals = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["source", "-created"], name="syncrun_source_recent"),
            models.Index(fields=["status", "heartbeat"], name="syncrun_status_heartbeat"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.mode or 'sync'} #{self.id}: {self.status}"

    @property
    def mode_label(self) -> str:
        return self.mode.replace("_", " ").capitalize()

    @property
    def is_active(self) -> bool:
        return self.status in (RunStatus.QUEUED, RunStatus.RUNNING)

    @property
    def can_retry(self) -> bool:
        """Any run that ended without success may be run again."""
        return self.status in (RunStatus.FAILED, RunStatus.COMPENSATED)

    @property
    def rejection_reasons(self) -> list[tuple[int, list[str]]]:
        """(line of the file or item number, the reasons in words) of each kept
        rejection; a file's header is line 1, so its first row is line 2."""
        return [
            (
                rejection["index"] + 2,
                [
                    rejection_reason(field["field"], field["message"], field.get("code", ""))
                    for field in rejection.get("fields", [])
                ],
            )
            for rejection in self.rejections
        ]

    @property
    def reference(self) -> str:
        """The short reference support asks for: the start of the correlation id."""
        return self.correlation_id[:8]

    @property
    def percent(self) -> int | None:
        if not self.progress_total:
            return None
        return min(100, round(100 * self.progress_done / self.progress_total))


class WebhookDelivery(models.Model):
    """A signature seen on a delivery, kept while a replay of it could still be fresh."""

    source = models.ForeignKey(DataSource, on_delete=models.CASCADE, related_name="+")
    signature = models.CharField(max_length=80)
    received = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "signature"], name="delivery_seen_once")
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.received:%Y-%m-%d %H:%M:%S}"
