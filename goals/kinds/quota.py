"""Quota: each period, the period's total must be at least, or at most, the target.

"3 workouts a week", "at most 2 coffees a day". A period's value is the sum of its
daily values (with the daily aggregation `count`, the number of measurements).
Periods are cut in the owner's time zone; weeks start on the owner's first weekday.
"""

from ..contracts import GoalFields
from .base import GoalKind, error
from .registry import register


@register
class Quota(GoalKind):
    key = "quota"
    label = "Quota per period"
    summary = "At least, or at most, an amount each day, week or month (3 workouts a week)."
    fields = ("target", "period", "comparison", "deadline")
    required = ("target", "period", "comparison")
    default_aggregation = "sum"

    def validate(self, goal: GoalFields) -> list:
        errors = super().validate(goal)
        if goal.target is not None and goal.target < 0:
            errors.append(error("target", "The target cannot be negative."))
        if goal.target is not None and goal.target == 0 and goal.comparison == "at_least":
            errors.append(error("target", "“At least 0” is always met: choose more than 0."))
        if goal.deadline is not None and goal.deadline < goal.start_date:
            errors.append(error("deadline", "The end date must be on or after the start."))
        return errors
