"""What quota and range goals share: each day, week or month is judged on its own, and
the goal as a whole on its record of periods.

Rules common to both:

- Periods are cut in the owner's time zone; a week starts on the owner's first
  weekday; a month is a calendar month. The first and last periods are clipped to the
  start date and the end date, and judged like any other.
- A period is open while today falls in it. The current period is the one holding
  today (or the last one, once the end date has passed). A period with nothing
  recorded has no value (`current` and its series point are None), and is judged as
  the kind says (a quota counts it as 0).
- `streak` counts the periods met back from the last closed one: an open period is
  not counted until it closes. `success_rate` is the closed periods met, in percent.
- The goal asks for a share of its periods to be met (`required_share`, in percent:
  100 is every period, 71 is "at least 5 of 7 nights"). With an end date the window
  has `periods_total` periods, of which `periods_required` = ceil(total x share) must
  be met; without one the goal is judged on its record so far.
- The current period still counts as possibly met while it can still be won
  (`still_winnable`: an "at least" period until it closes, an "at most" period until
  it goes over, a range period while it is within the bounds, filling up toward them
  or empty).
- Status, in order:
  - `not_started` before the start date;
  - once the end date has passed: `achieved` when the periods met reach
    `periods_required`, `failed` otherwise;
  - `no_data` while no period has closed and nothing is recorded;
  - `on_track` while the record can still reach the share: with an end date, when
    met + (1 if the current period is winnable) + the periods still to come >=
    `periods_required`; without one, when (met + (1 if winnable)) / (closed + 1) >=
    the share;
  - `behind` otherwise.
  So "8 of 21 nights met" is behind for a goal asking every night, and a week missed
  early is still on track for "3 of 4 weeks" while the other three can be met. Within
  an open period, `expected` is the pace of a period that fills up (the target spread
  over its days); it shows in words and facts, not in the status.
- The headline is the current period in a sentence ("2 of 3 workouts this week, 3
  days left"); the summary the record and what it needs ("Met 8 of 21 days; needs
  every day.").
- The chart series holds the last `SERIES_PERIODS` periods, one point each.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from . import wording
from .base import GoalKind
from .days import DailySeries, DayRange, rounded
from .pace import exact_percent, percent, share_percent
from .payload import GoalTerms, PeriodStatus, Progress, ProgressContext, ProgressPoint
from .payload import ProgressStatus as Status
from .periods import period_containing, periods_through

SERIES_PERIODS = 30

#: Period statuses that are final for the period: it cannot be met any more.
LOST = (PeriodStatus.MISSED, PeriodStatus.EXCEEDED, PeriodStatus.OUTSIDE)


@dataclass(frozen=True)
class PeriodOutcome:
    days: DayRange
    value: Decimal | None
    status: PeriodStatus
    is_open: bool


@dataclass(frozen=True)
class Record:
    """The periods judged so far and what the goal asks of them: the status rule."""

    met: int
    closed: int
    #: None once no period is open (the end date has passed).
    current_winnable: bool | None
    #: Periods after the current one, up to the end date; None without an end date.
    to_come: int | None
    required_share: int

    @property
    def total(self) -> int | None:
        if self.to_come is None:
            return None
        return self.closed + (self.current_winnable is not None) + self.to_come

    @property
    def required(self) -> int | None:
        """Periods to meet in the whole window, rounded up; None when open-ended."""
        total = self.total
        return None if total is None else -(-total * self.required_share // 100)

    def status(self, *, has_data: bool) -> Status:
        if self.current_winnable is None:
            return Status.ACHIEVED if self.met >= self.required else Status.FAILED
        if self.closed == 0 and not has_data:
            return Status.NO_DATA
        best = self.met + self.current_winnable
        if self.to_come is not None:
            reachable = best + self.to_come >= self.required
        else:
            reachable = best * 100 >= self.required_share * (self.closed + 1)
        return Status.ON_TRACK if reachable else Status.BEHIND


class PeriodicKind(GoalKind):
    """A kind that judges each period; subclasses say how a period's value is made,
    how it is judged and how it reads."""

    def period_value(self, goal: GoalTerms, values: list[Decimal]) -> Decimal | None:
        """The period's value from its daily values, in day order; None when empty."""
        raise NotImplementedError

    def judge(self, goal: GoalTerms, value: Decimal | None, *, is_open: bool) -> PeriodStatus:
        raise NotImplementedError

    def still_winnable(self, goal: GoalTerms, outcome: PeriodOutcome) -> bool:
        """Whether the open period can still end up met."""
        return outcome.status not in LOST

    def filling_toward(self, goal: GoalTerms) -> Decimal | None:
        """The amount a period fills up toward, for the pace within an open period;
        None when the value does not fill up."""
        return None

    def share(self, goal: GoalTerms, value: Decimal | None) -> tuple[Decimal, Decimal] | None:
        """The (part, whole) `percent` is made of; None when there is nothing to show."""
        raise NotImplementedError

    def current_words(self, progress: Progress) -> str:
        """The open period in a sentence: "2 of 3 workouts this week, 3 days left"."""
        raise NotImplementedError

    def rule_words(self, progress: Progress) -> str:
        """What each period asks: "at least 3 workouts each week"."""
        raise NotImplementedError

    def progress(self, goal: GoalTerms, days: DailySeries, context: ProgressContext) -> Progress:
        today = context.today
        outcomes = self.outcomes(goal, days, today=today, week_start=context.week_start)
        closed = [outcome for outcome in outcomes if not outcome.is_open]
        met = sum(outcome.status.is_met for outcome in closed)
        current = outcomes[-1] if outcomes else None
        record = self._record(goal, outcomes, met, context)
        expected = self._expected(goal, current, today)
        share = self.share(goal, current.value) if current else None
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
            percent=percent(*share) if share else 0,
            percent_exact=exact_percent(*share) if share else None,
            expected=expected,
            delta=None if expected is None else current.value - expected,
            status=record.status(has_data=bool(days)) if record else Status.NOT_STARTED,
            period=goal.period,
            comparison=goal.comparison or None,
            period_first=current.days.first if current else None,
            period_last=current.days.last if current else None,
            period_status=current.status if current else None,
            streak=_streak(closed) if current else None,
            periods_met=met if current else None,
            periods_judged=len(closed) if current else None,
            success_rate=share_percent(met, len(closed)) if closed else None,
            required_share=goal.required_share,
            periods_total=record.total if record else None,
            periods_required=record.required if record else None,
            series=[
                ProgressPoint(
                    day=outcome.days.first,
                    until=outcome.days.last,
                    value=outcome.value,
                    status=outcome.status,
                )
                for outcome in outcomes[-SERIES_PERIODS:]
            ]
            if context.series
            else [],
            headline="",
            summary_text="",
        )
        return self.worded(progress, *self.words(progress))

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

    def _record(
        self, goal: GoalTerms, outcomes: list[PeriodOutcome], met: int, context: ProgressContext
    ) -> Record | None:
        if not outcomes:
            return None
        current = outcomes[-1]
        to_come = None
        if goal.deadline:
            window = DayRange(goal.start_date, goal.deadline)
            to_come = len(periods_through(window, goal.period, context.week_start)) - len(outcomes)
        return Record(
            met=met,
            closed=len(outcomes) - current.is_open,
            current_winnable=self.still_winnable(goal, current) if current.is_open else None,
            to_come=to_come,
            required_share=goal.required_share,
        )

    def _expected(
        self, goal: GoalTerms, current: PeriodOutcome | None, today: dt.date
    ) -> Decimal | None:
        """Where an open period that fills up should stand by the end of yesterday."""
        toward = self.filling_toward(goal)
        if current is None or current.value is None or not current.is_open or toward is None:
            return None
        elapsed = (today - current.days.first).days
        return rounded(toward * elapsed / current.days.days)

    def words(self, progress: Progress) -> tuple[str, str]:
        """The headline (the current period) and the summary (the record)."""
        each = wording.PERIOD_NOUNS[progress.period][0]
        rule = f"{self.rule_words(progress)} each {each}"
        if progress.status is Status.NOT_STARTED:
            starts = f"starts on {wording.day(progress.start_date, today=progress.today)}"
            return wording.capitalized(starts), wording.sentence(starts, rule)
        record = ""
        if progress.periods_judged:
            judged = wording.periods(progress.periods_judged, progress.period)
            record = f"met {progress.periods_met} of {judged}"
        if progress.status in (Status.ACHIEVED, Status.FAILED):
            needed = needs(progress).replace("needs", "needed", 1)
            return wording.capitalized(record or "ended"), wording.sentence(
                record or "ended", needed, rule
            )
        return wording.capitalized(self.current_words(progress)), wording.sentence(
            "no measurements yet" if progress.status is Status.NO_DATA else record,
            needs(progress),
            f"streak: {wording.periods(progress.streak, progress.period)}"
            if progress.streak
            else "",
        )


def needs(progress: Progress) -> str:
    """What the goal asks of its periods: "needs every day", "needs 3 of 4 weeks",
    "needs 71 % of days"."""
    singular, plural = wording.PERIOD_NOUNS[progress.period]
    if progress.required_share >= 100:
        return f"needs every {singular}"
    if progress.periods_total is not None:
        total = wording.periods(progress.periods_total, progress.period)
        return f"needs {progress.periods_required} of {total}"
    return f"needs {progress.required_share} % of {plural}"


def time_left(progress: Progress) -> str:
    """What is left of a week or month, today included: "3 days left", "last day";
    nothing for a day."""
    if progress.period == "day" or progress.period_last is None:
        return ""
    left = (progress.period_last - progress.today).days + 1
    return "last day" if left == 1 else f"{wording.days(left)} left"


def _streak(closed: list[PeriodOutcome]) -> int:
    streak = 0
    for outcome in reversed(closed):
        if not outcome.status.is_met:
            break
        streak += 1
    return streak
