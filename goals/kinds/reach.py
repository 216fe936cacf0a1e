"""Reach: get from a start value to a target value by a deadline.

"Weigh 75 kg by 1 March, from 82." The direction follows from start and target
(down when the target is below the start). The current value is the latest day's
value (each day's value by the goal's daily aggregation).
"""

from ..contracts import GoalFields
from .base import GoalKind, error
from .registry import register


@register
class Reach(GoalKind):
    key = "reach"
    label = "Reach a value"
    summary = "Get from a start value to a target by a deadline (weigh 75 kg by 1 March)."
    fields = ("start_value", "target", "deadline")
    required = ("start_value", "target", "deadline")
    default_aggregation = "last"

    def validate(self, goal: GoalFields) -> list:
        errors = super().validate(goal)
        if goal.start_value is not None and goal.target == goal.start_value:
            errors.append(error("target", "The target must differ from the start value."))
        if goal.deadline is not None and goal.deadline <= goal.start_date:
            errors.append(error("deadline", "The deadline must come after the start date."))
        return errors
