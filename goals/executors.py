"""Writes for goals. Each executor is one durable transaction with its audit entry and
its events; `now` and the acting user come in as arguments; fields arrive already
validated by the goal's kind."""

import datetime as dt

from audit import trail
from audit.models import Action
from config.envelope import NotFound, Result, ValidationFailed
from config.revalidation import GOALS_LIST, GOALS_SUMMARY, goal_key
from events import types
from events.outbox import emit, executor
from measurements.contracts import CreateMetric
from measurements.executors import metric_insert, metric_note_typed
from measurements.models import Metric

from .choices import GoalStatus
from .contracts import GoalData, GoalFields, NewMetric
from .models import AUDITED_FIELDS, Goal
from .shown import goal_shown
from .standing import restate


def _locked_goal(goal_id: int, owner_id: int) -> Goal:
    goal = (
        Goal.objects.select_for_update()
        .filter(id=goal_id, owner_id=owner_id, deleted_at__isnull=True)
        .first()
    )
    if goal is None:
        raise NotFound("There is no such goal.")
    return goal


def _resolve_metric(
    *,
    owner_id: int,
    metric_id: int | None,
    new_metric: NewMetric | None,
    now: dt.datetime,
    fields: GoalFields,
) -> Metric:
    """The goal's metric. One created with the goal shows values with the decimals of
    the goal's typed numbers (a target of 74.5 kg: one)."""
    if new_metric is not None:
        typed = (fields.target, fields.target_low, fields.target_high, fields.start_value)
        metric = metric_insert(
            owner_id=owner_id,
            command=CreateMetric(name=new_metric.name, unit=new_metric.unit),
            now=now,
        )
        metric_note_typed(metric, [value for value in typed if value is not None])
        return metric
    metric = Metric.objects.filter(id=metric_id, owner_id=owner_id).first()
    if metric is None:
        raise ValidationFailed.on("metric", "Choose one of your metrics, or create one.")
    return metric


def _audit(goal: Goal, action: Action, *, actor_id: int, now: dt.datetime, before=None) -> None:
    """Record the change on the audit trail: a creation with its fields, a change with
    what differs from `before`, a delete or restore as the action alone."""
    after = trail.snapshot(goal, AUDITED_FIELDS)
    trail.record(
        action=action,
        subject_type="goal",
        subject_id=goal.id,
        owner_id=goal.owner_id,
        actor_id=actor_id,
        summary=goal.title,
        now=now,
        before=before if action == Action.UPDATED else None,
        after=after if action in (Action.CREATED, Action.UPDATED) else None,
        metric_id=goal.metric_id,
    )


def tell(type: str, goal: Goal, *, listed: bool = True, was: dict | None = None) -> None:
    """Record the event, with the goal as shown now (or `was`, for one deleted for
    good); a change that can move the goal on or off the lists (or change the
    counts) affects them and the summary too, a new title only the goal."""
    data = was or goal_shown(goal)
    listing = [GOALS_LIST, GOALS_SUMMARY] if listed else []
    emit(
        type,
        owner_id=goal.owner_id,
        affected=[goal_key(data["id"]), *listing],
        subject=("goal", data["id"]),
        data=data,
    )


def _apply(goal: Goal, fields: GoalFields) -> None:
    for name, value in fields.model_dump().items():
        setattr(goal, name, "" if value is None and name in {"period", "comparison"} else value)


def _data(goal: Goal) -> GoalData:
    return GoalData(
        id=goal.id,
        title=goal.title,
        kind=goal.kind,
        metric_id=goal.metric_id,
        status=goal.status,
        deleted=goal.deleted_at is not None,
    )


@executor
def goal_create(
    *,
    owner_id: int,
    fields: GoalFields,
    metric_id: int | None,
    new_metric: NewMetric | None,
    now: dt.datetime,
) -> Result:
    metric = _resolve_metric(
        owner_id=owner_id, metric_id=metric_id, new_metric=new_metric, now=now, fields=fields
    )
    goal = Goal(owner_id=owner_id, metric=metric, created=now, updated=now)
    _apply(goal, fields)
    goal.full_clean(exclude=["owner", "metric"])
    goal.save()
    _audit(goal, Action.CREATED, actor_id=owner_id, now=now)
    tell(types.GOAL_CREATED, goal)
    restate([goal], now=now)
    return Result.success(_data(goal))


@executor
def goal_update(
    *,
    owner_id: int,
    goal_id: int,
    fields: GoalFields,
    metric_id: int | None,
    new_metric: NewMetric | None,
    now: dt.datetime,
) -> Result:
    goal = _locked_goal(goal_id, owner_id)
    before = trail.snapshot(goal, AUDITED_FIELDS)
    goal.metric = _resolve_metric(
        owner_id=owner_id, metric_id=metric_id, new_metric=new_metric, now=now, fields=fields
    )
    _apply(goal, fields)
    goal.updated = now
    goal.full_clean(exclude=["owner", "metric"])
    goal.save()
    _audit(goal, Action.UPDATED, actor_id=owner_id, now=now, before=before)
    tell(types.GOAL_CHANGED, goal)
    restate([goal], now=now)
    return Result.success(_data(goal))


@executor
def goal_set_status(*, owner_id: int, goal_id: int, status: GoalStatus, now: dt.datetime) -> Result:
    goal = _locked_goal(goal_id, owner_id)
    before = trail.snapshot(goal, AUDITED_FIELDS)
    goal.status = status
    goal.updated = now
    goal.save(update_fields=["status", "updated"])
    _audit(goal, Action.UPDATED, actor_id=owner_id, now=now, before=before)
    tell(types.GOAL_CHANGED, goal)
    if status == GoalStatus.ACTIVE:
        restate([goal], now=now)
    return Result.success(_data(goal))


@executor
def goal_rename(*, owner_id: int, goal_id: int, title: str, now: dt.datetime) -> Result:
    goal = _locked_goal(goal_id, owner_id)
    before = trail.snapshot(goal, AUDITED_FIELDS)
    goal.title = title
    goal.updated = now
    goal.full_clean(exclude=["owner", "metric"])
    goal.save(update_fields=["title", "updated"])
    _audit(goal, Action.UPDATED, actor_id=owner_id, now=now, before=before)
    tell(types.GOAL_CHANGED, goal, listed=False)
    return Result.success(_data(goal))


@executor
def goal_delete(*, owner_id: int, goal_id: int, now: dt.datetime) -> Result:
    """Soft delete: the goal disappears everywhere but stays restorable for a while."""
    goal = _locked_goal(goal_id, owner_id)
    goal.deleted_at = now
    goal.save(update_fields=["deleted_at"])
    _audit(goal, Action.DELETED, actor_id=owner_id, now=now)
    tell(types.GOAL_DELETED, goal)
    return Result.success(_data(goal))


@executor
def goal_undelete(
    *, owner_id: int, goal_id: int, deleted_since: dt.datetime, now: dt.datetime
) -> Result:
    """Bring back a goal deleted at or after `deleted_since`."""
    goal = (
        Goal.objects.select_for_update()
        .filter(id=goal_id, owner_id=owner_id, deleted_at__gte=deleted_since)
        .first()
    )
    if goal is None:
        raise NotFound("There is no such deleted goal, or it is too late to undo.")
    goal.deleted_at = None
    goal.save(update_fields=["deleted_at"])
    _audit(goal, Action.RESTORED, actor_id=owner_id, now=now)
    tell(types.GOAL_RESTORED, goal)
    if goal.status == GoalStatus.ACTIVE:
        restate([goal], now=now)
    return Result.success(_data(goal))


@executor
def goals_judge(*, owner_ids: list[int], now: dt.datetime) -> Result:
    """Judge the active goals of these owners at `now` and record each status that
    moved (`goal.status_changed`): a status can move with no write at all, when a day
    passes with nothing recorded. `data` is how many goals were judged."""
    goals = list(
        Goal.objects.filter(
            owner_id__in=owner_ids, deleted_at__isnull=True, status=GoalStatus.ACTIVE
        )
        .select_related("metric", "owner__profile")
        .order_by("owner_id", "id")
    )
    restate(goals, now=now)
    return Result.success(len(goals))


@executor
def goals_purge_deleted(*, deleted_before: dt.datetime, now: dt.datetime) -> Result:
    """Hard-delete every goal soft-deleted before `deleted_before`; `data` is the count."""
    _, per_model = Goal.objects.filter(deleted_at__lt=deleted_before).delete()
    return Result.success(per_model.get(Goal._meta.label, 0))
