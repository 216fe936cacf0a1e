"""The words of notifications, from real goals and measurements through the one
progress mapper. March 2026: the 1st is a Sunday, the 2nd a Monday; the owner lives
in Berlin and starts weeks on Monday unless a case says otherwise."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from events.models import Event
from goals.progress import Progress, progress_for_goals
from measurements.contracts import RecordMeasurement
from measurements.orchestrators import record_measurement
from notifications.content import (
    Closing,
    WeekLine,
    closing,
    closing_times,
    daily_reminder,
    need_today,
    status_notice,
    week_line,
    weekly_summary,
)
from tests.factories import GoalFactory, MeasurementFactory, MetricFactory

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def local(text: str) -> dt.datetime:
    """An aware Berlin moment: "2026-03-11 12:00", or a day alone for 08:00."""
    moment = text if " " in text else f"{text} 08:00"
    return dt.datetime.fromisoformat(moment).replace(tzinfo=BERLIN)


WEIGHT = (
    {"name": "Weight", "unit": "kg"},
    {
        "title": "Weigh 75 kg",
        "kind": "reach",
        "start_value": Decimal(82),
        "target": Decimal(75),
        "start_date": day("2026-03-01"),
        "deadline": day("2026-03-31"),
        "aggregation": "last",
    },
)
DEADLIFT = (
    {"name": "Deadlift", "unit": "kg"},
    {**WEIGHT[1], "title": "Deadlift 130 kg", "start_value": Decimal(100), "target": Decimal(130)},
)
RUN = (
    {"name": "Running distance", "unit": "km"},
    {
        "title": "Run 100 km in March",
        "kind": "total",
        "start_value": None,
        "target": Decimal(100),
        "start_date": day("2026-03-01"),
        "deadline": day("2026-03-31"),
        "aggregation": "sum",
    },
)
#: The same run with values shown to two decimals.
RUN_PRECISE = ({**RUN[0], "display_places": 2}, RUN[1])
PERIODIC = {"start_value": None, "deadline": None, "start_date": day("2026-03-02")}
WORKOUTS = (
    {"name": "Workouts", "unit": "workouts"},
    {
        **PERIODIC,
        "title": "Workouts",
        "kind": "quota",
        "target": Decimal(3),
        "period": "week",
        "comparison": "at_least",
        "aggregation": "count",
    },
)
WATER = (
    {"name": "Water", "unit": "glasses"},
    {
        **PERIODIC,
        "title": "Water",
        "kind": "quota",
        "target": Decimal(8),
        "period": "day",
        "comparison": "at_least",
        "aggregation": "sum",
    },
)
COFFEE = (
    {"name": "Coffee", "unit": "coffees"},
    {**WATER[1], "title": "Coffee", "target": Decimal(2), "comparison": "at_most"},
)
BOOKS = (
    {"name": "Books", "unit": "books"},
    {**WATER[1], "title": "Read", "target": Decimal(4), "period": "month"},
)
SLEEP = (
    {"name": "Sleep", "unit": "h"},
    {
        **PERIODIC,
        "title": "Sleep",
        "kind": "range",
        "target": None,
        "target_low": Decimal(7),
        "target_high": Decimal(9),
        "period": "day",
        "period_aggregation": "mean",
        "aggregation": "sum",
    },
)
WEEKLY_SLEEP = (SLEEP[0], {**SLEEP[1], "title": "Sleep weekly", "period": "week"})
FLUIDS = (
    {"name": "Fluids", "unit": "l"},
    {
        **SLEEP[1],
        "title": "Drink",
        "target_low": Decimal(2),
        "target_high": Decimal(3),
        "period_aggregation": "sum",
    },
)


def progress_of(goal, values: dict[str, str], *, today: str, week_start: int = 0) -> Progress:
    """The progress on `today` (noon, Berlin, unless a time is given) of a new goal
    (metric fields, goal fields) with the values recorded by local day or moment."""
    metric_fields, goal_fields = goal
    metric = MetricFactory(**metric_fields)
    created = GoalFactory(metric=metric, **goal_fields)
    for when, value in values.items():
        MeasurementFactory(metric=metric, value=Decimal(value), measured_at=local(when))
    now = local(today if " " in today else f"{today} 12:00")
    batch = progress_for_goals([created], profile_zone=BERLIN, week_start=week_start, now=now)
    return batch[created.id]


# What a goal needs today ---------------------------------------------------------------

NEEDS = {
    # Reach down 82 -> 75 over March: the line falls 7/30 kg a day, 79.67 kg on the 11th.
    "reach down, behind": (
        WEIGHT,
        {"2026-03-10": "80.5"},
        "2026-03-11",
        "0.8 kg above the line: record today's weight",
    ),
    "reach down, behind, today's value in": (
        WEIGHT,
        {"2026-03-11": "80.5"},
        "2026-03-11",
        "0.8 kg above the line: the line is at 79.7 kg today",
    ),
    "reach down, two days ahead": (WEIGHT, {"2026-03-10": "79"}, "2026-03-11", None),
    "reach down, ahead by less than a day": (
        WEIGHT,
        {"2026-03-10": "79.6"},
        "2026-03-11",
        "On the line with no day to spare: record today's weight",
    ),
    "reach down, no day to spare but today's value in": (
        WEIGHT,
        {"2026-03-11": "79.6"},
        "2026-03-11",
        None,
    ),
    "reach, first day with nothing recorded": (WEIGHT, {}, "2026-03-01", "Record today's weight"),
    "reach, not started": (WEIGHT, {}, "2026-02-27", None),
    "reach, achieved": (WEIGHT, {"2026-03-10": "74.9"}, "2026-03-11", None),
    "reach, failed": (WEIGHT, {"2026-03-30": "78"}, "2026-04-02", None),
    # Reach up 100 -> 130: the line climbs 1 kg a day, 110 kg on the 11th.
    "reach up, behind": (
        DEADLIFT,
        {"2026-03-10": "108"},
        "2026-03-11",
        "2 kg below the line: record today's deadlift",
    ),
    "reach up, ahead": (DEADLIFT, {"2026-03-10": "113"}, "2026-03-11", None),
    # Total 100 km over March's 31 days: 32.26 km due by the end of the 10th.
    "total, behind": (
        RUN,
        {"2026-03-05": "20"},
        "2026-03-11",
        "12.3 km behind pace: 3.9 km a day reaches 100 km by 31 Mar",
    ),
    "total, behind, two decimals": (
        RUN_PRECISE,
        {"2026-03-05": "20"},
        "2026-03-11",
        "12.26 km behind pace: 3.81 km a day reaches 100 km by 31 Mar",
    ),
    "total, two days ahead": (RUN, {"2026-03-05": "40"}, "2026-03-11", None),
    "total, ahead by less than a day": (
        RUN,
        {"2026-03-05": "33"},
        "2026-03-11",
        "No day to spare: 3.2 km a day reaches 100 km by 31 Mar",
    ),
    "total, last day": (
        RUN,
        {"2026-03-20": "95"},
        "2026-03-31",
        "1.8 km behind pace: 5 km today reaches 100 km",
    ),
    "total, first day with nothing recorded": (
        RUN,
        {},
        "2026-03-01",
        "Nothing yet: 3.3 km a day reaches 100 km by 31 Mar",
    ),
    "total, achieved": (RUN, {"2026-03-05": "100"}, "2026-03-11", None),
    # Quota, at least 3 workouts a week (Monday to Sunday).
    "weekly quota, open on Friday": (
        WORKOUTS,
        {"2026-03-02": "1", "2026-03-04": "1"},
        "2026-03-06",
        "1 workout left this week, 3 days to go",
    ),
    "weekly quota, last day": (
        WORKOUTS,
        {"2026-03-03": "1"},
        "2026-03-08",
        "2 workouts left this week, last day",
    ),
    "weekly quota, nothing yet in the first week": (
        WORKOUTS,
        {},
        "2026-03-02",
        "3 workouts left this week, 7 days to go",
    ),
    "weekly quota, met": (
        WORKOUTS,
        {"2026-03-02": "1", "2026-03-03": "1", "2026-03-04": "1"},
        "2026-03-05",
        None,
    ),
    "weekly quota, behind after a missed week, still asks for this one": (
        WORKOUTS,
        {"2026-03-02": "1"},
        "2026-03-10",
        "3 workouts left this week, 6 days to go",
    ),
    "daily quota, open": (
        WATER,
        {"2026-03-05 08:00": "6"},
        "2026-03-05",
        "2 glasses left today",
    ),
    "daily quota, one left": (WATER, {"2026-03-05 08:00": "7"}, "2026-03-05", "1 glass left today"),
    "daily quota, met": (WATER, {"2026-03-05 08:00": "8"}, "2026-03-05", None),
    "monthly quota, two days before the month ends": (
        BOOKS,
        {"2026-03-10": "1"},
        "2026-03-30",
        "3 books left this month, 2 days to go",
    ),
    "at-most quota, under the limit": (COFFEE, {"2026-03-05 08:00": "1"}, "2026-03-05", None),
    "at-most quota, over the limit": (COFFEE, {"2026-03-05 08:00": "3"}, "2026-03-05", None),
    # Range, 7 to 9 h of sleep a night.
    "range, nothing recorded today": (
        SLEEP,
        {"2026-03-04": "8"},
        "2026-03-05",
        "Record today's sleep",
    ),
    "range, first day": (SLEEP, {}, "2026-03-02", "Record today's sleep"),
    "range, within today": (SLEEP, {"2026-03-05 07:00": "8"}, "2026-03-05", None),
    "range, outside today": (SLEEP, {"2026-03-05 07:00": "6"}, "2026-03-05", None),
    "range by the week, nothing this week": (
        WEEKLY_SLEEP,
        {"2026-03-03": "8"},
        "2026-03-13",
        "Record this week's sleep, 3 days to go",
    ),
    "range of a sum, still below the low bound": (
        FLUIDS,
        {"2026-03-05 08:00": "1.5"},
        "2026-03-05",
        "0.5 l to go to 2 to 3 l today",
    ),
    "range, not started": (SLEEP, {}, "2026-03-01", None),
}


@pytest.mark.parametrize(("goal", "values", "today", "expected"), NEEDS.values(), ids=NEEDS)
def test_need_today(goal, values, today, expected):
    progress = progress_of(goal, values, today=today)
    assert need_today(progress, metric=goal[0]["name"]) == expected


def test_the_need_is_judged_on_the_owners_local_day():
    """23:30 UTC on Saturday 7 March is Sunday in Berlin: the week's last day."""
    progress = progress_of(WORKOUTS, {"2026-03-03": "1"}, today="2026-03-08 00:30")
    assert progress.today == day("2026-03-08")
    assert need_today(progress) == "2 workouts left this week, last day"


def test_a_metric_name_that_is_an_acronym_keeps_its_capitals():
    metric, goal = SLEEP
    progress = progress_of(({**metric, "name": "HRV"}, goal), {}, today="2026-03-03")
    assert need_today(progress, metric="HRV") == "Record today's HRV"


# A deadline or period end that is close ---------------------------------------------------

CLOSINGS = {
    "reach, four days before the deadline: not yet": (
        WEIGHT,
        {"2026-03-26": "76.2"},
        "2026-03-27",
        0,
        None,
    ),
    "reach, three days before": (
        WEIGHT,
        {"2026-03-27": "76.2"},
        "2026-03-28",
        0,
        Closing(day("2026-03-31"), 3, "3d", "3 days to the deadline of Weigh 75 kg: 1.2 kg to go"),
    ),
    "reach, the day before": (
        WEIGHT,
        {"2026-03-27": "76.2"},
        "2026-03-30",
        0,
        Closing(day("2026-03-31"), 1, "1d", "1 day to the deadline of Weigh 75 kg: 1.2 kg to go"),
    ),
    "reach, on the deadline": (
        WEIGHT,
        {"2026-03-27": "76.2"},
        "2026-03-31",
        0,
        Closing(day("2026-03-31"), 0, "last", "Last day of Weigh 75 kg: 1.2 kg to go"),
    ),
    "reach, achieved before the deadline": (WEIGHT, {"2026-03-27": "75"}, "2026-03-30", 0, None),
    "total, two days before the end": (
        RUN,
        {"2026-03-27": "92"},
        "2026-03-29",
        0,
        Closing(day("2026-03-31"), 2, "2d", "2 days to the end of Run 100 km in March: 8 km to go"),
    ),
    "total, after the end": (RUN, {"2026-03-27": "92"}, "2026-04-01", 0, None),
    "weekly quota, Friday: not yet": (WORKOUTS, {"2026-03-03": "1"}, "2026-03-06", 0, None),
    "weekly quota, Saturday": (
        WORKOUTS,
        {"2026-03-03": "1", "2026-03-05": "1"},
        "2026-03-07",
        0,
        Closing(
            day("2026-03-08"),
            1,
            "1d",
            "Tomorrow is the last day of the week for Workouts: 1 workout left",
        ),
    ),
    "weekly quota, Sunday": (
        WORKOUTS,
        {"2026-03-03": "1", "2026-03-05": "1"},
        "2026-03-08",
        0,
        Closing(day("2026-03-08"), 0, "last", "Last day of the week for Workouts: 1 workout left"),
    ),
    "weekly quota, met": (
        WORKOUTS,
        {"2026-03-03": "1", "2026-03-04": "1", "2026-03-05": "1"},
        "2026-03-08",
        0,
        None,
    ),
    "weeks from Sunday: Saturday is the last day": (
        WORKOUTS,
        {"2026-03-03": "1"},
        "2026-03-07",
        6,
        Closing(day("2026-03-07"), 0, "last", "Last day of the week for Workouts: 2 workouts left"),
    ),
    "weeks from Sunday: Sunday opens a new week": (
        WORKOUTS,
        {"2026-03-03": "1"},
        "2026-03-08",
        6,
        None,
    ),
    "daily quota": (
        WATER,
        {"2026-03-05 08:00": "6"},
        "2026-03-05",
        0,
        Closing(day("2026-03-05"), 0, "last", "Water: 2 glasses left today"),
    ),
    "monthly quota, the day before the month ends": (
        BOOKS,
        {"2026-03-10": "3"},
        "2026-03-30",
        0,
        Closing(
            day("2026-03-31"),
            1,
            "1d",
            "Tomorrow is the last day of the month for Read: 1 book left",
        ),
    ),
    "monthly quota, three days before: not yet": (BOOKS, {}, "2026-03-29", 0, None),
    "at-most quota": (COFFEE, {"2026-03-05 08:00": "1"}, "2026-03-05", 0, None),
    "range": (SLEEP, {}, "2026-03-05", 0, None),
}


@pytest.mark.parametrize(
    ("goal", "values", "today", "week_start", "expected"), CLOSINGS.values(), ids=CLOSINGS
)
def test_closing(goal, values, today, week_start, expected):
    progress = progress_of(goal, values, today=today, week_start=week_start)
    assert closing(progress, title=goal[1]["title"]) == expected


def test_a_closing_reads_without_a_title():
    progress = progress_of(WORKOUTS, {}, today="2026-03-08")
    assert closing(progress).text == "Last day of the week: 3 workouts left"


def at(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


CLOSING_TIMES = {
    "before the last day: the reminder time only": (
        Closing(day("2026-03-31"), 2, "2d", ""),
        "07:00",
        [("2d", "07:00")],
    ),
    "the last day from the morning: every escalation": (
        Closing(day("2026-03-31"), 0, "last", ""),
        "07:00",
        [("last", "07:00"), ("last-8h", "16:00"), ("last-3h", "21:00"), ("last-1h", "23:00")],
    ),
    "the last day from the evening: the escalations still to come": (
        Closing(day("2026-03-31"), 0, "last", ""),
        "20:00",
        [("last", "20:00"), ("last-3h", "21:00"), ("last-1h", "23:00")],
    ),
    "an escalation at the reminder time is not sent twice": (
        Closing(day("2026-03-31"), 0, "last", ""),
        "21:00",
        [("last", "21:00"), ("last-1h", "23:00")],
    ),
    "a reminder late at night": (
        Closing(day("2026-03-31"), 0, "last", ""),
        "23:30",
        [("last", "23:30")],
    ),
}


@pytest.mark.parametrize(
    ("found", "reminder", "expected"), CLOSING_TIMES.values(), ids=CLOSING_TIMES
)
def test_closing_times(found, reminder, expected):
    times = closing_times(found, reminder_time=at(reminder))
    assert times == [(stage, at(time)) for stage, time in expected]


# Today's reminder --------------------------------------------------------------------------


def test_a_reminder_for_one_goal_names_it():
    progress = progress_of(WEIGHT, {"2026-03-10": "80.5"}, today="2026-03-11")
    need = need_today(progress, metric="Weight")

    assert daily_reminder([("Weight", need)]) == (
        "Today: Weight needs you",
        "Weight: 0.8 kg above the line: record today's weight",
    )


def test_a_reminder_for_several_goals_counts_them_and_has_a_line_each():
    title, body = daily_reminder(
        [
            ("Weight", "0.8 kg above the line: record today's weight"),
            ("Workouts", "1 workout left this week, 2 days to go"),
        ]
    )
    assert title == "Today: 2 goals need you"
    assert body.splitlines() == [
        "Weight: 0.8 kg above the line: record today's weight",
        "Workouts: 1 workout left this week, 2 days to go",
    ]


def test_a_reminder_of_nothing_says_so():
    assert daily_reminder([]) == ("Nothing needs you today", "")


# A change of status --------------------------------------------------------------------------


def test_the_status_change_event_carries_what_the_notice_needs():
    """A measurement that puts a goal behind records `goal.status_changed`; its data
    and the goal's progress make the notice."""
    metric = MetricFactory(name="Weight", unit="kg")
    goal = GoalFactory(metric=metric, standing="on_track", **WEIGHT[1])
    now = local("2026-03-11 12:00")
    command = RecordMeasurement(metric_id=metric.id, value=Decimal("80.5"), measured_at=now)
    assert record_measurement(command, actor_id=goal.owner_id, now=now).ok
    data = Event.objects.get(type="goal.status_changed").data
    progress = progress_for_goals([goal], profile_zone=BERLIN, week_start=0, now=now)[goal.id]

    notice = status_notice(
        data["goal"]["title"],
        previous=data["previous_status"],
        status=data["status"],
        percent=data["percent"],
        progress=progress,
        metric=metric.name,
    )

    assert notice == (
        "Weigh 75 kg fell behind",
        "0.8 kg above the line: the line is at 79.7 kg today.",
    )


STATUS_NOTICES = {
    "reach fell behind": (
        WEIGHT,
        {"2026-03-10": "80.5"},
        "2026-03-11",
        "on_track",
        (
            "Weigh 75 kg fell behind",
            "0.8 kg above the line: record today's weight.",
        ),
    ),
    "total fell behind": (
        RUN,
        {"2026-03-05": "20"},
        "2026-03-11",
        "on_track",
        (
            "Run 100 km in March fell behind",
            "12.3 km behind pace: 3.9 km a day reaches 100 km by 31 Mar.",
        ),
    ),
    "quota fell behind: the record, then this week": (
        WORKOUTS,
        {"2026-03-02": "1"},
        "2026-03-10",
        "on_track",
        (
            "Workouts fell behind",
            "Met 0 of 1 week; needs every week. 3 workouts left this week, 6 days to go.",
        ),
    ),
    "range fell behind with today recorded: the record alone": (
        SLEEP,
        {"2026-03-02 07:00": "6", "2026-03-03 07:00": "8"},
        "2026-03-03",
        "on_track",
        ("Sleep fell behind", "Met 0 of 1 day; needs every day."),
    ),
    "total achieved": (
        RUN,
        {"2026-03-05": "60", "2026-03-09": "45"},
        "2026-03-11",
        "on_track",
        ("You achieved Run 100 km in March", "Reached 100 km on 9 Mar; 105 km in all."),
    ),
    "back on track: nothing to tell": (
        WEIGHT,
        {"2026-03-10": "79"},
        "2026-03-11",
        "behind",
        None,
    ),
}


@pytest.mark.parametrize(
    ("goal", "values", "today", "previous", "expected"),
    STATUS_NOTICES.values(),
    ids=STATUS_NOTICES,
)
def test_status_notice(goal, values, today, previous, expected):
    progress = progress_of(goal, values, today=today)
    notice = status_notice(
        goal[1]["title"],
        previous=previous,
        status=progress.status,
        percent=progress.percent,
        progress=progress,
        metric=goal[0]["name"],
    )
    assert notice == expected


def test_a_status_notice_without_progress_says_the_percent():
    assert status_notice("Weight", previous="on_track", status="behind", percent=40) == (
        "Weight fell behind",
        "Weight is behind, at 40 %.",
    )
    assert status_notice("Weight", previous="behind", status="achieved", percent=100) == (
        "You achieved Weight",
        "Well done: the goal is achieved.",
    )
    assert status_notice("Weight", previous="behind", status="behind") is None


# The weekly summary ----------------------------------------------------------------------------

#: The week of Monday 9 to Sunday 15 March, read on Monday 16 March.
WEEK = {"week_first": day("2026-03-09"), "week_last": day("2026-03-15")}
MONDAY = "2026-03-16 06:00"

WEEK_LINES = {
    # The line stands at 78.73 kg on Sunday the 15th (82 - 7/30 x 14).
    "reach, down and ahead": (
        WEIGHT,
        {"2026-03-06": "78.8", "2026-03-10": "78.5", "2026-03-14": "78.2"},
        "Down 0.6 kg this week, to 78.2 kg; 0.5 kg ahead of the line",
        "On track",
        54,
    ),
    "reach, up and behind": (
        WEIGHT,
        {"2026-03-06": "79.8", "2026-03-14": "80"},
        "Up 0.2 kg this week, to 80 kg; 1.3 kg behind the line",
        "Behind",
        28,
    ),
    "reach, nothing this week": (
        WEIGHT,
        {"2026-03-06": "79.8"},
        "Nothing recorded this week; last at 79.8 kg",
        "Behind",
        31,
    ),
    "reach, first week from the start value": (
        ({"name": "Weight", "unit": "kg"}, {**WEIGHT[1], "start_date": day("2026-03-10")}),
        {"2026-03-15": "81.5"},
        "Down 0.5 kg this week, to 81.5 kg; 1.2 kg behind the line",
        "Behind",
        7,
    ),
    "reach up, reached": (
        DEADLIFT,
        {"2026-03-12": "131"},
        "Up 31 kg this week, to 131 kg; reached 130 kg",
        "Achieved",
        100,
    ),
    "reach, not started": (
        ({"name": "Weight", "unit": "kg"}, {**WEIGHT[1], "start_date": day("2026-03-20")}),
        {},
        "Starts on 20 Mar",
        "Not started",
        0,
    ),
    "total": (
        RUN,
        {"2026-03-05": "44", "2026-03-10": "8", "2026-03-14": "10"},
        "Added 18 km this week; 62 of 100 km",
        "On track",
        62,
    ),
    "total, two decimals, nothing added": (
        RUN_PRECISE,
        {"2026-03-05": "44.25"},
        "Nothing added this week; 44.25 of 100 km",
        "Behind",
        44,
    ),
    "weekly quota, met": (
        WORKOUTS,
        {"2026-03-09": "1", "2026-03-11": "1", "2026-03-13": "1"},
        "3 of 3 workouts: met",
        "Behind",
        50,
    ),
    "weekly quota, missed": (
        WORKOUTS,
        {"2026-03-02": "1", "2026-03-03": "1", "2026-03-04": "1", "2026-03-11": "1"},
        "1 of 3 workouts: missed",
        "Behind",
        50,
    ),
    "daily quota": (
        WATER,
        {f"2026-03-{d:02}": "8" for d in range(9, 14)},
        "Met on 5 of 7 days",
        "Behind",
        36,
    ),
    "at-most quota, a month still open": (
        ({"name": "Coffee", "unit": "coffees"}, {**COFFEE[1], "period": "month", "target": 40}),
        {"2026-03-02": "10", "2026-03-12": "3"},
        "13 of at most 40 coffees in March so far",
        "On track",
        0,
    ),
    "monthly quota, still open": (
        BOOKS,
        {"2026-03-10": "3"},
        "3 of 4 books in March so far",
        "On track",
        0,
    ),
    "monthly quota, met while open": (
        BOOKS,
        {"2026-03-10": "4"},
        "4 of 4 books in March: met",
        "On track",
        0,
    ),
    "range by the day": (
        SLEEP,
        {f"2026-03-{d:02} 07:00": v for d, v in zip(range(9, 15), "887986", strict=True)},
        "Within 7 to 9 h on 5 of 7 days; nothing recorded on 1",
        "Below range",
        36,
    ),
    "range by the week": (
        WEEKLY_SLEEP,
        {"2026-03-10": "7", "2026-03-12": "8"},
        "7.5 h: within 7 to 9 h",
        "Behind",
        50,
    ),
}


@pytest.mark.parametrize(
    ("goal", "values", "sentence", "status_label", "percent"),
    WEEK_LINES.values(),
    ids=WEEK_LINES,
)
def test_week_line(goal, values, sentence, status_label, percent):
    progress = progress_of(goal, values, today=MONDAY)
    line = week_line(goal[1]["title"], progress, **WEEK)
    assert line == WeekLine(goal[1]["title"], sentence, status_label, percent)


def test_a_week_across_the_deadline_ends_with_it():
    values = {"2026-03-27": "90", "2026-03-31": "4", "2026-04-01": "20"}
    progress = progress_of(RUN, values, today="2026-04-06 06:00")
    line = week_line("Run", progress, week_first=day("2026-03-30"), week_last=day("2026-04-05"))
    assert line.sentence == "Added 4 km this week; 94 of 100 km"
    assert line.status_label == "Failed"


def test_a_week_across_two_months_reads_each():
    """Monday 30 March to Sunday 5 April, read on Monday 6 April."""
    values = {"2026-03-10": "4", "2026-04-01": "1"}
    progress = progress_of(BOOKS, values, today="2026-04-06 06:00")
    line = week_line("Read", progress, week_first=day("2026-03-30"), week_last=day("2026-04-05"))
    assert line == WeekLine(
        "Read", "4 of 4 books in March: met; 1 of 4 books in April so far", "On track", 100
    )


def test_a_week_line_needs_the_series():
    metric, goal = WEIGHT
    created = GoalFactory(metric=MetricFactory(**metric), **goal)
    progress = progress_for_goals(
        [created], profile_zone=BERLIN, week_start=0, now=local(MONDAY), series=False
    )[created.id]
    with pytest.raises(ValueError):
        week_line("Weight", progress, **WEEK)


def test_the_weekly_summary_is_a_plain_text_table():
    lines = [
        WeekLine("Weigh 75 kg", "Down 0.6 kg this week, to 79.2 kg", "On track", 40),
        WeekLine("Workouts", "1 of 3 workouts: missed", "Behind", 50),
        WeekLine("Run 100 km in March", "Added 18 km this week; 62 of 100 km", "On track", 100),
    ]

    subject, body = weekly_summary(lines, **WEEK)

    assert subject == "Your week: 9 Mar to 15 Mar"
    assert body.splitlines() == [
        "Your goals, 9 Mar to 15 Mar:",
        "",
        "Goal                | This week                           | Status   | Progress",
        "--------------------+-------------------------------------+----------+---------",
        "Weigh 75 kg         | Down 0.6 kg this week, to 79.2 kg   | On track |     40 %",
        "Workouts            | 1 of 3 workouts: missed             | Behind   |     50 %",
        "Run 100 km in March | Added 18 km this week; 62 of 100 km | On track |    100 %",
    ]


def test_a_weekly_summary_across_new_year_names_the_years():
    lines = [WeekLine("Weight", "Down 1 kg this week, to 80 kg", "On track", 20)]
    subject, _ = weekly_summary(lines, week_first=day("2025-12-29"), week_last=day("2026-01-04"))
    assert subject == "Your week: 29 Dec 2025 to 4 Jan"


def test_a_weekly_summary_without_goals_says_so():
    assert weekly_summary([], **WEEK) == (
        "Your week: 9 Mar to 15 Mar",
        "You had no active goals from 9 Mar to 15 Mar.\n",
    )
