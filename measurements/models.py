from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse

from config.numbers import MAX_PLACES, plain, quantity

from .choices import Source
from .precision import default_places

#: Everything needed to bring a deleted measurement back from its audit entry.
SNAPSHOT_FIELDS = (
    "metric_id",
    "value",
    "original_value",
    "original_unit",
    "measured_at",
    "note",
    "source",
    "external_id",
    "submission_token",
    "created",
)


class Metric(models.Model):
    """Something a person measures ("weight", "running distance"), in one unit."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="metrics"
    )
    name = models.CharField(max_length=80)
    unit = models.CharField(max_length=24, help_text="kg, km, h, workouts, cups…")
    #: Decimals shown wherever a value is read (stored values stay exact), as a person
    #: set them; empty: `typed_places` (see `measurements.precision`).
    display_places = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_PLACES)],
        help_text="Decimals shown (0 to 6). Empty: as many as the values typed (at most 2).",
    )
    #: The most decimals typed in this unit so far (at most 2), kept as values arrive.
    typed_places = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    created = models.DateTimeField()
    #: The zone of the metric's settled days (`MeasurementDay`), and the bucket of the
    #: local midnight after the last of them (0: none); see `measurements.days`.
    days_zone = models.CharField(max_length=64, blank=True, editable=False)
    days_end = models.BigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("owner", Lower("name"), name="metric_name_unique_per_owner")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})"

    def get_absolute_url(self) -> str:
        return reverse("measurements:detail", args=[self.id])

    @property
    def places(self) -> int:
        """The decimals values of this metric are shown with."""
        if self.display_places is not None:
            return self.display_places
        return max(self.typed_places or 0, default_places(self.unit))


class Measurement(models.Model):
    """One fact about a metric: a value, in the metric's unit, at a moment."""

    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="measurements")
    value = models.DecimalField(max_digits=18, decimal_places=6)
    measured_at = models.DateTimeField()
    #: What was typed, when it was in another unit than the metric's ("180 lb").
    original_value = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    original_unit = models.CharField(max_length=24, blank=True)
    note = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MANUAL)
    external_id = models.CharField(max_length=200, blank=True)
    #: The one-time token of the form that recorded it: a second submission of the
    #: same form finds this row instead of adding another.
    submission_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    #: The data source and sync run that wrote it (ids, not keys: measurements know
    #: nothing of sources), so a failed import can remove exactly what it wrote.
    data_source_id = models.BigIntegerField(null=True, blank=True)
    sync_run_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    created = models.DateTimeField()
    updated = models.DateTimeField()

    class Meta:
        ordering = ["-measured_at", "-id"]
        indexes = [
            models.Index(fields=["metric", "-measured_at", "-id"], name="measurement_metric_time"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "source", "external_id"],
                condition=~models.Q(external_id=""),
                name="measurement_external_id_unique",
            )
        ]

    def __str__(self) -> str:
        shown = quantity(self.value, self.metric.unit, self.metric.places)
        return f"{shown} at {self.measured_at:%Y-%m-%d %H:%M}"

    @property
    def as_entered(self) -> str:
        """The typed value and unit, when they differ from the stored ones."""
        if self.original_value is None or not self.original_unit:
            return ""
        return f"{plain(self.original_value)} {self.original_unit}"


#: Seconds in one rollup bucket. Every zone offset in use is a multiple of 15 minutes,
#: so local midnights fall on bucket edges and buckets sum into local days exactly.
BUCKET_SECONDS = 900


class MeasurementRollup(models.Model):
    """One metric's measurements in one UTC quarter-hour, reduced: what the progress
    mapper reads instead of the raw rows. `bucket` counts quarter-hours since the Unix
    epoch. `first_*` is the measurement with the earliest `measured_at` (the smallest
    id on a tie), `last_*` the one with the latest (the largest id), so buckets combine
    into days exactly. A bucket whose measurements were all deleted or moved keeps a row
    with a count of 0 and nothing else. Kept by `measurements.rollup.rollup_refresh`
    inside every write."""

    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="rollups")
    bucket = models.BigIntegerField()
    count = models.PositiveIntegerField()
    total = models.DecimalField(max_digits=24, decimal_places=6, null=True)
    low = models.DecimalField(max_digits=18, decimal_places=6, null=True)
    high = models.DecimalField(max_digits=18, decimal_places=6, null=True)
    first_at = models.DateTimeField(null=True)
    first_id = models.BigIntegerField(null=True)
    first_value = models.DecimalField(max_digits=18, decimal_places=6, null=True)
    last_at = models.DateTimeField(null=True)
    last_id = models.BigIntegerField(null=True)
    last_value = models.DecimalField(max_digits=18, decimal_places=6, null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["metric", "bucket"], name="rollup_metric_bucket")
        ]

    def __str__(self) -> str:
        return f"metric {self.metric_id}, bucket {self.bucket}: {self.count}"


class MeasurementDay(models.Model):
    """One metric's measurements in one settled local day (in `Metric.days_zone`),
    summed from its quarter-hours: what progress reads for days long over. Written by
    `measurements.days.settle`; rows past `Metric.days_end` are stale, read by no one
    and replaced by the next settling."""

    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="days")
    #: Days since 1970-01-01, local.
    day = models.IntegerField()
    #: The bucket of the local midnight that ends the day.
    end_bucket = models.BigIntegerField()
    count = models.PositiveIntegerField()
    total = models.DecimalField(max_digits=24, decimal_places=6)
    low = models.DecimalField(max_digits=18, decimal_places=6)
    high = models.DecimalField(max_digits=18, decimal_places=6)
    first_value = models.DecimalField(max_digits=18, decimal_places=6)
    last_value = models.DecimalField(max_digits=18, decimal_places=6)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["metric", "day"], name="day_metric_day")]

    def __str__(self) -> str:
        return f"metric {self.metric_id}, day {self.day}: {self.count}"
