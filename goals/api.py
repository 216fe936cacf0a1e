"""The JSON API for goals (`/api/v1/goals`).

Like the pages' views: parse into the same commands (`CreateGoal`, `EditGoal`,
`GoalRef`), call the same orchestrators, and turn the envelope into a response. A
failed envelope raises (`.unwrap()`), and the API's error handlers answer it in the one
error shape. Every goal comes back with its `progress`: the payload of the one mapper,
read the way the dashboard reads it (`Dashboard.cards_for`, one batch for a list), with
numbers as plain strings.
"""

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.utils import timezone
from ninja import Field, Router, Schema, Status
from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

from accounts.selectors import preferences_for
from config.api_schemas import OptionalNumber, Strict, error_responses
from config.request_context import Phase, set_phase

from . import kinds, selectors
from .choices import Aggregation, Comparison, GoalStatus, Period
from .contracts import CreateGoal, EditGoal, GoalFields, GoalRef, NewMetric
from .dashboard import Dashboard
from .forms import initial_for_new_goal
from .models import Goal
from .orchestrators import (
    archive_goal,
    create_goal,
    delete_goal,
    edit_goal,
    restore_goal,
    undelete_goal,
)
from .progress import Progress, ProgressPoint

router = Router(tags=["goals"])


# Input


def _registered_kinds(schema: dict[str, Any]) -> None:
    """The kinds in the registry when the schema is made (apps add theirs on start)."""
    schema["enum"] = [kind.key for kind in kinds.all_kinds()]


class NewMetricIn(Strict):
    name: str = Field(min_length=1, max_length=80, description="e.g. Weight")
    unit: str = Field(min_length=1, max_length=24, description="kg, km, h, workouts…")

    @field_validator("name", "unit")
    @classmethod
    def stripped(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("This field is required.")
        if "\x00" in value:
            raise ValueError("Remove the NUL character.")
        return value


class OneMetric(BaseModel):
    """At most one way of choosing the metric."""

    @field_validator("new_metric", check_fields=False)
    @classmethod
    def one_metric(cls, value, info: ValidationInfo):
        if value is not None and info.data.get("metric_id") is not None:
            raise ValueError("Send metric_id or new_metric, not both.")
        return value


class GoalIn(OneMetric, GoalFields):
    """A goal's fields, as the goal form takes them, and its metric: `metric_id` (one
    of yours) or `new_metric` (created with the goal). Which fields matter depends on
    `kind`; those it does not use are cleared. Left out, `start_date` is today in your
    time zone, `aggregation` the kind's default and `period_aggregation` `mean`, as in
    the form."""

    kind: str = Field(json_schema_extra=_registered_kinds)
    start_date: dt.date | None = Field(default=None, description="Today when left out.")
    aggregation: Aggregation | None = Field(
        default=None,
        description="How a day's measurements become its value; the kind's default when "
        "left out (last for reach, sum for the others).",
    )
    period_aggregation: Aggregation | None = Field(
        default=None,
        description="Range goals: how a period's days become its value (mean, last or sum).",
    )
    metric_id: int | None = Field(default=None, description="One of your metrics.")
    new_metric: NewMetricIn | None = Field(
        default=None, description="A metric to create with the goal, instead of `metric_id`."
    )


class GoalPatch(OneMetric, Strict):
    """Only the fields sent change (null clears an optional one: `target`, `deadline`,
    …); the others keep their stored values, and the whole is checked as on a full
    update."""

    title: str = Field(default=None, min_length=1, max_length=120)
    kind: str = Field(default=None, json_schema_extra=_registered_kinds)
    target: Decimal | None = None
    target_low: Decimal | None = None
    target_high: Decimal | None = None
    start_value: Decimal | None = None
    start_date: dt.date = None
    deadline: dt.date | None = None
    period: Period | None = None
    comparison: Comparison | None = None
    aggregation: Aggregation = None
    period_aggregation: Aggregation = None
    required_share: int = Field(default=None, ge=1, le=100)
    metric_id: int | None = None
    new_metric: NewMetricIn | None = None


# Output


class ProgressPointOut(ProgressPoint):
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    value: OptionalNumber
    pace: OptionalNumber = None


class ProgressOut(Progress):
    """The mapper's progress payload (`goals.progress.Progress`) with its numbers as
    plain strings ("75", "81.4"): the same object the dashboard renders.

    - `status` is one of `not_started`, `no_data`, `on_track`, `behind`, `achieved`,
      `failed`, the same for every kind; `status_label` is how the goal's kind says
      it ("On track", "Above range"); `achieved` is true exactly when `status` is
      `achieved`.
    - `percent` is a whole number for a bar: rounded down and held within 0..100, so
      100 only once the target is really there. `percent_exact` is the same share
      unrounded (six decimals) and not held ("104.5" past the target), or null when
      there is no value to measure.
    - A quota or range period with nothing recorded has no value: `current` and the
      series point's `value` are null (never "0"), and `period_status` says how the
      period is judged (an empty "at least" week is `not_yet`, then `missed`).
    - Quota and range goals are judged on their record: `required_share` percent of
      the periods must be met (`periods_required` of `periods_total` with an end
      date); see docs/goal-kinds.md for the rule."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    current: OptionalNumber
    percent_exact: OptionalNumber = None
    start: OptionalNumber = None
    target: OptionalNumber = None
    low: OptionalNumber = None
    high: OptionalNumber = None
    expected: OptionalNumber = None
    delta: OptionalNumber = None
    series: list[ProgressPointOut]

    @classmethod
    def of(cls, progress: Progress) -> "ProgressOut":
        return cls.model_validate(progress.model_dump(exclude=set(Progress.model_computed_fields)))


class GoalMetricOut(Schema):
    id: int
    name: str
    unit: str


class GoalOut(Schema):
    id: int
    title: str
    kind: str
    metric: GoalMetricOut
    target: OptionalNumber
    target_low: OptionalNumber
    target_high: OptionalNumber
    start_value: OptionalNumber
    start_date: dt.date
    deadline: dt.date | None
    period: Period | None
    comparison: Comparison | None
    aggregation: Aggregation
    period_aggregation: Aggregation
    required_share: int = Field(
        description="Quota and range goals: the percentage of periods that must be met."
    )
    status: GoalStatus = Field(description="active, or archived (off the dashboard)")
    created: dt.datetime
    updated: dt.datetime
    progress: ProgressOut


# Helpers


def _goal_out(goal: Goal, progress: Progress) -> GoalOut:
    metric = goal.metric
    return GoalOut(
        id=goal.id,
        title=goal.title,
        kind=goal.kind,
        metric=GoalMetricOut(id=metric.id, name=metric.name, unit=metric.unit),
        target=goal.target,
        target_low=goal.target_low,
        target_high=goal.target_high,
        start_value=goal.start_value,
        start_date=goal.start_date,
        deadline=goal.deadline,
        period=goal.period or None,
        comparison=goal.comparison or None,
        aggregation=goal.aggregation,
        period_aggregation=goal.period_aggregation,
        required_share=goal.required_share,
        status=goal.status,
        created=goal.created,
        updated=goal.updated,
        progress=ProgressOut.of(progress),
    )


def _shown(request, goals: list[Goal], now: dt.datetime) -> list[GoalOut]:
    """The goals with their progress, from the mapper in one batch, as the dashboard
    reads it: a fixed number of queries however many goals."""
    set_phase(Phase.RENDER)
    cards = Dashboard(request.user, now=now).cards_for(goals)
    return [_goal_out(card.goal, card.progress) for card in cards]


def _one(request, goal_id: int, now: dt.datetime) -> GoalOut:
    (shown,) = _shown(request, [_owned(request, goal_id)], now)
    return shown


def _changed(request, goal_id: int, orchestrator) -> GoalOut:
    """Run an orchestrator that takes only the goal (archive, restore, undelete) and
    answer with the goal as it is now."""
    now = timezone.now()
    orchestrator(GoalRef(goal_id=goal_id), actor_id=request.user.id, now=now).unwrap()
    return _one(request, goal_id, now)


def _owned(request, goal_id: int) -> Goal:
    set_phase(Phase.AUTHORIZE)
    return selectors.goal_for_owner(goal_id=goal_id, owner_id=request.user.id)


def _goal_fields(values: dict[str, Any]) -> GoalFields:
    """The command's fields; one that is not valid is a 422 naming it (the API's
    handlers answer pydantic's errors)."""
    set_phase(Phase.VALIDATE)
    return GoalFields(**values)


def _fields_in(request, payload: GoalIn) -> GoalFields:
    """The body's goal fields with the form's defaults for those left out."""
    sent = payload.model_dump(exclude={"metric_id", "new_metric"})
    defaults = initial_for_new_goal(payload.kind, preferences_for(request.user).zone)
    for name in ("start_date", "aggregation", "period_aggregation"):
        if sent[name] is None:
            sent[name] = defaults[name]
    return _goal_fields(sent)


def _new_metric(payload: NewMetricIn | None) -> NewMetric | None:
    return None if payload is None else NewMetric(name=payload.name, unit=payload.unit)


def _stored_fields(goal: Goal) -> dict[str, Any]:
    values = {name: getattr(goal, name) for name in GoalFields.model_fields}
    return {name: None if value == "" else value for name, value in values.items()}


# Operations


@router.get("", response={200: list[GoalOut], **error_responses()}, summary="Your goals")
def list_goals(request, status: Literal["active", "archived", "all"] = "active"):
    """Active goals in the order they were set (the dashboard's), archived ones most
    recently archived first; `all` is both, active first. Deleted goals never appear."""
    owner_id = request.user.id
    goals = []
    if status in ("active", "all"):
        goals += selectors.active_goals(owner_id=owner_id)
    if status in ("archived", "all"):
        goals += selectors.archived_goals(owner_id=owner_id)
    return _shown(request, goals, timezone.now())


@router.post("", response={201: GoalOut, **error_responses(409)}, summary="Set a goal")
def create_goal_api(request, payload: GoalIn):
    now = timezone.now()
    command = CreateGoal(
        fields=_fields_in(request, payload),
        metric_id=payload.metric_id,
        new_metric=_new_metric(payload.new_metric),
    )
    data = create_goal(command, actor_id=request.user.id, now=now).unwrap()
    return Status(201, _one(request, data.id, now))


@router.get("/{goal_id}", response={200: GoalOut, **error_responses(404)}, summary="One goal")
def get_goal(request, goal_id: int):
    return _one(request, goal_id, timezone.now())


@router.put(
    "/{goal_id}",
    response={200: GoalOut, **error_responses(404)},
    summary="Replace a goal's fields (as the edit form does)",
)
def edit_goal_api(request, goal_id: int, payload: GoalIn):
    now = timezone.now()
    command = EditGoal(
        goal_id=goal_id,
        fields=_fields_in(request, payload),
        metric_id=payload.metric_id,
        new_metric=_new_metric(payload.new_metric),
    )
    edit_goal(command, actor_id=request.user.id, now=now).unwrap()
    return _one(request, goal_id, now)


@router.patch(
    "/{goal_id}",
    response={200: GoalOut, **error_responses(404)},
    summary="Change some of its fields",
)
def patch_goal_api(request, goal_id: int, payload: GoalPatch):
    now = timezone.now()
    stored = _owned(request, goal_id)
    sent = payload.model_dump(exclude_unset=True, exclude={"metric_id", "new_metric"})
    fields = _goal_fields({**_stored_fields(stored), **sent})
    if payload.new_metric is None and payload.metric_id is None:
        metric_id = stored.metric_id
    else:
        metric_id = payload.metric_id
    command = EditGoal(
        goal_id=goal_id,
        fields=fields,
        metric_id=metric_id,
        new_metric=_new_metric(payload.new_metric),
    )
    edit_goal(command, actor_id=request.user.id, now=now).unwrap()
    return _one(request, goal_id, now)


@router.delete(
    "/{goal_id}",
    response={204: None, **error_responses(404)},
    summary="Delete a goal (it can be brought back for 10 minutes with undelete)",
)
def delete_goal_api(request, goal_id: int):
    delete_goal(GoalRef(goal_id=goal_id), actor_id=request.user.id, now=timezone.now()).unwrap()
    return Status(204, None)


@router.post(
    "/{goal_id}/archive",
    response={200: GoalOut, **error_responses(404, 409)},
    summary="Archive: off the dashboard, history kept",
)
def archive_goal_api(request, goal_id: int):
    return _changed(request, goal_id, archive_goal)


@router.post(
    "/{goal_id}/restore",
    response={200: GoalOut, **error_responses(404, 409)},
    summary="Bring an archived goal back to the dashboard",
)
def restore_goal_api(request, goal_id: int):
    return _changed(request, goal_id, restore_goal)


@router.post(
    "/{goal_id}/undelete",
    response={200: GoalOut, **error_responses(404, 409)},
    summary="Undo a delete, within 10 minutes of it",
)
def undelete_goal_api(request, goal_id: int):
    return _changed(request, goal_id, undelete_goal)
