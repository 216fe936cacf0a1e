"""Reads for goals."""

from django.db.models import QuerySet

from config.envelope import NotFound
from config.revalidation import GOALS_SUMMARY, goal_key

from .models import Goal, GoalStatus


def _visible(owner_id: int) -> QuerySet[Goal]:
    return Goal.objects.filter(owner_id=owner_id, deleted_at__isnull=True)


def goal_for_owner(*, goal_id: int, owner_id: int) -> Goal:
    """The goal, if it is the owner's and not deleted; otherwise it does not exist."""
    goal = _visible(owner_id).select_related("metric").filter(id=goal_id).first()
    if goal is None:
        raise NotFound("There is no such goal.")
    return goal


def active_goals(*, owner_id: int) -> QuerySet[Goal]:
    return (
        _visible(owner_id)
        .filter(status=GoalStatus.ACTIVE)
        .select_related("metric")
        .order_by("created", "id")
    )


def archived_goals(*, owner_id: int) -> QuerySet[Goal]:
    return (
        _visible(owner_id)
        .filter(status=GoalStatus.ARCHIVED)
        .select_related("metric")
        .order_by("-updated", "-id")
    )


def goal_keys_for_metrics(metric_ids: list[int]) -> list[str]:
    """The revalidation keys of the goals a change to these metrics moves: each goal
    over them, and the summary when there is any such goal. Registered with
    `measurements.dependents` so measurements need not know about goals."""
    goal_ids = list(
        Goal.objects.filter(metric_id__in=metric_ids, deleted_at__isnull=True)
        .order_by()
        .values_list("id", flat=True)
    )
    if not goal_ids:
        return []
    return [*(goal_key(goal_id) for goal_id in goal_ids), GOALS_SUMMARY]
