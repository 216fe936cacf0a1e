"""Quota: each period, the period's total must be at least, or at most, the target.

"3 workouts a week", "at most 2 coffees a day". A period's value is the sum of its
daily values (with the daily aggregation `count`, the number of measurements); a
period with nothing recorded sums to 0. Periods are cut in the owner's time zone;
weeks start on the owner's first weekday.

Progress rules (besides those of `periodic`):

- "At least": a period is `met` once its sum reaches the target, `not_yet` while open
  below it, `missed` when it closed below it. Within an open period the pace is the
  target spread evenly over its days (`expected`, through the end of yesterday).
- "At most": a period is `met` while its sum stays at or under the target and
  `exceeded` once over it, open or not.
- `percent` is the current period's sum / target (for "at most": how much of the
  allowance is used).
"""

from decimal import Decimal
from functools import partial

from ..contracts import GoalFields
from . import wording
from .base import error
from .days import rounded
from .pace import percent
from .payload import GoalTerms, PeriodStatus, Progress, ProgressStatus
from .periodic import PeriodicKind
from .registry import register


@register
class Quota(PeriodicKind):
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

    def period_value(self, goal: GoalTerms, values: list[Decimal]) -> Decimal:
        return rounded(sum(values, Decimal(0)))

    def judge(self, goal: GoalTerms, value: Decimal | None, *, is_open: bool) -> PeriodStatus:
        if goal.comparison == "at_most":
            return PeriodStatus.MET if value <= goal.target else PeriodStatus.EXCEEDED
        if value >= goal.target:
            return PeriodStatus.MET
        return PeriodStatus.NOT_YET if is_open else PeriodStatus.MISSED

    def filling_toward(self, goal: GoalTerms) -> Decimal | None:
        return goal.target if goal.comparison == "at_least" else None

    def percent(self, goal: GoalTerms, value: Decimal | None) -> int:
        return percent(value, goal.target)

    def words(self, progress: Progress) -> tuple[str, str]:
        """Words like "2 of 3 workouts this week" and "1 workout to go this week;
        streak: 4 weeks."."""
        amount = partial(wording.amount, unit=progress.unit)
        at_most = progress.comparison == "at_most"
        rule = f"{'at most' if at_most else 'at least'} {amount(progress.target)}"
        each = wording.PERIOD_NOUNS[progress.period][0]
        if progress.status is ProgressStatus.NOT_STARTED:
            starts = f"starts on {wording.day(progress.start_date, today=progress.today)}"
            return wording.capitalized(starts), wording.sentence(starts, f"{rule} each {each}")
        record = ""
        if progress.periods_judged:
            judged = wording.periods(progress.periods_judged, progress.period)
            record = f"met {progress.periods_met} of {judged}"
        if progress.status in (ProgressStatus.ACHIEVED, ProgressStatus.FAILED):
            headline = wording.capitalized(record or "ended")
            return headline, wording.sentence(record or "ended", f"{rule} each {each}")
        this = wording.THIS_PERIOD[progress.period]
        value, target = progress.current, progress.target
        limit = rule if at_most else amount(target)
        headline = f"{wording.number(value)} of {limit} {this}"
        match progress.period_status:
            case PeriodStatus.MET if at_most:
                now = f"{amount(target - value)} left {this}"
            case PeriodStatus.MET:
                now = f"met {this}"
            case PeriodStatus.EXCEEDED:
                now = f"over by {amount(value - target)} {this}"
            case _:
                now = f"{amount(target - value)} to go {this}"
        return headline, wording.sentence(
            now,
            "behind the pace"
            if progress.status is ProgressStatus.BEHIND
            and progress.period_status is PeriodStatus.NOT_YET
            else "",
            f"streak: {wording.periods(progress.streak, progress.period)}"
            if progress.streak
            else "",
            record,
        )
