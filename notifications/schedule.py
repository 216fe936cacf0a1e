"""When each person's daily work is due: their reminder time on their own local day,
exact across clock changes. Pure functions over plain values."""

import datetime as dt
from dataclasses import dataclass

from .policy import local_moment
from .selectors import Person

#: How late a daily run may still go out: a scheduler that was down for longer skips
#: that day's reminder rather than send it in the afternoon.
GRACE = dt.timedelta(hours=2)
#: How long a day's reminder stays worth sending once planned.
REMINDER_LIFETIME = dt.timedelta(hours=12)


@dataclass(frozen=True)
class DailyRun:
    """One person's reminder time on one local day, falling due."""

    person: Person
    day: dt.date
    at: dt.datetime

    @property
    def weekly(self) -> bool:
        """The first day of their week: the summary of the week before goes out."""
        return self.day.weekday() == self.person.week_start

    @property
    def week_before(self) -> tuple[dt.date, dt.date]:
        return self.day - dt.timedelta(days=7), self.day - dt.timedelta(days=1)

    @property
    def day_ends(self) -> dt.datetime:
        return local_moment(self.day + dt.timedelta(days=1), dt.time(0), self.person.zone)


def due_runs(people: list[Person], now: dt.datetime) -> list[DailyRun]:
    """The people whose reminder time passed less than `GRACE` ago. Their local
    yesterday is looked at too, for a reminder late in the evening near midnight."""
    runs = []
    for person in people:
        today = now.astimezone(person.zone).date()
        for day in (today - dt.timedelta(days=1), today):
            at = local_moment(day, person.settings.reminder_time, person.zone)
            if at <= now < at + GRACE:
                runs.append(DailyRun(person=person, day=day, at=at))
    return runs
