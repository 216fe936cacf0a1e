"""Total: accumulate to a target within a window.

"Run 100 km in December." The window runs from the start date to the deadline, both
days included; the current value is the sum of the daily values inside it (with the
daily aggregation `count`, the number of measurements).

Progress rules:

- The pace line climbs from 0 to the target evenly over the window's days; a day's
  point is where the running total should stand at the end of it. `expected` is the
  pace through the end of yesterday: today only counts against you once it is over.
- `delta` is the running total minus `expected`; `percent` is current / target,
  rounded down and held within 0..100; `percent_exact` the same unrounded and
  unheld (120 when the total is past the target).
- Status: `not_started` before the start date; `no_data` on the first day with
  nothing recorded (no day is over yet to hold against the pace line); `achieved`
  once the total reaches the target; `failed` once the window closed below it;
  otherwise `on_track` or `behind`.
- `buffer_days`: days of recording nothing before the pace line catches up.
- `projected_date`: where the least-squares trend of the running total over the last
  14 days of the window meets the target; None when it is flat or falls.
"""

import datetime as dt
from decimal import Decimal
from functools import partial

from ..contracts import GoalFields
from . import wording
from .base import GoalKind, error
from .days import DailySeries, DayRange, rounded
from .pace import (
    buffer_days,
    exact_percent,
    paced_status,
    percent,
    projected_date,
    recent_days,
)
from .payload import GoalTerms, Progress, ProgressContext, ProgressPoint, ProgressStatus
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

    def progress(self, goal: GoalTerms, days: DailySeries, context: ProgressContext) -> Progress:
        today, target = context.today, goal.target
        window = DayRange(goal.start_date, goal.deadline)
        per_day = target / window.days
        running = _running_totals(days, window.clipped(DayRange(window.first, today)))
        current = running[min(today, window.last)] if running else Decimal(0)
        days_over = min(max((today - window.first).days, 0), window.days)
        expected = rounded(per_day * days_over)
        status = paced_status(
            today=today,
            start_date=window.first,
            deadline=window.last,
            reached=current >= target,
            ahead=current - expected,
            has_data=bool(days),
        )
        buffer = projected = None
        if status in (ProgressStatus.ON_TRACK, ProgressStatus.BEHIND):
            buffer = buffer_days(current - expected, per_day, (window.last - today).days)
            recent = [(day, total) for day, total in running.items() if day in recent_days(today)]
            projected = projected_date(recent, target, rising=True, today=today)
        started = status not in (ProgressStatus.NOT_STARTED, ProgressStatus.NO_DATA)
        progress = Progress(
            goal_id=context.goal_id,
            kind=self.key,
            kind_label=self.label,
            unit=context.unit,
            today=today,
            start_date=window.first,
            deadline=window.last,
            current=current,
            has_data=bool(days),
            start=Decimal(0),
            target=target,
            percent=percent(current, target),
            percent_exact=exact_percent(current, target),
            expected=expected if started else None,
            delta=current - expected if started else None,
            status=status,
            buffer_days=buffer,
            projected_date=projected,
            series=[
                ProgressPoint(
                    day=day,
                    until=day,
                    value=running.get(day),
                    pace=rounded(per_day * ((day - window.first).days + 1)),
                )
                for day in window
            ]
            if context.series
            else [],
            headline="",
            summary_text="",
        )
        reached_on = next((day for day, total in running.items() if total >= target), None)
        return self.worded(progress, *_words(progress, reached_on=reached_on))


def _running_totals(days: DailySeries, span: DayRange) -> dict[dt.date, Decimal]:
    """The total through the end of each day of `span` (empty when `span` is)."""
    totals, total = {}, Decimal(0)
    for day in span:
        total += days.get(day) or 0
        totals[day] = total
    return totals


def _words(progress: Progress, *, reached_on: dt.date | None) -> tuple[str, str]:
    """Words like "42 of 100 km" and "58 km to go; on track; you can skip 3 days."."""
    amount = partial(wording.amount, unit=progress.unit)
    on_day = partial(wording.day, today=progress.today)
    target = amount(progress.target)
    headline = f"{wording.number(progress.current)} of {target}"
    match progress.status:
        case ProgressStatus.NOT_STARTED:
            return f"Starts on {on_day(progress.start_date)}", wording.sentence(
                f"starts on {on_day(progress.start_date)}",
                f"{target} by {on_day(progress.deadline)}",
            )
        case ProgressStatus.NO_DATA:
            return "No measurements yet", wording.sentence(
                "no measurements yet", f"{target} by {on_day(progress.deadline)}"
            )
        case ProgressStatus.ACHIEVED:
            return headline, wording.sentence(
                f"reached {target} on {on_day(reached_on)}",
                f"{amount(progress.current)} in all",
            )
        case ProgressStatus.FAILED:
            short = amount(progress.target - progress.current)
            return headline, wording.sentence(
                f"the window closed at {amount(progress.current)}", f"{short} short"
            )
    return headline, wording.sentence(
        "" if progress.has_data else "no measurements yet",
        f"{amount(progress.target - progress.current)} to go",
        "on track" if progress.delta >= 0 else f"behind by {amount(-progress.delta)}",
        f"you can skip {wording.days(progress.buffer_days)}" if progress.buffer_days else "",
        f"at this pace you get there on {on_day(progress.projected_date)}"
        if progress.projected_date
        else "",
    )
