"""The goals over a metric, read with the metric in one statement for a write to it,
are the goals the judgement's own query finds, field for field and type for type, with
their metric and their owner's profile at hand."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Profile
from goals.metric_read import goals_from
from goals.models import Goal
from measurements.selectors import metric_for_owner, metric_for_record
from tests.factories import GoalFactory, MetricFactory

pytestmark = pytest.mark.django_db


def fields(goal: Goal) -> dict:
    """Each field's value, its type and its text (a Decimal's places too)."""
    return {
        field.attname: (type(value := getattr(goal, field.attname)), value, str(value))
        for field in Goal._meta.concrete_fields
    }


def test_the_goals_read_with_the_metric_are_the_goals_stored(django_assert_num_queries):
    metric = MetricFactory(unit="km")
    Profile.objects.filter(user_id=metric.owner_id).update(time_zone="Asia/Kolkata", week_start=6)
    reach = GoalFactory(metric=metric, target=Decimal("100.123456"), start_value=Decimal("0"))
    quota = GoalFactory(
        metric=metric,
        kind="quota",
        period="week",
        comparison="at_least",
        target=Decimal("3"),
        start_value=None,
        deadline=None,
        required_share=80,
        standing="behind",
    )
    GoalFactory(metric=metric, deleted_at=timezone.now())
    GoalFactory(metric=MetricFactory(owner=metric.owner))
    stored = [Goal.objects.get(id=reach.id), Goal.objects.get(id=quota.id)]

    with django_assert_num_queries(1):
        read = metric_for_record(metric_id=metric.id, owner_id=metric.owner_id)
    with django_assert_num_queries(0):
        goals = goals_from(read)
        zones = {(goal.owner.profile.time_zone, goal.owner.profile.week_start) for goal in goals}
        metrics = {goal.metric for goal in goals}

    assert [fields(goal) for goal in goals] == [fields(goal) for goal in stored]
    assert zones == {("Asia/Kolkata", 6)} and metrics == {read}
    assert all(not goal._state.adding for goal in goals)
    assert goals[0].created.tzinfo is not None and goals[0].created == reach.created


def test_an_owner_without_a_profile_is_judged_in_the_defaults_without_a_query(
    django_assert_num_queries,
):
    metric = MetricFactory()
    GoalFactory(metric=metric, start_date=timezone.localdate() - dt.timedelta(days=3))
    Profile.objects.filter(user_id=metric.owner_id).delete()
    read = metric_for_record(metric_id=metric.id, owner_id=metric.owner_id)

    with django_assert_num_queries(0):
        [goal] = goals_from(read)
        assert getattr(goal.owner, "profile", None) is None


def test_a_metric_without_goals_reads_none_and_one_read_otherwise_says_so():
    metric = MetricFactory()
    assert goals_from(metric_for_record(metric_id=metric.id, owner_id=metric.owner_id)) == []
    assert goals_from(metric_for_owner(metric_id=metric.id, owner_id=metric.owner_id)) is None
