"""Policy for goal changes: validate by the goal's kind, check ownership, and call
one executor, whose events name what the change affects. Every channel goes through
these."""

import datetime as dt
from functools import partial

from config.envelope import ApplicationError, NotFound, Result, ValidationFailed
from config.orchestration import execute, execute_authorized
from config.request_context import Phase, set_phase
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
    return execute(
        partial(
            executors.goal_create,
            owner_id=actor_id,
            fields=fields,
            metric_id=metric_id,
            new_metric=command.new_metric,
            now=now,
        )
    )


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
    return execute(
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


def _set_status(command: GoalRef, status: GoalStatus, *, actor_id, now, executors, goals):
    return execute_authorized(
        partial(goals.goal_for_owner, goal_id=command.goal_id, owner_id=actor_id),
        partial(
            executors.goal_set_status,
            owner_id=actor_id,
            goal_id=command.goal_id,
            status=status,
            now=now,
        ),
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
    return execute_authorized(
        partial(goals.goal_for_owner, goal_id=command.goal_id, owner_id=actor_id),
        partial(
            executors.goal_rename,
            owner_id=actor_id,
            goal_id=command.goal_id,
            title=command.title,
            now=now,
        ),
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
    return execute_authorized(
        partial(goals.goal_for_owner, goal_id=command.goal_id, owner_id=actor_id),
        partial(executors.goal_delete, owner_id=actor_id, goal_id=command.goal_id, now=now),
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
    return execute_authorized(
        partial(
            goals.deleted_goal_for_owner, goal_id=command.goal_id, owner_id=actor_id, since=since
        ),
        partial(
            executors.goal_undelete,
            owner_id=actor_id,
            goal_id=command.goal_id,
            deleted_since=since,
            now=now,
        ),
    )


def purge_deleted_goals(*, now: dt.datetime, executors=goal_executors) -> Result:
    """Remove for good the goals deleted more than `PURGE_AFTER` ago. Nobody sees
    them any more, so nothing on a page is affected."""
    set_phase(Phase.PLAN)
    return execute(
        partial(executors.goals_purge_deleted, deleted_before=now - PURGE_AFTER, now=now)
    )


#: How many owners' goals one judging transaction takes.
JUDGE_BATCH = 100


def judge_statuses(*, now: dt.datetime, executors=goal_executors, selectors=goal_selectors) -> int:
    """Judge every active goal again, a batch of owners per transaction, so a goal that
    fell behind because a day passed with nothing recorded is told (and shown, and sent
    to webhooks) without waiting for the next write. The count of goals judged."""
    set_phase(Phase.PLAN)
    owners = selectors.owners_with_active_goals()
    judged = 0
    for start in range(0, len(owners), JUDGE_BATCH):
        batch = owners[start : start + JUDGE_BATCH]
        judged += execute(partial(executors.goals_judge, owner_ids=batch, now=now)).unwrap()
    return judged
