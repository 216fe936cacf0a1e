"""Range: each period, the period's value must stay between a low and a high bound.

"Sleep 7 to 9 hours a night." The period's value is the mean, the last or the sum of
its daily values (the goal's period aggregation); both bounds are included.

Progress rules (besides those of `periodic`, which say the status):

- A period is `within` or `outside` the bounds; with nothing recorded it is
  `no_data`, and a closed period with no data counts as not met: only what is
  recorded can be judged.
- With the period aggregation `sum`, an open period still below the low bound is
  `not_yet` (it can still fill up), with the low bound spread over its days as the
  pace (`expected`); above the high bound it is `outside` at once. An open period
  outside the bounds counts as not met while it stays there: what is recorded is
  judged, even where a later value (with `mean` or `last`) could bring it back.
- The status reads "Above range" or "Below range" instead of "Behind" when the latest
  period judged with a value (the open one, or else the last closed one) is above or
  below the bounds: an exceeded range is named, not called behind under a full bar.
- `percent` is where the current period's value sits from low (0) to high (100);
  `percent_exact` is the same unheld (125: a quarter of the band above the high bound).
"""

from decimal import Decimal
from functools import partial

from ..contracts import GoalFields
from . import wording
from .base import error
from .chart_styles import ChartStyle
from .days import rounded
from .payload import GoalTerms, PeriodStatus, Progress, ProgressStatus
from .periodic import PeriodicKind, time_left
from .registry import register

PERIOD_AGGREGATIONS = ("mean", "last", "sum")


@register
class Range(PeriodicKind):
    key = "range"
    chart_style = ChartStyle.RANGE_BAND
    label = "Stay within a range"
    summary = "Keep each day, week or month between two bounds (sleep 7 to 9 hours)."
    fields = (
        "target_low",
        "target_high",
        "period",
        "period_aggregation",
        "deadline",
        "required_share",
    )
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

    def share(self, goal: GoalTerms, value: Decimal | None) -> tuple[Decimal, Decimal] | None:
        if value is None:
            return None
        return value - goal.target_low, goal.target_high - goal.target_low

    def status_label(self, progress: Progress) -> str:
        """ "Above range" or "Below range" for a goal behind while the latest period
        judged is over or under the bounds."""
        if progress.status is ProgressStatus.BEHIND:
            side = _latest_side(progress)
            if side:
                return f"{side.capitalize()} range"
        return super().status_label(progress)

    def rule_words(self, progress: Progress) -> str:
        return f"{wording.number(progress.low)} to {wording.amount(progress.high, progress.unit)}"

    def current_words(self, progress: Progress) -> str:
        """ "7.5 h today, within 7 to 9 h", "9.5 h today, above 7 to 9 h", "50 h this
        week, 20 h to go to 70 to 100 h, 2 days left", "Nothing recorded today"."""
        amount = partial(wording.amount, unit=progress.unit)
        band = self.rule_words(progress)
        this = wording.THIS_PERIOD[progress.period]
        value = progress.current
        if value is None:
            return ", ".join(
                part for part in (f"nothing recorded {this}", time_left(progress)) if part
            )
        match progress.period_status:
            case PeriodStatus.WITHIN:
                state = f"within {band}"
            case PeriodStatus.NOT_YET:
                state = f"{amount(progress.low - value)} to go to {band}"
            case _:
                state = f"{'below' if value < progress.low else 'above'} {band}"
        parts = (f"{amount(value)} {this}", state, time_left(progress))
        return ", ".join(part for part in parts if part)


def _latest_side(progress: Progress) -> str:
    """ "above" or "below" for the latest period judged with a value, when it is
    outside the bounds; "" when it is within, still filling up, or nothing is known."""
    for point in reversed(progress.series):
        if point.value is None or point.status is PeriodStatus.NOT_YET:
            continue
        if point.value > progress.high:
            return "above"
        if point.value < progress.low:
            return "below"
        return ""
    return ""
