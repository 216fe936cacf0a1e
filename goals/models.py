from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from .choices import Aggregation, Comparison, GoalStatus, Period

#: What the audit trail compares when a goal changes.
AUDITED_FIELDS = (
    "title",
    "metric_id",
    "kind",
    "target",
    "target_low",
    "target_high",
    "start_value",
    "start_date",
    "deadline",
    "period",
    "comparison",
    "aggregation",
    "period_aggregation",
    "required_share",
    "status",
)


class Goal(models.Model):
    """A target over one metric. Which fields matter depends on the kind
    (`goals.kinds`): a reach goal has a start value and a deadline, a quota goal a
    period and a comparison, a range goal low and high bounds; quota and range goals
    also say what share of their periods must be met."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="goals"
    )
    title = models.CharField(max_length=120)
    metric = models.ForeignKey(
        "measurements.Metric", on_delete=models.PROTECT, related_name="goals"
    )
    kind = models.CharField(max_length=32)
    target = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    target_low = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    target_high = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    start_value = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    start_date = models.DateField()
    deadline = models.DateField(null=True, blank=True)
    period = models.CharField(max_length=8, choices=Period.choices, blank=True)
    comparison = models.CharField(max_length=8, choices=Comparison.choices, blank=True)
    aggregation = models.CharField(
        max_length=8, choices=Aggregation.choices, default=Aggregation.LAST
    )
    period_aggregation = models.CharField(
        max_length=8, choices=Aggregation.choices, default=Aggregation.SUM
    )
    required_share = models.PositiveSmallIntegerField(
        "share of periods to meet",
        default=100,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Quota and range goals: the percentage of periods that must be met.",
    )
    status = models.CharField(max_length=10, choices=GoalStatus.choices, default=GoalStatus.ACTIVE)
    #: The progress status (`ProgressStatus`) as of the goal's last change or the last
    #: write to its metric, kept so that a write that moves it records
    #: `goal.status_changed` with the status before; empty until first judged.
    standing = models.CharField(max_length=12, blank=True, editable=False)
    deleted_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField()
    updated = models.DateTimeField()

    class Meta:
        ordering = ["created", "id"]
        indexes = [
            models.Index(fields=["owner", "status"], name="goal_owner_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(required_share__gte=1, required_share__lte=100),
                name="goal_required_share_1_to_100",
            ),
        ]

    def __str__(self) -> str:
        return self.title
