"""Policy for goal changes: validate by the goal's kind, check ownership, name what
the change affects, and call one executor. Every channel goes through these."""

import datetime as dt
from collections.abc import Callable
from functools import partial

from config.envelope import ApplicationError, NotFound, Result, ValidationFailed
from config.orchestration import execute
from config.request_context import Phase, set_phase
from config.revalidation import GOALS_LIST, GOALS_SUMMARY, METRICS_LIST, goal_key
from measurements import selectors as metric_selectors

from . import executors as goal_executors
from . import kinds
from . import selectors as goal_selectors
from .choices import GoalStatus
from .contracts import CreateGoal, EditGoal, GoalFields, GoalRef, RenameGoal

UNDO_WINDOW = dt.timedelta(minutes=10)
"""How long a deleted goal can be brought back with Undo."""

PURGE_AFTER = dt.timedelta(days=30)
"""How long a deleted goal is kept before `purge_deleted_goals` removes it for good."""

LONGEST = dt.timedelta(days=366 * 10)
"""The longest a goal may run (its chart has a point a day)."""


def _validated(fields: GoalFields, metric_id: int | None, new_metric) -> GoalFields:
    set_phase(Phase.VALIDATE)
    kind = kinds.get(fields.kind)
    if kind is None:
        raise ValidationFailed.on("kind", "Choose a kind of goal.")
    errors = kind.validate(fields)
    if fields.deadline and fields.deadline - fields.start_date > LONGEST:
        errors.append(
            ValidationFailed.on(
                "deadline", "A goal can run for at most ten years; choose an earlier end."
            ).fields[0]
        )
    if metric_id is None and new_metric is None:
        errors.append(ValidationFailed.on("metric", "Choose a metric, or create one.").fields[0])
    if errors:
        raise ValidationFailed("Some fields need another look.", fields=errors)
    return kind.normalize(fields)


def _authorize_metric(metric_id: int | None, actor_id: int, selectors) -> None:
    set_phase(Phase.AUTHORIZE)
    if metric_id is None:
        return
    try:
        selectors.metric_for_owner(metric_id=metric_id, owner_id=actor_id)
    except NotFound as exc:
        raise ValidationFailed.on("metric", "Choose one of your metrics, or create one.") from exc


def _checked(
    command: CreateGoal | EditGoal, actor_id: int, metrics
) -> tuple[GoalFields, int | None]:
    """The fields as the kind stores them, and the existing metric to use (None when
    the command creates one), or a failure raised in its phase."""
    fields = _validated(command.fields, command.metric_id, command.new_metric)
    _authorize_metric(command.metric_id, actor_id, metrics)
    set_phase(Phase.PLAN)
    return fields, None if command.new_metric else command.metric_id


def _saved(goal_id: int, command: CreateGoal | EditGoal) -> list[str]:
    """What saving a goal's fields changes: the goal, the lists and the summary, and
    the metric list when a metric was created with it."""
    return [*_listed_goal(goal_id), *([METRICS_LIST] if command.new_metric else [])]


def create_goal(
    command: CreateGoal,
    *,
    actor_id: int,
    now: dt.datetime,
    executors=goal_executors,
    metrics=metric_selectors,
) -> Result:
    try:
        fields, metric_id = _checked(command, actor_id, metrics)
    except ApplicationError as exc:
        return Result.failure(exc)
    result = execute(
        partial(
            executors.goal_create,
            owner_id=actor_id,
            fields=fields,
            metric_id=metric_id,
            new_metric=command.new_metric,
            now=now,
        )
    )
    return result.with_affected(_saved(result.data.id, command)) if result.ok else result


def edit_goal(
    command: EditGoal,
    *,
    actor_id: int,
    now: dt.datetime,
    executors=goal_executors,
    goals=goal_selectors,
    metrics=metric_selectors,
) -> Result:
    try:
        set_phase(Phase.AUTHORIZE)
        goals.goal_for_owner(goal_id=command.goal_id, owner_id=actor_id)
        fields, metric_id = _checked(command, actor_id, metrics)
    except ApplicationError as exc:
        return Result.failure(exc)
    result = execute(
        partial(
            executors.goal_update,
            owner_id=actor_id,
            goal_id=command.goal_id,
            fields=fields,
            metric_id=metric_id,
            new_metric=command.new_metric,
            now=now,
        )
    )
    return result.with_affected(_saved(command.goal_id, command)) if result.ok else result


def _on_owned_goal(
    goal_id: int,
    *,
    actor_id: int,
    authorize: Callable[..., object],
    action: Callable[[], Result],
    affected: list[str],
) -> Result:
    """The shape of every change to one existing goal: check it is the actor's (a
    goal that is not is not found), run the executor, name what changed."""
    try:
        set_phase(Phase.AUTHORIZE)
        authorize(goal_id=goal_id, owner_id=actor_id)
    except ApplicationError as exc:
        return Result.failure(exc)
    set_phase(Phase.PLAN)
    result = execute(action)
    return result.with_affected(affected) if result.ok else result


def _listed_goal(goal_id: int) -> list[str]:
    """A change that moves a goal on or off the lists and the summary."""
    return [goal_key(goal_id), GOALS_LIST, GOALS_SUMMARY]


def _set_status(command: GoalRef, status: GoalStatus, *, actor_id, now, executors, goals):
    return _on_owned_goal(
        command.goal_id,
        actor_id=actor_id,
        authorize=goals.goal_for_owner,
        action=partial(
            executors.goal_set_status,
            owner_id=actor_id,
            goal_id=command.goal_id,
            status=status,
            now=now,
        ),
        affected=_listed_goal(command.goal_id),
    )


def archive_goal(
    command: GoalRef,
    *,
    actor_id: int,
    now: dt.datetime,
    executors=goal_executors,
    goals=goal_selectors,
) -> Result:
    """Archive: the goal leaves the dashboard and its history is kept."""
    return _set_status(
        command, GoalStatus.ARCHIVED, actor_id=actor_id, now=now, executors=executors, goals=goals
    )


def restore_goal(
    command: GoalRef,
    *,
    actor_id: int,
    now: dt.datetime,
    executors=goal_executors,
    goals=goal_selectors,
) -> Result:
    return _set_status(
        command, GoalStatus.ACTIVE, actor_id=actor_id, now=now, executors=executors, goals=goals
    )


def rename_goal(
    command: RenameGoal,
    *,
    actor_id: int,
    now: dt.datetime,
    executors=goal_executors,
    goals=goal_selectors,
) -> Result:
    """A new title changes the goal's own fragments and nothing derived (not the
    summary, not the list order)."""
    return _on_owned_goal(
        command.goal_id,
        actor_id=actor_id,
        authorize=goals.goal_for_owner,
        action=partial(
            executors.goal_rename,
            owner_id=actor_id,
            goal_id=command.goal_id,
            title=command.title,
            now=now,
        ),
        affected=[goal_key(command.goal_id)],
    )


def delete_goal(
    command: GoalRef,
    *,
    actor_id: int,
    now: dt.datetime,
    executors=goal_executors,
    goals=goal_selectors,
) -> Result:
    """Soft delete: the goal leaves every page at once and can be brought back with
    `undelete_goal` for `UNDO_WINDOW`."""
    return _on_owned_goal(
        command.goal_id,
        actor_id=actor_id,
        authorize=goals.goal_for_owner,
        action=partial(executors.goal_delete, owner_id=actor_id, goal_id=command.goal_id, now=now),
        affected=_listed_goal(command.goal_id),
    )


def undelete_goal(
    command: GoalRef,
    *,
    actor_id: int,
    now: dt.datetime,
    executors=goal_executors,
    goals=goal_selectors,
) -> Result:
    """Undo a delete, within `UNDO_WINDOW` of it; after that the goal is not found."""
    since = now - UNDO_WINDOW
    return _on_owned_goal(
        command.goal_id,
        actor_id=actor_id,
        authorize=partial(goals.deleted_goal_for_owner, since=since),
        action=partial(
            executors.goal_undelete,
            owner_id=actor_id,
            goal_id=command.goal_id,
            deleted_since=since,
            now=now,
        ),
        affected=_listed_goal(command.goal_id),
    )


def purge_deleted_goals(*, now: dt.datetime, executors=goal_executors) -> Result:
    """Remove for good the goals deleted more than `PURGE_AFTER` ago. Nobody sees
    them any more, so nothing on a page is affected."""
    set_phase(Phase.PLAN)
    return execute(
        partial(executors.goals_purge_deleted, deleted_before=now - PURGE_AFTER, now=now)
    )
