"""Total: accumulate to a target within a window.

"Run 100 km in December." The window runs from the start date to the deadline, both
days included; the current value is the sum of the daily values inside it (with the
daily aggregation `count`, the number of measurements).
"""

from ..contracts import GoalFields
from .base import GoalKind, error
from .registry import register


@register
class Total(GoalKind):
    key = "total"
    label = "Reach a total"
    summary = "Add up to a target within a window (run 100 km in December)."
    fields = ("target", "deadline")
    required = ("target", "deadline")
    default_aggregation = "sum"

    def validate(self, goal: GoalFields) -> list:
        errors = super().validate(goal)
        if goal.target is not None and goal.target <= 0:
            errors.append(error("target", "The target must be more than zero."))
        if goal.deadline is not None and goal.deadline < goal.start_date:
            errors.append(error("deadline", "The window must end on or after its start."))
        return errors
