"""Quota: each period, the period's total must be at least, or at most, the target.

"3 workouts a week", "at most 2 coffees a day". A period's value is the sum of its
daily values (with the daily aggregation `count`, the number of measurements).
Periods are cut in the owner's time zone;
weeks start on the owner's first weekday.

Progress rules (besides those of `periodic`, which say the status):

- A period's value is None while nothing is recorded in it; it is judged as 0.
- "At least": a period is `met` once its sum reaches the target, `not_yet` while open
  below it, `missed` when it closed below it. An open period can still be won until
  it closes. Within an open period the pace is the target spread evenly over its days
  (`expected`, through the end of yesterday).
- "At most": a period is `met` while its sum stays at or under the target and
  `exceeded` once over it, open or not; an exceeded period cannot be won back.
- `percent` is the current period's sum / target (for "at most": how much of the
  allowance is used); 0 with nothing recorded.
"""

from decimal import Decimal
from functools import partial

from ..contracts import GoalFields
from . import wording
from .base import error
from .chart_styles import ChartStyle
from .days import rounded
from .payload import GoalTerms, PeriodStatus, Progress
from .periodic import PeriodicKind, time_left
from .registry import register


@register
class Quota(PeriodicKind):
    key = "quota"
    chart_style = ChartStyle.BARS
    label = "Quota per period"
    summary = "At least, or at most, an amount each day, week or month (3 workouts a week)."
    fields = ("target", "period", "comparison", "deadline", "required_share")
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

    def period_value(self, goal: GoalTerms, values: list[Decimal]) -> Decimal | None:
        return rounded(sum(values, Decimal(0))) if values else None

    def judge(self, goal: GoalTerms, value: Decimal | None, *, is_open: bool) -> PeriodStatus:
        value = value or Decimal(0)
        if goal.comparison == "at_most":
            return PeriodStatus.MET if value <= goal.target else PeriodStatus.EXCEEDED
        if value >= goal.target:
            return PeriodStatus.MET
        return PeriodStatus.NOT_YET if is_open else PeriodStatus.MISSED

    def filling_toward(self, goal: GoalTerms) -> Decimal | None:
        return goal.target if goal.comparison == "at_least" else None

    def share(self, goal: GoalTerms, value: Decimal | None) -> tuple[Decimal, Decimal] | None:
        return None if value is None else (value, goal.target)

    def rule_words(self, progress: Progress) -> str:
        comparison = "at most" if progress.comparison == "at_most" else "at least"
        return f"{comparison} {wording.amount(progress.target, progress.unit)}"

    def current_words(self, progress: Progress) -> str:
        """ "2 of 3 workouts this week, 3 days left", "1 of at most 2 cups today, 1 cup
        left", "3 of 3 workouts this week, met"."""
        amount = partial(wording.amount, unit=progress.unit)
        this = wording.THIS_PERIOD[progress.period]
        value, target = progress.current or Decimal(0), progress.target
        at_most = progress.comparison == "at_most"
        limit = self.rule_words(progress) if at_most else amount(target)
        where = f"{wording.number(value)} of {limit} {this}"
        match progress.period_status:
            case PeriodStatus.MET if at_most:
                state = f"{amount(target - value)} left"
            case PeriodStatus.MET:
                state = "met"
            case PeriodStatus.EXCEEDED:
                state = f"over by {amount(value - target)}"
            case _:
                state = time_left(progress)
        return ", ".join(part for part in (where, state) if part)
