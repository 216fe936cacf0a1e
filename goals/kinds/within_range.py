"""Range: each period, the period's value must stay between a low and a high bound.

"Sleep 7 to 9 hours a night." The period's value is the mean, the last or the sum of
its daily values (the goal's period aggregation); both bounds are included.

Progress rules (besides those of `periodic`):

- A period is `within` or `outside` the bounds; with nothing recorded it is
  `no_data`, and a closed period with no data counts as not met: only what is
  recorded can be judged.
- With the period aggregation `sum`, an open period still below the low bound is
  `not_yet` (it can still fill up), with the low bound spread over its days as the
  pace (`expected`); above the high bound it is `outside` at once.
- `percent` is where the current period's value sits from low (0) to high (100).
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

PERIOD_AGGREGATIONS = ("mean", "last", "sum")


@register
class Range(PeriodicKind):
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

    def period_value(self, goal: GoalTerms, values: list[Decimal]) -> Decimal | None:
        if not values:
            return None
        if goal.period_aggregation == "last":
            return values[-1]
        total = sum(values, Decimal(0))
        return rounded(total / len(values) if goal.period_aggregation == "mean" else total)

    def judge(self, goal: GoalTerms, value: Decimal | None, *, is_open: bool) -> PeriodStatus:
        if value is None:
            return PeriodStatus.NO_DATA
        if goal.target_low <= value <= goal.target_high:
            return PeriodStatus.WITHIN
        if is_open and value < goal.target_low and goal.period_aggregation == "sum":
            return PeriodStatus.NOT_YET
        return PeriodStatus.OUTSIDE

    def filling_toward(self, goal: GoalTerms) -> Decimal | None:
        return goal.target_low if goal.period_aggregation == "sum" else None

    def percent(self, goal: GoalTerms, value: Decimal | None) -> int:
        if value is None:
            return 0
        return percent(value - goal.target_low, goal.target_high - goal.target_low)

    def words(self, progress: Progress) -> tuple[str, str]:
        """Words like "7.5 h today" and "Within 7 to 9 h; streak: 3 days; met 5 of 6 days."."""
        amount = partial(wording.amount, unit=progress.unit)
        band = f"{wording.number(progress.low)} to {amount(progress.high)}"
        each = wording.PERIOD_NOUNS[progress.period][0]
        if progress.status is ProgressStatus.NOT_STARTED:
            starts = f"starts on {wording.day(progress.start_date, today=progress.today)}"
            return wording.capitalized(starts), wording.sentence(starts, f"{band} each {each}")
        record = ""
        if progress.periods_judged:
            judged = wording.periods(progress.periods_judged, progress.period)
            record = f"met {progress.periods_met} of {judged}"
        if progress.status in (ProgressStatus.ACHIEVED, ProgressStatus.FAILED):
            return wording.capitalized(record or "ended"), wording.sentence(
                record or "ended", f"{band} each {each}"
            )
        this = wording.THIS_PERIOD[progress.period]
        value = progress.current
        match progress.period_status:
            case PeriodStatus.NO_DATA:
                headline, now = f"Nothing recorded {this}", f"nothing recorded {this}"
            case PeriodStatus.WITHIN:
                headline, now = f"{amount(value)} {this}", f"within {band}"
            case PeriodStatus.NOT_YET:
                headline = f"{amount(value)} {this}"
                now = f"{amount(progress.low - value)} to go to {band}"
            case _:
                side = "below" if value < progress.low else "above"
                headline, now = f"{amount(value)} {this}", f"{side} {band}"
        return headline, wording.sentence(
            now,
            f"streak: {wording.periods(progress.streak, progress.period)}"
            if progress.streak
            else "",
            record,
        )
