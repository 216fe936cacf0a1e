"""The mapper end to end, on the database: today and days in the owner's zone, every
kind through the registry, and a fixed number of queries for any number of goals."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from goals.models import Goal
from goals.progress import Progress, progress_for_goal, progress_for_goals

from .progress_factories import BERLIN, day, local, make_goal, make_metric, make_owner, record

pytestmark = pytest.mark.django_db

KIND_FIELDS = {
    "reach": {"start_value": Decimal(82), "target": Decimal(75), "aggregation": "last"},
    "total": {"target": Decimal(100), "aggregation": "sum"},
    "quota": {
        "target": Decimal(3),
        "period": "week",
        "comparison": "at_least",
        "aggregation": "count",
        "deadline": None,
    },
    "range": {
        "target_low": Decimal(7),
        "target_high": Decimal(9),
        "period": "day",
        "period_aggregation": "mean",
        "aggregation": "median",
        "deadline": None,
    },
}


def progress_at(goals, now, zone=BERLIN, week_start=0) -> dict[int, Progress]:
    return progress_for_goals(goals, profile_zone=zone, week_start=week_start, now=now)


@pytest.fixture
def weight():
    return make_metric(make_owner())


def test_today_is_the_owners_local_day(weight):
    goal = make_goal(weight, kind="total", start_date=day("2026-03-30"), deadline=day("2026-04-05"))
    # 22:30 UTC on 29 March is 00:30 on 30 March in Berlin (summer time since 02:00).
    now = dt.datetime(2026, 3, 29, 22, 30, tzinfo=dt.UTC)

    assert progress_at([goal], now)[goal.id].status == "no_data"
    assert progress_at([goal], now, zone=ZoneInfo("UTC"))[goal.id].status == "not_started"


def test_a_measurement_after_midnight_on_the_dst_day_counts_for_that_day(weight):
    goal = make_goal(weight, kind="total", start_date=day("2026-03-29"), deadline=day("2026-03-29"))
    record(weight, "3", local("2026-03-28 23:59"))
    record(weight, "5", local("2026-03-29 00:30"))
    record(weight, "7", local("2026-03-29 23:30"))

    progress = progress_at([goal], local("2026-03-29 23:45"))[goal.id]

    assert progress.current == 12
    assert [point.value for point in progress.series] == [12]


def test_a_reach_goal_from_measurements(weight):
    goal = make_goal(weight, kind="reach", **KIND_FIELDS["reach"])
    record(weight, "82", local("2026-03-01 07:00"))
    record(weight, "79.5", local("2026-03-15 07:00"))
    record(weight, "79", local("2026-03-15 21:00"))

    progress = progress_for_goal(
        goal, profile_zone=BERLIN, week_start=0, now=local("2026-03-16 08:00")
    )

    assert progress.goal_id == goal.id
    assert progress.kind == "reach"
    assert progress.unit == "kg"
    assert progress.current == 79
    assert progress.current_day == day("2026-03-15")
    assert progress.status == "behind"
    assert progress.headline == "4 kg to go"


def test_the_single_goal_path_is_the_batch_path(weight):
    goal = make_goal(weight)
    record(weight, "10", local("2026-03-02 12:00"))
    now = local("2026-03-05 12:00")

    single = progress_for_goal(goal, profile_zone=BERLIN, week_start=0, now=now)

    assert single == progress_at([goal], now)[goal.id]


def test_weeks_follow_the_owners_week_start(weight):
    goal = make_goal(weight, kind="quota", start_date=day("2026-03-02"), **KIND_FIELDS["quota"])
    record(weight, "1", local("2026-03-08 09:00"))  # a Sunday

    monday = progress_at([goal], local("2026-03-10 12:00"), week_start=0)[goal.id]
    sunday = progress_at([goal], local("2026-03-10 12:00"), week_start=6)[goal.id]

    assert (monday.period_first, monday.current) == (day("2026-03-09"), None)
    assert (sunday.period_first, sunday.current) == (day("2026-03-08"), 1)


def test_an_unregistered_kind_is_an_error(weight):
    goal = make_goal(weight, kind="teleport")

    with pytest.raises(LookupError, match="teleport"):
        progress_at([goal], local("2026-03-05 12:00"))


def test_no_goals_no_queries(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert progress_at([], local("2026-03-05 12:00")) == {}


def _every_kind(count: int) -> list[Goal]:
    owner = make_owner(f"owner{count}")
    kinds = list(KIND_FIELDS)
    for index in range(count):
        metric = make_metric(owner, name=f"Metric {index}")
        for offset in range(4):
            record(metric, str(80 - offset), local(f"2026-03-0{offset + 2} 0{offset}:30"))
        kind = kinds[index % len(kinds)]
        make_goal(metric, kind=kind, **KIND_FIELDS[kind])
    return list(Goal.objects.filter(owner=owner).select_related("metric"))


def test_the_number_of_queries_does_not_grow_with_the_goals():
    few, many = _every_kind(4), _every_kind(24)
    counts = []
    for goals in (few, many):
        with CaptureQueriesContext(connection) as queries:
            found = progress_at(goals, local("2026-03-10 12:00"))
        assert set(found) == {goal.id for goal in goals}
        counts.append(len(queries))

    # sum/count/min/max/mean, first/last, median: one query each.
    assert counts == [3, 3]


def test_goals_read_without_their_metric_take_one_more_query(django_assert_num_queries):
    goals = list(Goal.objects.filter(id__in=[goal.id for goal in _every_kind(4)]))

    with django_assert_num_queries(4):
        progress_at(goals, local("2026-03-10 12:00"))
