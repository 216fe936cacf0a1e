"""What quota and range goals share: each day, week or month is judged on its own.

Rules common to both:

- Periods are cut in the owner's time zone; a week starts on the owner's first
  weekday; a month is a calendar month. The first and last periods are clipped to the
  start date and the deadline, and judged like any other.
- A period is open while today falls in it. The current period is the one holding
  today (or the last one, once the deadline has passed).
- `streak` counts the periods met back from the last closed one: an open period is
  not counted until it closes. `success_rate` is the closed periods met, in percent.
- Status: `not_started` before the start date; once the deadline has passed,
  `achieved` when every period was met and `failed` otherwise; until then `behind`
  when the current period is already lost or is filling up slower than its days pass
  (`expected` is that pro-rata amount), and `on_track` otherwise.
- The chart series holds the last `SERIES_PERIODS` periods, one point each.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from .base import GoalKind
from .days import DailySeries, DayRange, rounded
from .pace import share_percent
from .payload import GoalTerms, PeriodStatus, Progress, ProgressContext, ProgressPoint
from .payload import ProgressStatus as Status
from .periods import period_containing, periods_through

SERIES_PERIODS = 30


@dataclass(frozen=True)
class PeriodOutcome:
    days: DayRange
    value: Decimal | None
    status: PeriodStatus
    is_open: bool


class PeriodicKind(GoalKind):
    """A kind that judges each period; subclasses say how a period's value is made,
    how it is judged and how it reads."""

    def period_value(self, goal: GoalTerms, values: list[Decimal]) -> Decimal | None:
        """The period's value from its daily values, in day order."""
        raise NotImplementedError

    def judge(self, goal: GoalTerms, value: Decimal | None, *, is_open: bool) -> PeriodStatus:
        raise NotImplementedError

    def filling_toward(self, goal: GoalTerms) -> Decimal | None:
        """The amount a period fills up toward, for the pace within an open period;
        None when the value does not fill up."""
        return None

    def percent(self, goal: GoalTerms, value: Decimal | None) -> int:
        raise NotImplementedError

    def words(self, progress: Progress) -> tuple[str, str]:
        """The headline and summary sentence."""
        raise NotImplementedError

    def progress(self, goal: GoalTerms, days: DailySeries, context: ProgressContext) -> Progress:
        today = context.today
        outcomes = self.outcomes(goal, days, today=today, week_start=context.week_start)
        closed = [outcome for outcome in outcomes if not outcome.is_open]
        met = sum(outcome.status.is_met for outcome in closed)
        current = outcomes[-1] if outcomes else None
        expected = self._expected(goal, current, today)
        progress = Progress(
            goal_id=context.goal_id,
            kind=self.key,
            kind_label=self.label,
            unit=context.unit,
            today=today,
            start_date=goal.start_date,
            deadline=goal.deadline,
            current=current.value if current else None,
            current_day=current.days.first if current else None,
            has_data=bool(days),
            target=goal.target,
            low=goal.target_low,
            high=goal.target_high,
            percent=self.percent(goal, current.value) if current else 0,
            expected=expected,
            delta=None if expected is None else current.value - expected,
            status=self._status(current, expected, all_met=met == len(closed)),
            period=goal.period,
            comparison=goal.comparison or None,
            period_first=current.days.first if current else None,
            period_last=current.days.last if current else None,
            period_status=current.status if current else None,
            streak=_streak(closed) if current else None,
            periods_met=met if current else None,
            periods_judged=len(closed) if current else None,
            success_rate=share_percent(met, len(closed)) if closed else None,
            series=[
                ProgressPoint(
                    day=outcome.days.first,
                    until=outcome.days.last,
                    value=outcome.value,
                    status=outcome.status,
                )
                for outcome in outcomes[-SERIES_PERIODS:]
            ],
            headline="",
            summary_text="",
        )
        headline, summary = self.words(progress)
        return progress.model_copy(update={"headline": headline, "summary_text": summary})

    def outcomes(
        self, goal: GoalTerms, days: DailySeries, *, today: dt.date, week_start: int
    ) -> list[PeriodOutcome]:
        """Every period from the start date to the current one, judged."""
        if today < goal.start_date:
            return []
        last = period_containing(today, goal.period, week_start).last
        if goal.deadline:
            last = min(last, goal.deadline)
        outcomes = []
        for period in periods_through(DayRange(goal.start_date, last), goal.period, week_start):
            is_open = today <= period.last
            value = self.period_value(goal, [value for _, value in days.within(period)])
            status = self.judge(goal, value, is_open=is_open)
            outcomes.append(PeriodOutcome(period, value, status, is_open))
        return outcomes

    def _expected(
        self, goal: GoalTerms, current: PeriodOutcome | None, today: dt.date
    ) -> Decimal | None:
        """Where an open period that fills up should stand by the end of yesterday."""
        toward = self.filling_toward(goal)
        if current is None or current.value is None or not current.is_open or toward is None:
            return None
        elapsed = (today - current.days.first).days
        return rounded(toward * elapsed / current.days.days)

    @staticmethod
    def _status(
        current: PeriodOutcome | None, expected: Decimal | None, *, all_met: bool
    ) -> Status:
        if current is None:
            return Status.NOT_STARTED
        if not current.is_open:  # only once the deadline has passed
            return Status.ACHIEVED if all_met else Status.FAILED
        if current.status in (PeriodStatus.EXCEEDED, PeriodStatus.OUTSIDE):
            return Status.BEHIND
        if current.status is PeriodStatus.NOT_YET and current.value < expected:
            return Status.BEHIND
        return Status.ON_TRACK


def _streak(closed: list[PeriodOutcome]) -> int:
    streak = 0
    for outcome in reversed(closed):
        if not outcome.status.is_met:
            break
        streak += 1
    return streak
