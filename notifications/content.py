"""The words of notifications: what a goal needs today, a deadline or period end that
is close, today's reminder, a change of status and the weekly summary.

Everything here is a pure function of a goal's `Progress` (from the one progress
mapper, `goals.progress`) and of what the caller already holds (the goal's title,
its metric's name): no database, no clock. Days are the owner's local days, counted
from `progress.today`. The words follow the kinds' own headlines ("2.1 kg to go",
"2 of 3 workouts this week"), numbers at the metric's display places.

What a goal needs differs by kind, so each kind's words are a function here, found by
the kind's key; a kind with none (one added later) simply never asks for anything.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from functools import partial

from config.numbers import DEFAULT_PLACES
from goals import kinds
from goals.kinds import wording
from goals.kinds.payload import PeriodStatus, Progress, ProgressPoint, ProgressStatus

#: Statuses in which a goal can still be helped along today.
_OPEN = (ProgressStatus.NO_DATA, ProgressStatus.ON_TRACK, ProgressStatus.BEHIND)

#: Reach and total: the days before the deadline that count as close (3: from three
#: days before it to the deadline itself).
DEADLINE_CLOSE_DAYS = 3
#: At-least quotas by the week or month: the days before the period's last that count
#: as close (1: the last two days). A daily quota is close on its one day.
PERIOD_CLOSE_DAYS = 1

#: On the last day, how long before the day ends the extra reminders go out.
ESCALATION: tuple[dt.timedelta, ...] = (
    dt.timedelta(hours=8),
    dt.timedelta(hours=3),
    dt.timedelta(hours=1),
)

_THIS_PERIODS = {"day": "today's", "week": "this week's", "month": "this month's"}


# What a goal needs today -------------------------------------------------------------


def need_today(progress: Progress, *, metric: str = "") -> str | None:
    """What the goal needs today, in one short phrase; None when it needs nothing.

    `metric` is the name of the goal's metric ("Weight"), for the goals that ask for
    a value ("record today's weight"). Nothing is needed before the start, once the
    goal is achieved or failed, while a reach or total goal is on track with at least
    a day to spare (or, for reach, on track with today's value in), once an at-least
    quota's period is met, while a range goal's period has a value that is not still
    filling up, or ever for an at-most quota (it is kept by not doing: a reminder
    could only nudge toward the limit). A goal behind on its record of periods is
    still asked for the current one: it counts toward the streak.
    """
    words = _NEEDS.get(progress.kind)
    if words is None or progress.status not in _OPEN:
        return None
    with wording.places(progress.places):
        return words(progress, _noun(metric))


def _reach_need(progress: Progress, metric: str) -> str | None:
    """ "0.8 kg above the line: record today's weight"; once today's value is in,
    where the line stands today instead of asking for it."""
    record = f"record today's {metric}"
    if progress.status is ProgressStatus.NO_DATA:
        return wording.capitalized(record)
    if progress.status is ProgressStatus.ON_TRACK and progress.buffer_days:
        return None
    recorded_today = progress.current_day == progress.today
    if progress.delta >= 0:
        return None if recorded_today else f"On the line with no day to spare: {record}"
    rising = progress.target > progress.start
    gap = f"{_amount(progress, -progress.delta)} {'below' if rising else 'above'} the line"
    if recorded_today:
        return f"{gap}: the line is at {_amount(progress, progress.expected)} today"
    return f"{gap}: {record}"


def _total_need(progress: Progress, metric: str) -> str | None:
    """ "12.5 km behind pace: 3.3 km a day reaches 100 km by 31 Dec"."""
    if progress.status is ProgressStatus.ON_TRACK and progress.buffer_days:
        return None
    rest = progress.target - progress.current
    days_left = (progress.deadline - progress.today).days + 1
    target = _amount(progress, progress.target)
    if days_left <= 1:
        plan = f"{_amount(progress, rest)} today reaches {target}"
    else:
        per_day = _amount(progress, _rounded_up(rest / days_left, progress.places))
        plan = f"{per_day} a day reaches {target} by {_day(progress, progress.deadline)}"
    if progress.status is ProgressStatus.NO_DATA:
        return f"Nothing yet: {plan}"
    if progress.delta < 0:
        return f"{_amount(progress, -progress.delta)} behind pace: {plan}"
    return f"No day to spare: {plan}"


def _quota_need(progress: Progress, metric: str) -> str | None:
    """ "1 workout left this week, 2 days to go"; "2 glasses left today"."""
    if progress.comparison != "at_least" or progress.period_status is not PeriodStatus.NOT_YET:
        return None
    left = _amount(progress, progress.target - (progress.current or 0))
    return _with_time_left(progress, f"{left} left {wording.THIS_PERIOD[progress.period]}")


def _range_need(progress: Progress, metric: str) -> str | None:
    """ "Record today's sleep" while nothing is recorded in the period; "1.5 l to go
    to 2 to 3 l today" while a summed period is still below the low bound."""
    if progress.current is None:
        phrase = f"Record {_THIS_PERIODS[progress.period]} {metric}"
    elif progress.period_status is PeriodStatus.NOT_YET:
        to_go = _amount(progress, progress.low - progress.current)
        this = wording.THIS_PERIOD[progress.period]
        phrase = f"{to_go} to go to {_rule(progress)} {this}"
    else:
        return None
    return _with_time_left(progress, phrase)


_NEEDS: dict[str, Callable[[Progress, str], str | None]] = {
    "reach": _reach_need,
    "total": _total_need,
    "quota": _quota_need,
    "range": _range_need,
}
#: Kinds judged against a pace line up to a deadline, rather than period by period.
_PACE_KINDS = ("reach", "total")


def _with_time_left(progress: Progress, phrase: str) -> str:
    """The phrase with what is left of a week or month: ", 2 days to go" (today
    included, as the kinds count it), ", last day"; a day's phrase says "today"."""
    if progress.period == "day":
        return phrase
    left = (progress.period_last - progress.today).days + 1
    return f"{phrase}, {'last day' if left == 1 else f'{wording.days(left)} to go'}"


# A deadline or period end that is close ----------------------------------------------


@dataclass(frozen=True)
class Closing:
    """A deadline or period end that is close while the goal still needs something.

    `days_left` counts the days after today up to `last_day` (0 on the last day);
    `stage` names how close ("3d", "2d", "1d", "last"), stable for once-only keys.
    """

    last_day: dt.date
    days_left: int
    stage: str
    text: str


def closing(progress: Progress, *, title: str = "") -> Closing | None:
    """The close deadline or period end of a goal titled `title`, or None.

    Close are: the last `DEADLINE_CLOSE_DAYS` days before a reach or total goal's
    deadline and the deadline itself, while it is not achieved; the last two days of
    a weekly or monthly at-least quota's period, and the one day of a daily one, while
    the period is not met. "3 days to the deadline of Weigh 75 kg: 1.2 kg to go",
    "Last day of the week for Workouts: 1 workout left".
    """
    if progress.status not in _OPEN:
        return None
    with wording.places(progress.places):
        if progress.kind in _PACE_KINDS:
            return _deadline_closing(progress, title)
        if progress.kind == "quota":
            return _period_closing(progress, title)
    return None


def _deadline_closing(progress: Progress, title: str) -> Closing | None:
    days_left = (progress.deadline - progress.today).days
    if not 0 <= days_left <= DEADLINE_CLOSE_DAYS:
        return None
    position = progress.start if progress.current is None else progress.current
    to_go = _amount(progress, abs(progress.target - position))
    of = f" of {title}" if title else ""
    if days_left == 0:
        text = f"Last day{of}: {to_go} to go"
    else:
        end = "deadline" if progress.kind == "reach" else "end"
        text = f"{wording.days(days_left)} to the {end}{of}: {to_go} to go"
    return Closing(progress.deadline, days_left, _stage(days_left), text)


def _period_closing(progress: Progress, title: str) -> Closing | None:
    if progress.comparison != "at_least" or progress.period_status is not PeriodStatus.NOT_YET:
        return None
    days_left = (progress.period_last - progress.today).days
    if days_left > PERIOD_CLOSE_DAYS:
        return None
    left = _amount(progress, progress.target - (progress.current or 0))
    if progress.period == "day":
        text = f"{title}: {left} left today" if title else f"{left} left today"
    else:
        when = "Last day" if days_left == 0 else "Tomorrow is the last day"
        for_title = f" for {title}" if title else ""
        text = f"{when} of the {progress.period}{for_title}: {left} left"
    return Closing(progress.period_last, days_left, _stage(days_left), text)


def _stage(days_left: int) -> str:
    return "last" if days_left == 0 else f"{days_left}d"


def closing_times(closing: Closing, *, reminder_time: dt.time) -> list[tuple[str, dt.time]]:
    """When to tell of `closing` today: (stage, local time) pairs, in time order.

    Before the last day, once, at the owner's reminder time, under the closing's own
    stage. On the last day, at the reminder time ("last") and then at each of the
    `ESCALATION` times that falls after it: 16:00 ("last-8h"), 21:00 ("last-3h") and
    23:00 ("last-1h"). The stage goes into the notice's once-only key, so planning
    the same day again finds what it planned before.

    Times are wall-clock times of the owner's day: on a day the clocks change, "8 h
    before the day ends" is still 16:00. Quiet hours are the sender's to apply (an
    escalation that falls in them waits, and a notice past the day's end expires).
    """
    times = [(closing.stage, reminder_time)]
    if closing.days_left == 0:
        for before in ESCALATION:
            at = (
                dt.datetime.combine(dt.date.min, dt.time()) + dt.timedelta(days=1) - before
            ).time()
            if at > reminder_time:
                times.append((f"{closing.stage}-{_span(before)}", at))
    return sorted(times, key=lambda pair: pair[1])


def _span(before: dt.timedelta) -> str:
    minutes = int(before.total_seconds() // 60)
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


# Today's reminder ---------------------------------------------------------------------


def daily_reminder(items: list[tuple[str, str]]) -> tuple[str, str]:
    """Today's reminder as (title, body), from (goal title, need phrase) pairs in the
    order to show them: ("Today: 2 goals need you", "Weight: 0.8 kg above the line:
    record today's weight\\nWorkouts: 1 workout left this week, 2 days to go").
    With no items: ("Nothing needs you today", ""), for a reminder kept as not sent."""
    if not items:
        return "Nothing needs you today", ""
    if len(items) == 1:
        title = f"Today: {items[0][0]} needs you"
    else:
        title = f"Today: {len(items)} goals need you"
    return title, "\n".join(f"{goal}: {need}" for goal, need in items)


# A change of status -------------------------------------------------------------------

FELL_BEHIND = "fell_behind"
ACHIEVED = "achieved"


def status_change(previous: str, status: str) -> str | None:
    """Which told change a status change is: `FELL_BEHIND` (to behind, from anything
    else), `ACHIEVED` (to achieved), or None for a change nobody is told of (back on
    track, not started to no data). The values are those of `NoticeKind`."""
    if status == previous:
        return None
    if status == ProgressStatus.BEHIND:
        return FELL_BEHIND
    if status == ProgressStatus.ACHIEVED:
        return ACHIEVED
    return None


def status_notice(
    title: str,
    *,
    previous: str,
    status: str,
    percent: int | None = None,
    progress: Progress | None = None,
    metric: str = "",
) -> tuple[str, str] | None:
    """The (title, body) telling that the goal titled `title` fell behind or was
    achieved; None for any other change (see `status_change`).

    The arguments are what a `goal.status_changed` event carries (the goal's title,
    `previous_status`, `status`, `percent`). With the goal's `progress` now (and its
    metric's name), the body says what it needs: ("Weigh 75 kg fell behind", "0.8 kg
    above the line: record today's weight."); without it, the percent.
    """
    change = status_change(previous, status)
    if change is None:
        return None
    if change == ACHIEVED:
        body = progress.summary_text if progress else "Well done: the goal is achieved."
        return f"You achieved {title}", body
    return f"{title} fell behind", _behind_body(title, percent, progress, metric)


def _behind_body(title: str, percent: int | None, progress: Progress | None, metric: str) -> str:
    if progress is None:
        at = f", at {percent} %" if percent is not None else ""
        return f"{title} is behind{at}."
    need = need_today(progress, metric=metric)
    need_sentence = wording.sentence(need) if need else ""
    if progress.kind in _PACE_KINDS and need:
        return need_sentence
    return " ".join(part for part in (progress.summary_text, need_sentence) if part)


# The weekly summary -------------------------------------------------------------------


@dataclass(frozen=True)
class WeekLine:
    """One goal's past week: a sentence, its status in words and its progress in
    percent (reach and total: the way to the target; quota and range: the closed
    periods met, as `Progress.success_rate`)."""

    title: str
    sentence: str
    status_label: str
    percent: int


def week_line(
    title: str, progress: Progress, *, week_first: dt.date, week_last: dt.date
) -> WeekLine:
    """The week from `week_first` to `week_last` of the goal titled `title`, read from
    its `progress` computed with its series at a moment of the day after `week_last`:
    "Down 0.6 kg this week, to 81.2 kg; 0.4 kg ahead of the line", "Added 18 km this
    week; 62 of 100 km", "3 of 3 workouts: met", "Within 7 to 9 h on 5 of 7 days".
    A week the goal was not running (before its start, after its end) reads as the
    goal's headline ("Starts on 2 Mar")."""
    with wording.places(progress.places):
        running = progress.start_date <= week_last and (
            progress.deadline is None or progress.deadline >= week_first
        )
        if running and not progress.series:
            raise ValueError("A week is read from the progress series: compute it with series.")
        words = _WEEKS.get(progress.kind) if running else None
        sentence = words(progress, week_first, week_last) if words else None
    percent = progress.percent if progress.kind in _PACE_KINDS else (progress.success_rate or 0)
    return WeekLine(title, sentence or progress.headline, progress.status_label, percent)


def _reach_week(progress: Progress, first: dt.date, last: dt.date) -> str:
    """The week's last value against the one before the week (or the start value),
    and against the line at the week's end: a value stands until the next one, as the
    mapper holds it."""
    amount = partial(_amount, progress)
    before = [p for p in progress.series if p.day < first and p.value is not None]
    week = [p for p in progress.series if first <= p.day <= last and p.value is not None]
    earlier = before[-1].value if before else progress.start
    if not week:
        return f"Nothing recorded this week; last at {amount(earlier)}"
    end = week[-1]
    change = end.value - earlier
    if wording.number(abs(change)) == "0":
        moved = f"No change this week, at {amount(end.value)}"
    else:
        way = "Down" if change < 0 else "Up"
        moved = f"{way} {amount(abs(change))} this week, to {amount(end.value)}"
    line = next(p.pace for p in reversed(progress.series) if p.day <= last)
    rising = progress.target > progress.start
    ahead = end.value - line if rising else line - end.value
    reached = end.value >= progress.target if rising else end.value <= progress.target
    if reached:
        where = f"reached {amount(progress.target)}"
    elif wording.number(abs(ahead)) == "0":
        where = "on the line"
    else:
        where = f"{amount(abs(ahead))} {'ahead of' if ahead > 0 else 'behind'} the line"
    return f"{moved}; {where}"


def _total_week(progress: Progress, first: dt.date, last: dt.date) -> str:
    totals = {p.day: p.value for p in progress.series}
    end = totals.get(min(last, progress.deadline)) or Decimal(0)
    added = end - (totals.get(first - dt.timedelta(days=1)) or Decimal(0))
    where = f"{wording.number(end)} of {_amount(progress, progress.target)}"
    if added <= 0:
        return f"Nothing added this week; {where}"
    return f"Added {_amount(progress, added)} this week; {where}"


def _periodic_week(progress: Progress, first: dt.date, last: dt.date) -> str | None:
    points = [p for p in progress.series if p.until >= first and p.day <= last]
    if not points:
        return None
    if progress.period == "day":
        return _days_of_week(progress, points)
    return "; ".join(_period_words(progress, point, closed=point.until <= last) for point in points)


def _days_of_week(progress: Progress, points: list[ProgressPoint]) -> str:
    """ "Met on 5 of 7 days"; "Within 7 to 9 h on 5 of 7 days; nothing recorded on 1"."""
    met = sum(1 for point in points if point.status and point.status.is_met)
    of = f"{met} of {wording.days(len(points))}"
    if progress.kind == "quota":
        return f"Met on {of}"
    unknown = sum(1 for point in points if point.value is None)
    nothing = f"; nothing recorded on {unknown}" if unknown else ""
    return f"Within {_rule(progress)} on {of}{nothing}"


def _period_words(progress: Progress, point: ProgressPoint, *, closed: bool) -> str:
    """One week or month: "3 of 3 workouts: met", "2 of at most 3 coffees in March so
    far", "7.5 h: within 7 to 9 h"."""
    month = f" in {point.day:%B}" if progress.period == "month" else ""
    so_far = "" if closed else " so far"
    if progress.kind == "quota":
        at_most = progress.comparison == "at_most"
        limit = _rule(progress) if at_most else _amount(progress, progress.target)
        where = f"{wording.number(point.value or 0)} of {limit}{month}"
        if closed or (point.status is PeriodStatus.MET and not at_most):
            return f"{where}: {point.status.label.lower()}"
        return f"{where} so far"
    if point.value is None:
        return f"Nothing recorded{month}{so_far}"
    return f"{_amount(progress, point.value)}{month}{so_far}: {_band_words(progress, point)}"


def _band_words(progress: Progress, point: ProgressPoint) -> str:
    band = _rule(progress)
    if point.status is PeriodStatus.WITHIN:
        return f"within {band}"
    if point.status is PeriodStatus.NOT_YET:
        return f"{_amount(progress, progress.low - point.value)} to go to {band}"
    return f"{'below' if point.value < progress.low else 'above'} {band}"


_WEEKS: dict[str, Callable[[Progress, dt.date, dt.date], str | None]] = {
    "reach": _reach_week,
    "total": _total_week,
    "quota": _periodic_week,
    "range": _periodic_week,
}


def weekly_summary(
    lines: list[WeekLine], *, week_first: dt.date, week_last: dt.date
) -> tuple[str, str]:
    """The weekly summary as (subject, plain-text body). The body is a table with a
    row per goal, its columns padded for a fixed-width font and split by bars, so it
    also reads where a mail client sets it in a proportional one. Without lines the
    body says so, and whether to send it is the caller's to decide."""
    span = (
        f"{wording.day(week_first, today=week_last)} to {wording.day(week_last, today=week_last)}"
    )
    if not lines:
        return f"Your week: {span}", f"You had no active goals from {span}.\n"
    rows = [("Goal", "This week", "Status", "Progress")] + [
        (line.title, line.sentence, line.status_label, f"{line.percent} %") for line in lines
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]

    def row_text(row: tuple[str, ...]) -> str:
        cells = [cell.ljust(width) for cell, width in zip(row[:3], widths, strict=False)]
        return " | ".join([*cells, row[3].rjust(widths[3])])

    rule = "-+-".join("-" * width for width in widths)
    table = [row_text(rows[0]), rule, *(row_text(row) for row in rows[1:])]
    body = "\n".join([f"Your goals, {span}:", "", *table, ""])
    return f"Your week: {span}", body


# Shared words ------------------------------------------------------------------------


def _amount(progress: Progress, value: Decimal) -> str:
    return wording.amount(value, progress.unit)


def _day(progress: Progress, value: dt.date) -> str:
    return wording.day(value, today=progress.today)


def _rule(progress: Progress) -> str:
    """What each period asks, in the kind's words: "7 to 9 h", "at most 2 coffees"."""
    return kinds.get(progress.kind).rule_words(progress)


def _rounded_up(value: Decimal, places: int | None) -> Decimal:
    """`value` rounded up at the display places: a daily amount shown rounded down
    would fall short of the target."""
    step = Decimal(1).scaleb(-(DEFAULT_PLACES if places is None else places))
    return value.quantize(step, rounding=ROUND_CEILING)


def _noun(metric: str) -> str:
    """A metric's name inside a sentence: "Weight" reads "weight"; "HRV" stays."""
    name = metric.strip() or "value"
    if len(name) > 1 and name[0].isupper() and name[1].islower():
        return name[0].lower() + name[1:]
    return name
