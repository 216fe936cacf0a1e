import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from config.envelope import NotFound, ValidationFailed
from goals.contracts import GoalFields, NewMetric
from goals.executors import (
    goal_create,
    goal_delete,
    goal_rename,
    goal_set_status,
    goal_undelete,
    goal_update,
    goals_purge_deleted,
)
from goals.models import Goal
from measurements.models import Metric
from tests.factories import GoalFactory, MetricFactory

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
REACH = GoalFields(
    title="Weigh 75 kg",
    kind="reach",
    start_value=Decimal("82"),
    target=Decimal("75"),
    start_date=dt.date(2026, 11, 1),
    deadline=dt.date(2027, 3, 1),
)


@pytest.mark.django_db
def test_goal_create_over_an_existing_metric():
    metric = MetricFactory()
    result = goal_create(
        owner_id=metric.owner_id, fields=REACH, metric_id=metric.id, new_metric=None, now=NOW
    )
    goal = Goal.objects.get(id=result.data.id)
    assert (goal.title, goal.kind, goal.metric, goal.target, goal.status) == (
        "Weigh 75 kg",
        "reach",
        metric,
        Decimal("75"),
        "active",
    )
    assert goal.created == goal.updated == NOW


@pytest.mark.django_db
def test_goal_create_with_a_new_metric_writes_both(user):
    result = goal_create(
        owner_id=user.id,
        fields=REACH,
        metric_id=None,
        new_metric=NewMetric(name="Weight", unit="kg"),
        now=NOW,
    )
    assert Goal.objects.get().metric == Metric.objects.get(owner=user, name="Weight")
    assert result.data.metric_id == Metric.objects.get().id


@pytest.mark.django_db
def test_a_goal_that_fails_after_its_new_metric_leaves_neither(user):
    untitled = REACH.model_copy(update={"title": "x" * 121})
    with pytest.raises(ValidationError):
        goal_create(
            owner_id=user.id,
            fields=untitled,
            metric_id=None,
            new_metric=NewMetric(name="Weight", unit="kg"),
            now=NOW,
        )
    assert not Metric.objects.exists()
    assert not Goal.objects.exists()


@pytest.mark.django_db
def test_goal_create_refuses_another_users_metric(other_user):
    metric = MetricFactory()
    with pytest.raises(ValidationFailed):
        goal_create(
            owner_id=other_user.id, fields=REACH, metric_id=metric.id, new_metric=None, now=NOW
        )
    assert not Goal.objects.exists()


@pytest.mark.django_db
def test_goal_update_changes_fields_and_stamps_updated():
    goal = GoalFactory()
    later = NOW + dt.timedelta(hours=1)
    fields = REACH.model_copy(update={"title": "Weigh 74 kg", "target": Decimal("74")})
    result = goal_update(
        owner_id=goal.owner_id,
        goal_id=goal.id,
        fields=fields,
        metric_id=goal.metric_id,
        new_metric=None,
        now=later,
    )
    goal.refresh_from_db()
    assert result.ok
    assert (goal.title, goal.target, goal.updated) == ("Weigh 74 kg", Decimal("74"), later)


@pytest.mark.django_db
def test_goal_update_of_another_users_goal_is_not_found(other_user):
    goal = GoalFactory()
    with pytest.raises(NotFound):
        goal_update(
            owner_id=other_user.id,
            goal_id=goal.id,
            fields=REACH,
            metric_id=goal.metric_id,
            new_metric=None,
            now=NOW,
        )
    goal.refresh_from_db()
    assert goal.title != REACH.title


@pytest.mark.django_db
def test_goal_set_status_archives_and_restores():
    goal = GoalFactory()
    goal_set_status(owner_id=goal.owner_id, goal_id=goal.id, status="archived", now=NOW)
    goal.refresh_from_db()
    assert goal.status == "archived"
    goal_set_status(owner_id=goal.owner_id, goal_id=goal.id, status="active", now=NOW)
    goal.refresh_from_db()
    assert (goal.status, goal.updated) == ("active", NOW)


@pytest.mark.django_db
def test_goal_rename_changes_only_the_title_and_stamps_updated():
    goal = GoalFactory(title="Old")
    result = goal_rename(owner_id=goal.owner_id, goal_id=goal.id, title="New", now=NOW)
    goal.refresh_from_db()
    assert (result.data.title, goal.title, goal.updated) == ("New", "New", NOW)
    assert goal.target == Decimal("75")


@pytest.mark.django_db
def test_goal_rename_of_another_users_goal_is_not_found(other_user):
    goal = GoalFactory(title="Theirs")
    with pytest.raises(NotFound):
        goal_rename(owner_id=other_user.id, goal_id=goal.id, title="Mine", now=NOW)
    goal.refresh_from_db()
    assert goal.title == "Theirs"


@pytest.mark.django_db
def test_goal_delete_is_soft_and_hides_the_goal():
    goal = GoalFactory()
    result = goal_delete(owner_id=goal.owner_id, goal_id=goal.id, now=NOW)
    goal.refresh_from_db()
    assert result.data.deleted and goal.deleted_at == NOW
    with pytest.raises(NotFound):
        goal_delete(owner_id=goal.owner_id, goal_id=goal.id, now=NOW)


@pytest.mark.django_db
def test_goal_undelete_within_the_window_brings_it_back():
    goal = GoalFactory(deleted_at=NOW - dt.timedelta(minutes=9))
    result = goal_undelete(
        owner_id=goal.owner_id,
        goal_id=goal.id,
        deleted_since=NOW - dt.timedelta(minutes=10),
        now=NOW,
    )
    goal.refresh_from_db()
    assert result.ok and not result.data.deleted
    assert goal.deleted_at is None


@pytest.mark.django_db
def test_goal_undelete_after_the_window_is_not_found():
    goal = GoalFactory(deleted_at=NOW - dt.timedelta(minutes=11))
    with pytest.raises(NotFound):
        goal_undelete(
            owner_id=goal.owner_id,
            goal_id=goal.id,
            deleted_since=NOW - dt.timedelta(minutes=10),
            now=NOW,
        )
    goal.refresh_from_db()
    assert goal.deleted_at == NOW - dt.timedelta(minutes=11)


@pytest.mark.django_db
def test_goal_undelete_of_another_users_or_a_live_goal_is_not_found(other_user):
    deleted = GoalFactory(deleted_at=NOW)
    live = GoalFactory()
    since = NOW - dt.timedelta(minutes=10)
    with pytest.raises(NotFound):
        goal_undelete(owner_id=other_user.id, goal_id=deleted.id, deleted_since=since, now=NOW)
    with pytest.raises(NotFound):
        goal_undelete(owner_id=live.owner_id, goal_id=live.id, deleted_since=since, now=NOW)
    deleted.refresh_from_db()
    assert deleted.deleted_at == NOW


@pytest.mark.django_db
def test_goals_purge_deleted_removes_only_goals_deleted_before_the_cutoff():
    old = GoalFactory(deleted_at=NOW - dt.timedelta(days=31))
    recent = GoalFactory(deleted_at=NOW - dt.timedelta(days=29))
    live = GoalFactory()
    result = goals_purge_deleted(deleted_before=NOW - dt.timedelta(days=30), now=NOW)
    assert result.data == 1
    assert set(Goal.objects.values_list("id", flat=True)) == {recent.id, live.id}
    assert Metric.objects.filter(id=old.metric_id).exists()
