"""Range: each period, the period's value must stay between a low and a high bound.

"Sleep 7 to 9 hours a night." The period's value is the mean, the last or the sum of
its daily values (the goal's period aggregation); both bounds are included.
"""

from ..contracts import GoalFields
from .base import GoalKind, error
from .registry import register

PERIOD_AGGREGATIONS = ("mean", "last", "sum")


@register
class Range(GoalKind):
    key = "range"
    label = "Stay within a range"
    summary = "Keep each day, week or month between two bounds (sleep 7 to 9 hours)."
    fields = ("target_low", "target_high", "period", "period_aggregation", "deadline")
    required = ("target_low", "target_high", "period")
    default_aggregation = "sum"

    def validate(self, goal: GoalFields) -> list:
        errors = super().validate(goal)
        if (
            goal.target_low is not None
            and goal.target_high is not None
            and goal.target_low >= goal.target_high
        ):
            errors.append(error("target_high", "The high bound must be above the low bound."))
        if goal.period_aggregation not in PERIOD_AGGREGATIONS:
            errors.append(error("period_aggregation", "Choose mean, last or sum for a range goal."))
        if goal.deadline is not None and goal.deadline < goal.start_date:
            errors.append(error("deadline", "The end date must be on or after the start."))
        return errors
