"""The daily values selector, on the database: each aggregation, days cut in the
owner's time zone, only the days asked for, and a fixed number of queries."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from goals.choices import Aggregation
from goals.daily_values import daily_values_for_goals, units_for_goals
from goals.kinds.days import DayRange
from goals.models import Goal

from .progress_factories import BERLIN, day, local, make_goal, make_metric, make_owner, record

pytestmark = pytest.mark.django_db

MARCH = DayRange(day("2026-03-01"), day("2026-03-31"))


def values_of(goal, zone=BERLIN, days=MARCH):
    return daily_values_for_goals([goal], zone=zone, ranges={goal.id: days})[goal.id].values


@pytest.fixture
def metric():
    return make_metric(make_owner())


@pytest.mark.parametrize(
    ("aggregation", "expected"),
    [
        ("first", "3"),
        ("last", "2.5"),
        ("min", "-1"),
        ("max", "4"),
        ("sum", "8.5"),
        ("count", "4"),
        ("mean", "2.125"),
        ("median", "2.75"),
    ],
)
def test_each_aggregation_makes_the_days_value(metric, aggregation, expected):
    for value, at in [("3", "08:00"), ("-1", "09:00"), ("4", "12:00"), ("2.5", "21:00")]:
        record(metric, value, local(f"2026-03-10 {at}"))
    goal = make_goal(metric, aggregation=aggregation)

    assert values_of(goal) == {day("2026-03-10"): Decimal(expected)}


def test_first_and_last_break_ties_by_recording_order(metric):
    first = record(metric, "1", local("2026-03-10 08:00"))
    record(metric, "2", first.measured_at)

    assert values_of(make_goal(metric, aggregation="first")) == {day("2026-03-10"): 1}
    assert values_of(make_goal(metric, aggregation="last")) == {day("2026-03-10"): 2}


def test_median_of_an_odd_count_and_a_mean_that_does_not_divide(metric):
    for value in ("1", "1", "2"):
        record(metric, value, local("2026-03-10 08:00"))

    assert values_of(make_goal(metric, aggregation="median")) == {day("2026-03-10"): 1}
    assert values_of(make_goal(metric, aggregation="mean")) == {
        day("2026-03-10"): Decimal("1.333333")
    }


def test_tiny_and_negative_values_keep_their_six_places(metric):
    record(metric, "0.000001", local("2026-03-10 08:00"))
    record(metric, "0.000002", local("2026-03-10 09:00"))
    record(metric, "-12345.678901", local("2026-03-11 09:00"))

    assert values_of(make_goal(metric, aggregation="sum")) == {
        day("2026-03-10"): Decimal("0.000003"),
        day("2026-03-11"): Decimal("-12345.678901"),
    }


@pytest.mark.parametrize(
    ("moment", "local_day"),
    [
        # Spring forward in Berlin (29 Mar 2026, 02:00 -> 03:00): 00:30 is still CET.
        (local("2026-03-29 00:30"), "2026-03-29"),
        (local("2026-03-28 23:59"), "2026-03-28"),
        (local("2026-03-29 23:30"), "2026-03-29"),
        (dt.datetime(2026, 3, 28, 23, 30, tzinfo=dt.UTC), "2026-03-29"),
        (dt.datetime(2026, 3, 29, 22, 30, tzinfo=dt.UTC), "2026-03-30"),
        # Fall back (25 Oct 2026, 03:00 -> 02:00): 00:30 is still CEST (UTC+2).
        (local("2026-10-25 00:30"), "2026-10-25"),
        (dt.datetime(2026, 10, 24, 22, 30, tzinfo=dt.UTC), "2026-10-25"),
        (dt.datetime(2026, 10, 25, 22, 30, tzinfo=dt.UTC), "2026-10-25"),
        (dt.datetime(2026, 10, 25, 23, 30, tzinfo=dt.UTC), "2026-10-26"),
    ],
)
def test_days_are_cut_in_the_owners_time_zone(metric, moment, local_day):
    record(metric, "1", moment)
    goal = make_goal(metric, aggregation="count")
    whole_year = DayRange(day("2026-01-01"), day("2026-12-31"))

    assert values_of(goal, days=whole_year) == {day(local_day): 1}


def test_the_same_moment_is_another_day_in_another_zone(metric):
    record(metric, "1", dt.datetime(2026, 3, 10, 3, 0, tzinfo=dt.UTC))
    goal = make_goal(metric, aggregation="count")

    assert values_of(goal, zone=ZoneInfo("America/New_York")) == {day("2026-03-09"): 1}
    assert values_of(goal, zone=ZoneInfo("Asia/Tokyo")) == {day("2026-03-10"): 1}


def test_only_the_days_asked_for_are_read(metric):
    record(metric, "1", local("2026-03-04 23:59"))
    record(metric, "2", local("2026-03-05 00:00"))
    record(metric, "3", local("2026-03-07 23:59"))
    record(metric, "4", local("2026-03-08 00:00"))
    goal = make_goal(metric, aggregation="sum")

    assert values_of(goal, days=DayRange(day("2026-03-05"), day("2026-03-07"))) == {
        day("2026-03-05"): 2,
        day("2026-03-07"): 3,
    }


def test_an_empty_range_reads_nothing(metric, django_assert_num_queries):
    record(metric, "1", local("2026-03-05 12:00"))
    goal = make_goal(metric)

    with django_assert_num_queries(0):
        found = daily_values_for_goals(
            [goal], zone=BERLIN, ranges={goal.id: DayRange(day("2026-03-02"), day("2026-03-01"))}
        )

    assert found[goal.id].values == {}


def test_goals_over_one_metric_each_get_their_own_days_and_aggregation(metric):
    for value, at in [("1", "2026-03-05 08:00"), ("5", "2026-03-05 09:00"), ("7", "2026-03-20")]:
        record(metric, value, local(at))
    early = make_goal(metric, aggregation="max")
    late = make_goal(metric, aggregation="sum")
    median = make_goal(metric, aggregation="median")

    found = daily_values_for_goals(
        [early, late, median],
        zone=BERLIN,
        ranges={
            early.id: DayRange(day("2026-03-01"), day("2026-03-10")),
            late.id: DayRange(day("2026-03-04"), day("2026-03-31")),
            median.id: MARCH,
        },
    )

    assert found[early.id].values == {day("2026-03-05"): 5}
    assert found[late.id].values == {day("2026-03-05"): 6, day("2026-03-20"): 7}
    assert found[median.id].values == {day("2026-03-05"): 3, day("2026-03-20"): 7}


def test_other_metrics_are_not_mixed_in(metric):
    other = make_metric(metric.owner, name="Other")
    record(metric, "1", local("2026-03-05 08:00"))
    record(other, "100", local("2026-03-05 08:00"))

    assert values_of(make_goal(metric, aggregation="sum")) == {day("2026-03-05"): 1}


def _goals_with_data(count: int) -> list[Goal]:
    """`count` goals over `count` metrics, cycling through every aggregation, each
    metric with a few days of measurements."""
    owner = make_owner(f"owner{count}")
    aggregations = list(Aggregation)
    goals = []
    for index in range(count):
        metric = make_metric(owner, name=f"Metric {index}")
        for offset in range(3):
            record(metric, str(index + offset), local(f"2026-03-0{offset + 2} 0{offset}:15"))
        goals.append(make_goal(metric, aggregation=aggregations[index % len(aggregations)]))
    return goals


def _queries_for(goals: list[Goal]) -> int:
    ranges = {goal.id: MARCH for goal in goals}
    with CaptureQueriesContext(connection) as queries:
        found = daily_values_for_goals(goals, zone=BERLIN, ranges=ranges)
    assert all(found[goal.id].values for goal in goals)
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_goals():
    # Eight goals cover every aggregation, so all three kinds of query run.
    assert _queries_for(_goals_with_data(8)) == 3
    assert _queries_for(_goals_with_data(24)) == 3


@pytest.mark.parametrize("count", [1, 20])
def test_goals_that_all_sum_take_one_query(count, django_assert_num_queries):
    owner = make_owner()
    goals = []
    for index in range(count):
        metric = make_metric(owner, name=f"Metric {index}")
        record(metric, "1", local("2026-03-05 12:00"))
        goals.append(make_goal(metric, aggregation="sum"))

    with django_assert_num_queries(1):
        daily_values_for_goals(goals, zone=BERLIN, ranges={goal.id: MARCH for goal in goals})


def test_units_come_from_the_selected_metric_or_one_query(metric, django_assert_num_queries):
    goal = Goal.objects.get(id=make_goal(metric).id)
    with django_assert_num_queries(1):
        assert units_for_goals([goal]) == {goal.id: "kg"}
    selected = Goal.objects.select_related("metric").get(id=goal.id)
    with django_assert_num_queries(0):
        assert units_for_goals([selected]) == {goal.id: "kg"}
