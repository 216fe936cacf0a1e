"""Reach: get from a start value to a target value by a deadline.

"Weigh 75 kg by 1 March, from 82." The direction follows from start and target
(down when the target is below the start). The current value is the latest day's
value (each day's value by the goal's daily aggregation).

Progress rules:

- Days are read from the start date to today (or the deadline, once passed). Values
  recorded before the start date are not read: the start value is where the person
  said they were on the start date, and it stands until the first measurement.
- The pace line runs straight from (start date, start value) to (deadline, target);
  `expected` is its value today and `delta` how far ahead of it the latest value is
  (toward the target: positive is ahead, whichever the direction).
- `percent` is the way covered from start toward target, held within 0..100 and
  rounded down; `percent_exact` the same unrounded and unheld, None with no value.
- Status: `not_started` before the start date; `no_data` on the start day with
  nothing recorded (no day is over yet to hold against the pace line); `achieved`
  while the latest value is at or beyond the target (after the deadline: the last
  value on or before it);
  `failed` once the deadline passed without that; otherwise `on_track` when on or
  ahead of the pace line, `behind` when not.
- `buffer_days`: days the value could stand still before the pace line catches up.
- `projected_date`: where the least-squares trend of the days with values among the
  last 14 meets the target; None when it points away or there is too little data.
"""

from decimal import Decimal
from functools import partial

from ..contracts import GoalFields
from . import wording
from .base import GoalKind, error
from .days import DailySeries, DayRange
from .pace import (
    buffer_days,
    exact_percent,
    on_line,
    paced_status,
    percent,
    projected_date,
    recent_days,
)
from .payload import GoalTerms, Progress, ProgressContext, ProgressPoint, ProgressStatus
from .registry import register


@register
class Reach(GoalKind):
    key = "reach"
    label = "Reach a value"
    summary = "Get from a start value to a target by a deadline (weigh 75 kg by 1 March)."
    fields = ("start_value", "target", "deadline")
    required = ("start_value", "target", "deadline")
    default_aggregation = "last"
    deadline_label = "Deadline"

    def validate(self, goal: GoalFields) -> list:
        errors = super().validate(goal)
        if goal.start_value is not None and goal.target == goal.start_value:
            errors.append(error("target", "The target must differ from the start value."))
        if goal.deadline is not None and goal.deadline <= goal.start_date:
            errors.append(error("deadline", "The deadline must come after the start date."))
        return errors

    def progress(self, goal: GoalTerms, days: DailySeries, context: ProgressContext) -> Progress:
        today, start, target, deadline = context.today, goal.start_value, goal.target, goal.deadline
        rising = target > start
        pace_on = partial(on_line, (goal.start_date, start), (deadline, target))
        latest = days.latest(on_or_before=min(today, deadline))
        current_day, current = latest if latest else (None, None)
        position = start if current is None else current
        to_go = target - position if rising else position - target
        expected = pace_on(today)
        ahead = position - expected if rising else expected - position
        status = paced_status(
            today=today,
            start_date=goal.start_date,
            deadline=deadline,
            reached=current is not None and to_go <= 0,
            ahead=ahead,
            has_data=bool(days),
        )
        buffer = projected = None
        if status in (ProgressStatus.ON_TRACK, ProgressStatus.BEHIND):
            per_day = abs(target - start) / (deadline - goal.start_date).days
            buffer = buffer_days(ahead, per_day, (deadline - today).days)
            recent = days.within(recent_days(today))
            projected = projected_date(recent, target, rising=rising, today=today)
        started = status not in (ProgressStatus.NOT_STARTED, ProgressStatus.NO_DATA)
        progress = Progress(
            goal_id=context.goal_id,
            kind=self.key,
            kind_label=self.label,
            unit=context.unit,
            today=today,
            start_date=goal.start_date,
            deadline=deadline,
            current=current,
            current_day=current_day,
            has_data=bool(days),
            start=start,
            target=target,
            percent=percent(position - start, target - start),
            percent_exact=None
            if current is None
            else exact_percent(position - start, target - start),
            expected=expected if started else None,
            delta=ahead if started else None,
            status=status,
            buffer_days=buffer,
            projected_date=projected,
            series=[
                ProgressPoint(
                    day=day,
                    until=day,
                    value=days.get(day) if day <= today else None,
                    pace=pace_on(day),
                )
                for day in DayRange(goal.start_date, deadline)
            ]
            if context.series
            else [],
            headline="",
            summary_text="",
        )
        return self.worded(progress, *_words(progress, to_go=to_go, position=position))


def _words(progress: Progress, *, to_go: Decimal, position: Decimal) -> tuple[str, str]:
    """Words like "2.1 kg to go" and "2.1 kg to go; on track; you can skip 3 days."."""
    amount = partial(wording.amount, unit=progress.unit)
    on_day = partial(wording.day, today=progress.today)
    target = amount(progress.target)
    match progress.status:
        case ProgressStatus.NOT_STARTED:
            headline = f"Starts on {on_day(progress.start_date)}"
            plan = f"from {amount(progress.start)} to {target} by {on_day(progress.deadline)}"
            return headline, wording.sentence(headline, plan)
        case ProgressStatus.NO_DATA:
            plan = f"from {amount(progress.start)} to {target} by {on_day(progress.deadline)}"
            return "No measurements yet", wording.sentence("no measurements yet", plan)
        case ProgressStatus.ACHIEVED:
            headline = f"Reached {target}"
            when = f"{amount(progress.current)} on {on_day(progress.current_day)}"
            return headline, wording.sentence(headline, when)
        case ProgressStatus.FAILED:
            headline = f"{amount(to_go)} short"
            return headline, wording.sentence(
                f"the deadline passed at {amount(position)}", f"{amount(to_go)} short of {target}"
            )
    headline = f"{amount(to_go)} to go"
    return headline, wording.sentence(
        "" if progress.has_data else "no measurements yet",
        headline,
        "on track" if progress.delta >= 0 else f"behind by {amount(-progress.delta)}",
        f"you can skip {wording.days(progress.buffer_days)}" if progress.buffer_days else "",
        f"at this pace you get there on {on_day(progress.projected_date)}"
        if progress.projected_date
        else "",
    )
